"""Run the demo service in a child process, for the demo command and for tests.

    with DemoServer("level3", overrides={"echo_pii": True}) as server:
        server.url      # http://127.0.0.1:PORT
        server.api_key  # a fresh random key (the service reads it from its environment)

The child gets its own process group, a temporary directory for its SQLite file and audit log, and
is stopped on exit — also on an exception or Ctrl-C — with SIGTERM, then SIGKILL after a grace
period. Nothing is left running and nothing is left on disk.
"""

from __future__ import annotations

import atexit
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any, Self

from readyscore.demo.settings import (
    API_KEY_ENV,
    AUDIT_LOG_ENV,
    DB_PATH_ENV,
    PRESETS,
    DemoSettings,
    preset_tree,
)

LISTENING = "READYSCORE_DEMO_LISTENING"
# Strong references: a server dropped without stop() is still stopped at exit.
_RUNNING: set[DemoServer] = set()


class DemoServerError(RuntimeError):
    """The demo service did not come up (it exited, or did not announce itself in time)."""


def _override_arg(key: str, value: Any) -> str:
    import json
    return f"{key}={value if isinstance(value, str) else json.dumps(value)}"


class DemoServer:
    def __init__(self, preset: str = "level1", *, overrides: dict[str, Any] | None = None,
                 api_key: str | None = None, start_timeout_s: float = 20.0, stop_grace_s: float = 5.0,
                 env: dict[str, str] | None = None):
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        self.preset = preset
        self.overrides = dict(overrides or {})
        self.api_key = api_key or "rsk-demo-" + secrets.token_urlsafe(24)
        self.start_timeout_s = start_timeout_s
        self.stop_grace_s = stop_grace_s
        self.extra_env = dict(env or {})
        self.url: str = ""
        self.port: int = 0
        self.workdir: Path | None = None
        self.process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "readyscore.demo", "--preset", self.preset, "--port", "0"]
        for key, value in self.overrides.items():
            cmd += ["--set", _override_arg(key, value)]
        return cmd

    def environment(self) -> dict[str, str]:
        assert self.workdir is not None
        env = dict(os.environ)
        # The child must import this very readyscore, installed or not.
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
        env[API_KEY_ENV] = self.api_key
        env[DB_PATH_ENV] = str(self.workdir / "demo.db")
        env[AUDIT_LOG_ENV] = str(self.workdir / "audit.jsonl")
        env["PYTHONUNBUFFERED"] = "1"
        env["READYSCORE_DEMO_PARENT_PID"] = str(os.getpid())  # the child stops itself if we die
        env.update(self.extra_env)
        return env

    def start(self) -> Self:
        if self.process is not None:
            raise DemoServerError("already started")
        self.workdir = Path(tempfile.mkdtemp(prefix="readyscore-demo-"))
        self._stderr = (self.workdir / "stderr.log").open("w+", encoding="utf-8")
        try:
            self.process = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=self._stderr,
                                            stdin=subprocess.DEVNULL, env=self.environment(), text=True,
                                            start_new_session=True)
            _RUNNING.add(self)
            self.url = self._wait_for_listening()
            self.port = int(self.url.rsplit(":", 1)[1])
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_listening(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        stdout = self.process.stdout

        def read() -> None:  # also keeps draining stdout afterwards so the child never blocks on it
            for line in stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, name="demo-server-stdout", daemon=True).start()
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DemoServerError(f"the demo service did not start within {self.start_timeout_s:g} s"
                                      + self._stderr_tail())
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self.process.poll() is not None:
                    raise DemoServerError(f"the demo service exited with {self.process.returncode}"
                                          + self._stderr_tail()) from None
                continue
            if line is None:
                self.process.wait(timeout=5)
                raise DemoServerError(f"the demo service exited with {self.process.returncode}"
                                      + self._stderr_tail())
            if line.startswith(LISTENING):
                return line.split()[1].strip()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            _terminate(process, self.stop_grace_s)
            if process.stdout:
                process.stdout.close()
        _RUNNING.discard(self)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- conveniences ---------------------------------------------------------------------------

    @property
    def settings(self) -> DemoSettings:
        """The settings the service runs with (the preset plus the overrides)."""
        return PRESETS[self.preset].with_overrides(self.overrides)

    @property
    def tree(self) -> Path:
        """The preset's source tree, for the static and deploy checks."""
        return preset_tree(self.preset)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def logs(self) -> str:
        """What the service wrote to stderr so far."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        return Path(self._stderr.name).read_text(encoding="utf-8", errors="replace")

    def _stderr_tail(self, lines: int = 20) -> str:
        tail = "\n".join(self.logs().splitlines()[-lines:])
        return f"; its stderr ends with:\n{tail}" if tail else ""


def _terminate(process: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM to the child's process group, SIGKILL if it has not gone after `grace_s`."""
    if process.poll() is not None:
        return
    try:
        group = os.getpgid(process.pid)
    except ProcessLookupError:
        group = None
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            if group is not None and group != os.getpgid(0):
                os.killpg(group, sig)
            else:
                process.send_signal(sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()
