"""A well-behaved service passes every live probe; its key never reaches the report."""

from __future__ import annotations

import json

from faultserver import API_KEY, FaultServer, Faults

from live_helpers import explain, status_of

ALL_LIVE = [
    "live-chat-completion", "live-streaming", "live-usage-reported", "live-health", "live-readiness",
    "live-auth-required", "live-auth-invalid-rejected", "live-exposed-endpoints", "live-rate-limit",
    "live-input-validation", "live-body-size-limit", "live-error-hygiene", "live-version-leak",
    "live-security-headers", "live-cors", "live-request-id",
]


def test_every_probe_passes_on_a_well_behaved_service(live_audit):
    with FaultServer(Faults(echo_auth=True)) as server:
        results = live_audit(server.url, server.api_key, ["live-*"])
    assert {c: status_of(results, c) for c in ALL_LIVE} == {c: "pass" for c in ALL_LIVE}, explain(results)
    # Plain http on loopback: TLS is someone else's job here, and the report says so.
    assert status_of(results, "live-tls") == "not_applicable"
    assert status_of(results, "live-https-redirect") == "not_applicable"
    report = live_audit.last_report
    gates = {g.id: g.status.value for g in report.gates}
    for gate in ("api-answers", "authentication", "credentials-validated", "rate-limiting", "input-validation",
                 "error-handling"):
        assert gates[gate] == "met", gates
    # The server echoes the key in its error bodies: the report must not.
    text = report.model_dump_json()
    assert API_KEY not in text
    assert API_KEY[:4] + "…" + API_KEY[-4:] in text  # masked, so a reader can tell which key
    section = report.sections["live"]
    assert section["reachable"] is True and section["model"] == "fault-model"
    assert section["auth"] == {"header": "Authorization", "scheme": "Bearer", "key_env": section["auth"]["key_env"],
                               "key": API_KEY[:4] + "…" + API_KEY[-4:]}


def test_evidence_names_method_url_status_timing_and_headers(live_audit):
    with FaultServer() as server:
        results = live_audit(server.url, server.api_key, ["live-auth-required", "live-rate-limit"])
    evidence = results["live-auth-required"].evidence[0]
    assert evidence.method == "POST" and evidence.url.endswith("/v1/chat/completions") and evidence.status == 401
    assert "www-authenticate: Bearer" in evidence.snippet and " ms" in evidence.snippet
    limited = [e for e in results["live-rate-limit"].evidence if e.status == 429]
    assert limited and "retry-after:" in limited[0].snippet
    assert results["live-rate-limit"].metrics["recovered"] is True


def test_probe_globs_select_a_subset(live_audit):
    with FaultServer() as server:
        results = live_audit(server.url, server.api_key, ["live-cors"])
    assert status_of(results, "live-cors") == "pass"
    assert status_of(results, "live-rate-limit") == "not_evaluated"
    assert results["live-rate-limit"].message == "not selected by --probe"
    assert server.hits.get("/v1/chat/completions", 0) < 10  # no burst was sent


def test_the_burst_is_bounded_by_its_request_count(live_audit):
    with FaultServer(Faults(rate_limit="none")) as server:
        results = live_audit(server.url, server.api_key, ["live-rate-limit"],
                             burst={"requests": 25, "concurrency": 5})
        chat_hits = server.hits["/v1/chat/completions"]
    assert status_of(results, "live-rate-limit") == "fail"
    assert results["live-rate-limit"].metrics["sent"] == 25
    # 25 burst requests, then the recovery check (and the model list): nothing unbounded.
    assert 25 <= chat_hits <= 28
    json.dumps(results["live-rate-limit"].metrics)  # the metrics are plain JSON
