"""The one door to a target, readyscore.net.TargetClient, against servers that misbehave on purpose.

Each test: no exception escapes, nothing hangs past the client's own timeout (plus slack), the
Exchange says what happened in words, and what is kept of the body stays under the cap.
"""

from __future__ import annotations

import json
import resource
import ssl
import time

import pytest
from hostile_targets import UNRESOLVABLE_URL, refused_port, serve

from readyscore.net import MAX_REDIRECTS, TargetClient

from robust_helpers import assert_readable

TIMEOUT = 1.0
SLACK = 2.5  # scheduling, connection set-up, a slow CI machine


def timed(fn):
    started = time.monotonic()
    value = fn()
    return value, time.monotonic() - started


def test_headers_then_silence_times_out_with_a_message():
    with serve("silence") as server, TargetClient(server.url, timeout_s=TIMEOUT) as client:
        exchange, took = timed(lambda: client.request("GET", "/v1/models"))
    assert took < TIMEOUT + SLACK
    assert exchange.status == 200 and exchange.error and "timed out" in exchange.error
    assert not exchange.ok
    assert_readable(exchange.error)


def test_a_body_dripped_byte_by_byte_is_cut_at_the_timeout():
    """Each byte arrives well within the read timeout, so only a whole-request deadline stops it."""
    with serve("drip") as server, TargetClient(server.url, timeout_s=TIMEOUT) as client:
        exchange, took = timed(lambda: client.request("GET", "/"))
    assert took < TIMEOUT + SLACK, f"a dripping body held the client for {took:.1f} s"
    assert exchange.error and "timed out" in exchange.error
    assert_readable(exchange.error)


def test_a_reset_in_the_middle_of_a_body_is_an_error_not_an_exception():
    with serve("reset_mid_stream") as server, TargetClient(server.url, timeout_s=5) as client:
        exchange, took = timed(lambda: client.request("POST", "/v1/chat/completions", json_body={"stream": True}))
        lines = list(client.stream_lines("POST", "/v1/chat/completions", json_body={"stream": True}))
    assert took < 5
    assert exchange.error and not exchange.ok
    assert_readable(exchange.error)
    streamed = lines[-1]
    assert streamed.error, "the streamed read must record the reset too"
    assert len(lines) > 1, "what arrived before the reset is kept"


def test_an_endless_event_stream_stops_at_the_byte_cap():
    with serve("sse_forever") as server, TargetClient(server.url, timeout_s=TIMEOUT) as client:
        started = time.monotonic()
        items = list(client.stream_lines("POST", "/v1/chat/completions", max_bytes=64 * 1024))
        took = time.monotonic() - started
    exchange = items[-1]
    assert exchange.truncated and exchange.error is None
    assert sum(len(line) for _, line in items[:-1]) <= 64 * 1024 + 4096
    assert took < 10


def test_an_endless_event_stream_stops_at_the_callers_deadline():
    with serve("sse_forever") as server, TargetClient(server.url, timeout_s=TIMEOUT) as client:
        started = time.monotonic()
        stream = client.stream_lines("POST", "/v1/chat/completions")
        for item in stream:
            if time.monotonic() - started > 0.5:
                stream.close()  # what a probe with a deadline does: the connection is dropped
                break
        took = time.monotonic() - started
    assert took < 0.5 + SLACK


def test_a_one_gigabyte_body_is_read_only_up_to_the_cap():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with serve("huge_body") as server, TargetClient(server.url, timeout_s=5, max_body=1 << 20) as client:
        exchange, took = timed(lambda: client.request("GET", "/"))
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert exchange.truncated and len(exchange.body) == 1 << 20
    assert took < 5
    assert grown_mib < 64, f"peak memory grew by {grown_mib:.0f} MiB reading a capped body"
    assert len(exchange.excerpt()) < 1000


def test_a_gzip_bomb_is_never_inflated():
    with serve("gzip_bombed") as server, TargetClient(server.url, timeout_s=5, max_body=1 << 20) as client:
        exchange, took = timed(lambda: client.request("GET", "/v1/models"))
    assert exchange.status == 200 and took < 5
    assert len(exchange.body) <= 1 << 20
    assert exchange.body[:2] == b"\x1f\x8b", "the body is kept as the compressed bytes that arrived"
    assert exchange.json() is None and len(exchange.text) <= 1 << 20


def test_invalid_utf8_in_body_and_headers_is_replaced_not_raised():
    with serve("invalid_utf8") as server, TargetClient(server.url, timeout_s=TIMEOUT) as client:
        exchange = client.request("GET", "/v1/models")
    assert exchange.ok
    assert "\ufffd" in exchange.text
    assert exchange.json() is None
    assert exchange.header("x-model-name") is not None
    json.dumps(exchange.headers)  # every header is a str that a JSON report can hold


@pytest.mark.parametrize("behaviour", ["redirect_loop", "redirect_chain"])
def test_redirects_stop_after_the_limit(behaviour):
    with serve(behaviour) as server, TargetClient(server.url, timeout_s=TIMEOUT) as client:
        exchange, took = timed(lambda: client.request("GET", "/start", follow_redirects=True))
    assert exchange.status in (302, 307) and took < SLACK
    assert len(server.requests) == MAX_REDIRECTS + 1


def test_a_redirect_off_the_host_is_not_followed_and_the_key_stays_home():
    key = "sk-robustness-redirect-0123456789abcdef"
    with serve("plain_ok") as elsewhere:
        from hostile_targets import HostileServer, _respond

        def off_host(server, sock, req):
            _respond(sock, "307 Temporary Redirect", b"", extra=[("Location", f"{elsewhere.url}/steal")])

        with HostileServer(off_host) as target, TargetClient(target.url, api_key=key, timeout_s=TIMEOUT) as client:
            exchange = client.request("POST", "/v1/chat/completions", json_body={}, follow_redirects=True)
    assert exchange.status == 307
    assert exchange.redirected_off_target == f"{elsewhere.url}/steal"
    assert elsewhere.requests == [], "the client followed the target to another origin"


def test_a_self_signed_certificate_is_refused_and_a_trusted_one_accepted(certificates):
    with serve("plain_ok", tls=certificates.self_signed) as server, \
            TargetClient(server.url, timeout_s=TIMEOUT) as client:
        exchange = client.request("GET", "/health")
    assert exchange.status is None and exchange.error and "TLS error" in exchange.error
    assert "certificate" in exchange.error.lower()
    assert_readable(exchange.error)

    trusted = ssl.create_default_context(cafile=str(certificates.ca_pem))
    with serve("plain_ok", tls=certificates.valid) as server, \
            TargetClient(server.url, timeout_s=TIMEOUT, verify=trusted) as client:
        assert client.request("GET", "/health").ok  # the safe twin: same server, a valid certificate


def test_an_expired_certificate_is_refused_as_expired(certificates):
    trusted = ssl.create_default_context(cafile=str(certificates.ca_pem))
    with serve("plain_ok", tls=certificates.expired) as server, \
            TargetClient(server.url, timeout_s=TIMEOUT, verify=trusted) as client:
        exchange = client.request("GET", "/health")
    assert exchange.error and "expired" in exchange.error.lower()
    assert_readable(exchange.error)


def test_a_name_that_does_not_resolve():
    with TargetClient(UNRESOLVABLE_URL, timeout_s=3) as client:
        exchange, took = timed(lambda: client.request("GET", "/health"))
    assert exchange.error and exchange.status is None
    assert "does not resolve" in exchange.error or "timed out" in exchange.error
    assert took < 3 + SLACK


def test_a_port_that_refuses():
    with TargetClient(f"http://127.0.0.1:{refused_port()}", timeout_s=TIMEOUT) as client:
        exchange, took = timed(lambda: client.request("GET", "/health"))
    assert exchange.error and "connection refused" in exchange.error
    assert took < SLACK


def test_echoed_credentials_are_redacted_in_headers_and_excerpts():
    key = "sk-robustness-echo-0123456789abcdef"
    with serve("echo_credentials") as server, TargetClient(server.url, api_key=key, timeout_s=TIMEOUT) as client:
        exchange = client.request("POST", "/v1/chat/completions", json_body={"x": 1})
        assert key in exchange.text  # the server really echoed it (the test would be hollow otherwise)
        assert key not in json.dumps(exchange.headers)
        assert key not in exchange.excerpt(client.redactor)
