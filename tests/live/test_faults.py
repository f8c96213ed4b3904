"""Each fault a live probe exists to catch, on a real server on 127.0.0.1, with its verdict.

The safe twin of every case is the well-behaved server in test_well_behaved.py, where the same
check passes.
"""

from __future__ import annotations

import time

import pytest
from faultserver import FaultServer, Faults

from live_helpers import explain, status_of

CASES = [
    # (fault, checks to run, {check: expected status}, words the message must contain)
    (Faults(auth="any"), ["live-auth-*"],
     {"live-auth-invalid-rejected": "fail", "live-auth-required": "pass"}, "any key is accepted"),
    (Faults(auth="none"), ["live-auth-*"],
     {"live-auth-required": "fail", "live-auth-invalid-rejected": "fail"}, "no authentication at all"),
    (Faults(rate_limit="500"), ["live-rate-limit"], {"live-rate-limit": "fail"}, "no graceful degradation"),
    (Faults(rate_limit="429-bare"), ["live-rate-limit"], {"live-rate-limit": "partial"}, "without Retry-After"),
    (Faults(rate_limit="none"), ["live-rate-limit"], {"live-rate-limit": "fail"}, "every request was accepted"),
    (Faults(sick_after_limit=True), ["live-rate-limit"], {"live-rate-limit": "fail"}, "not healthy after the burst"),
    (Faults(leaky_errors=True), ["live-error-hygiene", "live-input-validation"],
     {"live-error-hygiene": "fail", "live-input-validation": "fail"}, "Python stack trace"),
    (Faults(markup_errors=True), ["live-error-hygiene"], {"live-error-hygiene": "fail"}, "reflected unescaped"),
    (Faults(cors="reflect-credentials"), ["live-cors"], {"live-cors": "fail"}, "reflected with credentials"),
    (Faults(cors="wildcard"), ["live-cors"], {"live-cors": "fail"}, "needs credentials"),
    # The wildcard only on answers behind the auth wall, which answers preflights too: the key shows it.
    (Faults(cors="wildcard-authenticated"), ["live-cors"], {"live-cors": "fail"}, "needs credentials"),
    (Faults(slow_health_s=1.3), ["live-health", "live-readiness"],
     {"live-health": "fail", "live-readiness": "fail"}, "orchestrator probes time out"),
    (Faults(readiness="plain"), ["live-readiness"], {"live-readiness": "partial"}, "does not show which dependencies"),
    (Faults(readiness="503"), ["live-readiness", "live-health"], {"live-readiness": "fail", "live-health": "pass"},
     "not ready"),
    (Faults(readiness="missing"), ["live-readiness", "live-health"],
     {"live-readiness": "fail", "live-health": "pass"}, "no readiness endpoint answered"),
    (Faults(body_limit=False), ["live-body-size-limit"], {"live-body-size-limit": "fail"}, "no request size limit"),
    (Faults(validation=False), ["live-input-validation"], {"live-input-validation": "fail"}, "nothing validated"),
    (Faults(open_admin=True), ["live-exposed-endpoints"], {"live-exposed-endpoints": "fail"}, "/admin"),
    (Faults(stream_no_done=True), ["live-streaming"], {"live-streaming": "fail"}, "without `[DONE]`"),
    (Faults(security_headers=False, request_id=False, server_header="nginx/1.25.3"),
     ["live-security-headers", "live-request-id", "live-version-leak"],
     {"live-security-headers": "fail", "live-request-id": "fail", "live-version-leak": "fail"}, "nginx/1.25.3"),
]


@pytest.mark.parametrize("faults, probes, expected, words", CASES,
                         ids=[",".join(f"{k}={v}" for k, v in vars(c[0]).items() if v != getattr(Faults(), k))
                              for c in CASES])
def test_fault_gets_its_verdict(live_audit, faults, probes, expected, words):
    with FaultServer(faults) as server:
        results = live_audit(server.url, server.api_key, probes)
    assert {c: status_of(results, c) for c in expected} == expected, explain(results)
    assert any(words in results[c].message for c in expected), explain(results)


def test_cors_unseen_behind_the_auth_wall_without_a_key_is_not_evaluated(live_audit):
    """Without the key every CORS probe meets the auth wall, whose 401s carry no CORS headers: that
    the wildcard was not seen proves nothing (the same server fails with the key, in CASES)."""
    with FaultServer(Faults(cors="wildcard-authenticated")) as server:
        results = live_audit(server.url, None, ["live-cors"])
    assert status_of(results, "live-cors") == "not_evaluated", explain(results)
    assert "got past authentication" in results["live-cors"].message
    assert "environment variable" in results["live-cors"].message


def test_a_service_that_fails_everything_passes_nothing_that_its_failure_would_hide(live_audit):
    """Every request answered 503: clean error bodies, no open admin page and no CORS grant are what
    a failing service shows, not its controls. Headers it sets on every answer are still evidence."""
    with FaultServer(Faults(fail_all=503)) as server:
        results = live_audit(server.url, server.api_key, ["live-*"])
    judged_by_their_failure = ["live-cors", "live-error-hygiene", "live-exposed-endpoints", "live-chat-completion",
                               "live-health", "live-auth-required", "live-input-validation", "live-rate-limit"]
    assert {c: status_of(results, c) for c in judged_by_their_failure if status_of(results, c) == "pass"} == {}, \
        explain(results)
    assert "HTTP 503" in results["live-cors"].message
    assert "well-formed request failed too" in results["live-error-hygiene"].message
    assert status_of(results, "live-exposed-endpoints") == "not_evaluated"


def test_a_preflight_answered_without_a_grant_is_evidence_even_without_a_key(live_audit):
    """The CORS layer answered the preflight (204, no Allow-Origin): that is the policy, seen."""
    with FaultServer() as server:
        results = live_audit(server.url, None, ["live-cors"])
    assert status_of(results, "live-cors") == "pass", explain(results)


def test_a_redirect_off_the_target_is_never_followed(live_audit):
    with FaultServer() as elsewhere, \
            FaultServer(Faults(redirect_off_target=f"{elsewhere.url}/v1/chat/completions")) as server:
        results = live_audit(server.url, server.api_key, ["live-chat-*", "live-input-*", "live-rate-limit"])
        assert elsewhere.hits == {}  # neither our requests nor the key went to the other origin
    assert status_of(results, "live-chat-completion") == "fail"
    assert "redirects off the target" in results["live-chat-completion"].message
    assert "not followed" in results["live-chat-completion"].evidence[0].snippet
    # A redirect is not validation: those checks say they could not judge, not that the service failed.
    assert status_of(results, "live-input-validation") == "not_evaluated"
    assert status_of(results, "live-rate-limit") == "not_evaluated"


def test_a_huge_body_is_capped_and_becomes_evidence(live_audit):
    with FaultServer(Faults(huge_body_bytes=40_000_000)) as server:
        started = time.perf_counter()
        results = live_audit(server.url, server.api_key, ["live-chat-completion", "live-streaming"],
                             max_body_bytes=256 * 1024)
        elapsed = time.perf_counter() - started
    assert status_of(results, "live-chat-completion") == "fail"
    assert "truncated at the size cap" in results["live-chat-completion"].message
    assert "byte cap" in results["live-chat-completion"].evidence[0].snippet
    assert status_of(results, "live-streaming") == "fail"
    assert elapsed < 10


def test_missing_credentials_are_a_reason_not_a_verdict(live_audit):
    with FaultServer() as server:
        results = live_audit(server.url, None, ["live-chat-completion", "live-usage-reported", "live-rate-limit",
                                                "live-auth-required"])
    for check in ("live-chat-completion", "live-usage-reported", "live-rate-limit"):
        assert status_of(results, check) == "not_evaluated", explain(results)
        assert "environment variable" in results[check].message
    assert status_of(results, "live-auth-required") == "pass"  # refusing us is exactly right there


def test_an_api_with_a_named_key_header_is_probed_with_that_header(live_audit):
    with FaultServer(Faults(auth_header="X-API-Key")) as server:
        results = live_audit(server.url, server.api_key, ["live-chat-completion", "live-auth-*"],
                             auth_header="X-API-Key", auth_scheme="")
    assert {c: status_of(results, c) for c in ("live-chat-completion", "live-auth-required",
                                               "live-auth-invalid-rejected")} == dict.fromkeys(
        ("live-chat-completion", "live-auth-required", "live-auth-invalid-rejected"), "pass"), explain(results)
    # Its safe twin's opposite: the default Bearer scheme is refused by this service.
    with FaultServer(Faults(auth_header="X-API-Key")) as server:
        results = live_audit(server.url, server.api_key, ["live-chat-completion"])
    assert status_of(results, "live-chat-completion") == "not_evaluated"
    assert "was refused" in results["live-chat-completion"].message


def test_resets_slow_answers_and_a_stream_that_is_not_sse_become_evidence(live_audit):
    with FaultServer(Faults(reset_chat=True)) as server:
        reset = live_audit(server.url, server.api_key, ["live-chat-completion", "live-streaming"])
    assert status_of(reset, "live-chat-completion") == "fail"
    assert status_of(reset, "live-streaming") == "fail"
    with FaultServer(Faults(slow_chat_s=2.5)) as server:
        slow = live_audit(server.url, server.api_key, ["live-chat-completion"], request_timeout_s=1.0)
    assert status_of(slow, "live-chat-completion") == "fail"
    assert "timed out" in slow["live-chat-completion"].message
    with FaultServer(Faults(stream_ignored=True)) as server:
        plain = live_audit(server.url, server.api_key, ["live-streaming"])
    assert status_of(plain, "live-streaming") == "fail"
    assert "application/json" in plain["live-streaming"].message


def test_a_generic_api_is_probed_with_its_sample_body(live_audit):
    with FaultServer() as server:
        results = live_audit(server.url, server.api_key, ["live-chat-completion", "live-streaming",
                                                          "live-input-validation", "live-auth-*",
                                                          "live-body-size-limit"],
                             api="generic", chat_path="/generate", sample_body={"inputs": "Say ready"})
    expected = {"live-chat-completion": "pass", "live-streaming": "not_applicable", "live-input-validation": "pass",
                "live-auth-required": "pass", "live-auth-invalid-rejected": "pass", "live-body-size-limit": "pass"}
    assert {c: status_of(results, c) for c in expected} == expected, explain(results)
    assert "all 3 invalid requests" in results["live-input-validation"].message
    assert "/v1/models" not in server.hits  # a generic API is not asked for OpenAI's model list


def test_a_wrong_chat_path_is_a_reason_not_a_pass(live_audit):
    # Every request to a path that does not exist gets 404: that refuses nothing on purpose.
    with FaultServer() as server:
        results = live_audit(server.url, server.api_key, ["live-chat-completion", "live-auth-*", "live-input-*",
                                                          "live-body-size-limit", "live-rate-limit"],
                             chat_path="/v1/chat/complete")
    assert status_of(results, "live-chat-completion") == "fail"
    assert "set live.chat_path" in results["live-chat-completion"].message
    for check in ("live-auth-required", "live-auth-invalid-rejected", "live-input-validation",
                  "live-body-size-limit", "live-rate-limit"):
        assert status_of(results, check) == "not_evaluated", explain(results)
        assert "live.chat_path" in results[check].message


def test_error_answers_that_never_got_past_authentication_judge_no_error_handling(live_audit):
    """A caller without a key gets clean 401s whatever the handlers behind them do: error hygiene is
    not judged on them (it used to pass on "9 clean error answers"), and the message says how to let
    the probe in. A leak in what does come back still fails."""
    with FaultServer(Faults(leaky_errors=True)) as server:
        results = live_audit(server.url, None, ["live-error-hygiene"])
        with_key = live_audit(server.url, server.api_key, ["live-error-hygiene"])
    result = results["live-error-hygiene"]
    assert status_of(results, "live-error-hygiene") == "not_evaluated", explain(results)
    assert "behind authentication" in result.message and "none were given" in result.message
    assert status_of(with_key, "live-error-hygiene") == "fail", explain(with_key)  # behind the door: a leak
