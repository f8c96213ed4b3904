"""A repository that names every control and implements none, audited through the real command line.

tests/fixtures/static/pretender is written to look ready: settings named rate_limit, MAX_RETRIES,
SENTRY_DSN ...; stubs called from the route (is_safe returns True, no_redaction_yet returns its
argument, verify_token returns True); the caller's Authorization header forwarded upstream;
slowapi, sentry-sdk and prometheus-client declared; config keys for limits and budgets. Not one
control check may pass, and none may rest on a mention.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from static_helpers import FIXTURES

PRETENDER = FIXTURES / "pretender"
# Serving HTTP is not a control: the pretender really serves its route, and this check says so.
NOT_A_CONTROL = {"static-cap-http-api"}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("pretender-report")
    env_cache = tmp_path_factory.mktemp("pretender-cache")
    proc = subprocess.run([sys.executable, "-m", "readyscore", "audit", str(PRETENDER), "--sources", "static",
                           "--format", "json", "-o", str(out)], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "READYSCORE_CACHE_DIR": str(env_cache)})
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "report.json").read_text())


def capability_results(report):
    return {r["check_id"]: r for r in report["results"] if r["check_id"].startswith("static-cap-")}


def test_no_named_control_passes(report):
    results = capability_results(report)
    assert len(results) == 20
    passed = {cid for cid, r in results.items() if r["status"] == "pass"}
    assert passed == NOT_A_CONTROL, {cid: results[cid]["message"] for cid in passed}
    for cid, result in results.items():
        if cid not in NOT_A_CONTROL:
            assert result["status"] in ("partial", "fail"), (cid, result["message"])
            assert result["strength"] in ("declared", "mention"), (cid, result["strength"])


def test_mentions_are_shown_as_mentions_and_never_pass(report):
    results = capability_results(report)
    mention_only = {cid for cid, r in results.items() if r["strength"] == "mention"}
    assert {r["status"] for cid, r in results.items() if cid in mention_only} == {"fail"}
    assert {"static-cap-llm-safeguards", "static-cap-pii-redaction", "static-cap-auth",
            "static-cap-input-validation"} <= mention_only


@pytest.mark.parametrize("check_id, words", [
    ("static-cap-llm-safeguards", "stub: is_safe cannot change the outcome"),
    ("static-cap-pii-redaction", "stub: no_redaction_yet returns its argument or a constant"),
    ("static-cap-auth", "reads the authorization header but never tests it"),
    ("static-cap-auth", "stub: verify_token"),
    ("static-cap-rate-limit", "names rate_limit"),
    ("static-cap-metrics", "prometheus_client.Counter at start-up, but not on a route's path"),
])
def test_the_evidence_says_why_it_is_weak(report, check_id, words):
    result = capability_results(report)[check_id]
    assert any(words in e["message"] for e in result["evidence"]), result["evidence"]


def test_declared_only_is_at_most_partial(report):
    results = capability_results(report)
    for cid in ("static-cap-rate-limit", "static-cap-error-tracking", "static-cap-metrics"):
        assert results[cid]["status"] == "partial" and results[cid]["strength"] == "declared", results[cid]


def test_the_pretender_proves_no_more_than_level_1(report):
    assert report["level"] <= 1
    gates = {g["id"]: g["status"] for g in report["gates"]}
    for gate in ("authentication", "rate-limiting", "input-validation", "persistence"):
        assert gates[gate] != "met", gates
