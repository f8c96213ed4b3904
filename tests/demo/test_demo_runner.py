"""`python -m readyscore.demo` and `DemoServer`: the LISTENING line, loopback only, strict options,
and no process or file left behind — also when the block raises."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from demo_helpers import CLIENT

from readyscore.demo import serve
from readyscore.demo.runner import DemoServer, DemoServerError

ROOT = Path(__file__).resolve().parents[2]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie is gone in all but name: it runs nothing and holds no port.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" in status.read_text()


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """serve.main in this process: argument errors return before anything is imported or bound."""
    code = serve.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_server_serves_and_leaves_nothing_behind():
    with DemoServer("level2", overrides={"ttft_ms": 1}) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert server.api_key.startswith("rsk-demo-")
        pid, workdir = server.pid, server.workdir
        answer = CLIENT.get(server.url + "/v1/models", headers=server.auth_headers)
        assert answer.status_code == 200
        assert (workdir / "demo.db").exists()
        assert server.settings.require_auth and server.settings.ttft_ms == 1
        assert (server.tree / "app" / "main.py").is_file()
    assert gone(pid)
    assert not workdir.exists()
    assert server.process is None


def test_demo_server_stops_when_the_block_raises():
    with pytest.raises(KeyboardInterrupt), DemoServer("level1") as server:
        pid = server.pid
        raise KeyboardInterrupt
    assert gone(pid)


def test_a_child_that_ignores_sigterm_is_killed():
    server = DemoServer("level1", stop_grace_s=0.5).start()
    pid = server.pid
    os.kill(pid, signal.SIGSTOP)  # a stopped process cannot handle SIGTERM
    started = time.monotonic()
    server.stop()
    assert gone(pid)
    assert time.monotonic() - started < 10


def test_the_module_prints_one_listening_line_and_stops_on_sigterm():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "readyscore.demo", "--preset", "level1", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                               start_new_session=True)
    try:
        line = process.stdout.readline()
        assert re.fullmatch(r"READYSCORE_DEMO_LISTENING http://127\.0\.0\.1:\d+\n", line), line
        url = line.split()[1]
        assert CLIENT.get(url + "/health").json() == {"status": "ok"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.com"])
def test_public_hosts_are_refused_without_allow_public(capsys, host):
    code, out, err = run_main(capsys, "--host", host, "--preset", "level1")
    assert code == 2
    assert "--allow-public" in err
    assert "LISTENING" not in out


@pytest.mark.parametrize("override, message", [("no_such_switch=1", "unknown setting"),
                                                ("ttft_ms=-5", "invalid settings"),
                                                ("ttft_ms", "expected key=value")])
def test_bad_overrides_are_refused(capsys, override, message):
    code, _, err = run_main(capsys, "--set", override)
    assert code == 2
    assert message in err


def test_auth_without_a_key_is_refused_before_anything_starts(capsys, monkeypatch):
    monkeypatch.delenv("READYSCORE_DEMO_API_KEY", raising=False)
    code, out, err = run_main(capsys, "--preset", "level2")
    assert code == 2
    assert "refusing to start" in err and "LISTENING" not in out


def test_a_start_that_fails_raises_with_the_childs_stderr():
    with pytest.raises(DemoServerError, match="exited with 2") as caught:
        DemoServer("level3", overrides={"ttft_ms": -1}).start()
    assert "invalid settings" in str(caught.value)


def test_unknown_presets_are_refused_before_starting():
    with pytest.raises(ValueError, match="unknown preset"):
        DemoServer("level9")


def test_the_service_stops_itself_when_its_parent_is_killed():
    script = ("import sys, time\n"
              "from readyscore.demo.runner import DemoServer\n"
              "server = DemoServer('level1').start()\n"
              "print(server.pid, flush=True)\n"
              "time.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    try:
        child = int(parent.stdout.readline())
        parent.kill()  # no atexit, no cleanup: only the child's own watch can stop it
        parent.wait(timeout=5)
        deadline = time.monotonic() + 10
        while not gone(child) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert gone(child)
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.stdout.close()
