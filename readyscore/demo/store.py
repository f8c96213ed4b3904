"""Where the demo service keeps its request log: a list in memory (level1: gone on restart) or a
SQLite file (level2 and up), plus the append-only audit log of level4 (JSON Lines, pruned to the
retention period when the service starts)."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from readyscore.demo.settings import AUDIT_LOG_ENV, DB_PATH_ENV, DemoSettings

MEMORY_LIMIT = 10_000


@dataclass
class RequestRecord:
    request_id: str
    caller: str  # a hash of the API key, or the client address
    path: str
    model: str
    status: int
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    ts: float = 0.0


class MemoryStore:
    """The level1 way: a list in the process (capped only so the demo cannot eat the machine)."""

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        self.records.append(record)
        del self.records[:-MEMORY_LIMIT]

    def count(self) -> int:
        return len(self.records)

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass


class SqliteStore:
    SCHEMA = """CREATE TABLE IF NOT EXISTS requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, request_id TEXT NOT NULL, caller TEXT NOT NULL,
        path TEXT NOT NULL, model TEXT NOT NULL, status INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL, latency_ms REAL NOT NULL)"""

    def __init__(self, path: str):
        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(self.SCHEMA)

    def add(self, record: RequestRecord) -> None:
        row = asdict(record)
        with self._lock:
            self._db.execute(
                "INSERT INTO requests (ts, request_id, caller, path, model, status, prompt_tokens, "
                "completion_tokens, latency_ms) VALUES (:ts, :request_id, :caller, :path, :model, :status, "
                ":prompt_tokens, :completion_tokens, :latency_ms)", row)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM requests").fetchone()[0])

    def ping(self) -> bool:
        try:
            with self._lock:
                self._db.execute("SELECT 1").fetchone()
            return Path(self.path).exists()
        except sqlite3.Error:
            return False

    def close(self) -> None:
        with self._lock:
            self._db.close()


def db_path(settings: DemoSettings) -> str:
    return settings.db_path or os.environ.get(DB_PATH_ENV) or default_db_path()


def default_db_path() -> str:
    """A file of this process in the temp directory; removed at shutdown (see `temporary_files`)."""
    return str(Path(tempfile.gettempdir()) / f"readyscore-demo-{os.getpid()}.db")


def temporary_files(settings: DemoSettings) -> list[Path]:
    """The files the service created in the temp directory by default, to remove at shutdown."""
    if settings.persistence != "sqlite" or settings.db_path or os.environ.get(DB_PATH_ENV):
        return []
    base = Path(default_db_path())
    files = [base, Path(f"{base}-wal"), Path(f"{base}-shm")]
    if settings.audit_log and not (settings.audit_log_path or os.environ.get(AUDIT_LOG_ENV)):
        files.append(base.with_suffix(".audit.jsonl"))
    return files


def open_store(settings: DemoSettings) -> MemoryStore | SqliteStore:
    return SqliteStore(db_path(settings)) if settings.persistence == "sqlite" else MemoryStore()


class AuditLog:
    """Who did what, when: one JSON object per line; entries older than the retention are dropped."""

    def __init__(self, path: str, retention_days: int):
        self.path = Path(path)
        self.retention_s = retention_days * 86_400
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.prune()

    def write(self, event: dict) -> None:
        entry = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "epoch": time.time(), **event}
        line = json.dumps(entry, separators=(",", ":"), sort_keys=True) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)

    def prune(self, now: float | None = None) -> int:
        """Drop entries older than the retention; returns how many were dropped."""
        if not self.path.exists():
            return 0
        cutoff = (now if now is not None else time.time()) - self.retention_s
        kept, dropped = [], 0
        with self._lock:
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    epoch = float(json.loads(line).get("epoch", 0))
                except (ValueError, AttributeError):
                    epoch = 0.0
                if epoch >= cutoff:
                    kept.append(line)
                else:
                    dropped += 1
            if dropped:
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
                tmp.replace(self.path)
        return dropped

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


def audit_log_path(settings: DemoSettings) -> str:
    if settings.audit_log_path or os.environ.get(AUDIT_LOG_ENV):
        return settings.audit_log_path or os.environ[AUDIT_LOG_ENV]
    return str(Path(db_path(settings)).with_suffix(".audit.jsonl"))
