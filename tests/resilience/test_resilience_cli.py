"""The resilience options of `readyscore audit`, end to end in a subprocess: usage errors, the
checks when the run was not requested, a whole run against a service readyscore starts, and no
process left behind on any way out (a service that exits, one that never gets healthy, Ctrl-C
while the upstream hangs)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from readyscore.demo.resilience import DEMO_RESILIENCE_SETTINGS
from readyscore.demo.settings import API_KEY_ENV, UPSTREAM_URL_ENV, preset_tree

from resilience_helpers import API_KEY, processes_with_marker

RESILIENCE_CHECKS = {"resilience-timeouts", "resilience-retries-bounded", "resilience-backoff",
                     "resilience-upstream-429", "resilience-circuit-breaker", "resilience-fallback",
                     "resilience-stream-errors", "resilience-recovery"}
DEMO_CMD = f"{sys.executable} -m readyscore.demo --port {{port}} --preset"


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "readyscore", "audit", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def config(tmp_path: Path, **resilience) -> Path:
    path = tmp_path / "readyscore.yaml"
    path.write_text(yaml.safe_dump({"schema_version": 1, "resilience": {**DEMO_RESILIENCE_SETTINGS, **resilience}}))
    return path


def report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


@pytest.mark.parametrize("args, message", [
    (["--service-cmd", "true"], "--upstream-env NAME and --service-cmd"),
    (["--upstream-env", "OPENAI_BASE_URL"], "--upstream-env NAME and --service-cmd"),
    (["--upstream-listen", "127.0.0.1:notaport", "--url", "http://127.0.0.1:1"], "give HOST:PORT"),
    (["--upstream-listen", "127.0.0.1:9099"], "needs --url"),
    (["--upstream-listen", "127.0.0.1:9099", "--url", "http://127.0.0.1:1", "--service-cmd", "true",
      "--upstream-env", "X"], "already running"),
    (["--upstream-env", "1BAD", "--service-cmd", "true"], "not an environment variable name"),
])
def test_bad_resilience_options_are_usage_errors(tmp_path, args, message):
    proc = cli(str(preset_tree("level1")), "-o", str(tmp_path), "-q", *args, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_not_requested_means_not_evaluated_and_gates_fall_back_to_the_code(tmp_path):
    proc = cli(str(preset_tree("level4")), "--sources", "static,deploy,resilience", "-o", str(tmp_path), "-q",
               "-f", "json", timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = report(tmp_path)
    results = {r["check_id"]: r for r in data["results"]}
    for check in RESILIENCE_CHECKS:
        assert results[check]["status"] == "not_evaluated"
        assert "--upstream-env" in results[check]["message"] and "--upstream-listen" in results[check]["message"]
    gates = {g["id"]: g for g in data["gates"]}
    # first_of: without the run, the static evidence of the same control (timeouts, retries, the
    # tree's pybreaker breaker) decides ...
    for gate in ("upstream-timeouts", "upstream-retries-bounded", "upstream-throttling-honest",
                 "upstream-circuit-breaker"):
        assert gates[gate]["status"] == "met", gates[gate]
    assert results["static-cap-circuit-breaker"]["status"] == "pass"
    # ... and the fallback, which no file shows, waits for the run and says how to make it.
    assert gates["upstream-fallback"]["status"] == "pending", gates["upstream-fallback"]
    assert gates["upstream-fallback"]["pending_sources"] == ["resilience"]


def test_retries_in_the_code_never_meet_the_circuit_breaker_gate(tmp_path):
    """The level3 tree retries with backoff (tenacity) and has no breaker: without the run, the
    breaker gate is unmet on the code's evidence, not met by the retries."""
    proc = cli(str(preset_tree("level3")), "--sources", "static,deploy", "-o", str(tmp_path), "-q", "-f", "json",
               timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = report(tmp_path)
    results = {r["check_id"]: r for r in data["results"]}
    gates = {g["id"]: g for g in data["gates"]}
    assert results["static-cap-retries"]["status"] == "pass"
    assert results["static-cap-circuit-breaker"]["status"] == "fail"
    assert gates["upstream-retries-bounded"]["status"] == "met"
    assert gates["upstream-circuit-breaker"]["status"] == "unmet", gates["upstream-circuit-breaker"]
    assert "static-cap-circuit-breaker" in gates["upstream-circuit-breaker"]["blocking"]


@pytest.mark.slow
def test_a_whole_run_against_a_service_readyscore_starts(tmp_path):
    marker = f"RS_RESILIENCE_TEST_{uuid.uuid4().hex}"
    env = {marker: "1", API_KEY_ENV: API_KEY, "RS_TEST_KEY": API_KEY}
    proc = cli("--sources", "resilience", "--upstream-env", UPSTREAM_URL_ENV, "--service-cmd", f"{DEMO_CMD} level4",
               "--api-key-env", "RS_TEST_KEY", "--config", str(config(tmp_path)), "-o", str(tmp_path), "-q",
               "-f", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    data = report(tmp_path)
    statuses = {r["check_id"]: r["status"] for r in data["results"] if r["source"] == "resilience"}
    assert statuses == dict.fromkeys(RESILIENCE_CHECKS, "pass"), statuses
    section = data["sections"]["resilience"]
    assert section["upstream"].startswith("http://127.0.0.1:") and section["upstream_requests"] > 20
    assert [p["name"] for p in section["phases"]][0] == "healthy"
    assert not processes_with_marker(marker)


@pytest.mark.slow
def test_a_service_that_exits_or_never_gets_healthy_is_an_error_and_is_stopped(tmp_path):
    marker = f"RS_RESILIENCE_TEST_{uuid.uuid4().hex}"
    exits = cli("--sources", "resilience", "--upstream-env", "X_URL", "--service-cmd",
                f"{sys.executable} -c 'import sys; sys.exit(3)'", "-o", str(tmp_path), "-q", "-f", "json",
                "--config", str(config(tmp_path)), env={marker: "1"}, timeout=60)
    assert exits.returncode == 0, exits.stderr
    result = next(r for r in report(tmp_path)["results"] if r["check_id"] == "resilience-timeouts")
    assert result["status"] == "error" and "exited with code 3" in result["message"]

    # A service that never answers its health path (and has a child of its own) is stopped, group and all.
    silent = cli("--sources", "resilience", "--upstream-env", "X_URL", "--service-cmd", "sh -c 'sleep 300 & sleep 301'",
                 "-o", str(tmp_path), "-q", "-f", "json", "--config", str(config(tmp_path, start_timeout_s=2.0)),
                 env={marker: "1"}, timeout=60)
    assert silent.returncode == 0, silent.stderr
    result = next(r for r in report(tmp_path)["results"] if r["check_id"] == "resilience-recovery")
    assert result["status"] == "error" and "did not answer /health" in result["message"]
    assert not processes_with_marker(marker)


@pytest.mark.slow
def test_ctrl_c_during_the_hang_phase_leaves_no_process_behind(tmp_path):
    marker = f"RS_RESILIENCE_TEST_{uuid.uuid4().hex}"
    # level1 has no timeout: the hang phase holds the probe for the whole client bound (60 s here).
    settings = config(tmp_path, service_timeout_s=59.0, margin_s=1.0, hang_s=120.0, throttle_s=0.5,
                      breaker_max_requests=2, storm_clients=2)
    # The service starts a child of its own, which must go too (the whole process group is stopped).
    command = f"sh -c 'sleep 300 & exec {DEMO_CMD} level1'"
    process = subprocess.Popen(
        [sys.executable, "-m", "readyscore", "audit", "--sources", "resilience", "--upstream-env", UPSTREAM_URL_ENV,
         "--service-cmd", command, "--config", str(settings), "-o", str(tmp_path), "-q", "-f", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, marker: "1"})
    try:
        deadline = time.monotonic() + 60
        # Wait until the service and the upstream are up, and then for the phases before the hang.
        while time.monotonic() < deadline and len(processes_with_marker(marker)) < 4:
            time.sleep(0.2)
        assert len(processes_with_marker(marker)) >= 4, processes_with_marker(marker)
        time.sleep(10)  # baseline, errors, storm and throttle take a few seconds; the hang lasts 60
        assert process.poll() is None, "the run ended before the hang phase was interrupted"
        interrupted_at = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
        took = time.monotonic() - interrupted_at
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert took < 15, took
    results = {r["check_id"]: r for r in report(tmp_path)["results"]}
    assert results["resilience-timeouts"]["status"] == "not_evaluated"
    time.sleep(0.5)
    assert not processes_with_marker(marker), processes_with_marker(marker)
