"""Per-request records, one JSON line each, one file per process.

Every Locust process (the single local one, or each worker of `--processes N`) appends to its own
`records-<host>-<pid>.jsonl` in the run folder, flushed at least twice a second, so a run that is
stopped early (Ctrl-C, timeout, a crash) keeps what was measured up to then. Workers on other
machines cannot write into that folder: with `forward=True` they hand their records to the master
on Locust's own worker report (every 3 s, and once more when they quit), and the master appends
them to `forwarded-<worker>.jsonl`. Records carry a unique id, so none is counted twice.

Plain Python: no locust, no gevent (the tests and the main process import it).
"""

from __future__ import annotations

import json
import os
import resource
import socket
import time
from pathlib import Path

import orjson

from readyscore.loadgen.record import RequestRecord

FLUSH_EVERY_S = 0.5
FLUSH_EVERY_RECORDS = 500
MAX_FORWARD_BATCH = 20_000  # records held for the master between two worker reports
RECORD_FILE_GLOB = "*.jsonl"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Recorder:
    def __init__(self, out_dir: str | os.PathLike[str], *, forward: bool = False):
        self.out_dir = Path(out_dir)
        self.forward = forward
        self.host = socket.gethostname()[:40] or "host"
        self._pid: int | None = None
        self._handle = None
        self._pending: list[bytes] = []
        self._to_master: list[str] = []
        self._last_flush = time.monotonic()
        self._seq = 0
        self._cpu0 = _cpu_seconds()
        self._wall0 = time.monotonic()
        self.dropped_for_master = 0

    def belongs_to_this_process(self) -> bool:
        """False in a worker forked after this recorder was made (`--processes`)."""
        return self._pid in (None, os.getpid())

    def next_id(self) -> str:
        self._seq += 1
        return f"{self.host}-{os.getpid()}-{self._seq}"

    def add(self, record: RequestRecord) -> None:
        line = orjson.dumps(record)
        if self.forward:
            # A worker on another machine: the run folder is the master's, so nothing is written here.
            if len(self._to_master) < MAX_FORWARD_BATCH:
                self._to_master.append(line.decode())
            else:
                self.dropped_for_master += 1
            return
        self._pending.append(line)
        if len(self._pending) >= FLUSH_EVERY_RECORDS or time.monotonic() - self._last_flush >= FLUSH_EVERY_S:
            self.flush()

    def add_lines(self, lines: list[str], source: str) -> None:
        """Records forwarded by a worker (the master side); kept in a file of their own."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in source)[:80]
        path = self.out_dir / f"forwarded-{safe}.jsonl"
        with path.open("a", encoding="utf-8") as handle:
            for line in lines:
                if isinstance(line, str) and len(line) < 1_000_000:
                    handle.write(line + "\n")

    def take_for_master(self) -> list[str]:
        batch, self._to_master = self._to_master, []
        return batch

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        handle = self._file()
        handle.write(b"\n".join(self._pending) + b"\n")
        handle.flush()
        self._pending = []

    def close(self) -> None:
        """Flush and append this process's CPU use (to flag timings taken on a saturated client)."""
        wall = time.monotonic() - self._wall0
        meta = {"meta": {"host": self.host, "pid": os.getpid(), "cpu_s": round(_cpu_seconds() - self._cpu0, 3),
                         "wall_s": round(wall, 3), "dropped_for_master": self.dropped_for_master}}
        if self.forward:
            self._to_master.append(json.dumps(meta))
            return
        self._pending.append(orjson.dumps(meta))
        self.flush()
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _file(self):
        # Opened lazily and per pid: `--processes` forks workers after the locustfile was imported.
        if self._handle is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._handle = (self.out_dir / f"records-{self.host}-{self._pid}.jsonl").open("ab")
        return self._handle
