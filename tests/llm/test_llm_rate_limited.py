"""Against a rate-limited service the probes are paced, not lost: the whole live and LLM set runs
through one pacer per target, the burst probe gets its own phase, and a limit too tight for the
deadline leaves probes not evaluated, naming the limit, never in error. Real demo processes on
loopback with the token-bucket limiter on (RateLimit-* headers, Retry-After on 429)."""

from __future__ import annotations

import pytest

from readyscore import engine
from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, apply_project_settings, load_profile
from readyscore.demo.runner import DemoServer
from readyscore.model import Source, Status

pytestmark = pytest.mark.slow

KEY_ENV = "READYSCORE_PACED_TEST_KEY"
FAST = {"ttft_ms": 0, "token_delay_ms": 0}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def run_audit(catalog, server: DemoServer, monkeypatch, *, llm=None, live=None, probes=("live-*", "llm-*"),
              check_timeout_s=120.0):
    monkeypatch.setenv(KEY_ENV, server.api_key)
    project = ProjectConfig(llm=llm or {}, live=live or {})
    profile = apply_project_settings(load_profile("default"), project)
    options = AuditOptions(url=server.url, probes=list(probes), sources={Source.LIVE}, api_key_env=KEY_ENV,
                           show_progress=False, check_timeout_s=check_timeout_s)
    return engine.audit(catalog, profile, project, options)


def test_a_service_limited_to_5_per_second_is_judged_in_full(catalog, monkeypatch):
    with DemoServer("level3", overrides={**FAST, "rate_limit_rps": 5, "rate_limit_burst": 10}) as server:
        report = run_audit(catalog, server, monkeypatch,
                           live={"burst": {"requests": 60, "concurrency": 6, "duration_s": 5.0,
                                           "recovery_max_wait_s": 5.0}})
    results = {r.check_id: r for r in report.results}
    llm = {c: r for c, r in results.items() if c.startswith("llm-") and c != "llm-excessive-agency"}
    assert {c: r.status for c, r in llm.items()} == {c: Status.PASS for c in llm}, \
        {c: r.message for c, r in llm.items() if r.status != Status.PASS}
    # Not one probe lost to the limit: no error, nothing unjudged, no 429 standing as an answer.
    lost = {c: r.message for c, r in results.items() if c.startswith(("live-", "llm-"))
            and (r.status in (Status.ERROR, Status.NOT_EVALUATED) or "429" in r.message and c != "live-rate-limit")}
    assert not lost, lost
    assert results["live-rate-limit"].status == Status.PASS, results["live-rate-limit"].message
    pacing = report.sections["live"]["pacing"]
    # The limit met and the rate the audit ran at are in the report.
    assert pacing["limit"] == 10 and pacing["window_s"] == 2
    assert pacing["waits"] > 0 and pacing["rate_rps"] is not None
    print(pacing)
    assert pacing["rate_rps"] < 12, pacing  # paced: 5/s on the limited calls, plus ungated GETs
    assert "10 requests per 2 s" in pacing["limit_met"]


def test_a_limit_too_tight_for_the_deadline_is_not_evaluated_never_an_error(catalog, monkeypatch):
    # One request every 5 s, and each LLM probe may take 6 s: most cannot finish.
    with DemoServer("level3", overrides={**FAST, "rate_limit_rps": 0.2, "rate_limit_burst": 2}) as server:
        report = run_audit(catalog, server, monkeypatch, probes=("llm-*",),
                           llm={"max_seconds_per_probe": 6, "request_timeout_s": 3})
    results = {r.check_id: r for r in report.results if r.check_id.startswith("llm-")}
    assert not [c for c, r in results.items() if r.status == Status.ERROR], \
        {c: r.message for c, r in results.items()}
    unjudged = [r for r in results.values() if r.status == Status.NOT_EVALUATED]
    assert len(unjudged) >= 5
    for r in unjudged:
        assert "rate limit" in r.message, r.message
    assert not [c for c, r in results.items() if r.status == Status.PASS and r.metrics.get("variants")
                and "skipped" in r.metrics["variants"].values()]
