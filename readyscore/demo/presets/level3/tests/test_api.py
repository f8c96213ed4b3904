import httpx
import pytest

from app import moderation, upstream


@pytest.fixture(autouse=True)
def nothing_flagged(monkeypatch):
    monkeypatch.setattr(moderation, "check_input", lambda texts: [])

ANSWER = {"choices": [{"message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}


def test_chat_requires_a_key(client):
    response = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 401


def test_chat_answers_and_counts_tokens(client, auth, monkeypatch):
    monkeypatch.setattr(upstream, "chat_completion", lambda payload, request_id: ANSWER)
    response = client.post("/v1/chat/completions", headers=auth, json={"messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200
    assert "tealeaf_tokens_total" in client.get("/metrics").text


def test_upstream_failure_is_a_503_with_retry_after(client, auth, monkeypatch):
    def broken(payload, request_id):
        raise httpx.ConnectError("down")
    monkeypatch.setattr(upstream, "chat_completion", broken)
    response = client.post("/v1/chat/completions", headers=auth, json={"messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


def test_invalid_input_is_rejected(client, auth):
    response = client.post("/v1/chat/completions", headers=auth, json={"messages": [], "temperature": 9})
    assert response.status_code == 400


def test_every_answer_has_a_request_id(client):
    assert client.get("/livez").headers["X-Request-ID"]


def test_flagged_input_never_reaches_the_model(client, auth, monkeypatch):
    monkeypatch.setattr(moderation, "check_input", lambda texts: ["violence"])
    monkeypatch.setattr(upstream, "chat_completion", lambda payload, request_id: pytest.fail("called the model"))
    response = client.post("/v1/chat/completions", headers=auth, json={"messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "content_flagged"
