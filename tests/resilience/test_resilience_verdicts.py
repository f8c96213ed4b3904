"""Each verdict against real services on loopback, a broken and a correct version of each control.

The services are the demo service in upstream mode (a real FastAPI app in its own process, calling
readyscore's fake upstream over HTTP); each twin differs from the other only in the control judged:

    no timeout            vs  a timeout                       (resilience-timeouts)
    retry storm           vs  bounded exponential backoff     (resilience-retries-bounded, -backoff)
    500 on upstream 429   vs  429 with Retry-After            (resilience-upstream-429)
    no breaker            vs  a breaker                       (resilience-circuit-breaker)
    silent truncation     vs  an error event                  (resilience-stream-errors)
    clean errors only     vs  a marked fallback               (resilience-fallback)
"""

from __future__ import annotations

import threading

import pytest

from readyscore.config import ResilienceTarget
from readyscore.model import Status
from readyscore.resilience.run import run_resilience
from readyscore.resilience.verdicts import VERDICTS
from readyscore.settings.live import LiveSettings

from resilience_helpers import API_KEY, SHORT, demo_target, run_against_demo

pytestmark = pytest.mark.slow

# level1 with exactly the controls whose verdicts the twins compare switched on.
FIXED_LEVEL1 = {"upstream_timeout_s": 0.5, "upstream_errors_handled": True, "honest_throttling": True,
                "circuit_breaker": True, "stream_error_event": True}
STORM = {"upstream_attempts": 10}  # level2: immediate retries, ten of them

SERVICES = {
    "broken": ("level1", {}),
    "fixed": ("level1", FIXED_LEVEL1),
    "storm": ("level2", STORM),
    "backoff": ("level3", {}),
    "fallback": ("level4", {}),
}
_runs: dict = {}


def verdict(service: str, name: str):
    if service not in _runs:
        preset, overrides = SERVICES[service]
        _runs[service] = run_against_demo(preset, overrides)
    run = _runs[service]
    assert run.aborted is None, run.aborted
    return VERDICTS[name](run)


def test_no_timeout_fails_and_a_timeout_passes():
    broken = verdict("broken", "timeouts")
    assert broken.status == Status.FAIL and "no answer within" in broken.message
    fixed = verdict("fixed", "timeouts")
    assert fixed.status == Status.PASS, fixed.message
    # The client got its 504 well within the service's timeout plus margin.
    assert all(seconds < SHORT.client_bound_s for seconds in fixed.metrics["observed_s"].values())


def test_retry_storm_fails_and_bounded_backoff_passes():
    storm = verdict("storm", "retries_bounded")
    assert storm.status == Status.FAIL and storm.metrics["max_attempts_observed"] == 10
    assert verdict("storm", "backoff").status == Status.FAIL
    bounded = verdict("backoff", "retries_bounded")
    assert bounded.status == Status.PASS and bounded.metrics["max_attempts_observed"] == 3
    assert "N = 3" in bounded.message
    backoff = verdict("backoff", "backoff")
    assert backoff.status == Status.PASS and backoff.metrics["growing"] and backoff.metrics["jitter"], backoff.message


def test_no_retries_is_partial_and_has_no_backoff_to_judge():
    assert verdict("broken", "retries_bounded").status == Status.PARTIAL
    assert verdict("broken", "backoff").status == Status.NOT_APPLICABLE


def test_500_on_upstream_429_fails_and_retry_after_passes():
    broken = verdict("broken", "upstream_429")
    assert broken.status == Status.FAIL and "HTTP 500" in broken.message
    hammering = verdict("storm", "upstream_429")
    assert hammering.status == Status.FAIL and hammering.metrics["retries_within_retry_after"] > 0
    honest = verdict("fixed", "upstream_429")
    assert honest.status == Status.PASS and honest.metrics["client_status"] == 429
    assert honest.metrics["client_retry_after"]


def test_no_breaker_fails_and_a_breaker_passes_with_threshold_and_cooldown():
    assert verdict("broken", "circuit_breaker").status == Status.FAIL
    assert verdict("backoff", "circuit_breaker").status == Status.FAIL
    breaker = verdict("fixed", "circuit_breaker")
    assert breaker.status == Status.PASS, breaker.message
    assert breaker.metrics["threshold_requests"] == 3  # the demo breaker's threshold
    assert 1.5 <= breaker.metrics["cooldown_s"] <= 3.5  # its cool-down is 2 s, polled every 0.2 s
    assert breaker.metrics["upstream_hits_while_open"] == 0 and breaker.metrics["closed_again"]


def test_silent_truncation_fails_and_an_error_event_passes():
    silent = verdict("broken", "stream_errors")
    assert silent.status == Status.FAIL and "silent truncation" in silent.message
    assert verdict("fixed", "stream_errors").status == Status.PASS


def test_fallback_marked_passes_clean_errors_are_partial_crashes_fail():
    assert verdict("fallback", "fallback").status == Status.PASS
    assert verdict("backoff", "fallback").status == Status.PARTIAL
    assert verdict("broken", "fallback").status == Status.FAIL


def test_recovery_is_measured_after_every_fault():
    good = verdict("fallback", "recovery")
    assert good.status == Status.PASS
    # After the storm the breaker was open: recovery waited for its cool-down, within the bound.
    assert set(good.metrics["seconds"]) >= {"storm", "throttle", "hang", "reset_mid_stream", "healthy_again"}
    assert all(s is not None and s <= SHORT.recovery_within_s for s in good.metrics["seconds"].values())


def test_every_verdict_of_the_correct_service_passes():
    for name in VERDICTS:
        judged = verdict("fallback", name)
        assert judged.status == Status.PASS, (name, judged.message)


def test_a_service_that_never_calls_the_upstream_is_an_error_not_a_pass():
    # The toy-model demo service ignores the variable readyscore sets: nothing reaches the upstream.
    target = demo_target("level4")
    target.upstream_env = "SOME_OTHER_PROVIDER_URL"
    run = run_resilience(target, SHORT, LiveSettings(), None, API_KEY, threading.Event())
    assert run.aborted and "never called the fake upstream" in run.aborted
    for name, judge in VERDICTS.items():
        assert judge(run).status == Status.ERROR, name


def test_upstream_listen_mode_with_a_service_already_running():
    from readyscore.demo.runner import DemoServer
    from readyscore.demo.settings import UPSTREAM_URL_ENV
    from readyscore.resilience.processes import free_port

    port = free_port()
    with DemoServer("level3", env={UPSTREAM_URL_ENV: f"http://127.0.0.1:{port}/v1"}) as server:
        target = ResilienceTarget(listen_host="127.0.0.1", listen_port=port)
        run = run_resilience(target, SHORT, LiveSettings(), server.url, server.api_key, threading.Event())
    assert run.aborted is None, run.aborted
    assert VERDICTS["upstream_429"](run).status == Status.PASS
    assert VERDICTS["circuit_breaker"](run).status == Status.FAIL
