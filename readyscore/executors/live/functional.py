"""Functional probes: the API answers a chat completion, streams it to the end, reports usage."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from readyscore.executors.base import AuditContext, result
from readyscore.executors.live.openai import ChatAnswer, stream_chat
from readyscore.executors.live.session import LiveExecutor, LiveSession
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, EvidenceStrength, Result, Status


class ChatProbeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probe: Literal["completion", "streaming", "usage"]


def credentials_problem(answer_status: int | None, session: LiveSession) -> str | None:
    """A reason the functional probes cannot judge the service (not a verdict on it)."""
    if answer_status not in (401, 403):
        return None
    env = session.ctx.options.api_key_env
    if session.api_key is None:
        return (f"the service needs credentials (HTTP {answer_status}) and none were given: "
                f"put the key in the {env} environment variable")
    return f"the key in {env} was refused (HTTP {answer_status}): check that it is valid for this service"


@register
class ChatProbe(LiveExecutor[ChatProbeParams]):
    kind = "live_chat"
    Params = ChatProbeParams
    description = "A chat completion with the given credentials: answers, streams to its end, reports token usage."

    def probe(self, spec: CheckSpec, params: ChatProbeParams, ctx: AuditContext, session: LiveSession) -> Result:
        if params.probe == "streaming":
            if session.generic:
                return Result.not_applicable(spec.id, "streaming is probed on OpenAI-compatible APIs only "
                                                      "(live.api is generic)")
            return self._streaming(spec, session)
        answer = session.baseline_chat()
        blocked = credentials_problem(answer.exchange.status, session)
        if blocked:
            return Result.not_evaluated(spec.id, blocked)
        if params.probe == "completion":
            return self._completion(spec, session, answer)
        return self._usage(spec, session, answer)

    def _completion(self, spec: CheckSpec, session: LiveSession, answer: ChatAnswer) -> Result:
        exchange = answer.exchange
        if exchange.redirected_off_target:
            return result(spec, Status.FAIL, "the chat endpoint redirects off the target host (not followed)",
                          evidence=[session.evidence(exchange, "redirect off the target")])
        if answer.ok:
            return result(spec, Status.PASS,
                          f"HTTP {exchange.status} in {exchange.elapsed_s * 1000:.0f} ms with a completion"
                          + (f" from model {session.model!r}" if session.model else ""),
                          evidence=[session.evidence(exchange, "a chat completion")],
                          strength=EvidenceStrength.VERIFIED,
                          metrics={"latency_ms": round(exchange.elapsed_s * 1000, 1)})
        reason = answer.problem or f"HTTP {exchange.status}"
        if exchange.ok:
            reason = f"HTTP {exchange.status}, but {reason}"
        hint = session.chat_unusable()
        evidence = [session.evidence(exchange, "the chat request")]
        if hint and not session.generic:
            legacy = session.request("POST", session.settings.completions_path, follow_redirects=True,
                                     json_body={**({"model": session.model} if session.model else {}),
                                                "prompt": session.settings.prompt, "max_tokens": 1})
            if legacy.ok:
                hint += f"; {session.settings.completions_path} (legacy text completions) does answer"
                evidence.append(session.evidence(legacy, "the legacy completions endpoint"))
            reason = f"{reason} ({hint})"
        return result(spec, Status.FAIL, f"the chat completion failed: {reason}", evidence=evidence)

    def _usage(self, spec: CheckSpec, session: LiveSession, answer: ChatAnswer) -> Result:
        if not answer.ok:
            return Result.not_evaluated(spec.id, "no successful chat completion to read usage from "
                                                 f"({answer.problem or f'HTTP {answer.exchange.status}'})")
        usage = answer.usage or {}
        evidence = [session.evidence(answer.exchange, "the completion's usage object")]
        if "prompt_tokens" in usage and "completion_tokens" in usage:
            return result(spec, Status.PASS, f"usage reported: {usage}", evidence=evidence,
                          strength=EvidenceStrength.VERIFIED, metrics={"usage": usage})
        if usage:
            return result(spec, Status.PARTIAL, f"usage is incomplete (no prompt/completion split): {usage}",
                          evidence=evidence, strength=EvidenceStrength.VERIFIED)
        return result(spec, Status.FAIL, "the completion carries no token usage: per-caller cost and quotas "
                                         "cannot be attributed", evidence=evidence)

    def _streaming(self, spec: CheckSpec, session: LiveSession) -> Result:
        settings = session.settings
        answer = stream_chat(session.client, session.chat_request_body(stream=True), path=settings.chat_path,
                             timeout_s=settings.request_timeout_s, deadline_s=settings.stream_deadline_s)
        exchange = answer.exchange
        blocked = credentials_problem(exchange.status, session)
        if blocked:
            return Result.not_evaluated(spec.id, blocked)
        details = (f"{answer.events} events, {answer.content_events} with content"
                   + (f", first content after {answer.ttft_s * 1000:.0f} ms" if answer.ttft_s is not None else "")
                   + (f", finish_reason {answer.finish_reason!r}" if answer.finish_reason else "")
                   + (", [DONE]" if answer.done else ""))
        metrics = {"events": answer.events, "content_events": answer.content_events,
                   "ttft_ms": round(answer.ttft_s * 1000, 1) if answer.ttft_s is not None else None,
                   "invalid_events": answer.invalid_events, "usage_in_stream": answer.usage is not None}
        evidence = [session.evidence(exchange, f"the streamed completion: {details}")]
        problem = answer.problem
        if problem is None and answer.content_events == 0:
            problem = "the stream ended without any content"
        if problem:
            return result(spec, Status.FAIL, f"streaming failed: {problem} ({details})", evidence=evidence,
                          metrics=metrics)
        content_type = (answer.content_type or "").split(";")[0].strip()
        if content_type != "text/event-stream" or answer.invalid_events:
            notes = []
            if content_type != "text/event-stream":
                notes.append(f"Content-Type is {content_type or 'missing'}, not text/event-stream")
            if answer.invalid_events:
                notes.append(f"{answer.invalid_events} event(s) were not JSON")
            return result(spec, Status.PARTIAL, f"the stream ends, but {'; '.join(notes)} ({details})",
                          evidence=evidence, strength=EvidenceStrength.VERIFIED, metrics=metrics)
        return result(spec, Status.PASS, f"the stream ends properly ({details})", evidence=evidence,
                      strength=EvidenceStrength.VERIFIED, metrics=metrics)
