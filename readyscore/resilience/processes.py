"""The two processes a resilience run owns: the fake upstream, and (with --service-cmd) the
audited service. Both run in sessions of their own, so a Ctrl-C in the terminal reaches readyscore
only, which then stops them on purpose: SIGTERM to the whole process group, SIGKILL after a grace
period. An `atexit` hook and a watcher on the audit's cancel event make sure that happens on every
way out; the upstream also ends by itself when its stdin closes (readyscore died).
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()


class ProcessError(RuntimeError):
    """A process of the run did not start (with the reason a user can act on)."""


def _track(process: subprocess.Popen) -> None:
    with _live_lock:
        _live.add(process)


def stop_group(process: subprocess.Popen, grace_s: float = 5.0) -> None:
    """SIGTERM the process's group, SIGKILL what is left of it after `grace_s`."""
    with _live_lock:
        _live.discard(process)
    group = process.pid  # start_new_session: the child leads its own group
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        if not group_members(group) and process.poll() is not None:
            break
        try:
            os.killpg(group, sig)
        except (ProcessLookupError, PermissionError):
            break
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            process.poll()  # reaps the leader, which would otherwise linger as a zombie
            if not group_members(group):
                break
            time.sleep(0.05)
        else:
            continue
        break
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def group_members(group: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc; where there is no /proc, whether
    the group can be signalled at all."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
            return [group]
        except (ProcessLookupError, PermissionError):
            return []
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
        if len(fields) > 2 and fields[2] == str(group) and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@atexit.register
def _kill_leftovers() -> None:
    with _live_lock:
        leftovers = list(_live)
    for process in leftovers:
        stop_group(process, grace_s=1.0)


def _package_env() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])  # this very readyscore, installed or not
    env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONUNBUFFERED"] = "1"
    return env


class FakeUpstream:
    """Handle on the fault server process: switch faults, read back what it received."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, start_timeout_s: float = 20.0):
        self.host, self.port = host, port
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._acks: queue.Queue = queue.Queue()
        self._command_lock = threading.Lock()  # one command and its acknowledgement at a time

    def start(self) -> FakeUpstream:
        command = [sys.executable, "-m", "readyscore.resilience.fault_server", "--host", self.host,
                   "--port", str(self.port)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=_package_env(), text=True,
                                        start_new_session=True)
        _track(self.process)
        threading.Thread(target=self._read, name="fake-upstream-stdout", daemon=True).start()
        try:
            event = self._acks.get(timeout=self.start_timeout_s)
        except queue.Empty:
            self.stop()
            raise ProcessError(f"the fake upstream did not start within {self.start_timeout_s:g} s") from None
        if event.get("event") != "listening":
            self.stop()
            raise ProcessError(event.get("reason") or "the fake upstream exited before listening")
        self.url = event["url"]
        return self

    def _read(self) -> None:
        assert self.process and self.process.stdout
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "request":
                with self._lock:
                    self.records.append(event)
            else:
                self._acks.put(event)
        self._acks.put({"event": "exited"})

    def set_mode(self, mode: str, **params: Any) -> float:
        """Switch the fault; returns when the server applied it (its monotonic time of the switch)."""
        return self._command({"mode": mode, **params}, "mode")

    def sync(self) -> float:
        """Returns once every request the server received so far is in `records`."""
        return self._command({"sync": True}, "sync")

    def _command(self, command: dict[str, Any], ack: str) -> float:
        with self._command_lock:
            return self._send_command(command, ack)

    def _send_command(self, command: dict[str, Any], ack: str) -> float:
        process = self.process
        if process is None or process.stdin is None:
            raise ProcessError("the fake upstream is not running")
        try:
            process.stdin.write(json.dumps(command) + "\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise ProcessError("the fake upstream stopped unexpectedly") from None
        while True:
            try:
                event = self._acks.get(timeout=10)
            except queue.Empty:
                raise ProcessError(f"the fake upstream did not acknowledge a command ({ack})") from None
            if event.get("event") == ack:
                return float(event["t"])
            if event.get("event") == "exited":
                raise ProcessError("the fake upstream stopped unexpectedly")

    def requests_between(self, start: float, end: float | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.records if r["t"] >= start and (end is None or r["t"] <= end)]

    def model_calls(self, start: float = 0.0, end: float | None = None) -> list[dict[str, Any]]:
        return [r for r in self.requests_between(start, end) if r["model_call"]]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            if process.stdin:
                process.stdin.close()  # the server's signal to stop
        except OSError:
            pass
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        stop_group(process, grace_s=1.0)
        if process.stdout:
            try:
                process.stdout.close()
            except OSError:
                pass

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class ServiceProcess:
    """The audited service, started by readyscore with its provider URL pointed at the upstream.

    `{port}` in the command (and in the service URL) is replaced by a free loopback port, which is
    also passed as $PORT.
    """

    def __init__(self, command: str | list[str], env: dict[str, str], log_path: Path | None = None):
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.argv:
            raise ProcessError("--service-cmd is empty")
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self) -> ServiceProcess:
        env = {**_package_env(), **self.env}
        self._log = open(self.log_path, "w+b") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                            stderr=self._log, env=env, start_new_session=True)
        except (OSError, ValueError) as exc:
            raise ProcessError(f"--service-cmd could not be started: {exc}") from None
        _track(self.process)
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def exited(self) -> int | None:
        return self.process.poll() if self.process else None

    def log_tail(self, lines: int = 15) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        text = self.log_path.read_bytes()[-8192:].decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_group(process)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self._log = None
