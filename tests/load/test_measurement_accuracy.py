"""What the Locust user measures against servers whose timings are known (real subprocesses).

Tolerances are wide enough for a noisy 2-core machine; bench/load_accuracy.py holds the tight
figures (within 3%).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from loadtools import measure

from readyscore.executors.load import stats
from bench.timed_server import ServerBehaviour

pytestmark = pytest.mark.slow

T, D, N = 0.2, 0.02, 20


def normal_stats(run, seconds: float, warmup: float = 0.5):
    return stats.stage_stats(stats.valid_records(run.records), stats.Slo(), seconds, warmup)


def test_reported_ttft_itl_tpot_and_e2e_match_the_injected_delays(tmp_path):
    run = measure(ServerBehaviour(ttft_s=T, token_delay_s=D, tokens=N), tmp_path, users=4, seconds=3.0)
    out = normal_stats(run, 3.0)
    assert out["errors"] == 0 and out["ok"] >= 8
    assert out["ttft_ms"]["p50"] == pytest.approx(1000 * T, rel=0.10)
    assert out["itl_ms"]["p50"] == pytest.approx(1000 * D, rel=0.10)
    assert out["tpot_ms"]["mean"] == pytest.approx(1000 * D, rel=0.10)
    assert out["e2e_latency_ms"]["p50"] == pytest.approx(1000 * (T + (N - 1) * D), rel=0.10)
    assert out["token_count_source"] == "usage"
    assert all(r["n"] == N for r in run.records if r.get("ok"))
    # Closed loop with no think time: 4 requests always in flight, and by Little's law a rate of
    # 4 / latency (a 2.5 s window holds only ~4 completions per user, hence the wide tolerance).
    assert out["mean_concurrency"] == pytest.approx(4.0, rel=0.10)
    assert out["request_throughput_rps"] == pytest.approx(4.0 / (out["e2e_latency_ms"]["mean"] / 1000), rel=0.25)
    # One Locust event per LLM request: Locust's count equals ours.
    assert run.locust_totals["requests"] == len(run.records)


VARIANTS = {
    # A role chunk sent on acceptance, ": ping" comments and empty chunks between tokens, and every
    # event cut in two TCP writes inside its chunk framing.
    "noisy_stream": ServerBehaviour(ttft_s=0.1, token_delay_s=0.01, tokens=12, role_chunk_early=True,
                                    keepalive_comments=True, empty_chunks=True, split_writes=True),
    # A body ended by closing the connection, with no usage chunk and no [DONE] (finish_reason only).
    "bare_stream": ServerBehaviour(ttft_s=0.1, token_delay_s=0.01, tokens=12, close_delimited=True,
                                   usage_chunk=False, send_done=False),
    "four_tokens_per_event": ServerBehaviour(ttft_s=0.1, token_delay_s=0.02, tokens=12, tokens_per_event=4),
    "error_event": ServerBehaviour(ttft_s=0.1, token_delay_s=0.01, tokens=12, error_event_after=3),
}


@pytest.fixture(scope="module")
def variant_runs(tmp_path_factory):
    def one(item):
        name, behaviour = item
        return name, measure(behaviour, tmp_path_factory.mktemp(name), users=2, seconds=2.0)

    with ThreadPoolExecutor(len(VARIANTS)) as pool:
        return dict(pool.map(one, VARIANTS.items()))


@pytest.mark.parametrize("name", ["noisy_stream", "bare_stream"])
def test_stream_shapes_that_fool_other_tools_do_not_move_ttft_or_itl(variant_runs, name):
    out = normal_stats(variant_runs[name], 2.0, warmup=0.0)
    assert out["errors"] == 0 and out["ok"] >= 2, out["errors_by_kind"]
    assert out["ttft_ms"]["p50"] == pytest.approx(100, rel=0.25)  # not the early role chunk, not the body's end
    assert out["itl_ms"]["p50"] == pytest.approx(10, rel=0.25)  # no fake zero gaps from empty chunks
    assert out["e2e_latency_ms"]["p50"] == pytest.approx(100 + 11 * 10, rel=0.25)


def test_several_tokens_per_event_keep_tpot_right_while_itl_follows_the_events(variant_runs):
    out = normal_stats(variant_runs["four_tokens_per_event"], 2.0, warmup=0.0)
    assert out["errors"] == 0
    # The server sends tokens 0-3 together when token 3 is due (T + 3D), then 4 more every 4D.
    assert out["ttft_ms"]["p50"] == pytest.approx(100 + 3 * 20, rel=0.25)
    assert out["itl_ms"]["p50"] == pytest.approx(80, rel=0.25)  # one gap per event: 4 tokens apart
    # TPOT counts tokens from usage (12), not events (3): (T+11D - (T+3D)) / 11, not 80 ms.
    assert out["tpot_ms"]["mean"] == pytest.approx(160 / 11, rel=0.25)
    assert out["token_count_source"] == "usage"


def test_without_usage_tokens_are_counted_from_events_and_the_report_says_so(variant_runs):
    out = normal_stats(variant_runs["bare_stream"], 2.0, warmup=0.0)
    assert out["token_count_source"] == "events"
    assert all(r["n"] == 12 for r in variant_runs["bare_stream"].records if r.get("ok"))
    assert normal_stats(variant_runs["noisy_stream"], 2.0, warmup=0.0)["token_count_source"] == "usage"


def test_an_error_event_inside_a_200_stream_fails_the_request(variant_runs):
    run = variant_runs["error_event"]
    assert run.records and not any(r.get("ok") for r in run.records)
    assert {r["kind"] for r in run.records} == {"stream_error"}
    assert "model crashed" in run.records[0]["error"]
