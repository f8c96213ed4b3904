"""Statistics from records, outcome classes, capacity plan and sweep knee (pure functions)."""

from __future__ import annotations

import pytest

from readyscore.executors.load import capacity, stats
from readyscore.executors.load.plan import load_refusal, main_stages, plan_document, sweep_stages
from readyscore.settings.live import LiveSettings
from readyscore.settings.load import LoadSettings


def rec(t, e2e=0.5, ttft=0.1, n=5, ok=True, status=200, stage="normal", **extra):
    return {"id": f"r{t}-{e2e}-{status}", "stage": stage, "t": t, "e2e": e2e if ok else None, "end": e2e,
            "ttft": ttft if ok else None, "n": n, "ok": ok, "status": status, "stream": True, "src": "usage",
            "gaps_us": [100_000] * (n - 1) if ok else [], **extra}


def test_percentiles_are_linear_like_numpy():
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert stats.percentile(values, 50) == 3.0
    assert stats.percentile(values, 90) == pytest.approx(7.6)  # numpy.percentile(values, 90)
    assert stats.percentile(values, 95) == pytest.approx(8.8)
    assert stats.percentile([5.0], 99) == 5.0 and stats.percentile([], 50) is None


def test_stage_window_drops_warmup_and_rates_count_completions_per_second():
    records = [rec(100.0 + 0.5 * i) for i in range(20)]  # one send every 0.5 s for 10 s, 0.5 s each
    out = stats.stage_stats(records, stats.Slo(), planned_s=10.0, skip_s=2.0)
    assert out["window_s"] == pytest.approx(8.0)
    assert out["requests"] == 16  # sends at 102.0 .. 109.5
    assert out["request_throughput_rps"] == pytest.approx(2.0)
    assert out["e2e_latency_ms"]["p50"] == pytest.approx(500.0)
    assert out["ttft_ms"]["p50"] == pytest.approx(100.0)
    assert out["itl_ms"]["n"] == 16 * 4 and out["itl_ms"]["p95"] == pytest.approx(100.0)
    assert out["tpot_ms"]["mean"] == pytest.approx(100.0)  # (0.5 - 0.1) / (5 - 1)
    assert out["mean_concurrency"] == pytest.approx(1.0)  # Little: 2 req/s x 0.5 s
    assert out["goodput_rps"] == pytest.approx(2.0) and out["slo_attainment"] == 1.0


def test_goodput_counts_only_requests_meeting_every_slo():
    records = [rec(100.0 + i * 0.1, e2e=0.5) for i in range(10)] + [rec(100.05 + i * 0.1, e2e=4.0) for i in range(10)]
    out = stats.stage_stats(records, stats.Slo(e2e_ms=3000.0), planned_s=5.0)
    assert out["slo_attainment"] == pytest.approx(0.5)
    slow_ttft = stats.stage_stats([rec(100.0, ttft=2.0, e2e=2.5)], stats.Slo(ttft_ms=1000.0), planned_s=5.0)
    assert slow_ttft["slo_attainment"] == 0.0


def test_outcome_classes_separate_polite_shedding_from_bad_failures():
    assert stats.is_throttled(rec(1, ok=False, status=429))
    assert stats.is_throttled(rec(1, ok=False, status=503, retry_after="1"))
    assert not stats.is_throttled(rec(1, ok=False, status=503)) and stats.is_bad(rec(1, ok=False, status=503))
    assert stats.is_bad(rec(1, ok=False, status=500)) and stats.is_bad(rec(1, ok=False, status=None, kind="timeout"))
    assert not stats.is_bad(rec(1))
    # Any other status is bad too: a 404 or 401 under load is not shedding it (issue 16).
    assert stats.is_bad(rec(1, ok=False, status=401)) and stats.is_bad(rec(1, ok=False, status=404))


def test_a_failed_request_ranks_slower_than_any_answer():
    # 100 answers of 100 ms: the p95 is an answer.
    assert stats.percentile_with_failures([100.0] * 100, 0, 95) == (100.0, False)
    # Linear interpolation at position 94.05 of 100 needs ranks 94 and 95: 4 failures leave both
    # answers, 5 put a failure into the p95.
    assert stats.percentile_with_failures([100.0] * 96, 4, 95) == (100.0, False)
    assert stats.percentile_with_failures([100.0] * 95, 5, 95) == (None, True)
    # 98% failures: the 2% that survived are no latency.
    assert stats.percentile_with_failures([50.0] * 2, 98, 95) == (None, True)
    assert stats.percentile_with_failures([], 0, 95) == (None, False)
    stage = stats.stage_stats([rec(100.0 + i / 100, e2e=0.1) for i in range(2)]
                              + [rec(100.5 + i / 100, ok=False, status=500, e2e=0.01) for i in range(98)],
                              stats.Slo(), planned_s=5.0)
    assert stage["e2e_latency_ms"]["p95"] == 100.0  # the survivors alone look fine ...
    assert stage["e2e_p95_is_failure"] and stage["e2e_p95_with_failures_ms"] is None  # ... the sample does not
    assert stage["over_e2e_slo"] == 98


def test_interrupted_and_malformed_records_stay_out_of_the_statistics():
    records = [rec(100.0), rec(100.1, interrupted=True), {"stage": "normal", "t": "x"}, {"t": 1.0},
               {"stage": "normal", "t": 100.2, "end": float("nan")}, rec(100.3, e2e=-1.0),
               {**rec(100.4), "e2e": float("inf")}]
    valid = stats.valid_records(records)
    assert len(valid) == 3 and valid[-1]["e2e"] is None  # a nonsense latency is dropped, not believed
    out = stats.stage_stats(valid, stats.Slo(), planned_s=5.0)
    assert out["interrupted"] == 1 and out["requests"] == 2 and out["e2e_latency_ms"]["n"] == 1


def test_time_series_and_histogram_shapes():
    records = [rec(100.0 + 0.25 * i, e2e=0.2 + 0.01 * i) for i in range(20)]
    series = stats.time_series(records, origin=100.0)
    assert [p["t"] for p in series] == list(range(len(series))) and sum(p["requests"] for p in series) == 20
    hist = stats.histogram([100.0 + i for i in range(50)], bins=10)
    assert len(hist["counts"]) == 10 and sum(hist["counts"]) == 50 and hist["edges_ms"][0] == 100.0
    assert stats.histogram([]) == {"edges_ms": [], "counts": []}


def test_capacity_formula_matches_the_worked_examples():
    # One request per worker (C* = 1): Q=20 rps, L=0.3 s, U=0.6 -> 10 workers.
    assert capacity.replicas_needed(20, 0.3, 0.6, 1)["replicas"] == 10
    # A batching replica: Q=5 rps, L=8 s -> 40 streams; C*=32, U=0.75 -> 1.67 -> 2 replicas.
    plan = capacity.replicas_needed(5, 8.0, 0.75, 32)
    assert plan["replicas_exact"] == pytest.approx(1.667, abs=1e-3) and plan["replicas"] == 2


def test_capacity_plan_needs_a_load_that_met_the_slos():
    normal = {"mean_concurrency": 4.0, "e2e_latency_ms": {"mean": 500.0}}
    met = capacity.capacity_plan(normal, target_rps=10, utilization=0.5, configured_concurrency=None, knee=None,
                                 normal_met_slo=True)
    assert met["replicas"] == 3 and "lower bound" in met["source"]  # 10*0.5/(0.5*4) = 2.5
    missed = capacity.capacity_plan(normal, target_rps=10, utilization=0.5, configured_concurrency=None,
                                    knee=None, normal_met_slo=False)
    assert missed["replicas"] is None and "C*" in missed["reason"]


def test_sweep_knee_and_saturation():
    def step(users, rps, attainment):
        return {"users": users, "requests": 50, "request_throughput_rps": rps, "slo_attainment": attainment,
                "mean_concurrency": float(users), "e2e_latency_ms": {"mean": 1000.0 * users / rps}}

    steps = [step(1, 5, 1.0), step(2, 10, 1.0), step(4, 19, 0.97), step(8, 20, 0.6), step(16, 20, 0.1)]
    knee = capacity.sweep_knee(steps, 0.9)
    assert knee["knee_users"] == 4 and knee["saturation_users"] == 8
    assert "attainment" in knee["saturation_reason"]
    flat = capacity.sweep_knee([step(1, 5, 1.0), step(2, 5.2, 1.0)], 0.9)
    assert flat["saturation_users"] == 2 and "stopped growing" in flat["saturation_reason"]
    hopeless = capacity.sweep_knee([step(1, 1, 0.2), step(2, 1, 0.1)], 0.9)
    assert hopeless["knee_users"] is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:80",
                                 "https://127.9.9.9", "http://api.localhost:9"])
def test_loopback_targets_may_be_loaded(url):
    assert load_refusal(url, []) is None


@pytest.mark.parametrize("url", ["http://10.0.0.5:8000", "https://api.example.com", "http://localhost.evil.com"])
def test_other_targets_are_refused_unless_named(url):
    reason = load_refusal(url, [])
    assert reason and "--allow-load-on" in reason
    host = url.split("//")[1].split(":")[0]
    assert load_refusal(url, [host]) is None
    assert load_refusal(url, ["other.example.com"]) is not None


def test_plan_stages_follow_the_settings_and_carry_no_secret():
    load = LoadSettings(users=3, duration_s=4, overload={"users_factor": 4, "duration_s": 2, "recovery_s": 3})
    stages = main_stages(load)
    assert [(s.name, s.users, s.duration_s) for s in stages] == [("normal", 3, 4), ("overload", 12, 2),
                                                                  ("recovery", 3, 3)]
    document = plan_document(stages, load, LiveSettings(), "/tmp/x")
    assert [s["end_s"] for s in document["stages"]] == [4, 6, 9]
    assert document["api_key_env"] == "READYSCORE_LOAD_API_KEY" and "key" not in str(document["stages"])
    assert not document["stages"][1]["honour_retry_after"] and document["stages"][2]["honour_retry_after"]
    # The normal stage ends on its minimum sample (plus the requests in flight when the warm-up
    # ends), or at its bound; the others run their length.
    assert document["stages"][0]["min_requests"] == load.min_sample + load.users
    assert document["stages"][0]["warmup_s"] == load.warmup_s and document["stages"][1]["min_requests"] == 0
    no_overload = main_stages(LoadSettings(overload={"enabled": False}))
    assert [s.name for s in no_overload] == ["normal"]
    assert [s.users for s in sweep_stages(LoadSettings())] == [1, 2, 4, 8, 16, 32]


@pytest.mark.parametrize("bad", [{"users": 0}, {"users": 5000}, {"duration_s": 99999}, {"warmup_s": 40},
                                 {"min_sample": 0},
                                 {"wait_s": [2, 1]}, {"mix": {"max_tokens": [0]}}, {"mix": {"stream_share": 2}},
                                 {"sweep": {"users": [4, 2]}}, {"surprise": 1}, {"slo": {"e2e_p95_ms": -1}}])
def test_unsafe_or_unknown_load_settings_are_rejected(bad):
    with pytest.raises(ValueError):
        LoadSettings.model_validate(bad)
