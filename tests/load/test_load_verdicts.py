"""Load verdicts need load (issue 16): a minimum sample per verdict, failures counted as slower
than any SLO, overload judged on every status, and a 404 on the chat path read as a configuration
error. Whole audits with real Locust against purpose-built servers on loopback (load_targets)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from load_targets import LoadTarget
from loadtools import audit_load, statuses

pytestmark = pytest.mark.slow

JUDGED = ["load-latency-p95", "load-ttft-p95", "load-error-rate", "load-overload-behaviour", "load-recovery",
          "load-capacity-plan", "load-saturation"]


@pytest.fixture(scope="module")
def reports():
    """Each fault audited once, side by side (the verdicts below do not depend on fine timing)."""
    jobs = {
        "mostly_500": ("mostly_500", {}),
        "not_found": ("not_found", {}),
        "refuse_all": ("refuse_all", {}),
        "shed_503": ("shed_503", {}),
        # A healthy server, but a minimum sample the 6 s bound cannot reach.
        "thin": ("ok", {"min_sample": 100_000, "overload": {"enabled": False}}),
        # A healthy server that the overload stage does not overload (a generous SLO keeps a busy
        # machine from turning it into queueing): shedding is never exercised.
        "absorbs": ("ok", {"slo": {"e2e_p95_ms": 30_000}}),
    }
    with ThreadPoolExecutor(len(jobs)) as pool:
        targets = {name: LoadTarget(mode).__enter__() for name, (mode, _) in jobs.items()}
        try:
            futures = {name: pool.submit(audit_load, targets[name].url, load=load)
                       for name, (_, load) in jobs.items()}
            return {name: future.result() for name, future in futures.items()}
        finally:
            for target in targets.values():
                target.__exit__(None, None, None)


def test_98_percent_of_500s_fail_the_error_rate_and_pass_no_latency(reports):
    report = reports["mostly_500"]
    got = statuses(report)
    assert got["load-error-rate"] == "fail", report.result("load-error-rate").message
    for check in ("load-latency-p95", "load-ttft-p95", "load-overload-behaviour", "load-recovery"):
        assert got[check] != "pass", (check, report.result(check).message)
    normal = report.sections["load"]["stages"]["normal"]
    # The 2% that survived are fast: judged alone they would meet the SLO ...
    assert normal["ok"] > 0 and normal["e2e_latency_ms"]["p95"] < 1000
    # ... but a failed request counts as slower than any SLO, so the p95 is a failure.
    assert normal["e2e_p95_is_failure"] and got["load-latency-p95"] == "fail"
    assert "counts as slower than any SLO" in report.result("load-latency-p95").message


def test_a_404_on_every_request_is_a_configuration_error_and_nothing_passes(reports):
    report = reports["not_found"]
    got = statuses(report)
    assert not [c for c in JUDGED if got[c] == "pass"], got
    for check in JUDGED[:5]:
        result = report.result(check)
        assert result.status.value == "not_evaluated", (check, result.message)
        assert "live.chat_path" in result.message and "HTTP 404" in result.message


def test_a_service_refusing_every_chat_request_passes_no_load_check(reports):
    got = statuses(reports["refuse_all"])
    assert not [c for c in JUDGED if got[c] == "pass"], got
    assert got["load-overload-behaviour"] == "fail"  # a 400 under overload is not shedding load


def test_overload_answered_with_503_and_retry_after_passes(reports):
    report = reports["shed_503"]
    overload = report.result("load-overload-behaviour")
    assert overload.status.value == "pass", overload.message
    stage = report.sections["load"]["stages"]["overload"]
    assert stage["shed"] > 0 and stage["shed_with_retry_after"] == stage["shed"] and stage["bad"] == 0
    assert "503" in stage["status_counts"]


def test_an_overload_stage_that_overloads_nothing_judges_neither_shedding_nor_recovery(reports):
    """Absorbing the overload stage within the SLO is no evidence of shedding: the limiter could be
    absent and the result would be the same. Both checks say why they were not judged."""
    report = reports["absorbs"]
    stage = report.sections["load"]["stages"]["overload"]
    assert stage["requests"] > 0 and stage["shed"] == 0 and stage["bad"] == 0, stage
    for check in ("load-overload-behaviour", "load-recovery"):
        result = report.result(check)
        assert result.status.value == "not_evaluated", (check, result.message)
        assert "did not overload the service" in result.message and "--sweep" in result.message
    assert statuses(report)["load-error-rate"] == "pass"  # the rest of the run is judged as usual


def test_below_the_minimum_sample_nothing_is_judged_and_the_count_is_named(reports):
    report = reports["thin"]
    normal = report.sections["load"]["stages"]["normal"]
    assert 0 < normal["requests"] < 100_000 and normal["min_sample"] == 100_000
    for check in ("load-latency-p95", "load-ttft-p95", "load-error-rate"):
        result = report.result(check)
        assert result.status.value == "not_evaluated", (check, result.message)
        assert "load.min_sample" in result.message and "100000" in result.message
    capacity = report.result("load-capacity-plan")
    # The plan is still shown as a figure with its inputs, but not scored.
    assert capacity.status.value == "not_evaluated" and "figures only" in capacity.message
    assert report.sections["load"]["capacity"]["rests_on"]["requests"] == normal["requests"]


def test_the_normal_stage_ends_once_it_has_its_sample():
    with LoadTarget("ok") as target:
        report = audit_load(target.url, load={"duration_s": 30, "min_sample": 40, "overload": {"enabled": False}})
    normal = report.sections["load"]["stages"]["normal"]
    assert normal["requests"] >= 40, normal
    assert normal["planned_s"] < 15, "it stopped on the sample, well before its 30 s bound"
    assert statuses(report)["load-latency-p95"] == "pass", report.result("load-latency-p95").message
