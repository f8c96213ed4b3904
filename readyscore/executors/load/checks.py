"""The `load` executor: one Locust run per audit, many checks scored from it.

Each check names what it judges (`measure`); the thresholds come from the profile's `load.slo`.

Load verdicts need load:
- each latency, TTFT and error verdict needs `load.min_sample` completed requests in its stage;
  below it the check is not evaluated and names the count — unless the failures seen already
  break the SLO whatever the missing requests would have done (a certain failure);
- a failed request counts as slower than any SLO: the p95 ranks every failure above every answer,
  so it lands on a failure as soon as about 5% of the requests failed;
- overload passes only when its requests were served within the SLO or shed politely (429, or 503
  with Retry-After); every other status is bad;
- the capacity plan and the saturation point are always reported as figures with their inputs,
  and scored only when those inputs rest on the minimum sample.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from readyscore.executors.base import AuditContext, Executor, result
from readyscore.executors.load.session import SHARED_KEY, LoadOutcome, budget_s, normal_meets_slo, run_load
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status

Measure = Literal["latency_p95", "ttft_p95", "error_rate", "overload", "recovery", "capacity", "saturation"]
RECOVERED_AFTER_OK = 3  # successes after the last failure that count as "recovered"
NOT_OVERLOADED = ("the overload stage did not overload the service (every request served within the latency SLO, "
                  "none refused), so how it sheds load was not seen")
RAISE_OVERLOAD = "raise load.overload.users_factor, or run with --sweep to find where it saturates"
TAIL_SHARE = 0.05  # a p95 tolerates 5% of the sample above the SLO


class LoadParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measure: Measure


@register
class LoadExecutor(Executor[LoadParams]):
    kind = "load"
    Params = LoadParams
    phase = 2
    description = "Runs one headless Locust load test per audit and judges one aspect of it."

    def timeout_s(self, params: LoadParams, ctx: AuditContext) -> float:
        return max(ctx.options.check_timeout_s, budget_s(ctx))

    def run(self, spec: CheckSpec, params: LoadParams, ctx: AuditContext) -> Result:
        outcome: LoadOutcome = ctx.shared(SHARED_KEY, lambda: run_load(ctx))
        if outcome.refused:
            return Result.not_evaluated(spec.id, f"load test not run: {outcome.refused}")
        if outcome.failed:
            return result(spec, Status.ERROR, outcome.failed, metrics=_metrics(outcome, "normal"))
        judged = VERDICTS[params.measure](spec, ctx, outcome)
        if outcome.stopped and judged.status not in (Status.NOT_EVALUATED, Status.ERROR):
            judged.message += f" (partial run: stopped early, {outcome.stopped})"
        return judged


def _metrics(outcome: LoadOutcome, stage: str) -> dict[str, Any]:
    data = outcome.stage(stage)
    keep = ("requests", "ok", "errors", "error_rate", "errors_by_kind", "status_counts", "e2e_latency_ms",
            "ttft_ms", "itl_ms", "tpot_ms", "request_throughput_rps", "output_token_throughput_tps",
            "goodput_rps", "slo_attainment", "mean_concurrency", "token_count_source", "window_s", "users")
    return {"stage": stage, **{k: data.get(k) for k in keep if k in data}}


def _evidence(message: str) -> list[Evidence]:
    return [Evidence(message=message, strength=EvidenceStrength.VERIFIED)]


def _breakdown(stage: dict[str, Any]) -> str:
    kinds = stage.get("errors_by_kind") or {}
    return ", ".join(f"{kind} x{count}" for kind, count in list(kinds.items())[:5]) or "none"


# ---------------------------------------------------------------------------------------------
# Verdicts


def _too_few(what: str, n: int, minimum: int, stage: str = "normal") -> str:
    return (f"{what} not judged: only {n} completed request(s) in the {stage} stage, and a verdict needs at least "
            f"{minimum} (load.min_sample); lengthen load.duration_s or add load.users")


def _latency(spec: CheckSpec, ctx: AuditContext, outcome: LoadOutcome) -> Result:
    normal = outcome.stage("normal")
    limit = ctx.profile.load.slo.e2e_p95_ms
    minimum = ctx.profile.load.min_sample
    e2e = normal.get("e2e_latency_ms") or {}
    n, failed, over = normal.get("requests", 0), normal.get("errors", 0), normal.get("over_e2e_slo", 0)
    metrics = _metrics(outcome, "normal") | {"min_sample": minimum, "over_slo": over,
                                             "p95_with_failures_ms": normal.get("e2e_p95_with_failures_ms")}
    if n < minimum:
        if over > TAIL_SHARE * minimum:
            text = (f"{over} of only {n} requests failed or took longer than the {limit:.0f} ms SLO: more than 5% "
                    f"of the {minimum}-request minimum sample, so the p95 breaks the SLO whatever the rest would do")
            return result(spec, Status.FAIL, text, evidence=_evidence(text), metrics=metrics)
        return Result(check_id=spec.id, status=Status.NOT_EVALUATED, metrics=metrics,
                      message=_too_few("p95 latency", n, minimum))
    if normal.get("e2e_p95_is_failure"):
        text = (f"the p95 is a failed request: {failed} of {n} requests failed under load ({failed / n:.0%}); a failed "
                f"request counts as slower than any SLO (errors: {_breakdown(normal)})")
        return result(spec, Status.FAIL, text, evidence=_evidence(text), metrics=metrics)
    p95 = normal["e2e_p95_with_failures_ms"]
    status = Status.PASS if p95 <= limit else Status.FAIL
    text = (f"p95 end-to-end latency {p95:.0f} ms at {normal.get('users')} users over {n} requests, failures "
            f"counted as slower than any SLO ({'within' if status == Status.PASS else 'over'} the {limit:.0f} ms "
            f"SLO; answers alone: p50 {e2e.get('p50') or 0:.0f} ms, p99 {e2e.get('p99') or 0:.0f} ms; {failed} failed)")
    return result(spec, status, text, evidence=_evidence(text),
                  strength=EvidenceStrength.VERIFIED, metrics=metrics)


def _ttft(spec: CheckSpec, ctx: AuditContext, outcome: LoadOutcome) -> Result:
    normal = outcome.stage("normal")
    limit = ctx.profile.load.slo.ttft_p95_ms
    minimum = ctx.profile.load.min_sample
    ttft = normal.get("ttft_ms") or {}
    n, failed, over = normal.get("streamed", 0), normal.get("streamed_failed", 0), normal.get("over_ttft_slo", 0)
    if not n and ctx.profile.load.mix.stream_share == 0:
        return Result.not_evaluated(spec.id, "no streamed request was sent (load.mix.stream_share is 0)")
    metrics = _metrics(outcome, "normal") | {"min_sample": minimum, "streamed": n, "over_slo": over,
                                             "p95_with_failures_ms": normal.get("ttft_p95_with_failures_ms")}
    if n < minimum:
        if over > TAIL_SHARE * minimum:
            text = (f"{over} of only {n} streamed requests failed or took longer than the {limit:.0f} ms TTFT SLO: more "
                    f"than 5% of the {minimum}-request minimum sample, so the p95 breaks the SLO whatever the rest "
                    "would do")
            return result(spec, Status.FAIL, text, evidence=_evidence(text), metrics=metrics)
        return Result(check_id=spec.id, status=Status.NOT_EVALUATED, metrics=metrics,
                      message=_too_few("p95 time to first token (streamed requests)", n, minimum))
    if normal.get("ttft_p95_is_failure"):
        text = (f"the p95 time to first token is a failed request: {failed} of {n} streamed requests delivered no "
                f"token ({failed / n:.0%}); a failed request counts as slower than any SLO (errors: {_breakdown(normal)})")
        return result(spec, Status.FAIL, text, evidence=_evidence(text), metrics=metrics)
    p95 = normal["ttft_p95_with_failures_ms"]
    status = Status.PASS if p95 <= limit else Status.FAIL
    itl = normal.get("itl_ms") or {}
    text = (f"p95 time to first token {p95:.0f} ms over {n} streamed requests, failures counted as slower than any "
            f"SLO ({'within' if status == Status.PASS else 'over'} the {limit:.0f} ms SLO; answers alone: p50 "
            f"{ttft.get('p50') or 0:.0f} ms; {failed} failed)")
    if itl.get("n"):
        text += f"; inter-token latency p50 {itl['p50']:.1f} ms, p95 {itl['p95']:.1f} ms"
    return result(spec, status, text, evidence=_evidence(text),
                  strength=EvidenceStrength.VERIFIED, metrics=metrics)


def _error_rate(spec: CheckSpec, ctx: AuditContext, outcome: LoadOutcome) -> Result:
    normal = outcome.stage("normal")
    limit = ctx.profile.load.slo.max_error_rate
    minimum = ctx.profile.load.min_sample
    n, errors = normal.get("requests", 0), normal.get("errors", 0)
    metrics = _metrics(outcome, "normal") | {"min_sample": minimum}
    if n < minimum:
        if errors > limit * minimum:
            text = (f"{errors} of only {n} requests failed under normal load: more than {limit:.0%} of the "
                    f"{minimum}-request minimum sample whatever the rest would do; failures: {_breakdown(normal)}")
            return result(spec, Status.FAIL, text, evidence=_evidence(text), metrics=metrics)
        return Result(check_id=spec.id, status=Status.NOT_EVALUATED, metrics=metrics,
                      message=_too_few("the error rate", n, minimum))
    rate = normal["error_rate"]
    status = Status.PASS if rate <= limit else Status.FAIL
    text = (f"{normal['errors']} of {normal['requests']} requests failed under normal load ({rate:.2%}; "
            f"limit {limit:.0%}); failures: {_breakdown(normal)}; goodput {normal.get('goodput_rps')} req/s, "
            f"SLO attainment {(normal.get('slo_attainment') or 0):.0%}")
    return result(spec, status, text, evidence=_evidence(text), strength=EvidenceStrength.VERIFIED,
                  metrics=metrics)


def _overload(spec: CheckSpec, ctx: AuditContext, outcome: LoadOutcome) -> Result:
    settings = ctx.profile.load
    if not settings.overload.enabled:
        return Result.not_evaluated(spec.id, "the overload stage is disabled (load.overload.enabled: false)")
    stage = outcome.stage("overload")
    if not stage.get("requests"):
        return Result.not_evaluated(spec.id, "no request was sent in the overload stage (the run ended early)")
    n, bad, shed = stage["requests"], stage["bad"], stage["shed"]
    polite = stage["shed_with_retry_after"]
    e2e = stage.get("e2e_latency_ms") or {}
    summary = (f"{stage['users']} users for {stage['planned_s']:g} s: {n} requests, {stage['ok']} served, "
               f"{shed} shed ({polite} with Retry-After), {bad} bad (any other status, timeouts, resets, broken "
               "streams)")
    metrics = _metrics(outcome, "overload") | {"shed": shed, "shed_with_retry_after": polite, "bad": bad}
    if bad / n > settings.overload.max_bad_share:
        text = f"under overload the service failed badly: {summary}; failures: {_breakdown(stage)}"
        return result(spec, Status.FAIL, text, evidence=_evidence(text), metrics=metrics,
                      strength=EvidenceStrength.VERIFIED)
    if shed and polite < shed:
        text = f"the service sheds load but not every refusal says when to retry: {summary}"
        return result(spec, Status.PARTIAL, text, evidence=_evidence(text), metrics=metrics,
                      strength=EvidenceStrength.VERIFIED)
    if not shed and e2e.get("p95") is not None and e2e["p95"] > settings.slo.e2e_p95_ms:
        text = (f"the service queued instead of shedding load: p95 latency {e2e['p95']:.0f} ms over the "
                f"{settings.slo.e2e_p95_ms:.0f} ms SLO and no 429/503; {summary}")
        return result(spec, Status.PARTIAL, text, evidence=_evidence(text), metrics=metrics,
                      strength=EvidenceStrength.VERIFIED)
    if not stage["ok"] and not polite:
        text = f"nothing was served or shed politely under overload: {summary}"
        return result(spec, Status.FAIL, text, evidence=_evidence(text), metrics=metrics)
    if not shed and bad:
        text = f"under overload the service failed some requests and shed none: {summary}; failures: {_breakdown(stage)}"
        return result(spec, Status.PARTIAL, text, evidence=_evidence(text), metrics=metrics,
                      strength=EvidenceStrength.VERIFIED)
    if not shed:
        # Everything served within the SLO: the stage was not overload for this service, so how it
        # sheds load was never seen. A pass here would rest on nothing the control does.
        return Result(check_id=spec.id, status=Status.NOT_EVALUATED, metrics=metrics,
                      message=f"{NOT_OVERLOADED}: {summary}; {RAISE_OVERLOAD}")
    text = f"under overload the service shed the excess with 429/503 and Retry-After: {summary}"
    return result(spec, Status.PASS, text, evidence=_evidence(text), metrics=metrics,
                  strength=EvidenceStrength.VERIFIED)


def _not_overloaded(stage: dict, settings) -> bool:
    """The overload stage served everything within the latency SLO and refused nothing: it did not
    overload this service, so neither shedding nor recovery was exercised."""
    e2e = stage.get("e2e_latency_ms") or {}
    within_slo = e2e.get("p95") is not None and e2e["p95"] <= settings.slo.e2e_p95_ms
    return bool(stage.get("requests")) and not stage["shed"] and not stage["bad"] and within_slo


def _recovery(spec: CheckSpec, ctx: AuditContext, outcome: LoadOutcome) -> Result:
    settings = ctx.profile.load
    if not settings.overload.enabled:
        return Result.not_evaluated(spec.id, "no overload stage, so nothing to recover from")
    stage = outcome.stage("recovery")
    if not stage.get("requests"):
        return Result.not_evaluated(spec.id, "no request was sent in the recovery stage (the run ended early)")
    if _not_overloaded(outcome.stage("overload"), settings):
        return Result.not_evaluated(spec.id, f"{NOT_OVERLOADED}, so there was nothing to recover from; "
                                             f"{RAISE_OVERLOAD}")
    # Recovered: the failures stopped, and enough requests succeeded after the last one.
    recovered = stage["ok_after_last_error"] >= RECOVERED_AFTER_OK
    recovered_at = 0.0 if not stage["errors"] else (stage["last_error_at_s"] if recovered else None)
    e2e = stage.get("e2e_latency_ms") or {}
    p95 = e2e.get("p95")
    summary = (f"recovery stage ({stage['users']} users, {stage['planned_s']:g} s): {stage['requests']} requests, "
               f"{stage['ok']} served, {stage['throttled']} throttled, {stage['bad']} bad; "
               f"p95 latency {'—' if p95 is None else round(p95)} ms")
    metrics = _metrics(outcome, "recovery") | {"recovered_after_s": recovered_at}
    if not stage["ok"]:
        text = f"no request succeeded after the overload: {summary}; failures: {_breakdown(stage)}"
        return result(spec, Status.FAIL, text, evidence=_evidence(text), metrics=metrics)
    if recovered_at is None and stage["bad"]:
        text = f"the service kept failing after the overload: {summary}; failures: {_breakdown(stage)}"
        return result(spec, Status.FAIL, text, evidence=_evidence(text), metrics=metrics)
    if recovered_at is None:
        text = f"the service was still refusing requests when the recovery stage ended: {summary}"
        return result(spec, Status.PARTIAL, text, evidence=_evidence(text), metrics=metrics,
                      strength=EvidenceStrength.VERIFIED)
    if p95 is not None and p95 > settings.slo.e2e_p95_ms:
        text = f"the service answers again but slower than the SLO: {summary}"
        return result(spec, Status.PARTIAL, text, evidence=_evidence(text), metrics=metrics,
                      strength=EvidenceStrength.VERIFIED)
    when = "at once" if not recovered_at else f"within {recovered_at:g} s"
    text = f"the service recovered {when} after the overload ended: {summary}"
    return result(spec, Status.PASS, text, evidence=_evidence(text), metrics=metrics,
                  strength=EvidenceStrength.VERIFIED)


def _capacity(spec: CheckSpec, ctx: AuditContext, outcome: LoadOutcome) -> Result:
    plan = outcome.section.get("capacity") or {}
    limit = ctx.profile.load.capacity.max_replicas
    if plan.get("replicas") is None:
        return result(spec, Status.FAIL, f"no capacity plan: {plan.get('reason', 'nothing measured')}",
                      metrics={"capacity": plan})
    text = (f"{plan['replicas']} replica(s) for {plan['target_rps']:g} req/s: W = Q·L/(U·C*) = "
            f"{plan['target_rps']:g}·{plan['latency_s']:.3f}/({plan['utilization']:g}·{plan['replica_concurrency']:g})"
            f" = {plan['replicas_exact']:g}; C* and L from {plan['source']}")
    rests = plan.get("rests_on") or {}
    minimum = ctx.profile.load.min_sample
    if rests.get("requests", 0) < minimum:
        return Result(check_id=spec.id, status=Status.NOT_EVALUATED, metrics={"capacity": plan},
                      message=f"figures only, not scored: {text}; they rest on {rests.get('requests', 0)} completed "
                              f"request(s) in {rests.get('stage', 'the normal stage')}, fewer than load.min_sample "
                              f"({minimum})")
    text += f"; resting on {rests['requests']} completed requests in {rests['stage']}"
    if limit is not None and plan["replicas"] > limit:
        return result(spec, Status.FAIL, text + f"; more than the {limit} allowed (load.capacity.max_replicas)",
                      evidence=_evidence(text), metrics={"capacity": plan})
    return result(spec, Status.PASS, text, evidence=_evidence(text), strength=EvidenceStrength.VERIFIED,
                  metrics={"capacity": plan})


def _saturation(spec: CheckSpec, ctx: AuditContext, outcome: LoadOutcome) -> Result:
    sweep = outcome.section.get("sweep")
    if sweep is None:
        return Result.not_evaluated(spec.id, "run with --sweep to ramp the load in steps and find the saturation point")
    steps = [s for s in sweep.get("steps") or [] if s.get("requests")]
    if not steps:
        return result(spec, Status.ERROR, "the sweep produced no measurements", metrics={"sweep": sweep})
    minimum = ctx.profile.load.min_sample
    if sweep.get("knee_users") is None:
        first = steps[0]
        text = (f"even {first['users']} user(s) broke the SLOs "
                f"(attainment {(first.get('slo_attainment') or 0):.0%}); no load level is sustainable")
        if first["requests"] < minimum:
            return Result(check_id=spec.id, status=Status.NOT_EVALUATED, metrics={"sweep": sweep},
                          message=f"figures only, not scored: {text}, but that step completed {first['requests']} "
                                  f"request(s), fewer than load.min_sample ({minimum}); lengthen load.sweep.step_s")
        return result(spec, Status.FAIL, text, evidence=_evidence(text), metrics={"sweep": sweep})
    if sweep.get("saturation_users") is None:
        text = (f"not saturated up to {steps[-1]['users']} users: {sweep['max_rps']} req/s within the SLOs")
    else:
        text = (f"saturates at {sweep['saturation_users']} users ({sweep['saturation_reason']}); the SLOs hold up "
                f"to {sweep['knee_users']} users = {sweep['knee_rps']} req/s at concurrency "
                f"{sweep['knee_concurrency']}")
    # The verdict rests on the knee step and the step that saturated: both need the minimum sample.
    resting = [s for s in steps if s["users"] in (sweep["knee_users"], sweep.get("saturation_users"))]
    thin = [s for s in resting if s["requests"] < minimum]
    if thin:
        counts = ", ".join(f"{s['users']} users: {s['requests']}" for s in thin)
        return Result(check_id=spec.id, status=Status.NOT_EVALUATED, metrics={"sweep": sweep},
                      message=f"figures only, not scored: {text}; the steps it rests on completed too few requests "
                              f"({counts}; load.min_sample is {minimum}); lengthen load.sweep.step_s")
    return result(spec, Status.PASS, text, evidence=_evidence(text), strength=EvidenceStrength.VERIFIED,
                  metrics={"sweep": sweep})


VERDICTS: dict[str, Callable[[CheckSpec, AuditContext, LoadOutcome], Result]] = {
    "latency_p95": _latency,
    "ttft_p95": _ttft,
    "error_rate": _error_rate,
    "overload": _overload,
    "recovery": _recovery,
    "capacity": _capacity,
    "saturation": _saturation,
}

__all__ = ["LoadExecutor", "LoadParams", "normal_meets_slo"]
