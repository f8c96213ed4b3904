"""The verdicts are pure functions of a run's record: the rules that the real-service twins cannot
easily reach (a phase that did not run, fixed delays without jitter, retries that outlive their
request), pinned on hand-made records."""

from __future__ import annotations

from readyscore.model import Status
from readyscore.resilience.probes import Observation
from readyscore.resilience.scenario import RunRecord
from readyscore.resilience.verdicts import VERDICTS, backoff, retries_bounded, timeouts
from readyscore.settings.resilience import ResilienceSettings


def record(**settings) -> RunRecord:
    return RunRecord(settings=ResilienceSettings(**settings), started=0.0)


def failing_request(run: RunRecord, tag: str, sent: float, attempt_times: list[float], answered: float) -> None:
    run.observations.append(Observation(phase="errors", tag=tag, stream=False, sent=sent, answered=answered,
                                        status=502, body='{"error": {"message": "upstream failed"}}'))
    for t in attempt_times:
        run.upstream.append({"t": t, "model_call": True, "tag": tag, "status": 500, "connection": "127.0.0.1:1"})


def test_an_interrupted_run_is_not_evaluated_never_passed():
    run = record()
    run.aborted = "the audit was interrupted"
    for name, judge in VERDICTS.items():
        assert judge(run).status in (Status.NOT_EVALUATED,), name


def test_a_phase_skipped_for_the_budget_says_so():
    run = record()
    run.skipped["hang"] = "the run's budget (60 s) was spent before this phase"
    judged = timeouts(run)
    assert judged.status == Status.NOT_EVALUATED and "budget" in judged.message


def test_a_run_that_could_not_start_is_an_error():
    run = record()
    run.aborted = "the service never called the fake upstream"
    assert retries_bounded(run).status == Status.ERROR


def test_fixed_delays_without_growth_or_jitter_are_partial():
    run = record()
    for i in range(3):
        base = 10.0 * i
        failing_request(run, f"t{i}", base, [base, base + 0.5, base + 1.0], base + 1.1)
    judged = backoff(run)
    assert judged.status == Status.PARTIAL and "do not grow" in judged.message and "no jitter" in judged.message


def test_growing_jittered_gaps_pass_and_back_to_back_fails():
    run = record()
    for i, (a, b) in enumerate([(0.21, 0.45), (0.28, 0.61), (0.36, 0.52)]):
        base = 10.0 * i
        failing_request(run, f"t{i}", base, [base, base + a, base + a + b], base + a + b + 0.1)
    assert backoff(run).status == Status.PASS
    storm = record()
    failing_request(storm, "s", 0.0, [0.0, 0.004, 0.009], 0.02)
    assert backoff(storm).status == Status.FAIL


def test_retries_that_outlive_the_request_fail_and_too_many_fail():
    late = record()
    failing_request(late, "x", 0.0, [0.0, 0.2, 2.0], 0.5)
    judged = retries_bounded(late)
    assert judged.status == Status.FAIL and "after the client already had its answer" in judged.message
    many = record(max_attempts=3)
    failing_request(many, "y", 0.0, [0.0, 0.1, 0.2, 0.3], 0.4)
    assert retries_bounded(many).status == Status.FAIL


def healthy_request(run: RunRecord, sent: float, elapsed: float) -> None:
    run.observations.append(Observation(phase="healthy", tag=f"h{sent}", stream=False, sent=sent,
                                        answered=sent + elapsed, status=200,
                                        body='{"choices": []}'))


def test_on_a_slow_machine_doubling_gaps_are_backoff_and_flat_ones_back_to_back():
    """A healthy round trip of 450 ms (a loaded machine): jittered gaps of about 0.2 s then 0.4 s
    still grow like backoff and pass; flat gaps of 0.2 s, 0.25 s are retries sent back-to-back."""
    backing_off, flat = record(), record()
    for run in (backing_off, flat):
        for i in range(3):
            healthy_request(run, 100.0 + i, 0.45)
    for i, (a, b) in enumerate([(0.15, 0.36), (0.22, 0.48), (0.26, 0.41)]):
        base = 10.0 * i
        failing_request(backing_off, f"t{i}", base, [base, base + a, base + a + b], base + a + b + 0.1)
    for i, (a, b) in enumerate([(0.2, 0.25), (0.22, 0.2), (0.18, 0.24)]):
        base = 10.0 * i
        failing_request(flat, f"f{i}", base, [base, base + a, base + a + b], base + a + b + 0.1)
    assert backoff(backing_off).status == Status.PASS
    judged = backoff(flat)
    assert judged.status == Status.FAIL and "back-to-back" in judged.message


def test_millisecond_noise_that_doubles_a_gap_is_still_back_to_back():
    """The CI failure of stop 28: ten attempts each a few ms apart, where the second gap happened to
    be twice the first. A ratio at that scale is noise; the storm is back-to-back and fails."""
    storm = record()
    for i, gaps in enumerate([(0.003, 0.007, 0.004, 0.005, 0.006, 0.004, 0.005, 0.004, 0.006),
                              (0.004, 0.009, 0.005, 0.004, 0.007, 0.005, 0.004, 0.006, 0.005)]):
        base, times = 10.0 * i, [10.0 * i]
        for gap in gaps:
            times.append(times[-1] + gap)
        failing_request(storm, f"s{i}", base, times, times[-1] + 0.01)
    judged = backoff(storm)
    assert judged.status == Status.FAIL and "back-to-back" in judged.message


def test_capped_exponential_backoff_over_many_attempts_passes():
    """Equal-jitter backoff from 0.2 s capped at 1 s over six attempts: every later gap is counted."""
    run = record()
    for i, gaps in enumerate([(0.14, 0.31, 0.62, 0.71), (0.19, 0.27, 0.55, 0.93), (0.12, 0.38, 0.71, 0.58)]):
        base, times = 10.0 * i, [10.0 * i]
        for gap in gaps:
            times.append(times[-1] + gap)
        failing_request(run, f"b{i}", base, times, times[-1] + 0.1)
    judged = backoff(run)
    assert judged.status == Status.PASS, judged.message
