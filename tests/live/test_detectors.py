"""The error-body and header detectors: each finding on a real framework's output, and its absence
on an ordinary message that merely looks similar."""

from __future__ import annotations

import pytest

from readyscore.executors.live.health import health_json_problem, names_dependencies
from readyscore.executors.live.headers import hsts_problem
from readyscore.executors.live.hygiene import leaks_in
from readyscore.executors.live.transport import is_private_host

LEAKY = [
    ('Traceback (most recent call last):\n  File "/app/main.py", line 3, in <module>', "a Python stack trace"),
    ("java.lang.NullPointerException\n\tat com.acme.Chat.handle(Chat.java:42)", "a Java/.NET stack trace"),
    ("TypeError: x is undefined\n    at handler (/srv/app/index.js:10:5)", "a Node.js stack trace"),
    ("panic: runtime error: index out of range\n\ngoroutine 1 [running]:", "a Go panic"),
    ('{"detail": "open /home/deploy/app/config.yaml failed"}', "an internal file path"),
    ("<title>Werkzeug Debugger</title>", "a debug page"),
    ('<title>Starlette Debugger</title><p class="frame-title">File <span class="frame-filename">x.py</span>',
     "a debug page"),
    ('psycopg2.errors.UndefinedTable: relation "users" does not exist', "a database error"),
]
CLEAN = [
    '{"error": {"message": "messages must be a non-empty list", "type": "invalid_request_error"}}',
    '{"error": "the error is at line 3 of your request"}',
    '{"error": "no route /v1/chat/completions/x", "path": "/v1/chat/completions"}',
    '{"detail": [{"loc": ["body", "temperature"], "msg": "Input should be less than or equal to 2"}]}',
    "Not Found",
]


@pytest.mark.parametrize("body, what", LEAKY)
def test_leaks_are_found(body, what):
    assert what in leaks_in(body)


@pytest.mark.parametrize("body", CLEAN)
def test_ordinary_error_messages_are_clean(body):
    assert leaks_in(body) == []


def test_hsts_needs_a_long_max_age():
    assert hsts_problem(None) == "no Strict-Transport-Security"
    assert "under 180 days" in hsts_problem("max-age=300")
    assert hsts_problem("max-age=31536000; includeSubDomains") is None


def test_readiness_dependencies_are_named_keys_only():
    assert names_dependencies({"status": "pass", "checks": {}}) == ["checks"]
    assert names_dependencies({"status": "ok"}) == []
    assert names_dependencies(["database"]) == []


def test_private_hosts():
    assert all(is_private_host(h) for h in ("127.0.0.1", "localhost", "10.1.2.3", "::1", "api.svc.cluster.local"))
    assert not any(is_private_host(h) for h in ("8.8.8.8", "api.example.com", None))


def test_health_json_needs_a_status():
    assert health_json_problem({"status": "pass", "checks": {}}) is None
    assert "not pass/warn/fail" in health_json_problem({"state": "green"})
    assert health_json_problem("ok") == "the body is not a JSON object"
