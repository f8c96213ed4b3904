"""Capability evidence: use in code passes as `implemented` with file and line; a dependency that
is only declared earns `partial` (`declared`); nothing at all fails."""

from __future__ import annotations

import pytest
from static_helpers import FIXTURES, explain

CAPABILITIES = ["static-cap-auth", "static-cap-rate-limit", "static-cap-input-validation", "static-cap-persistence",
                "static-cap-migrations", "static-cap-retries", "static-cap-caching", "static-cap-structured-logging",
                "static-cap-metrics", "static-cap-tracing", "static-cap-error-tracking", "static-cap-llm-safeguards",
                "static-cap-max-tokens", "static-cap-pii-redaction", "static-cap-token-accounting",
                "static-cap-prompt-versioning"]
# Capabilities the "declared" fixture lists in requirements.txt without using them.
DECLARED = set(CAPABILITIES) - {"static-cap-max-tokens"}

# Where the "full" fixture proves each capability: file, line (None: the file itself) and words.
PROOF = {
    "static-cap-auth": ("service/main.py", 25, "fastapi.security.apikeyheader"),
    "static-cap-rate-limit": ("service/main.py", 12, "slowapi"),
    "static-cap-input-validation": ("service/main.py", 32, "pydantic.field(max_length"),
    "static-cap-persistence": ("service/db.py", 1, "sqlalchemy"),
    "static-cap-migrations": ("alembic.ini", None, "alembic.ini"),
    "static-cap-retries": ("service/main.py", 14, "tenacity"),
    "static-cap-caching": ("service/cache.py", 1, "cachetools"),
    "static-cap-structured-logging": ("service/main.py", 5, "structlog"),
    "static-cap-metrics": ("service/main.py", 10, "prometheus_client"),
    "static-cap-tracing": ("service/main.py", 9, "opentelemetry"),
    "static-cap-error-tracking": ("service/main.py", 4, "sentry_sdk"),
    "static-cap-llm-safeguards": ("service/guard.py", 6, "moderate"),
    "static-cap-max-tokens": ("service/main.py", 38, "bounds max_tokens"),
    "static-cap-pii-redaction": ("service/guard.py", 10, "redact_pii"),
    "static-cap-token-accounting": ("service/main.py", 50, "prompt_tokens"),
    "static-cap-prompt-versioning": ("service/main.py", 28, "prompt_version"),
}


@pytest.fixture(scope="module")
def full(module_audit):
    return module_audit(FIXTURES / "caps" / "full", CAPABILITIES)


@pytest.fixture(scope="module")
def declared(module_audit):
    return module_audit(FIXTURES / "caps" / "declared", CAPABILITIES)


@pytest.fixture(scope="module")
def bare(module_audit):
    return module_audit(FIXTURES / "caps" / "none", CAPABILITIES)


@pytest.mark.parametrize("check_id", CAPABILITIES)
def test_use_in_code_is_implemented_evidence_with_file_and_line(full, check_id):
    result = full[check_id]
    assert result.status.value == "pass", explain(full)
    assert result.strength.value == "implemented"
    path, line, words = PROOF[check_id]
    assert any(e.path == path and (line is None or e.line == line) and words in e.message.lower() + str(e.path)
               for e in result.evidence), result.evidence


@pytest.mark.parametrize("check_id", sorted(DECLARED))
def test_declared_only_is_partial(declared, check_id):
    result = declared[check_id]
    assert result.status.value == "partial", explain(declared)
    assert result.strength.value == "declared"
    assert result.score == 0.5
    assert all(e.path == "requirements.txt" and e.line for e in result.evidence)


@pytest.mark.parametrize("check_id", CAPABILITIES)
def test_nothing_fails(bare, check_id):
    assert bare[check_id].status.value == "fail", explain(bare)


def test_missing_persistence_points_at_module_level_dicts(bare):
    result = bare["static-cap-persistence"]
    assert "module-level dicts" in result.message
    assert [(e.path, e.line) for e in result.evidence] == [("service/main.py", 7)]


def test_tests_are_not_evidence(static_audit, tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_api.py").write_text("import tenacity\nimport sentry_sdk\n")
    (tmp_path / "app.py").write_text("print('hello')\n")
    results = static_audit(tmp_path, ["static-cap-retries", "static-cap-error-tracking"])
    assert {r.status.value for r in results.values()} == {"fail"}


def test_import_aliases_resolve(static_audit, tmp_path):
    (tmp_path / "app.py").write_text("from fastapi import security as sec\nscheme = sec.HTTPBearer()\n")
    result = static_audit(tmp_path, ["static-cap-auth"])["static-cap-auth"]
    assert result.status.value == "pass"
    assert any(e.message == "uses fastapi.security.HTTPBearer" and e.line == 2 for e in result.evidence)


@pytest.mark.parametrize("code, capped", [
    ('requests.post(URL, json={"messages": m, "max_tokens": body.get("max_tokens")})\n', False),
    ('client.chat.completions.create(messages=m, max_tokens=payload["max_tokens"])\n', False),
    ('client.chat.completions.create(messages=m, max_tokens=min(asked, 1024))\n', True),
    ('client.chat.completions.create(messages=m, max_tokens=settings.max_tokens)\n', True),
    ('requests.post(URL, json={"messages": m, "max_tokens": 256})\n', True),
    ("class Req(BaseModel):\n    max_tokens: int = Field(default=256, le=1024)\n", True),
    ("class Req(BaseModel):\n    max_tokens: int = Field(default=256)\n", False),
])
def test_a_max_tokens_cap_is_not_the_clients_value_passed_through(static_audit, tmp_path, code, capped):
    (tmp_path / "app.py").write_text("import requests\nfrom pydantic import BaseModel, Field\n" + code)
    result = static_audit(tmp_path, ["static-cap-max-tokens"])["static-cap-max-tokens"]
    assert result.status.value == ("pass" if capped else "fail"), result.message


def test_gateway_config_is_implemented_evidence_but_not_in_tests(static_audit, tmp_path):
    (tmp_path / "app.py").write_text("print('hello')\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "nginx.conf").write_text("limit_req_zone $binary_remote_addr zone=api:10m rate=5r/s;\n")
    assert static_audit(tmp_path, ["static-cap-rate-limit"])["static-cap-rate-limit"].status.value == "fail"
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "nginx.conf").write_text("http {\n  limit_req_zone $binary_remote_addr zone=api:10m rate=5r/s;\n}\n")
    result = static_audit(tmp_path, ["static-cap-rate-limit"])["static-cap-rate-limit"]
    assert result.status.value == "pass"
    assert [(e.path, e.line) for e in result.evidence] == [("deploy/nginx.conf", 2)]


def test_a_service_in_another_language_is_not_evaluated(static_audit, tmp_path):
    (tmp_path / "server.rb").write_text("require 'sinatra'\nget '/' do\n  'hi'\nend\n")
    results = static_audit(tmp_path, ["static-cap-auth", "static-cap-metrics"])
    assert {r.status.value for r in results.values()} == {"not_evaluated"}


def test_a_node_service_is_read_where_its_stack_is_described(static_audit, tmp_path):
    """Auth has Node evidence in its YAML (stacks.node): evaluated, and failed here; persistence has
    none: not evaluated rather than failed."""
    (tmp_path / "server.js").write_text("const express = require('express');\nconst app = express();\n")
    results = static_audit(tmp_path, ["static-cap-auth", "static-cap-persistence"])
    assert results["static-cap-auth"].status.value == "fail"
    assert results["static-cap-persistence"].status.value == "not_evaluated"
