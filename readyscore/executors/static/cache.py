"""A per-file result cache, so a re-run on an unchanged tree does almost nothing.

Entries are keyed by the file's content hash plus a namespace that names everything else the
result depends on (tool version, effective config, analyser version). One SQLite file under the
user cache dir holds them: a single read on a warm run, safe across concurrent audits. A cache
that cannot be opened or written is simply not used; it never fails an audit.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from readyscore.gcpause import paused

CACHE_ENV = "READYSCORE_CACHE_DIR"
SCHEMA = 1
CHUNK = 5000  # hashes per lookup
# The hashes travel as one JSON array parameter: one constant statement, whatever their number.
# Two checks of one audit may open the cache at the same moment; switching a fresh file to WAL from
# two connections at once can fail with "database is locked", so opening is serialised.
_OPEN_LOCK = threading.Lock()
SELECT_CHUNK = "SELECT hash, value FROM results WHERE ns = ? AND hash IN (SELECT value FROM json_each(?))"


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "readyscore"


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def namespace(*parts: Any) -> str:
    """A short stable key for everything besides the content that a result depends on."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=12).hexdigest()


class ResultCache:
    """JSON values by (namespace, content hash). Thread-safe; failures degrade to a miss."""

    def __init__(self, path: Path | None):
        self.path = path
        self.error: str | None = None
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is None:
            return
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError:
            # Not a database (a damaged or foreign file): it is only a cache, so start it afresh.
            try:
                path.unlink()
                self._db = self._open(path)
            except (sqlite3.Error, OSError) as exc:
                self.error = f"result cache unavailable ({exc}); running without it"
        except (sqlite3.Error, OSError) as exc:
            self.error = f"result cache unavailable ({exc}); running without it"

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        with _OPEN_LOCK:
            for attempt in range(5):
                try:
                    return ResultCache._connect(path)
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or attempt == 4:
                        raise  # another audit holds it: after a few tries, run without the cache
                    time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), timeout=10, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS results (ns TEXT, hash TEXT, value TEXT, PRIMARY KEY (ns, hash))")
        except sqlite3.Error:
            db.close()
            raise
        return db

    @classmethod
    def default(cls, enabled: bool = True) -> ResultCache:
        return cls(cache_dir() / f"static-v{SCHEMA}.sqlite3" if enabled else None)

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def get_many(self, ns: str, hashes: list[str]) -> dict[str, Any]:
        if self._db is None or not hashes:
            return {}
        found: dict[str, Any] = {}
        unique = sorted(set(hashes))
        try:
            with self._lock, paused():  # thousands of long-lived dicts: nothing for the collector to find
                for start in range(0, len(unique), CHUNK):
                    rows = self._db.execute(SELECT_CHUNK, [ns, json.dumps(unique[start:start + CHUNK])])
                    for digest, value in rows:
                        try:
                            found[digest] = json.loads(value)
                        except ValueError:
                            continue  # a damaged entry is a miss
        except sqlite3.Error as exc:
            self.error = f"result cache read failed ({exc})"
        return found

    def put_many(self, ns: str, values: dict[str, Any]) -> None:
        if self._db is None or not values:
            return
        rows = [(ns, digest, json.dumps(value, separators=(",", ":"))) for digest, value in values.items()]
        try:
            with self._lock:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO results (ns, hash, value) VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.error = f"result cache write failed ({exc})"
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def close(self) -> None:
        if self._db is not None:
            with self._lock:
                self._db.close()
                self._db = None
