import os

os.environ.setdefault("TEALEAF_OPENAI_API_KEY", "fake-upstream-key")
os.environ.setdefault("TEALEAF_API_KEYS", "test-key")
os.environ.setdefault("TEALEAF_DATABASE_URL", "sqlite:///./test.db")

from fastapi.testclient import TestClient  # noqa: E402

from app.main import app  # noqa: E402

AUTH = {"Authorization": "Bearer test-key"}


def test_health():
    with TestClient(app) as client:
        assert client.get("/health").json() == {"status": "ok"}


def test_chat_requires_a_key():
    with TestClient(app) as client:
        response = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
        assert response.status_code == 401


def test_invalid_input_is_rejected():
    with TestClient(app) as client:
        response = client.post("/v1/chat/completions", headers=AUTH,
                               json={"messages": [], "temperature": 9})
        assert response.status_code == 400


def test_oversized_body_is_rejected():
    with TestClient(app) as client:
        response = client.post("/v1/chat/completions", headers={**AUTH, "Content-Type": "application/json"},
                               content=b"x" * 100_000)
        assert response.status_code == 413
