"""Input validation and unbounded consumption (OWASP LLM10:2025): malformed and out-of-range
requests get a 4xx, an oversized body gets 413 or 400, an absurd max_tokens is rejected or capped.

A 5xx or a hang on bad input fails: the service crashed or spent resources on garbage. A 2xx on
invalid input fails too: nothing validated it. A 4xx counts as a rejection only when the valid twin
of the same request (same path, headers and body shape) is accepted: a service that answers 400 to
everything validates nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from readyscore.executors.base import AuditContext, result
from readyscore.executors.live.functional import credentials_problem
from readyscore.executors.live.openai import parse_chat_answer
from readyscore.executors.live.session import LiveExecutor, LiveSession
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status
from readyscore.net import Exchange

CASES = ("malformed_json", "wrong_types", "temperature_out_of_range", "empty_messages", "absurd_max_tokens")


class InputParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probe: Literal["validation", "body_size"]
    cases: list[Literal[CASES]] = list(CASES)  # type: ignore[valid-type]


@dataclass
class CaseOutcome:
    case: str
    exchange: Exchange
    status: Status | None  # None: cannot judge (refused as unauthorised first)
    message: str


def applicable_cases(session: LiveSession) -> list[str]:
    """The OpenAI-shaped cases need an OpenAI-shaped body; a generic API gets the ones that fit it."""
    if not session.generic:
        return list(CASES)
    template = session.settings.sample_body or {}
    return [case for case in CASES if case in ("malformed_json", "wrong_types", "empty_messages")
            or (case == "temperature_out_of_range" and "temperature" in template)
            or (case == "absurd_max_tokens" and "max_tokens" in template)]


def _case_request(session: LiveSession, case: str) -> Exchange:
    path = session.settings.chat_path
    if case == "malformed_json":
        return session.request("POST", path, content=b'{"model": "x", "messages": [{"role": "user", "content": ',
                               headers={"Content-Type": "application/json"})
    body: dict[str, Any] = session.chat_request_body()
    if session.generic and case == "wrong_types":
        # Every string where a number is, every number where a string is: no schema accepts both.
        body = {k: 12345 if isinstance(v, str) else "not-a-number" for k, v in body.items()}
    elif session.generic and case == "empty_messages":
        body = {}
    elif case == "wrong_types":
        body["messages"] = 12345
        body["max_tokens"] = "many"
    elif case == "temperature_out_of_range":
        body["temperature"] = 7.5
    elif case == "empty_messages":
        body["messages"] = []
        body.pop("prompt", None)
    elif case == "absurd_max_tokens":
        body["max_tokens"] = session.settings.absurd_max_tokens
    return session.request("POST", path, json_body=body)


def judge_invalid(case: str, exchange: Exchange, session: LiveSession) -> CaseOutcome:
    status = exchange.status
    if status is None:
        verdict = (Status.FAIL, f"no answer ({exchange.error}): the bad request hung or broke the connection")
    elif status in (401, 403):
        verdict = (None, f"HTTP {status}: refused as unauthorised before validation")
    elif status == 429:
        verdict = (None, "HTTP 429: rate limited")
    elif 300 <= status < 400:
        verdict = (None, f"HTTP {status}: redirected, so the request never reached validation here")
    elif status >= 500:
        verdict = (Status.FAIL, f"HTTP {status}: the bad input caused a server error instead of a 4xx")
    elif 400 <= status < 500:
        verdict = (Status.PASS, f"rejected with HTTP {status}")
    elif case == "absurd_max_tokens" and 200 <= status < 300:
        answer = parse_chat_answer(exchange)
        tokens = (answer.usage or {}).get("completion_tokens")
        verdict = (Status.PARTIAL, f"accepted (HTTP {status}); the answer used "
                   f"{tokens if tokens is not None else 'an unknown number of'} tokens, but nothing shows the "
                   f"request was capped rather than trusted — reject or clamp max_tokens explicitly")
    else:
        verdict = (Status.FAIL, f"accepted (HTTP {status}): nothing validated the request")
    return CaseOutcome(case, exchange, verdict[0], verdict[1])


def validation_outcomes(session: LiveSession) -> list[CaseOutcome]:
    """Every invalid-input case once per audit (error hygiene reads the same answers)."""
    return session.ctx.shared("live.validation", lambda: [
        judge_invalid(case, _case_request(session, case), session) for case in applicable_cases(session)])


def oversized_request(session: LiveSession) -> Exchange:
    """A syntactically valid chat request whose body is far larger than any sane limit."""
    def send() -> Exchange:
        size = session.settings.oversized_body_bytes
        body = session.chat_request_body(max_tokens=1)
        filler = "a " * (size // 2)
        if session.generic:
            body["readyscore_padding"] = filler  # a generic schema may refuse it: still not a 2xx
        else:
            body["messages"] = [{"role": "user", "content": filler}]
        content = json.dumps(body).encode()
        return session.request("POST", session.settings.chat_path, content=content,
                               headers={"Content-Type": "application/json"})
    return session.ctx.shared("live.oversized", send)


@register
class InputProbe(LiveExecutor[InputParams]):
    kind = "live_input"
    Params = InputParams
    description = "Malformed, mistyped, out-of-range and oversized requests get a 4xx (413 for size), not 2xx or 5xx."

    def probe(self, spec: CheckSpec, params: InputParams, ctx: AuditContext, session: LiveSession) -> Result:
        unusable = session.chat_unusable()
        if unusable:
            return Result.not_evaluated(spec.id, unusable)
        if params.probe == "body_size":
            return self._body_size(spec, session)
        outcomes = [o for o in validation_outcomes(session) if o.case in params.cases]
        judged = [o for o in outcomes if o.status is not None]
        evidence = [session.evidence(o.exchange, f"{o.case}: {o.message}") for o in outcomes]
        refused_twin = session.twin_refused()
        if refused_twin:
            evidence.append(session.evidence(session.valid_twin(), "the valid twin"))
            # Only what a refused twin cannot explain still counts: a crash, a hang, an acceptance.
            judged = [o for o in judged if o.status is Status.FAIL]
            if not judged:
                return Result(check_id=spec.id, status=Status.NOT_EVALUATED, message=refused_twin,
                              evidence=evidence)
        if not judged:
            reason = credentials_problem(outcomes[0].exchange.status, session) if outcomes else None
            return Result.not_evaluated(spec.id, reason or "no case could be judged: "
                                        + "; ".join(f"{o.case}: {o.message}" for o in outcomes))
        failed = [o for o in judged if o.status is Status.FAIL]
        partial = [o for o in judged if o.status is Status.PARTIAL]
        summary = "; ".join(f"{o.case}: {o.message}" for o in (failed or partial or judged))
        metrics = {o.case: (o.exchange.status if o.exchange.status is not None else o.exchange.error)
                   for o in outcomes}
        if failed:
            return result(spec, Status.FAIL, f"{len(failed)} of {len(judged)} invalid requests mishandled: {summary}",
                          evidence=evidence, metrics=metrics)
        if partial:
            return result(spec, Status.PARTIAL, summary, evidence=evidence, metrics=metrics,
                          strength=EvidenceStrength.VERIFIED)
        unjudged = len(outcomes) - len(judged)
        return result(spec, Status.PASS, f"all {len(judged)} invalid requests rejected with 4xx"
                      + (f" ({unjudged} could not be judged)" if unjudged else ""),
                      evidence=evidence, metrics=metrics, strength=EvidenceStrength.VERIFIED)

    def _body_size(self, spec: CheckSpec, session: LiveSession) -> Result:
        exchange = oversized_request(session)
        size_mib = session.settings.oversized_body_bytes / (1024 * 1024)
        what = f"a {size_mib:.1f} MiB request body"
        status = exchange.status
        evidence: list[Evidence] = [session.evidence(exchange, what)]
        if status is not None and 400 <= status < 500 and status not in (401, 403, 429):
            refused_twin = session.twin_refused()
            if refused_twin:
                evidence.append(session.evidence(session.valid_twin(), "the valid twin"))
                return Result(check_id=spec.id, status=Status.NOT_EVALUATED, evidence=evidence,
                              message=f"{what} got HTTP {status}, but {refused_twin}")
        metrics = {"body_bytes": session.settings.oversized_body_bytes, "status": status,
                   "elapsed_ms": round(exchange.elapsed_s * 1000, 1)}
        if status == 413:
            return result(spec, Status.PASS, f"{what} was refused with 413", evidence=evidence, metrics=metrics,
                          strength=EvidenceStrength.VERIFIED)
        if status == 400:
            return result(spec, Status.PASS, f"{what} was refused with 400 (413 says why more precisely)",
                          evidence=evidence, metrics=metrics, strength=EvidenceStrength.VERIFIED)
        if status in (401, 403):
            reason = credentials_problem(status, session)
            if reason:
                return Result.not_evaluated(spec.id, reason)
        if status is not None and 400 <= status < 500 and status != 429:
            return result(spec, Status.PASS, f"{what} was refused with HTTP {status}", evidence=evidence,
                          metrics=metrics, strength=EvidenceStrength.VERIFIED)
        if status is None:
            if exchange.error and "timed out" not in exchange.error:
                return result(spec, Status.PARTIAL, f"{what}: the connection was dropped without an answer "
                              f"({exchange.error}); a 413 tells clients why", evidence=evidence, metrics=metrics)
            return result(spec, Status.FAIL, f"{what}: no answer ({exchange.error}): the server kept reading or "
                          "processing it", evidence=evidence, metrics=metrics)
        if status >= 500:
            return result(spec, Status.FAIL, f"{what} caused HTTP {status} instead of 413", evidence=evidence,
                          metrics=metrics)
        return result(spec, Status.FAIL, f"{what} was accepted (HTTP {status}): no request size limit",
                      evidence=evidence, metrics=metrics)
