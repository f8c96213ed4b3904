"""Ctrl-C during a load test from the command line: Locust stops, the partial statistics reach the
report, and no load generator outlives readyscore."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from bench.timed_server import ServerBehaviour, TimedSseServer

pytestmark = pytest.mark.slow


def test_ctrl_c_keeps_partial_load_statistics_and_leaves_no_locust_behind(tmp_path):
    config = tmp_path / "readyscore.yaml"
    config.write_text("schema_version: 1\nload:\n  duration_s: 60\n  min_sample: 100000\n  overload:\n    enabled: false\n")
    out = tmp_path / "out"
    with TimedSseServer(ServerBehaviour(ttft_s=0.05, token_delay_s=0.01)) as server:
        proc = subprocess.Popen([sys.executable, "-m", "readyscore", "audit", "--url", server.url, "--sources", "load",
                                 "--config", str(config), "-o", str(out), "-q", "--format", "json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while server.requests < 40 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=40)
        served_at_exit = server.requests
        time.sleep(1.5)
        assert server.requests == served_at_exit, "a Locust process kept loading the service after readyscore exited"
    assert proc.returncode == 130, stderr
    report = json.loads((out / "report.json").read_text())
    assert report["complete"] is False and report["incomplete_reason"] == "interrupted"
    load = report["sections"]["load"]
    assert load["stopped"] == "cancelled" and load["stages"]["normal"]["ok"] > 0
    # Interrupted long before its minimum sample: the figures are kept, the verdict is not given.
    latency = next(r for r in report["results"] if r["check_id"] == "load-latency-p95")
    assert latency["status"] == "not_evaluated" and "load.min_sample" in latency["message"]
