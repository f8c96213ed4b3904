"""Targets that misbehave at the HTTP level: every LLM probe ends in `error` or `not_evaluated` with
a reason, within its bounds, never a crash or a silent pass. Real servers on loopback."""

from __future__ import annotations

import time

import pytest
from llm_targets import TargetServer

from readyscore import engine
from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, apply_project_settings, load_profile
from readyscore.model import Source, Status

LLM_PROBES = ["llm-*"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def audit(catalog, url: str, llm: dict | None = None, probes=LLM_PROBES):
    settings = {"request_timeout_s": 1.5, "max_seconds_per_probe": 4, **(llm or {})}
    project = ProjectConfig(llm=settings, live={"request_timeout_s": 1.5})
    profile = apply_project_settings(load_profile("default"), project)
    options = AuditOptions(url=url, probes=probes, sources={Source.LIVE}, show_progress=False, check_timeout_s=30)
    report = engine.audit(catalog, profile, project, options)
    return {r.check_id: r for r in report.results if r.check_id.startswith("llm-")}, report


CHAT_PROBES = {"llm-system-prompt-leak", "llm-prompt-injection", "llm-chat-template-injection", "llm-active-content",
               "llm-pii-echo", "llm-max-tokens-honoured", "llm-n-clamped", "llm-context-overflow"}


@pytest.mark.parametrize("mode, status, reason", [
    ("not_json", Status.ERROR, "not a JSON object"),
    ("server_error", Status.ERROR, "HTTP 500"),
    ("unauthorised", Status.NOT_EVALUATED, "refused our credentials"),
    ("hang", Status.ERROR, "timed out"),
    ("trickle", Status.ERROR, "did not end within"),
])
def test_a_misbehaving_endpoint_gives_a_reason_not_a_verdict(catalog, mode, status, reason):
    with TargetServer(mode, stop_after_s=6) as url:
        started = time.monotonic()
        results, report = audit(catalog, url)
        took = time.monotonic() - started
    assert took < 10, "bounded by the request timeout, not by the server"
    for check_id in CHAT_PROBES:
        assert results[check_id].status == status, (check_id, results[check_id].message)
        assert reason in results[check_id].message
    assert results["llm-excessive-agency"].status == Status.NOT_APPLICABLE
    owasp = next(f for f in report.sections["frameworks"]["frameworks"] if f["id"] == "owasp-llm-2025")
    assert owasp["summary"]["passed"] == 0, "nothing measured, nothing passed"


def test_no_url_means_not_evaluated(catalog):
    profile = load_profile("default")
    report = engine.audit(catalog, profile, ProjectConfig(), AuditOptions(url=None, root=None, probes=LLM_PROBES,
                                                                          show_progress=False))
    for r in report.results:
        if r.check_id.startswith("llm-"):
            assert r.status == Status.NOT_EVALUATED and "--url" in r.message


def test_the_request_budget_bounds_a_probe_and_a_partial_run_is_not_a_pass(catalog):
    with TargetServer("ok") as url:
        results, _ = audit(catalog, url, {"max_requests_per_probe": 1}, probes=["llm-prompt-injection"])
    injection = results["llm-prompt-injection"]
    assert injection.metrics["requests"] == 1
    assert injection.status == Status.PARTIAL and injection.score == pytest.approx(0.25)
    assert injection.metrics["variants"] == {"direct": "passed", "indirect": "skipped", "base64": "skipped",
                                             "unicode_tags": "skipped"}
    assert "request budget" in injection.evidence[1].message


@pytest.mark.parametrize("mode, status, detail", [
    ("overflow_400", Status.PASS, "context_length_exceeded"),
    ("overflow_500", Status.FAIL, "HTTP 500"),
    ("overflow_200", Status.FAIL, "silently truncated"),
    ("overflow_hang", Status.FAIL, "timed out"),
])
def test_context_overflow_needs_a_clean_4xx(catalog, mode, status, detail):
    with TargetServer(mode, stop_after_s=6) as url:
        results, _ = audit(catalog, url, probes=["llm-context-overflow"])
    overflow = results["llm-context-overflow"]
    assert overflow.status == status, overflow.message
    assert detail in overflow.evidence[0].message
    # The window came from /v1/models (context_length 2048): about twice that was sent.
    assert overflow.metrics["context_window"] == 2048 and overflow.metrics["context_source"] == "/v1/models"
    assert overflow.metrics["prompt_tokens_sent"] == 4096


def test_an_assumed_window_cannot_fail_a_service_that_answers(catalog):
    """Without a published or configured window, a 200 may just mean a bigger window: not judged."""
    with TargetServer("ok", publish_window=False) as url:
        results, _ = audit(catalog, url, {"assumed_context_window": 1024}, probes=["llm-context-overflow"])
    overflow = results["llm-context-overflow"]
    assert overflow.metrics["context_source"] == "assumed" and overflow.metrics["prompt_tokens_sent"] == 2048
    assert overflow.status == Status.NOT_EVALUATED and "llm.context_window" in overflow.message


def test_a_configured_window_beats_the_published_one(catalog):
    with TargetServer("ok") as url:
        results, _ = audit(catalog, url, {"context_window": 300}, probes=["llm-context-overflow"])
    overflow = results["llm-context-overflow"]
    assert overflow.metrics["context_source"] == "config" and overflow.metrics["prompt_tokens_sent"] == 600
    assert overflow.status == Status.FAIL  # the server answered 200 to twice the configured window


def test_an_oversized_overflow_prompt_is_not_sent(catalog):
    with TargetServer("ok") as url:
        results, _ = audit(catalog, url, {"context_window": 10_000_000, "overflow_max_bytes": 65536},
                           probes=["llm-context-overflow"])
    overflow = results["llm-context-overflow"]
    assert overflow.status == Status.NOT_EVALUATED and "llm.overflow_max_bytes" in overflow.message


def test_excessive_agency_needs_an_agent_endpoint_and_never_passes_by_default(catalog):
    with TargetServer("ok") as url:
        plain, _ = audit(catalog, url, probes=["llm-excessive-agency"])
        agent, _ = audit(catalog, url, {"agent_endpoint": f"{url}/agent"}, probes=["llm-excessive-agency"])
    assert plain["llm-excessive-agency"].status == Status.NOT_APPLICABLE
    assert agent["llm-excessive-agency"].status == Status.NOT_EVALUATED
    assert "permissions" in agent["llm-excessive-agency"].message
