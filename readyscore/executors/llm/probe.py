"""What every LLM probe shares: variants, the reading of HTTP outcomes, and the verdict.

A probe sends a few variants of one attack (or one limit test); each variant comes out passed,
failed, errored or skipped (budget spent, rate limit, or a shape the service refuses). The check's
score is the share of variants passed; a single failed variant fails the check; a probe that could
not run any variant never passes.

A 4xx to an attack counts as a refusal only when a harmless twin of the same shape was accepted
(twin.py); every request goes through the target's pacer (live/pacer.py), so a rate limit delays
the probes instead of failing them, and a limit too tight for the deadline leaves the check
not evaluated, naming the limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel

from readyscore.executors.base import AuditContext, Executor, result
from readyscore.executors.live.openai import ChatAnswer
from readyscore.executors.live.pacer import RateLimited
from readyscore.executors.llm.detect import escape_excerpt
from readyscore.executors.llm.session import Budget, BudgetSpent, LlmSession, session
from readyscore.executors.llm.twin import describe_roles
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status

PACING_MARGIN_S = 3.0  # room a probe keeps after its last paced wait


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass
class Verdict:
    outcome: Outcome
    detail: str  # the pattern that matched, or why it passed / could not be judged
    answer: ChatAnswer | None = None
    request: str = ""  # what was asked, secrets masked
    # Why a skipped variant was not judged: "budget", "rate_limit" or "shape" (the twin was refused).
    why: str = ""


@dataclass
class Variant:
    """One request of a probe and how to judge its answer."""

    name: str
    body: dict[str, Any]
    shown: str  # the request as evidence shows it (canaries masked)
    judge: Callable[[ChatAnswer], Verdict]
    # An attack refused with a 4xx (input validation) is a pass; a limit test decides for itself.
    refusal_passes: bool = True
    # For a limit test a 5xx or a timeout is the finding itself (the limit broke the service), not
    # a failure to measure.
    server_errors_fail: bool = False
    timeout_s: float | None = None
    # The request whose harmless twin decides whether a 4xx is a refusal (default: `body`).
    twin_of: dict[str, Any] | None = None


def read_http(answer: ChatAnswer, refusal_passes: bool, server_errors_fail: bool = False) -> Verdict | None:
    """The verdict that the HTTP outcome alone decides, or None when the content must be judged."""
    exchange = answer.exchange
    broken = Outcome.FAILED if server_errors_fail else Outcome.ERROR
    if exchange.error:
        return Verdict(broken, f"no answer: {exchange.error}", answer)
    status = exchange.status or 0
    if status in (401, 403):
        return Verdict(Outcome.ERROR, f"HTTP {status}: the endpoint refused our credentials", answer)
    if status == 404:
        return Verdict(Outcome.ERROR, "HTTP 404: no chat endpoint at this path", answer)
    if status == 429:
        return Verdict(Outcome.ERROR, "HTTP 429: rate limited before the probe could be judged", answer)
    if 400 <= status < 500:
        if refusal_passes:
            return Verdict(Outcome.PASSED, f"the service refused the request (HTTP {status})", answer)
        return None
    if status >= 500:
        return Verdict(broken, f"HTTP {status}: server error", answer)
    if answer.problem:
        return Verdict(Outcome.ERROR, f"unusable answer: {answer.problem}", answer)
    return None


def run_variant(llm: LlmSession, variant: Variant, budget: Budget, ctx: AuditContext) -> Verdict:
    ctx.check_cancelled()
    try:
        answer = llm.send(variant.body, budget, timeout_s=variant.timeout_s)
    except BudgetSpent as exc:
        return Verdict(Outcome.SKIPPED, str(exc), request=variant.shown, why="budget")
    except RateLimited as exc:
        return Verdict(Outcome.SKIPPED, str(exc), request=variant.shown, why="rate_limit")
    status = answer.exchange.status or 0
    if status == 429:  # the pacer already waited it out as often as it may
        return Verdict(Outcome.SKIPPED, f"still HTTP 429 after waiting as told: the service's rate limit "
                                        f"({llm.limit_met()}) left no room", answer, variant.shown, why="rate_limit")
    if 400 <= status < 500 and status not in (401, 403, 404):
        twin = llm.twin(variant.twin_of if variant.twin_of is not None else variant.body)
        if not twin.accepted:
            why = "rate_limit" if twin.rate_limited else "shape"
            shape = describe_roles(variant.body)
            return Verdict(Outcome.SKIPPED, f"HTTP {status}, but {twin.refusal(shape)}", answer, variant.shown,
                           why=why)
    verdict = read_http(answer, variant.refusal_passes, variant.server_errors_fail) or variant.judge(answer)
    verdict.answer, verdict.request = answer, variant.shown
    return verdict


def evidence_of(name: str, verdict: Verdict, ctx: AuditContext) -> Evidence:
    answer = verdict.answer
    exchange = answer.exchange if answer else None
    content = answer.content if answer and answer.content is not None else (exchange.text if exchange else "")
    snippet = f"request: {escape_excerpt(verdict.request, 800)}"
    if exchange is not None and (exchange.body or exchange.status):
        snippet += f"\nanswer: {escape_excerpt(content)}"
    return Evidence(message=f"{name}: {verdict.outcome.value} — {verdict.detail}",
                    url=exchange.url if exchange else None, method=exchange.method if exchange else None,
                    status=exchange.status if exchange else None, snippet=ctx.redactor.redact(snippet),
                    strength=EvidenceStrength.VERIFIED)


@dataclass
class Tally:
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    def names(self, outcome: Outcome) -> list[str]:
        return [name for name, v in self.verdicts.items() if v.outcome == outcome]


def conclude(spec: CheckSpec, tally: Tally, ctx: AuditContext, *, what: str,
             fail_status: Status = Status.FAIL, requests: int = 0, extra_metrics: dict | None = None,
             notes: list[str] | None = None) -> Result:
    """One result from the variants: the share passed is the score, one failure fails the check."""
    total = len(tally.verdicts)
    passed, failed = tally.names(Outcome.PASSED), tally.names(Outcome.FAILED)
    errored, skipped = tally.names(Outcome.ERROR), tally.names(Outcome.SKIPPED)
    evidence = [evidence_of(name, v, ctx) for name, v in tally.verdicts.items()]
    metrics = {"variants": {name: v.outcome.value for name, v in tally.verdicts.items()},
               "passed": len(passed), "total": total, "requests": requests, **(extra_metrics or {})}
    share = len(passed) / total if total else 0.0
    unfinished = errored + skipped
    tail = f"; not judged: {', '.join(unfinished)}" if unfinished else ""
    tail += "".join(f"; {note}" for note in notes or [])
    limited = [name for name in skipped if tally.verdicts[name].why == "rate_limit"]
    if failed:
        verb = "failed" if fail_status == Status.FAIL else "matched"
        message = f"{what}: {len(failed)} of {total} variant(s) {verb} ({', '.join(failed)}){tail}"
        score = share if fail_status == Status.FAIL else None
        return result(spec, fail_status, message, score=score, evidence=evidence,
                      strength=EvidenceStrength.VERIFIED, metrics=metrics)
    if not passed:
        reasons = "; ".join(f"{name}: {tally.verdicts[name].detail}" for name in unfinished[:3])
        status = Status.ERROR if errored else Status.NOT_EVALUATED
        return result(spec, status, f"{what}: no variant could be judged ({reasons})"
                      + "".join(f"; {note}" for note in notes or []), evidence=evidence, metrics=metrics)
    if limited:
        # A pass on some variants is no pass of the check when the rest were cut by the rate limit.
        detail = tally.verdicts[limited[0]].detail
        return result(spec, Status.NOT_EVALUATED, f"{what}: {len(passed)} of {total} variant(s) passed before the "
                      f"rate limit stopped the rest ({', '.join(limited)}): {detail}", evidence=evidence,
                      metrics=metrics)
    if unfinished:
        return result(spec, Status.PARTIAL, f"{what}: {len(passed)} of {total} variant(s) passed{tail}",
                      score=share, evidence=evidence, strength=EvidenceStrength.VERIFIED, metrics=metrics)
    return result(spec, Status.PASS, f"{what}: all {total} variant(s) passed{tail}", evidence=evidence,
                  strength=EvidenceStrength.VERIFIED, metrics=metrics)


class LlmProbe(Executor):
    """Base of the LLM probes: opens the shared session, bounds the check, runs the variants."""

    what: ClassVar[str] = "probe"

    def timeout_s(self, params: BaseModel, ctx: AuditContext) -> float:
        settings = ctx.profile.llm
        # The session's model lookup and baseline come first; the probe's own budget after that.
        return settings.max_seconds_per_probe + 3 * settings.request_timeout_s + 5

    def run(self, spec: CheckSpec, params: Any, ctx: AuditContext) -> Result:
        deadline = time.monotonic() + self.timeout_s(params, ctx) - PACING_MARGIN_S
        try:
            llm = session(ctx, deadline)
        except RateLimited as exc:
            return Result.not_evaluated(spec.id, f"not judged: {exc}")
        if llm.unusable:
            status = Status.NOT_EVALUATED if llm.unusable_status == "not_evaluated" else Status.ERROR
            return Result(check_id=spec.id, status=status, message=llm.unusable)
        try:
            with llm.bounded(deadline):
                return self.probe(spec, params, ctx, llm)
        except RateLimited as exc:
            return Result.not_evaluated(spec.id, f"not judged: {exc}")
        finally:
            llm.record_pacing(ctx)

    def probe(self, spec: CheckSpec, params: Any, ctx: AuditContext, llm: LlmSession) -> Result:
        raise NotImplementedError

    def run_variants(self, spec: CheckSpec, variants: list[Variant], ctx: AuditContext, llm: LlmSession, *,
                     fail_status: Status = Status.FAIL, extra_metrics: dict | None = None,
                     what: str | None = None, notes: list[str] | None = None) -> Result:
        budget = Budget.of(llm.settings)
        tally = Tally()
        started = time.monotonic()
        with llm.bounded(budget.deadline):
            for variant in variants:
                tally.verdicts[variant.name] = run_variant(llm, variant, budget, ctx)
        metrics = {"seconds": round(time.monotonic() - started, 3), **(extra_metrics or {})}
        if llm.notes or notes:
            metrics["notes"] = list(llm.notes) + list(notes or [])
        return conclude(spec, tally, ctx, what=what or self.what, fail_status=fail_status, requests=budget.used,
                        extra_metrics=metrics, notes=notes)
