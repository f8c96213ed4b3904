import json
import time

from app import audit, budgets, pii, prompts
from app.config import settings


def test_pii_is_redacted():
    text, kinds = pii.redact("card 4111 1111 1111 1111, ssn 078-05-1120, jane@example.com")
    assert "4111" not in text and "078-05" not in text and "@" not in text
    assert set(kinds) == {"card", "ssn", "email"}


def test_audit_entries_past_retention_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "audit_log_path", str(tmp_path / "audit.jsonl"))
    old = time.time() - (settings.audit_retention_days + 1) * 86_400
    (tmp_path / "audit.jsonl").write_text(json.dumps({"epoch": old, "event": "old"}) + "\n")
    audit.record("new", tenant="acme", request_id="r1")
    assert audit.prune() == 1


def test_budgets_are_charged_per_tenant(client):
    before = budgets.remaining("globex")
    budgets.charge("globex", 10, 5)
    assert budgets.remaining("globex") == before - 15


def test_prompts_are_versioned():
    assert prompts.load("system")["version"] == settings.prompt_version
