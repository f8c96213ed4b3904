"""Capability evidence on a realistic fixture service: a mechanism wired into the serving path passes
as `implemented` with file and line; a dependency that is only declared earns `partial`
(`declared`); nothing at all fails. The four twins of every check are in test_capability_twins.py."""

from __future__ import annotations

import pytest
from static_helpers import FIXTURES, explain, write_tree

CAPABILITIES = ["static-cap-auth", "static-cap-rate-limit", "static-cap-input-validation", "static-cap-persistence",
                "static-cap-migrations", "static-cap-retries", "static-cap-caching", "static-cap-structured-logging",
                "static-cap-metrics", "static-cap-tracing", "static-cap-error-tracking", "static-cap-llm-safeguards",
                "static-cap-max-tokens", "static-cap-pii-redaction", "static-cap-token-accounting",
                "static-cap-prompt-versioning"]
# Capabilities the "declared" fixture lists in requirements.txt without using them.
DECLARED = set(CAPABILITIES) - {"static-cap-max-tokens"}

# Where the "full" fixture proves each capability: file, line (None: the file itself) and words.
PROOF = {
    "static-cap-auth": ("service/main.py", 45, "depends on fastapi.security.apikeyheader in chat"),
    "static-cap-rate-limit": ("service/main.py", 44, "slowapi.limiter.limit in chat"),
    "static-cap-input-validation": ("service/main.py", 45, "validated by chatrequest"),
    "static-cap-persistence": ("service/db.py", 4, "sqlalchemy.create_engine"),
    "static-cap-migrations": ("alembic/versions/0001_init.py", None, "present"),
    "static-cap-retries": ("service/main.py", 37, "tenacity.retry(wait=...) in complete"),
    "static-cap-caching": ("service/main.py", 57, "cachetools.ttlcache in chat"),
    "static-cap-structured-logging": ("service/main.py", 22, "structlog"),
    "static-cap-metrics": ("service/main.py", 54, "prometheus_client.counter.inc in chat"),
    "static-cap-tracing": ("service/main.py", 23, "opentelemetry.trace"),
    "static-cap-error-tracking": ("service/main.py", 21, "sentry_sdk.init"),
    "static-cap-llm-safeguards": ("service/guard.py", 6, "hand-written guard: moderate"),
    # The route's input model bounds it (Field(le=1024)); complete() only passes its caller's number on.
    "static-cap-max-tokens": ("service/main.py", 32, "bounds max_tokens on the server side: chatrequest"),
    "static-cap-pii-redaction": ("service/guard.py", 10, "hand-written transform: redact_pii"),
    "static-cap-token-accounting": ("service/main.py", 45, "prompt_tokens"),
    "static-cap-prompt-versioning": ("service/prompts.py", 9, "load_prompt"),
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
    (tmp_path / "app.py").write_text("from fastapi import Depends, FastAPI\nfrom fastapi import security as sec\n"
                                     "scheme = sec.HTTPBearer()\napp = FastAPI()\n\n\n@app.get('/x')\n"
                                     "def x(creds=Depends(scheme)):\n    return creds\n")
    result = static_audit(tmp_path, ["static-cap-auth"])["static-cap-auth"]
    assert result.status.value == "pass"
    assert any(e.message == "route depends on fastapi.security.HTTPBearer in x" and e.line == 8 for e in result.evidence)


def test_relative_imports_and_packages_resolve(static_audit, tmp_path):
    write_tree(tmp_path, {
        "svc/__init__.py": "",
        "svc/security.py": "import hmac\n\n\ndef require_key(key: str = ''):\n"
                           "    if not hmac.compare_digest(key, 'k'):\n        raise ValueError('no')\n",
        "svc/api/__init__.py": "",
        "svc/api/routes.py": "from fastapi import Depends, FastAPI\nfrom ..security import require_key\n"
                             "app = FastAPI()\n\n\n@app.get('/x')\ndef x(ok=Depends(require_key)):\n    return 1\n",
    })
    result = static_audit(tmp_path, ["static-cap-auth"])["static-cap-auth"]
    assert result.status.value == "pass", result.message
    assert any(e.path == "svc/security.py" and "hmac.compare_digest in require_key" in e.message
               for e in result.evidence), result.evidence


def route(code: str, params: str = "") -> str:
    return ("import requests\nfrom fastapi import FastAPI\nfrom pydantic import BaseModel, Field\n"
            f"app = FastAPI()\nURL = 'http://up'\n\n\n@app.post('/chat')\ndef chat(body: dict{params}):\n"
            f"    m, asked = body['messages'], 5\n    {code}\n")


@pytest.mark.parametrize("code, capped", [
    ('requests.post(URL, json={"messages": m, "max_tokens": body.get("max_tokens")}, timeout=5)', False),
    ('client.chat.completions.create(messages=m, max_tokens=body["max_tokens"])', False),
    ("client.chat.completions.create(messages=m, max_tokens=min(asked, 1024))", True),
    ("client.chat.completions.create(messages=m, max_tokens=settings.max_tokens)", True),
    ('requests.post(URL, json={"messages": m, "max_tokens": 256}, timeout=5)', True),
    # Through a local name: the client's number validated from below only (Xinference) is no cap;
    # bounded from above, or clamped with min(), it is.
    ('n = body.get("max_tokens")\n    if n <= 0:\n        raise ValueError("positive")\n'
     '    client.chat.completions.create(messages=m, max_tokens=n)', False),
    ('n = body.get("max_tokens")\n    if n > 4096:\n        raise ValueError("at most 4096")\n'
     '    client.chat.completions.create(messages=m, max_tokens=n)', True),
    ('n = body.get("max_tokens")\n    n = min(n, 4096)\n    client.chat.completions.create(messages=m, max_tokens=n)', True),
    # Converted or given a default, the client's number is still the client's (api-for-open-llm).
    ('client.chat.completions.create(messages=m, max_tokens=int(body.get("max_tokens", 256)))', False),
    ('client.chat.completions.create(messages=m, max_tokens=body.get("max_tokens") or 512)', False),
    ("client.chat.completions.create(messages=m, max_tokens=min(int(body.get('max_tokens', 256)), 4096))", True),
    # A route's request parameter: its attribute is the client's, unless the handler bounds it.
    ("client.chat.completions.create(messages=m, max_tokens=body.max_tokens)", False),
    ("body.max_tokens = body.max_tokens or 512\n    client.chat.completions.create(messages=m, max_tokens=body.max_tokens)",
     False),
    ("n = body.max_tokens\n    client.chat.completions.create(messages=m, max_tokens=n)", False),
    ("body.max_tokens = min(body.max_tokens, 4096)\n    "
     "client.chat.completions.create(messages=m, max_tokens=body.max_tokens)", True),
    ('if body.max_tokens > 4096:\n        raise ValueError("at most 4096")\n    '
     "client.chat.completions.create(messages=m, max_tokens=body.max_tokens)", True),
    # Whether it asked for any tokens at all is no upper bound (api-for-open-llm's echo branch).
    ("if body.max_tokens > 0:\n        m = m + ['echo']\n    "
     "client.chat.completions.create(messages=m, max_tokens=body.max_tokens)", False),
    # A default for a missing value leaves the client's number on the other path (Langchain-Chatchat).
    ("if body.max_tokens in [None, 0]:\n        body.max_tokens = settings.MAX_TOKENS\n    "
     "client.chat.completions.create(messages=m, max_tokens=body.max_tokens)", False),
    ("n = body.get('max_tokens')\n    if n is None:\n        n = 512\n    "
     "client.chat.completions.create(messages=m, max_tokens=n)", False),
    ("n = body.get('max_tokens')\n    if n is None or n > 4096:\n        n = 512\n    "
     "client.chat.completions.create(messages=m, max_tokens=n)", True),
    ("n = settings.MAX_TOKENS\n    client.chat.completions.create(messages=m, max_tokens=n)", True),
    # A chunker's or splitter's max_tokens sizes text, not a generation (DocsGPT's ingest worker).
    ("chunker = ChunkerCreator.create_chunker('classic', max_tokens=1250)\n    chunker.chunk(m)", False),
    ("parts = split_text(m, max_tokens=512)", False),
    ("client.chat.completions.create(messages=m, max_tokens=512)", True),
])
def test_a_max_tokens_cap_is_not_the_clients_value_passed_through(static_audit, tmp_path, code, capped):
    (tmp_path / "app.py").write_text(route(code))
    result = static_audit(tmp_path, ["static-cap-max-tokens"])["static-cap-max-tokens"]
    assert result.status.value == ("pass" if capped else "fail"), result.message


@pytest.mark.parametrize("params, capped", [(", conf=Depends(get_conf)", True), (", conf: dict = None", False)])
def test_a_parameter_a_dependency_fills_is_the_servers_setting(static_audit, tmp_path, params, capped):
    """`conf=Depends(get_conf)` is the server's configuration, its max_tokens a cap; a plain
    parameter of a route handler is the request's."""
    code = route("client.chat.completions.create(messages=m, max_tokens=conf.max_tokens)", params=params)
    code = code.replace("from fastapi import FastAPI", "from fastapi import Depends, FastAPI\n\n\ndef get_conf():\n"
                        "    return CONF")
    (tmp_path / "app.py").write_text(code)
    result = static_audit(tmp_path, ["static-cap-max-tokens"])["static-cap-max-tokens"]
    assert result.status.value == ("pass" if capped else "fail"), (result.message, result.evidence)


@pytest.mark.parametrize("field, used, status", [
    ("Field(default=256, le=1024)", True, "pass"),
    ("Field(default=256)", True, "fail"),
    ("Field(default=256, le=1024)", False, "fail"),  # a cap on a model no route takes is a mention
])
def test_a_request_models_bound_caps_max_tokens_only_when_a_route_takes_it(static_audit, tmp_path, field, used, status):
    model = f"class Req(BaseModel):\n    max_tokens: int = {field}\n\n\n"
    code = route("return body", params=", req: Req" if used else "").replace("app = FastAPI()", model + "app = FastAPI()")
    (tmp_path / "app.py").write_text(code)
    result = static_audit(tmp_path, ["static-cap-max-tokens"])["static-cap-max-tokens"]
    assert result.status.value == status, (result.message, result.evidence)


@pytest.mark.parametrize("nginx, status", [
    ("http {\n  limit_req_zone $binary_remote_addr zone=api:10m rate=5r/s;\n"
     "  server {\n    location / {\n      limit_req zone=api burst=10;\n    }\n  }\n}\n", "pass"),
    # A zone defined and applied nowhere limits nothing: declared.
    ("http {\n  limit_req_zone $binary_remote_addr zone=api:10m rate=5r/s;\n}\n", "partial"),
])
def test_gateway_config_applies_a_limit_or_only_declares_one(static_audit, tmp_path, nginx, status):
    (tmp_path / "app.py").write_text("print('hello')\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "nginx.conf").write_text(nginx)
    assert static_audit(tmp_path, ["static-cap-rate-limit"])["static-cap-rate-limit"].status.value == "fail"
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "nginx.conf").write_text(nginx)
    result = static_audit(tmp_path, ["static-cap-rate-limit"])["static-cap-rate-limit"]
    assert result.status.value == status, result.message
    assert {e.path for e in result.evidence} == {"deploy/nginx.conf"}


def test_a_service_in_another_language_is_not_evaluated(static_audit, tmp_path):
    (tmp_path / "server.rb").write_text("require 'sinatra'\nget '/' do\n  'hi'\nend\n")
    results = static_audit(tmp_path, ["static-cap-auth", "static-cap-metrics"])
    assert {r.status.value for r in results.values()} == {"not_evaluated"}
    assert all("Ruby" in r.message for r in results.values())


def test_a_node_service_is_read_where_its_stack_is_described(static_audit, tmp_path):
    """Auth has Node evidence in its YAML (stacks.node): evaluated, and failed here; the audit log has
    none: not evaluated rather than failed."""
    (tmp_path / "server.js").write_text("const express = require('express');\nconst app = express();\n")
    results = static_audit(tmp_path, ["static-cap-auth", "static-cap-audit-log"])
    assert results["static-cap-auth"].status.value == "fail"
    assert results["static-cap-audit-log"].status.value == "not_evaluated"


HELPER_SERVICE = ("from fastapi import FastAPI, Query\nfrom openai import OpenAI\nclient = OpenAI(timeout=30)\n"
                  "app = FastAPI()\n\n\n{helper}\n\n\n@app.post('/chat')\ndef chat(body: dict{params}):\n    {call}\n")


@pytest.mark.parametrize("helper, params, call, capped", [
    # A helper passes on its caller's number: the cap, if any, is where a constant goes in
    # (llama-cpp-python's Llama.create_completion read as capping max_tokens=max_tokens).
    ("def generate(m, max_tokens=16):\n    return client.completions.create(prompt=m, max_tokens=max_tokens)",
     "", "return generate(body['prompt'], max_tokens=body.get('max_tokens'))", False),
    ("def generate(m, max_tokens=16):\n    return client.completions.create(prompt=m, max_tokens=max_tokens)",
     "", "return generate(body['prompt'], max_tokens=256)", True),
    ("def generate(m, max_tokens=None):\n    return client.completions.create(\n"
     "        prompt=m, max_tokens=-1 if max_tokens is None else max_tokens)",
     "", "return generate(body['prompt'], max_tokens=body.get('max_tokens'))", False),
    ("def generate(m, max_tokens=16):\n    max_tokens = min(max_tokens, 1024)\n"
     "    return client.completions.create(prompt=m, max_tokens=max_tokens)",
     "", "return generate(body['prompt'], max_tokens=body.get('max_tokens'))", True),
    # A factory's nested handler passes on its own caller's number (llama-cpp-python's chat handlers).
    ("def make():\n    def handler(m, max_tokens=None):\n"
     "        return client.completions.create(prompt=m, max_tokens=max_tokens)\n    return handler",
     "", "return make()(body['prompt'], max_tokens=body.get('max_tokens'))", False),
    # A route parameter bounded by its default is capped; a plain one is the client's.
    ("", ", max_tokens: int = Query(256, le=1024)",
     "return client.completions.create(prompt=body['prompt'], max_tokens=max_tokens)", True),
    ("", ", max_tokens: int = 256", "return client.completions.create(prompt=body['prompt'], max_tokens=max_tokens)",
     False),
])
def test_a_parameter_passed_on_is_its_callers_number(static_audit, tmp_path, helper, params, call, capped):
    (tmp_path / "app.py").write_text(HELPER_SERVICE.format(helper=helper, params=params, call=call))
    result = static_audit(tmp_path, ["static-cap-max-tokens"])["static-cap-max-tokens"]
    assert result.status.value == ("pass" if capped else "fail"), (result.message, result.evidence)


def routed(helper: str, call: str) -> str:
    return ("import re\nfrom fastapi import FastAPI, HTTPException\napp = FastAPI()\n\n\n" + helper
            + "\n\n@app.post('/chat')\ndef chat(body: dict):\n    " + call + "\n    return {'ok': True}\n")


HELPERS = {"redactor": "def {name}(text):\n    return re.sub(r'\\S+@\\S+', '[removed]', text)\n",
           "guard": ("def {name}(user, model, n):\n    if n > LIMITS.get(user, 1000):\n"
                     "        raise HTTPException(429, 'over the limit')\n    return n\n")}


@pytest.mark.parametrize("check, helper, name, passes", [
    # Redacting credentials keeps keys out of logs; personal data stays (DocsGPT's redact_secrets).
    ("static-cap-pii-redaction", "redactor", "redact_pii", True),
    ("static-cap-pii-redaction", "redactor", "redact_user_text", True),
    ("static-cap-pii-redaction", "redactor", "redact_secrets", False),
    ("static-cap-pii-redaction", "redactor", "redact_api_keys", False),
    # A model's token limit is its context window (DocsGPT's get_token_limit); a user's is a budget.
    ("static-cap-token-budgets", "guard", "get_token_limit", False),
    ("static-cap-token-budgets", "guard", "check_user_token_limit", True),
    ("static-cap-token-budgets", "guard", "enforce_token_budget", True),
])
def test_a_hand_written_control_is_named_for_what_it_protects(static_audit, tmp_path, check, helper, name, passes):
    call = f"{name}(body['user'], 'm', 5)" if helper == "guard" else f"{name}(body['text'])"
    (tmp_path / "app.py").write_text(routed(HELPERS[helper].format(name=name), call))
    result = static_audit(tmp_path, [check])[check]
    assert (result.status.value == "pass") == passes, (result.message, result.evidence)


SERVER = "from fastapi import FastAPI\napp = FastAPI()\n\n\n@app.get('/health')\ndef health():\n    return 'ok'\n"


@pytest.mark.parametrize("files, status", [
    # Started under OpenTelemetry's or Datadog's launcher, the server is traced without tracing code.
    ({"Dockerfile": 'FROM python:3.12-slim\nCMD ["opentelemetry-instrument", "uvicorn", "app:app"]\n'}, "pass"),
    ({"Dockerfile": "FROM python:3.12-slim\nENTRYPOINT ddtrace-run gunicorn app:app\n"}, "pass"),
    ({"deploy/api.yaml": "spec:\n  containers:\n  - name: api\n    command:\n    - opentelemetry-instrument\n"
                         "    - uvicorn\n"}, "pass"),
    ({"Procfile": "web: opentelemetry-instrument uvicorn app:app\n"}, "pass"),
    # Named in a comment, or only installed: no launcher runs the server.
    ({"Dockerfile": "FROM python:3.12-slim\n# run with opentelemetry-instrument for traces\n"
                    'CMD ["uvicorn", "app:app"]\n'}, "fail"),
    ({"Dockerfile": "FROM python:3.12-slim\nRUN pip install opentelemetry-distro\nCMD uvicorn app:app\n"}, "fail"),
    # The instrumentation installed (DocsGPT's requirements): declared, partial.
    ({"requirements.txt": "fastapi\nopentelemetry-distro>=0.50b0\nopentelemetry-instrumentation-flask\n"}, "partial"),
])
def test_zero_code_tracing_is_the_launcher_not_its_name(static_audit, tmp_path, files, status):
    write_tree(tmp_path, {"app.py": SERVER, **files})
    result = static_audit(tmp_path, ["static-cap-tracing"])["static-cap-tracing"]
    assert result.status.value == status, (result.message, result.evidence)


SAFETY = ("from fastapi import FastAPI, HTTPException\napp = FastAPI()\n\n\n"
          "async def acheck_if_safe_prompt(persona):\n    verdict = await judge(persona)\n"
          "    return verdict == 'safe', 'flagged'\n\n\n"
          "@app.post('/agents')\nasync def create_agent(body: dict):\n"
          "    is_safe, reason = await acheck_if_safe_prompt(body['persona'])\n{use}    return {{'ok': True}}\n")


@pytest.mark.parametrize("use, status", [
    # khoj: an agent's persona screened by a model, the agent refused when it is not safe
    ("    if not is_safe:\n        raise HTTPException(400, reason)\n", "pass"),
    ("", "fail"),  # screened, and the verdict ignored: guards nothing
])
def test_a_safety_check_of_a_prompt_is_a_safeguard_when_its_verdict_refuses(static_audit, tmp_path, use, status):
    (tmp_path / "app.py").write_text(SAFETY.format(use=use))
    result = static_audit(tmp_path, ["static-cap-llm-safeguards"])["static-cap-llm-safeguards"]
    assert result.status.value == status, (result.message, result.evidence)
