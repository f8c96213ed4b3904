"""Run Locust headless in its own process and read back what it recorded.

Locust monkey-patches the process it runs in (gevent), so it always runs as
`python -m locust -f readyscore/loadgen/locustfile.py --headless ...` in a new session (its own
process group: a Ctrl-C in the terminal reaches readyscore, which then stops Locust on purpose and
keeps what was measured). The run is bounded three ways: the plan's stages end it, a wall-clock
limit kills it, and `cancel` (Ctrl-C) stops it early. Either way the per-request JSONL files the
Locust processes flushed so far are read back.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import readyscore
from readyscore.executors.load.plan import API_KEY_ENV

LOCUSTFILE = Path(__file__).resolve().parents[2] / "loadgen" / "locustfile.py"
MAX_RECORDS = 2_000_000  # a bound on what one run may hand back (about 1 GB of JSON lines)
MAX_LINE_CHARS = 200_000
GRACE_S = 5.0  # after SIGINT, how long Locust may take to flush and quit before SIGKILL

# Locust runs in its own session, so nothing else stops it when readyscore exits: whatever is
# still running at exit (an abandoned check, a second Ctrl-C) is killed, group and all.
_live: set[subprocess.Popen] = set()


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_live):
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@dataclass
class LocustRun:
    records: list[dict[str, Any]] = field(default_factory=list)  # RequestRecord once stats.valid_records passed
    process_meta: list[dict[str, Any]] = field(default_factory=list)
    locust_totals: dict[str, Any] = field(default_factory=dict)  # Locust's own counts, a cross-check
    returncode: int | None = None
    stopped: str | None = None  # why the run ended early: "cancelled", "timeout"
    stderr_tail: str = ""
    wall_s: float = 0.0
    bad_lines: int = 0


def locust_command(plan: dict[str, Any], url: str, run_dir: Path, *, processes: int = 1,
                   stop_timeout_s: float = 5.0, distributed: dict[str, Any] | None = None) -> list[str]:
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
               "--readyscore-plan", json.dumps(plan, separators=(",", ":")),
               "--only-summary", "--loglevel", "WARNING", "--stop-timeout", f"{stop_timeout_s:g}",
               "--json-file", str(run_dir / "locust")]
    if distributed and distributed.get("expect_workers"):
        command += ["--master", "--expect-workers", str(distributed["expect_workers"]),
                    "--expect-workers-max-wait", f"{distributed.get('wait_for_workers_s', 60):g}",
                    "--master-bind-host", str(distributed.get("master_bind_host", "127.0.0.1")),
                    "--master-bind-port", str(distributed.get("master_bind_port", 5557))]
    elif processes > 1:
        command += ["--processes", str(processes)]
    return command


def run_locust(plan: dict[str, Any], url: str, run_dir: Path, *, api_key: str | None, cancel: threading.Event,
               limit_s: float, processes: int = 1, stop_timeout_s: float = 5.0,
               distributed: dict[str, Any] | None = None) -> LocustRun:
    run_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop(API_KEY_ENV, None)
    if api_key:
        env[API_KEY_ENV] = api_key
    # The locustfile imports readyscore.loadgen: make sure the subprocess finds this very package.
    package_parent = str(Path(readyscore.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([package_parent, *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("PYTHONUNBUFFERED", "1")
    command = locust_command(plan, url, run_dir, processes=processes, stop_timeout_s=stop_timeout_s,
                             distributed=distributed)
    outcome = LocustRun()
    started = time.monotonic()
    with open(run_dir / "locust.out", "wb") as out, open(run_dir / "locust.err", "wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                   cwd=run_dir, start_new_session=True)
        _live.add(process)
        try:
            while process.poll() is None:
                if cancel.wait(0.1):
                    outcome.stopped = "cancelled"
                    break
                if time.monotonic() - started > limit_s:
                    outcome.stopped = "timeout"
                    break
        finally:
            if process.poll() is None:
                _stop(process)
            _live.discard(process)
    outcome.returncode = process.returncode
    outcome.wall_s = time.monotonic() - started
    outcome.stderr_tail = _tail(run_dir / "locust.err")
    read_records(run_dir, outcome)
    outcome.locust_totals = _locust_totals(run_dir / "locust.json")
    return outcome


def _stop(process: subprocess.Popen) -> None:
    """SIGINT to Locust's main process (it quits cleanly: workers stopped, records flushed, as on
    Ctrl-C; its SIGTERM handler is not reliably installed in time), then SIGKILL the whole group."""
    try:
        os.kill(process.pid, signal.SIGINT)
    except (ProcessLookupError, PermissionError):
        return
    try:
        process.wait(GRACE_S)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group: workers forked by --processes too
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        pass


def read_records(run_dir: Path, outcome: LocustRun) -> None:
    """Every JSONL file of the run: records deduplicated by id, process meta lines kept apart."""
    seen: set[str] = set()
    for path in sorted(run_dir.glob("*.jsonl")):
        try:
            handle = path.open("r", encoding="utf-8", errors="replace")
        except OSError:
            continue
        with handle:
            for line in handle:
                if len(outcome.records) >= MAX_RECORDS:
                    return
                if len(line) > MAX_LINE_CHARS:
                    outcome.bad_lines += 1
                    continue
                try:
                    item = json.loads(line)
                except ValueError:
                    outcome.bad_lines += 1  # a line cut by a kill mid-write
                    continue
                if not isinstance(item, dict):
                    outcome.bad_lines += 1
                elif isinstance(item.get("meta"), dict):
                    outcome.process_meta.append(item["meta"])
                elif isinstance(item.get("id"), str) and item["id"] not in seen:
                    seen.add(item["id"])
                    outcome.records.append(item)


def _locust_totals(path: Path) -> dict[str, Any]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(entries, list):
        return {}
    requests = sum(int(e.get("num_requests", 0)) for e in entries if isinstance(e, dict))
    failures = sum(int(e.get("num_failures", 0)) for e in entries if isinstance(e, dict))
    return {"requests": requests, "failures": failures}


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        data = path.read_bytes()[-limit:]
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")
