"""The `resilience` executor: one run of upstream faults per audit, eight checks judged from it.

The run (readyscore.resilience.run) starts the fake upstream in its own process, points the service
at it (or listens where the service already calls), plays the fault phases and records both sides.
It runs in the last engine phase, after the load test, because it breaks the service's upstream on
purpose and no other check should see that.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from readyscore.config import _deep_merge
from readyscore.executors.base import AuditContext, Executor, result
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status
from readyscore.settings.resilience import ResilienceSettings

SHARED_KEY = "resilience-run"
HOW_TO_RUN = ("give --upstream-env NAME with --service-cmd '…' (readyscore starts the service against its fake "
              "upstream) or --upstream-listen HOST:PORT (the running service already calls that address)")

Measure = Literal["timeouts", "retries_bounded", "backoff", "upstream_429", "circuit_breaker", "fallback",
                  "stream_errors", "recovery"]


class ResilienceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Measure


def settings_for(ctx: AuditContext) -> ResilienceSettings:
    settings = ctx.profile.resilience
    target = ctx.options.resilience
    if target is not None and target.settings:
        settings = ResilienceSettings.model_validate(_deep_merge(settings.model_dump(), target.settings))
    return settings


class _Outcome:
    def __init__(self, run=None, failed: str | None = None):
        self.run, self.failed = run, failed


def _run(ctx: AuditContext) -> _Outcome:
    from readyscore.resilience.run import RunFailed, run_resilience
    from readyscore.resilience.scenario import RunAborted

    try:
        settings = settings_for(ctx)
    except ValidationError as exc:
        return _Outcome(failed=f"invalid resilience settings: {exc.errors()[0]['msg']}")
    try:
        run = run_resilience(ctx.options.resilience, settings, ctx.profile.live, ctx.url, ctx.api_key, ctx.cancel)
    except (RunFailed, RunAborted) as exc:
        return _Outcome(failed=str(exc))
    ctx.sections["resilience"] = run.summary()
    return _Outcome(run=run)


@register
class ResilienceExecutor(Executor[ResilienceParams]):
    kind = "resilience"
    Params = ResilienceParams
    phase = 3
    description = ("Plays the service's model provider: a fake upstream on loopback answers with scripted faults "
                   "(429, 5xx, hangs, resets, malformed streams) and one aspect of the service's behaviour is judged.")

    def timeout_s(self, params: ResilienceParams, ctx: AuditContext) -> float:
        settings = ctx.profile.resilience
        worst = settings.budget_s + 2 * settings.client_bound_s + settings.recovery_within_s + settings.start_timeout_s
        return max(ctx.options.check_timeout_s, worst + 30)

    def run(self, spec: CheckSpec, params: ResilienceParams, ctx: AuditContext) -> Result:
        if ctx.options.resilience is None:
            return Result.not_evaluated(spec.id, f"the resilience run was not requested: {HOW_TO_RUN}")
        from readyscore.resilience.verdicts import VERDICTS

        outcome: _Outcome = ctx.shared(SHARED_KEY, lambda: _run(ctx))
        if outcome.failed:
            interrupted = "interrupted" in outcome.failed
            return result(spec, Status.NOT_EVALUATED if interrupted else Status.ERROR,
                          f"the resilience run did not happen: {outcome.failed}")
        verdict = VERDICTS[params.verdict](outcome.run)
        evidence = [Evidence(message=line[:500], strength=EvidenceStrength.VERIFIED) for line in verdict.evidence]
        strength = EvidenceStrength.VERIFIED if verdict.status.evaluated else None
        message = verdict.message
        if outcome.run.aborted and verdict.status.evaluated:
            message += f" (the run ended early: {outcome.run.aborted})"
        return result(spec, verdict.status, message, evidence=evidence, strength=strength, metrics=verdict.metrics)
