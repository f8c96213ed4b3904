"""From a run's record (what the client saw, what the upstream received) to one verdict per check.

Pure functions: no I/O, no clocks. Each returns a `Verdict`; the executor turns it into a Result.
A verdict needs the phases it reads from: a phase that did not run makes it `not_evaluated` (or
`error` when the run could not start), never a pass.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from readyscore.model import Status
from readyscore.resilience.probes import Observation
from readyscore.resilience.scenario import RunRecord

IMMEDIATE_GAP_S = 0.05  # retries closer than this are back-to-back: no backoff at all
GROWTH = 1.3  # later gaps must be this much longer than the first, on average
CLEAR_GROWTH = 1.6  # growth that tells backoff from back-to-back retries whatever a round trip takes...
CLEAR_GROWTH_S = 0.05  # ...when it adds this much wait: a few ms of noise can double a 3 ms gap
JITTER = 0.2  # relative spread of same-position gaps that shows randomisation (not scheduling noise)
LATE_S = 0.1  # an attempt this long after the client got its answer is an orphaned retry


@dataclass
class Verdict:
    status: Status
    message: str
    evidence: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)


def _missing(run: RunRecord, *phases: str) -> Verdict | None:
    """Not evaluated when the phases this verdict reads did not run."""
    for phase in phases:
        if any(o.phase == phase for o in run.observations):
            continue
        if phase in run.skipped:
            return Verdict(Status.NOT_EVALUATED, f"the {phase} phase did not run: {run.skipped[phase]}")
        reason = run.aborted or "it was not reached"
        interrupted = "interrupted" in reason
        return Verdict(Status.NOT_EVALUATED if interrupted else Status.ERROR,
                       f"the {phase} phase did not run: {reason}")
    return None


def _show(obs: Observation, run: RunRecord) -> str:
    return f"{obs.phase}: {obs.summary()}; {len(run.attempts(obs))} upstream attempt(s)"


# -- timeouts ------------------------------------------------------------------------------------


def timeouts(run: RunRecord) -> Verdict:
    missing = _missing(run, "hang")
    if missing:
        return missing
    bound = run.settings.client_bound_s
    probes = run.in_phase("hang") + run.in_phase("slow_first_token")
    problems, partial = [], []
    for obs in probes:
        if obs.timed_out:
            problems.append(f"{obs.phase}: no answer within {bound:g} s (service timeout "
                            f"{run.settings.service_timeout_s:g} s + margin {run.settings.margin_s:g} s)")
        elif obs.stream and obs.status and obs.status < 300 and obs.done and not obs.error_event and not obs.fallback:
            problems.append(f"{obs.phase}: the stream ended with [DONE] although the upstream sent no token")
        elif obs.status is None:
            partial.append(f"{obs.phase}: the connection ended without an answer ({obs.error})")
        elif obs.status >= 400 and not obs.clean_error:
            partial.append(f"{obs.phase}: HTTP {obs.status} without a clean JSON error body")
        elif obs.status >= 400 and obs.status not in (502, 503, 504):
            partial.append(f"{obs.phase}: timed out but answered HTTP {obs.status} rather than 503/504")
        elif 200 <= obs.status < 300 and not obs.stream and not obs.fallback:
            partial.append(f"{obs.phase}: an unmarked 200 while the upstream never answered")
    health = run.health_after_hang
    if health is not None and not (health[0] and 200 <= health[0] < 300):
        problems.append(f"not healthy after the hang: {run.settings.health_path} gave "
                        f"{health[0] if health[0] else health[2]}")
    evidence = [_show(o, run) for o in probes]
    metrics = {"client_bound_s": bound, "observed_s": {o.phase: round(o.elapsed or 0, 3) for o in probes}}
    if problems:
        return Verdict(Status.FAIL, "; ".join(problems), evidence, metrics)
    if partial:
        return Verdict(Status.PARTIAL, "; ".join(partial), evidence, metrics)
    worst = max(o.elapsed or 0 for o in probes)
    return Verdict(Status.PASS, f"with a hung upstream the client got a clean error within {worst:.2f} s "
                   f"(bound {bound:g} s) and the service stayed healthy", evidence, metrics)


# -- retries and backoff ---------------------------------------------------------------------------


def _retry_sample(run: RunRecord) -> list[Observation]:
    return [o for o in run.in_phase("errors") + run.in_phase("storm") if run.attempts(o)]


def retries_bounded(run: RunRecord) -> Verdict:
    missing = _missing(run, "errors")
    if missing:
        return missing
    sample = _retry_sample(run)
    if not sample:
        return Verdict(Status.ERROR, "no failing request reached the upstream")
    counts = [len(run.attempts(o)) for o in sample]
    most = max(counts)
    late = sum(1 for o in sample for a in run.attempts(o) if o.answered and a["t"] > o.answered + LATE_S)
    storm = run.in_phase("storm")
    storm_attempts = sum(len(run.attempts(o)) for o in storm)
    metrics: dict[str, Any] = {"max_attempts_observed": most, "attempts_per_request": counts,
                               "bound": run.settings.max_attempts}
    if storm:
        metrics["storm"] = {"clients": len(storm), "upstream_attempts": storm_attempts,
                            "per_client": round(storm_attempts / len(storm), 2)}
    evidence = [_show(o, run) for o in sample[:12]]
    storm_text = (f"; {len(storm)} concurrent clients caused {storm_attempts} upstream attempts"
                  if storm else "")
    if most > run.settings.max_attempts:
        return Verdict(Status.FAIL, f"up to {most} upstream attempts per client request (bound "
                       f"{run.settings.max_attempts}){storm_text}: a retry storm", evidence, metrics)
    if late:
        return Verdict(Status.FAIL, f"{late} upstream attempt(s) arrived after the client already had its answer "
                       "(retries outlive the request)", evidence, metrics)
    if most == 1:
        return Verdict(Status.PARTIAL, "no retries: every transient upstream error reaches the client"
                       + storm_text, evidence, metrics)
    return Verdict(Status.PASS, f"at most {most} upstream attempts per client request (N = {most}, bound "
                   f"{run.settings.max_attempts}){storm_text}", evidence, metrics)


def _gaps(run: RunRecord, obs: Observation) -> list[float]:
    times = sorted(a["t"] for a in run.attempts(obs))
    return [later - earlier for earlier, later in zip(times, times[1:])]


def backoff(run: RunRecord) -> Verdict:
    missing = _missing(run, "errors")
    if missing:
        return missing
    series = [g for g in (_gaps(run, o) for o in _retry_sample(run)) if g]
    if not series:
        return Verdict(Status.NOT_APPLICABLE, "the service does not retry, so there is no backoff to measure")
    every = [gap for gaps in series for gap in gaps]
    median = statistics.median(every)
    # A retry sent back-to-back comes within one round trip through the service; on a loaded
    # machine that is more than 50 ms, so the bar is the median healthy answer's time, if longer.
    healthy = [o.elapsed for o in run.observations if o.success and not o.stream and o.elapsed is not None]
    immediate_below = max(IMMEDIATE_GAP_S, min(0.5, statistics.median(healthy))) if healthy else IMMEDIATE_GAP_S
    firsts = [g[0] for g in series]
    # Every later gap counts, not just the second: ten back-to-back attempts give eight samples of
    # the same round trip, whose noise averages out, where one second gap can double a first by chance.
    later = [statistics.mean(g[1:]) for g in series if len(g) > 1]
    seconds = [g[1] for g in series if len(g) > 1]  # jitter compares gaps at the same position
    metrics: dict[str, Any] = {"gaps_s": [[round(x, 3) for x in g] for g in series[:12]],
                               "median_gap_s": round(median, 3), "immediate_below_s": round(immediate_below, 3)}
    evidence = [f"gaps between attempts: {', '.join(f'{x * 1000:.0f} ms' for x in g)}" for g in series[:8]]
    growing = bool(later) and statistics.mean(later) >= GROWTH * statistics.mean(firsts)
    # Gaps that clearly grow (exponential backoff about doubles them) are backoff at any scale: on a
    # loaded machine a round trip can outlast a short first step. Flat gaps within a round trip are
    # back-to-back; noise alone does not make them grow by half again.
    # Growth must also add real wait (CLEAR_GROWTH_S): at a few milliseconds a ratio is noise.
    clearly_growing = (bool(later) and statistics.mean(later) >= CLEAR_GROWTH * statistics.mean(firsts)
                       and statistics.mean(later) - statistics.mean(firsts) >= CLEAR_GROWTH_S)
    if median < immediate_below and not clearly_growing:
        return Verdict(Status.FAIL, f"retries come back-to-back (median gap {median * 1000:.0f} ms, no longer than "
                       f"a healthy round trip of {immediate_below * 1000:.0f} ms): with many clients that is a retry "
                       "storm", evidence, metrics)
    spreads = [values for values in (firsts, seconds) if len(values) > 1]
    jitter = any((max(v) - min(v)) / max(statistics.mean(v), 1e-9) > JITTER for v in spreads)
    metrics.update(growing=growing, jitter=jitter)
    if growing and jitter:
        return Verdict(Status.PASS, f"gaps grow (first {statistics.mean(firsts):.2f} s, then "
                       f"{statistics.mean(later):.2f} s on average) and vary (jitter)", evidence, metrics)
    missing_parts = [part for part, ok in (("they do not grow" if later else "too few attempts to see growth",
                                            growing), ("they do not vary (no jitter)", jitter)) if not ok]
    return Verdict(Status.PARTIAL, f"retries wait (median {median:.2f} s) but {' and '.join(missing_parts)}",
                   evidence, metrics)


# -- throttling -----------------------------------------------------------------------------------


def upstream_429(run: RunRecord) -> Verdict:
    missing = _missing(run, "throttle")
    if missing:
        return missing
    obs = run.in_phase("throttle")[0]
    attempts = sorted(run.attempts(obs), key=lambda a: a["t"])
    window = run.settings.retry_after_s * 0.9
    hammering = sum(1 for a, b in zip(attempts, attempts[1:]) if a.get("status") == 429 and b["t"] - a["t"] < window)
    metrics = {"client_status": obs.status, "upstream_attempts": len(attempts), "retries_within_retry_after": hammering,
               "retry_after_s": run.settings.retry_after_s, "client_retry_after": obs.headers.get("retry-after")}
    evidence = [_show(obs, run)]
    if not attempts:
        return Verdict(Status.ERROR, "the throttled request never reached the upstream", evidence, metrics)
    if obs.timed_out or obs.status is None:
        return Verdict(Status.FAIL, f"with the upstream throttling, the client got {obs.summary()}", evidence, metrics)
    if hammering:
        return Verdict(Status.FAIL, f"the service called the upstream again {hammering} time(s) within the "
                       f"{run.settings.retry_after_s:g} s Retry-After", evidence, metrics)
    if obs.status >= 500 and obs.status != 503:
        return Verdict(Status.FAIL, f"an upstream 429 became HTTP {obs.status} for the client (expected 429 or 503 "
                       "with Retry-After, or a delayed success)", evidence, metrics)
    if obs.status in (429, 503):
        if obs.headers.get("retry-after"):
            return Verdict(Status.PASS, f"an upstream 429 reached the client as HTTP {obs.status} with Retry-After "
                           f"{obs.headers['retry-after'][:20]}", evidence, metrics)
        return Verdict(Status.PARTIAL, f"an upstream 429 reached the client as HTTP {obs.status}, but without "
                       "Retry-After", evidence, metrics)
    if 200 <= obs.status < 300:
        if obs.fallback:
            return Verdict(Status.PASS, "while throttled, the client got a marked fallback answer", evidence, metrics)
        if (obs.elapsed or 0) >= window:
            return Verdict(Status.PASS, f"the service waited out the Retry-After and succeeded after "
                           f"{obs.elapsed:.2f} s", evidence, metrics)
        return Verdict(Status.PARTIAL, "an unmarked 200 although the upstream was throttling", evidence, metrics)
    return Verdict(Status.PARTIAL, f"an upstream 429 became HTTP {obs.status} for the client", evidence, metrics)


# -- circuit breaker ------------------------------------------------------------------------------


def circuit_breaker(run: RunRecord) -> Verdict:
    missing = _missing(run, "errors")
    if missing:
        return missing
    b = run.breaker
    errors = run.in_phase("errors")
    metrics = {"opened": b.opened, "threshold_requests": b.threshold, "threshold_upstream_failures": b.failed_attempts,
               "cooldown_s": b.cooldown_s, "closed_again": b.closed, "upstream_hits_while_open": b.hits_while_open}
    evidence = [_show(o, run) for o in errors[:12]] + [_show(o, run) for o in b.short_circuited[:3]]
    if not b.opened:
        return Verdict(Status.FAIL, f"no breaker: all {len(errors)} failing requests were sent on to the upstream",
                       evidence, metrics)
    opened = (f"opened after {b.threshold} failing request(s) ({b.failed_attempts} upstream failures) and then "
              f"answered in {min(o.elapsed or 0 for o in b.short_circuited):.3f} s without calling the upstream")
    if b.hits_while_open:
        return Verdict(Status.FAIL, f"{opened}, but the upstream still got {b.hits_while_open} call(s) while it was "
                       "open", evidence, metrics)
    if b.trial_at is None:
        return Verdict(Status.PARTIAL, f"{opened}; {b.note}", evidence, metrics)
    if not b.closed:
        return Verdict(Status.PARTIAL, f"{opened}; a trial went through after {b.cooldown_s:g} s but it did not "
                       "close again with the upstream healthy", evidence, metrics)
    return Verdict(Status.PASS, f"{opened}; let a trial through after a cool-down of {b.cooldown_s:g} s, and closed "
                   "again with the upstream healthy", evidence, metrics)


# -- fallback -------------------------------------------------------------------------------------


def fallback(run: RunRecord) -> Verdict:
    missing = _missing(run, "errors")
    if missing:
        return missing
    outage = run.in_phase("errors") + run.in_phase("storm") + run.in_phase("hang")
    marked = [o for o in outage if o.fallback and o.status and 200 <= o.status < 300]
    unmarked = [o for o in outage if o.status and 200 <= o.status < 300 and not o.fallback]
    unclean = [o for o in outage if not (o.status and 200 <= o.status < 300) and not o.clean_error]
    metrics = {"outage_requests": len(outage), "fallback_answers": len(marked), "unmarked_answers": len(unmarked),
               "unclean_errors": len(unclean)}
    evidence = [_show(o, run) for o in outage[:12]]
    if unmarked:
        return Verdict(Status.FAIL, f"{len(unmarked)} answer(s) with status 2xx while the upstream was down, not "
                       "marked as a fallback", evidence, metrics)
    if marked:
        markers = sorted({h for o in marked for h in o.headers if h in run.settings.fallback_headers} or {"body"})
        return Verdict(Status.PASS, f"served a marked fallback ({', '.join(markers)}) to {len(marked)} of "
                       f"{len(outage)} requests while the upstream was down", evidence, metrics)
    if unclean:
        return Verdict(Status.FAIL, f"no fallback, and {len(unclean)} of {len(outage)} answers during the outage were "
                       "not clean errors (no answer, no JSON body, or a stack trace)", evidence, metrics)
    return Verdict(Status.PARTIAL, "no fallback or degraded answer; the client got clean errors during the outage",
                   evidence, metrics)


# -- streams ---------------------------------------------------------------------------------------


def stream_errors(run: RunRecord) -> Verdict:
    missing = _missing(run, "reset_mid_stream") or _missing(run, "malformed_sse")
    if missing:
        return missing
    probes = run.in_phase("reset_mid_stream") + run.in_phase("malformed_sse")
    silent, hung, unclear = [], [], []
    for obs in probes:
        if obs.timed_out:
            hung.append(obs.phase)
        elif obs.done and not obs.error_event and not obs.fallback:
            silent.append(obs.phase)
        elif obs.status and 200 <= obs.status < 300 and not obs.done and not obs.error_event and not obs.error:
            unclear.append(obs.phase)
        elif obs.status and obs.status >= 400 and not obs.clean_error:
            unclear.append(obs.phase)
    evidence = [_show(o, run) for o in probes]
    metrics = {o.phase: o.summary() for o in probes}
    if silent:
        return Verdict(Status.FAIL, f"silent truncation: after {' and '.join(silent)} the client's stream ended with "
                       "[DONE] as if the answer were complete", evidence, metrics)
    if hung:
        return Verdict(Status.FAIL, f"the client's stream did not end within the bound after {' and '.join(hung)}",
                       evidence, metrics)
    if unclear:
        return Verdict(Status.PARTIAL, f"after {' and '.join(unclear)} the stream ended without [DONE] but also "
                       "without an error event or an error status", evidence, metrics)
    return Verdict(Status.PASS, "a broken upstream stream (reset, malformed SSE) ended the client's stream with an "
                   "error event or an error close, never a silent [DONE]", evidence, metrics)


# -- recovery -------------------------------------------------------------------------------------


def recovery(run: RunRecord) -> Verdict:
    if not run.recoveries:
        return _missing(run, "recovery:healthy_again") or Verdict(Status.ERROR, "no recovery was measured")
    slow = [r for r in run.recoveries if r.seconds is None or r.seconds > run.settings.recovery_within_s]
    metrics = {"seconds": {r.after: r.seconds for r in run.recoveries}, "bound_s": run.settings.recovery_within_s}
    evidence = [f"after {r.after}: " + (f"{r.seconds:.2f} s" if r.seconds is not None else f"no real answer within "
                                        f"{r.bound_s:g} s") for r in run.recoveries]
    if slow:
        return Verdict(Status.FAIL, "healthy answers did not resume within the bound after "
                       + ", ".join(r.after for r in slow), evidence, metrics)
    final = [r for r in run.recoveries if r.after == "healthy_again"]
    if not final:
        return Verdict(Status.NOT_EVALUATED, f"the final healthy phase did not run: {run.aborted or 'skipped'}",
                       evidence, metrics)
    worst = max(r.seconds for r in run.recoveries)
    return Verdict(Status.PASS, f"healthy answers resumed within {worst:.2f} s after every fault (bound "
                   f"{run.settings.recovery_within_s:g} s)", evidence, metrics)


VERDICTS = {"timeouts": timeouts, "retries_bounded": retries_bounded, "backoff": backoff,
            "upstream_429": upstream_429, "circuit_breaker": circuit_breaker, "fallback": fallback,
            "stream_errors": stream_errors, "recovery": recovery}
