"""Whole audits of the load source against real loopback servers: healthy, down, garbage, queueing,
failing mid-run, refused, swept over two Locust processes, and run as master with a worker.
(Ctrl-C is tested from the command line in test_load_cli.py.)"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from load_targets import LoadTarget
from loadtools import audit_load, statuses

from readyscore.executors.load.runner import LOCUSTFILE
from bench.timed_server import ServerBehaviour, TimedSseServer
from readyscore.reporters.html import HtmlReporter
from readyscore.report import Report

pytestmark = pytest.mark.slow

SCORED = ["load-latency-p95", "load-ttft-p95", "load-error-rate", "load-overload-behaviour", "load-recovery",
          "load-capacity-plan"]


def test_a_healthy_service_that_sheds_load_passes_every_load_check(fast_server, monkeypatch):
    monkeypatch.setenv("READYSCORE_TEST_KEY", "sk-test-abcdefghijklmnop-secret")
    report = audit_load(fast_server.url, api_key_env="READYSCORE_TEST_KEY")
    got = statuses(report)
    assert all(got[c] == "pass" for c in SCORED), {c: (got[c], report.result(c).message) for c in SCORED
                                                   if got[c] != "pass"}
    assert got["load-saturation"] == "not_evaluated"  # only with --sweep
    section = report.sections["load"]
    normal, overload = section["stages"]["normal"], section["stages"]["overload"]
    assert normal["error_rate"] == 0 and normal["ttft_ms"]["p50"] == pytest.approx(50, rel=0.5)
    assert overload["shed"] > 0 and overload["shed_with_retry_after"] == overload["shed"]
    # Nothing lost between Locust and us: one Locust event per finished request.
    assert section["records"] - section["interrupted"] == section["locust"]["requests"]
    assert section["percentile_method"] == "linear" and section["itl_convention"] == "per_gap_pooled"
    # The report round-trips through its JSON contract and renders the charts inline, no CDN.
    again = Report.model_validate_json(report.model_dump_json())
    html = HtmlReporter().render(again)
    for chart in ("load-chart-latency", "load-chart-rate", "load-chart-ttft", "load-capacity"):
        assert f'id="{chart}"' in html
    assert "http://" not in html.split('<h2 id="load">')[1].split("<h2>Checks</h2>")[0]
    assert "abcdefghijklmnop" not in report.model_dump_json() + html  # the key never reaches the report


@pytest.fixture(scope="module")
def broken_reports():
    """Down, garbage, failing-mid-run and queueing targets, audited side by side (the verdicts
    these tests check do not depend on fine timing)."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    down_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()  # nothing listens there now
    queueing = ServerBehaviour(ttft_s=0.05, token_delay_s=0.01, max_concurrent=4)  # queues, never refuses
    # Healthy under the normal load; the overload breaks it for good (500 to everything after).
    with TimedSseServer(ServerBehaviour(garbage=True)) as garbage, \
            LoadTarget("breaks_under_overload", max_in_flight=8) as failing, \
            TimedSseServer(queueing) as slow:
        jobs = {"down": (down_url, None), "garbage": (garbage.url, None), "failing": (failing.url, None),
                "queueing": (slow.url, {"slo": {"e2e_p95_ms": 400}})}
        with ThreadPoolExecutor(len(jobs)) as pool:
            futures = {name: pool.submit(audit_load, url, load=load) for name, (url, load) in jobs.items()}
            return {name: future.result() for name, future in futures.items()}


def test_a_target_that_is_down_fails_the_load_checks_and_the_audit_still_reports(broken_reports):
    report = broken_reports["down"]
    got = statuses(report)
    assert got["load-error-rate"] == "fail" and got["load-latency-p95"] == "fail"
    assert "connection" in report.result("load-error-rate").message
    assert report.sections["load"]["stages"]["normal"]["requests"] > 0  # the statistics gathered are kept
    html = HtmlReporter().render(report)
    assert 'id="load-stages"' in html and "No capacity plan" in html


def test_garbage_answers_are_errors_not_passes(broken_reports):
    report = broken_reports["garbage"]
    got = statuses(report)
    assert got["load-error-rate"] == "fail" and got["load-ttft-p95"] == "fail"
    assert "invalid" in report.result("load-error-rate").message


def test_a_service_failing_mid_run_fails_overload_and_recovery(broken_reports):
    report = broken_reports["failing"]
    got = statuses(report)
    assert got["load-overload-behaviour"] == "fail" and got["load-recovery"] == "fail"
    assert "http_5xx" in report.result("load-overload-behaviour").message
    normal = report.sections["load"]["stages"]["normal"]
    assert normal["ok"] > 0  # it served before it broke, and the report shows both


def test_a_service_that_queues_instead_of_shedding_is_partial(broken_reports):
    report = broken_reports["queueing"]
    got = statuses(report)
    assert got["load-latency-p95"] == "pass"  # 4 users fit the 4 slots
    assert got["load-overload-behaviour"] == "partial", report.result("load-overload-behaviour").message
    assert "queued" in report.result("load-overload-behaviour").message


def test_non_loopback_targets_are_refused_without_sending_anything():
    started = time.monotonic()
    report = audit_load("http://192.0.2.10:8000")  # TEST-NET-1: never routed
    assert time.monotonic() - started < 10
    for check in SCORED:
        result = report.result(check)
        assert result.status.value == "not_evaluated" and "--allow-load-on 192.0.2.10" in result.message
    assert "load" not in report.sections


def test_sweep_on_two_locust_processes_finds_the_knee():
    # One request at a time, 150 ms each: the rate cannot grow past ~7 req/s, and 8 users queue to
    # about 1.2 s, past the 500 ms SLO (margins sized for a busy 2-core machine).
    with TimedSseServer(ServerBehaviour(ttft_s=0.05, token_delay_s=0.025, tokens=5, max_concurrent=1)) as server:
        report = audit_load(server.url, processes=2, sweep=True,
                            load={"duration_s": 1, "warmup_s": 0.5, "overload": {"enabled": False}, "min_sample": 5,
                                  "slo": {"e2e_p95_ms": 500}, "mix": {"prompt_words": [8], "max_tokens": [5]},
                                  "sweep": {"users": [1, 8], "step_s": 3, "attainment": 0.8}})
    got = statuses(report)
    assert got["load-saturation"] == "pass", report.result("load-saturation").message  # says why, when not
    sweep = report.sections["load"]["sweep"]
    assert sweep["saturation_users"] == 8 and sweep["knee_users"] == 1, sweep
    assert got["load-overload-behaviour"] == "not_evaluated"
    assert report.sections["load"]["client"]["writers"] == 2  # two Locust worker processes sent load
    assert "sweep's knee" in report.sections["load"]["capacity"]["source"]
    assert 'id="load-sweep"' in HtmlReporter().render(report)


def test_a_master_worker_run_reads_the_workers_records_back(fast_server):
    """readyscore runs the Locust master; a worker started separately (as on another machine)
    connects, loads the service and forwards its records to the master."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    worker = subprocess.Popen([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
                               "--master-host", "127.0.0.1", "--master-port", str(port), "--loglevel", "WARNING"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        report = audit_load(fast_server.url, load={
            "overload": {"enabled": False},
            "distributed": {"expect_workers": 1, "master_bind_port": port, "wait_for_workers_s": 30}})
        worker.wait(30)  # the master tells its workers to quit
    finally:
        if worker.poll() is None:
            worker.kill()
    section = report.sections["load"]
    assert statuses(report)["load-latency-p95"] == "pass", report.result("load-latency-p95").message
    assert section["plan"]["distributed_workers"] == 1
    assert section["stages"]["normal"]["ok"] > 0
    # Forwarded on Locust's worker reports: at most the last report can be late, never duplicated.
    assert 0 < section["records"] <= section["locust"]["requests"] + section["interrupted"]
