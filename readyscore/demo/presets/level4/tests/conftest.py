import os

os.environ.setdefault("TEALEAF_OPENAI_API_KEY", "fake-upstream-key")
os.environ.setdefault("TEALEAF_API_KEYS", "acme:test-key")
os.environ.setdefault("TEALEAF_DATABASE_URL", "sqlite:///./test.db")
os.environ.setdefault("TEALEAF_AUDIT_LOG_PATH", "./test-audit.jsonl")

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from app.main import app  # noqa: E402


@pytest.fixture
def client():
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def auth():
    return {"Authorization": "Bearer test-key"}
