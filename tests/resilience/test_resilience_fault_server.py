"""The fault-injecting upstream, driven from its parent and seen by a real HTTP client: each fault
does what its phase promises, and every request is recorded with its time, connection and tag."""

from __future__ import annotations

import time

import httpx
import pytest

from readyscore.resilience.processes import FakeUpstream, group_members

BODY = {"model": "m", "messages": [{"role": "user", "content": "hello [rs-probe:0123456789ab]"}]}


@pytest.fixture(scope="module")
def upstream():
    with FakeUpstream() as server:
        yield server


def post(upstream, stream=False, timeout=5.0):
    with httpx.Client(base_url=upstream.url + "/v1", timeout=timeout, trust_env=False) as client:
        with client.stream("POST", "/chat/completions", json={**BODY, "stream": stream}) as response:
            lines = list(response.iter_lines())
            return response, lines


def test_binds_loopback_and_records_each_request_with_tag_and_connection(upstream):
    assert upstream.url.startswith("http://127.0.0.1:")
    upstream.set_mode("healthy")
    before = time.monotonic()
    response, lines = post(upstream)
    upstream.sync()
    assert response.status_code == 200
    record = upstream.model_calls(before)[-1]
    assert record["tag"] == "0123456789ab" and record["connection"].startswith("127.0.0.1:")
    assert record["mode"] == "healthy" and record["status"] == 200 and record["t"] >= before


def test_healthy_stream_ends_with_done(upstream):
    upstream.set_mode("healthy")
    response, lines = post(upstream, stream=True)
    assert response.status_code == 200 and lines[-2:] == ["data: [DONE]", ""]


def test_throttle_answers_429_with_retry_after(upstream):
    upstream.set_mode("throttle", retry_after_s=3)
    response, _ = post(upstream)
    assert response.status_code == 429 and response.headers["retry-after"] == "3"


def test_error_phase_answers_5xx(upstream):
    upstream.set_mode("error")
    statuses = {post(upstream)[0].status_code for _ in range(4)}
    assert statuses <= {500, 503} and statuses


def test_hang_holds_the_call_until_the_phase_ends(upstream):
    upstream.set_mode("hang", hold_s=30)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        post(upstream, timeout=1.0)
    assert time.monotonic() - started < 5
    # A held call is released (its connection dropped) when the phase changes.
    import threading
    outcome = {}

    def call():
        try:
            post(upstream, timeout=20)
        except httpx.HTTPError as exc:
            outcome["error"] = type(exc).__name__
        outcome["t"] = time.monotonic()

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.5)
    switched = time.monotonic()
    upstream.set_mode("healthy")
    thread.join(10)
    assert outcome.get("error") and outcome["t"] - switched < 3


def test_slow_first_token_sends_headers_then_nothing(upstream):
    upstream.set_mode("slow_first_token", first_token_s=30)
    with httpx.Client(timeout=httpx.Timeout(1.0), trust_env=False) as client:
        with client.stream("POST", upstream.url + "/v1/chat/completions", json={**BODY, "stream": True}) as response:
            assert response.status_code == 200  # the head came at once
            with pytest.raises(httpx.ReadTimeout):
                list(response.iter_lines())
    upstream.set_mode("healthy")


def test_reset_mid_stream_breaks_the_connection_after_some_tokens(upstream):
    upstream.set_mode("reset_mid_stream")
    seen = []
    with pytest.raises(httpx.HTTPError):
        with httpx.Client(timeout=5, trust_env=False) as client:
            with client.stream("POST", upstream.url + "/v1/chat/completions", json={**BODY, "stream": True}) as r:
                for line in r.iter_lines():
                    seen.append(line)
    assert any(line.startswith("data: {") for line in seen) and "data: [DONE]" not in seen


def test_malformed_sse_cuts_an_event_and_never_sends_done(upstream):
    upstream.set_mode("malformed_sse")
    response, lines = post(upstream, stream=True)
    data = [line for line in lines if line.startswith("data:")]
    assert data and "data: [DONE]" not in lines
    import json
    with pytest.raises(ValueError):
        json.loads(data[-1][5:])


def test_the_server_stops_when_its_parent_closes_stdin():
    server = FakeUpstream().start()
    process = server.process
    process.stdin.close()
    process.wait(timeout=10)
    assert not group_members(process.pid)
    server.stop()
