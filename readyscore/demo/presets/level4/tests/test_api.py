import json
from pathlib import Path

import httpx
import pytest

from app import moderation, upstream
from app.config import settings

ANSWER = {"choices": [{"message": {"role": "assistant", "content": "Mail jane@example.com"}, "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}


@pytest.fixture(autouse=True)
def nothing_flagged(monkeypatch):
    monkeypatch.setattr(moderation, "check_input", lambda texts: [])


def test_chat_requires_a_key(client):
    response = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 401


def test_chat_redacts_answers_and_audits_without_content(client, auth, monkeypatch):
    monkeypatch.setattr(upstream, "chat_completion", lambda payload, request_id: json.loads(json.dumps(ANSWER)))
    response = client.post("/v1/chat/completions", headers=auth,
                           json={"messages": [{"role": "user", "content": "my card is 4111 1111 1111 1111"}]})
    assert response.json()["choices"][0]["message"]["content"] == "Mail [REDACTED:email]"
    entries = [json.loads(line) for line in Path(settings.audit_log_path).read_text().splitlines()]
    assert entries[-1]["event"] == "chat.completed" and entries[-1]["tenant"] == "acme"
    assert "4111" not in Path(settings.audit_log_path).read_text()


def test_upstream_failure_is_a_503_with_retry_after(client, auth, monkeypatch):
    def broken(payload, request_id):
        raise httpx.ConnectError("down")
    monkeypatch.setattr(upstream, "chat_completion", broken)
    response = client.post("/v1/chat/completions", headers=auth, json={"messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 503


def test_metrics_need_a_key(client, auth):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=auth).status_code == 200
