"""What each preset does at the door: auth, rate limits, validation, body size, errors, headers,
health, metrics, persistence — and the fault switches tests use to break one of them."""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from demo_helpers import CLIENT, chat, demo_pool, headers, warm_servers  # noqa: F401

from readyscore.demo.runner import DemoServer, DemoServerError

HARDENED = ["level2", "level3", "level4"]
BURSTY = {"rate_limit_rps": 5, "rate_limit_burst": 10, "ttft_ms": 0, "token_delay_ms": 0}
FAULTY_LIMIT = {"rate_limit_burst": 2, "rate_limit_rps": 0.5, "rate_limit_status": 500, "ttft_ms": 0,
                "token_delay_ms": 0}
SERVERS = [("level1", {}), ("level2", {}), ("level3", {}), ("level4", {}), ("level2", BURSTY),
           ("level2", FAULTY_LIMIT), ("level2", {"auth_accept_any": True}), ("level3", {"health_delay_ms": 400})]
CHAT = "/v1/chat/completions"


def post_raw(server, content: bytes, key: str | None = "valid") -> httpx.Response:
    return CLIENT.post(server.url + CHAT, content=content,
                      headers={"Content-Type": "application/json", **headers(server, key)})


# -- level1: works, nothing more --------------------------------------------------------------


def test_level1_is_open_leaky_and_unvalidated(demo_pool):  # noqa: F811
    server = demo_pool.get("level1")
    assert chat(server, "Hi", key=None, max_tokens=2).status_code == 200
    assert chat(server, "Hi", key="made-up", max_tokens=2).status_code == 200
    crash = post_raw(server, b'{"messages": [')
    assert crash.status_code == 500 and "Traceback (most recent call last)" in crash.text
    assert chat(server, [], max_tokens=2).status_code == 500  # IndexError, shown with its traceback
    assert chat(server, "Hi", temperature=7.5, max_tokens=2).status_code == 200
    big = json.dumps({"messages": [{"role": "user", "content": "a " * 70_000}], "max_tokens": 1}).encode()
    assert post_raw(server, big).status_code == 200
    response = chat(server, "Hi", max_tokens=2)
    assert response.headers["server"].startswith("uvicorn/")
    assert "x-request-id" not in response.headers
    assert "x-content-type-options" not in response.headers
    for path in ("/docs", "/openapi.json", "/health"):
        assert CLIENT.get(server.url + path).status_code == 200, path
    for path in ("/livez", "/readyz", "/metrics"):
        assert CLIENT.get(server.url + path).status_code == 404, path


def test_level1_reflects_any_origin_with_credentials(demo_pool):  # noqa: F811
    server = demo_pool.get("level1")
    evil = "https://evil.example"
    preflight = CLIENT.options(server.url + CHAT, headers={
        "Origin": evil, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == evil
    assert preflight.headers["access-control-allow-credentials"] == "true"


def test_level1_has_no_rate_limit(demo_pool):  # noqa: F811
    server = demo_pool.get("level1")
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: chat(server, "Hi", max_tokens=1).status_code, range(50)))
    assert set(statuses) == {200}


# -- level2 and up: the hardened basics -------------------------------------------------------


@pytest.mark.parametrize("name", HARDENED)
def test_auth_is_required_and_checked(demo_pool, name):  # noqa: F811
    server = demo_pool.get(name)
    missing = chat(server, "Hi", key=None)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "missing_api_key"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert chat(server, "Hi", key="rsk-wrong").json()["error"]["code"] == "invalid_api_key"
    assert CLIENT.get(server.url + "/v1/models").status_code == 401
    assert chat(server, "Hi", max_tokens=2).status_code == 200


@pytest.mark.parametrize("name", HARDENED)
def test_bad_input_gets_a_clean_4xx(demo_pool, name):  # noqa: F811
    server = demo_pool.get(name)
    cases = {
        "malformed": post_raw(server, b'{"messages": ['),
        "nested": post_raw(server, b"[" * 5000 + b"]" * 5000),
        "wrong types": chat(server, "Hi", messages=12345, max_tokens="many"),
        "temperature": chat(server, "Hi", temperature=7.5),
        "empty": chat(server, []),
        "max_tokens": chat(server, "Hi", max_tokens=10_000_000),
        "context": chat(server, "a " * 3000, max_tokens=1),
        "model": chat(server, "Hi", model="<script>x()</script>"),
    }
    for case, response in cases.items():
        assert 400 <= response.status_code < 500, (case, response.status_code, response.text)
        error = response.json()["error"]
        assert "Traceback" not in response.text and "<script>" not in response.text, case
        assert error["message"], case
    assert cases["context"].json()["error"]["code"] == "context_length_exceeded"


@pytest.mark.parametrize("name", HARDENED)
def test_an_oversized_body_gets_413(demo_pool, name):  # noqa: F811
    server = demo_pool.get(name)
    body = json.dumps({"messages": [{"role": "user", "content": "a " * 40_000}], "max_tokens": 1}).encode()
    assert len(body) > 64 * 1024
    response = post_raw(server, body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert post_raw(server, b"x" * (2 * 1024 * 1024)).status_code == 413


def test_level2_answers_a_burst_with_429_and_backoff_headers(demo_pool):  # noqa: F811
    server = demo_pool.get("level2", **BURSTY)
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: chat(server, "Hi", max_tokens=1), range(40)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(429) >= 5 and statuses.count(200) >= 10, statuses
    limited = next(r for r in responses if r.status_code == 429)
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["ratelimit-limit"] == "10"
    assert limited.headers["ratelimit-remaining"] == "0"
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    ok = next(r for r in responses if r.status_code == 200)
    assert "ratelimit-remaining" in ok.headers
    time.sleep(int(limited.headers["retry-after"]) + 0.2)
    assert chat(server, "Hi", max_tokens=1).status_code == 200  # recovered


def test_level2_keeps_docs_closed_and_hides_versions(demo_pool):  # noqa: F811
    server = demo_pool.get("level2")
    for path in ("/docs", "/openapi.json", "/metrics", "/readyz"):
        assert CLIENT.get(server.url + path).status_code == 404, path
    assert CLIENT.get(server.url + "/health").json() == {"status": "ok"}
    response = chat(server, "Hi", max_tokens=1)
    assert response.headers["server"] == "readyscore-demo"
    preflight = CLIENT.options(server.url + CHAT, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers


def test_level2_persists_request_logs_in_sqlite(demo_pool):  # noqa: F811
    server = demo_pool.get("level2")
    chat(server, "Hi", max_tokens=3)
    db = sqlite3.connect(server.workdir / "demo.db")
    rows = db.execute("SELECT path, status, completion_tokens FROM requests").fetchall()
    db.close()
    assert ("/v1/chat/completions", 200, 3) in rows


# -- level3 and level4: operability and compliance --------------------------------------------


@pytest.mark.parametrize("name", ["level3", "level4"])
def test_operable_presets_have_probes_request_ids_and_security_headers(demo_pool, name):  # noqa: F811
    server = demo_pool.get(name)
    live = CLIENT.get(server.url + "/livez")
    assert live.json() == {"status": "pass"}
    assert live.headers["content-type"] == "application/health+json"
    ready = CLIENT.get(server.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "pass"
    assert ready.json()["checks"]["database:connection"][0]["status"] == "pass"
    for response in (chat(server, "Hi", max_tokens=1), chat(server, "Hi", key=None),
                     CLIENT.get(server.url + "/nope")):
        assert len(response.headers["x-request-id"]) >= 8
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
    echoed = CLIENT.get(server.url + "/livez", headers={"X-Request-ID": "trace-12345678"})
    assert echoed.headers["x-request-id"] == "trace-12345678"


@pytest.mark.parametrize("name", ["level3", "level4"])
def test_cors_is_limited_to_the_configured_origin(demo_pool, name):  # noqa: F811
    server = demo_pool.get(name)
    def preflight(origin):
        return CLIENT.options(server.url + CHAT, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST"})
    allowed = preflight("https://chat.example.com")
    assert allowed.headers["access-control-allow-origin"] == "https://chat.example.com"
    denied = preflight("https://evil.example")
    assert denied.status_code == 400 and "access-control-allow-origin" not in denied.headers


def test_level3_exposes_prometheus_metrics(demo_pool):  # noqa: F811
    server = demo_pool.get("level3")
    chat(server, "Hi", max_tokens=2)
    response = CLIENT.get(server.url + "/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert '# TYPE demo_http_requests_total counter' in text
    assert 'demo_http_requests_total{method="POST",route="/v1/chat/completions",status="200"}' in text
    assert 'demo_http_request_duration_seconds_bucket{route="/v1/chat/completions",le="+Inf"}' in text
    assert 'demo_tokens_total{kind="completion",model="readyscore-demo"}' in text


def test_level3_logs_json_lines(demo_pool):  # noqa: F811
    server = demo_pool.get("level3")
    chat(server, "Hi", max_tokens=1)
    time.sleep(0.2)
    lines = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    access = [entry for entry in lines if entry.get("logger") == "readyscore.demo.access"]
    assert access and {"request_id", "method", "path", "status", "duration_ms"} <= set(access[-1])


def test_level4_keeps_an_audit_log_without_prompts_and_guards_metrics(demo_pool):  # noqa: F811
    server = demo_pool.get("level4")
    chat(server, "My secret recipe", max_tokens=2)
    chat(server, "Hi", key="rsk-wrong")
    entries = [json.loads(line) for line in (server.workdir / "audit.jsonl").read_text().splitlines()]
    events = {e["event"] for e in entries}
    assert {"completion", "auth.denied"} <= events
    assert "secret recipe" not in json.dumps(entries)
    assert CLIENT.get(server.url + "/metrics").status_code == 401
    assert CLIENT.get(server.url + "/metrics", headers=headers(server)).status_code == 200


# -- fault switches ---------------------------------------------------------------------------


def test_rate_limit_status_can_be_a_500(demo_pool):  # noqa: F811
    server = demo_pool.get("level2", **FAULTY_LIMIT)
    statuses = [chat(server, "Hi", max_tokens=1).status_code for _ in range(4)]
    assert statuses == [200, 200, 500, 500]


def test_auth_accept_any_takes_any_bearer_token(demo_pool):  # noqa: F811
    server = demo_pool.get("level2", auth_accept_any=True)
    assert chat(server, "Hi", key="anything-at-all", max_tokens=1).status_code == 200
    assert chat(server, "Hi", key=None).status_code == 401


def test_health_delay_slows_the_health_endpoints(demo_pool):  # noqa: F811
    server = demo_pool.get("level3", health_delay_ms=400)
    for path in ("/health", "/livez", "/readyz"):
        response = CLIENT.get(server.url + path)
        assert response.elapsed.total_seconds() >= 0.35, path


def test_a_preset_with_auth_refuses_to_start_without_a_key():
    with pytest.raises(DemoServerError, match="refusing to start"):
        DemoServer("level2", env={"READYSCORE_DEMO_API_KEY": ""}, start_timeout_s=15).start()


def test_the_app_itself_refuses_to_be_built_open(monkeypatch):
    from readyscore.demo.app import MissingApiKey, create_app
    from readyscore.demo.settings import PRESETS
    monkeypatch.setenv("READYSCORE_DEMO_API_KEY", "  ")
    with pytest.raises(MissingApiKey):
        create_app(PRESETS["level2"])
