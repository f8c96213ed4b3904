"""The audit trail: who did what, when, from where — never what they wrote.

Append-only JSON Lines, shipped to the log archive (S3, object lock) by the node's log agent.
Entries older than `audit_retention_days` are pruned here and expire in the archive by lifecycle
rule; see docs/data-retention.md.
"""
import json
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from app.config import settings

_lock = threading.Lock()


def record(event: str, *, tenant: str | None, request_id: str, **fields) -> None:
    entry = {"ts": datetime.now(timezone.utc).isoformat(), "epoch": time.time(), "event": event,
             "tenant": tenant, "request_id": request_id, "region": settings.region, **fields}
    path = Path(settings.audit_log_path)
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")


def prune(now: float | None = None) -> int:
    """Drop entries past the retention period; returns how many were dropped."""
    path = Path(settings.audit_log_path)
    if not path.exists():
        return 0
    cutoff = (now or time.time()) - settings.audit_retention_days * 86_400
    with _lock:
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if json.loads(line).get("epoch", 0) >= cutoff]
        if len(kept) != len(lines):
            tmp = path.with_suffix(".tmp")
            tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
            tmp.replace(path)
    return len(lines) - len(kept)
