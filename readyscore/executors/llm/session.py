"""One connection to the model endpoint per audit: which model, which context window, whether a plain
request works at all, and a bounded way to send each probe request.

Built once through `ctx.shared`, so the probes running in parallel share one model lookup and one
baseline request.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from readyscore.executors.base import AuditContext
from readyscore.executors.live.openai import ChatAnswer, parse_chat_answer
from readyscore.executors.live.session import TargetUnreachable, session_of
from readyscore.executors.live.pacer import PacedClient, RateLimited
from readyscore.executors.llm.detect import escape_excerpt
from readyscore.executors.llm.twin import TwinCache, TwinOutcome, harmless_twin
from readyscore.net import Exchange, TargetClient
from readyscore.settings.llm import LlmSettings

MAX_ANSWER_BYTES = 256 * 1024  # a chat answer to a probe is a few hundred bytes; anything past this is cut
# Field names servers use for the context window in their model list (OpenAI-compatible servers
# agree on nothing here: vLLM says max_model_len, others context_length or context_window).
CONTEXT_FIELDS = ("context_window", "context_length", "max_model_len", "max_context_length", "context_size",
                  "n_ctx", "max_position_embeddings")
BASELINE_PROMPT = "Reply with the single word: ready"


class BudgetSpent(Exception):
    """The probe's request or time budget is used up; the remaining variants are not run."""


@dataclass
class Budget:
    """Requests and wall-clock time one probe may spend."""

    max_requests: int
    deadline: float  # time.monotonic()
    used: int = 0

    @classmethod
    def of(cls, settings: LlmSettings) -> Budget:
        return cls(max_requests=settings.max_requests_per_probe,
                   deadline=time.monotonic() + settings.max_seconds_per_probe)

    @property
    def remaining_s(self) -> float:
        return self.deadline - time.monotonic()

    def take(self) -> None:
        if self.used >= self.max_requests:
            raise BudgetSpent(f"the probe's request budget ({self.max_requests}) is spent "
                              "(llm.max_requests_per_probe)")
        if self.remaining_s <= 0.5:
            raise BudgetSpent("the probe's time budget is spent (llm.max_seconds_per_probe)")
        self.used += 1


@dataclass
class LlmSession:
    client: TargetClient | None  # None only when the target is unreachable (then `unusable` says so)
    settings: LlmSettings
    chat_path: str
    model: str | None = None
    context_window: int | None = None
    context_source: str = "unknown"  # config | the models path | assumed
    send_seed: bool = True
    # Why the endpoint cannot be probed at all (no answer to a plain request), with the status
    # the probes should report: "error" (the target misbehaves) or "not_evaluated" (we cannot get in).
    unusable: str | None = None
    unusable_status: str = "error"
    notes: list[str] = field(default_factory=list)
    twins: TwinCache = field(default_factory=TwinCache)

    def body(self, messages: list[dict[str, str]], *, max_tokens: int | None = None, **extra: Any) -> dict[str, Any]:
        """A deterministic request: temperature 0, a fixed seed where accepted, a small max_tokens."""
        body: dict[str, Any] = {"messages": messages, "temperature": 0,
                                "max_tokens": max_tokens if max_tokens is not None else self.settings.max_tokens}
        if self.model:
            body["model"] = self.model
        if self.send_seed and self.settings.seed is not None:
            body["seed"] = self.settings.seed
        body.update(extra)
        return body

    def send(self, body: dict[str, Any], budget: Budget | None = None, timeout_s: float | None = None) -> ChatAnswer:
        """POST one chat request, bounded by the request timeout and the probe's remaining time
        (wall clock: a server trickling bytes forever is cut at the deadline, not only at the cap)."""
        if budget is not None:
            budget.take()
        limit = timeout_s or self.settings.request_timeout_s
        if budget is not None:
            limit = max(1.0, min(limit, budget.remaining_s))
        if self.client is None:
            raise RuntimeError(self.unusable or "the LLM session has no connection")
        return post_bounded(self.client, self.chat_path, body, limit)

    @property
    def pacer(self):
        return self.client.pacer if isinstance(self.client, PacedClient) else None

    def bounded(self, deadline: float):
        """Paced waits of this thread end by `deadline`."""
        return self.pacer.bounded(deadline) if self.pacer else contextlib.nullcontext()

    def limit_met(self) -> str:
        return self.pacer.limit.describe() if self.pacer else "unknown"

    def record_pacing(self, ctx: AuditContext) -> None:
        section = ctx.sections.get("live")
        if self.pacer and isinstance(section, dict):
            section["pacing"] = self.pacer.summary()

    def twin(self, body: dict[str, Any]) -> TwinOutcome:
        """How the harmless twin of `body` (same roles, size, parameters) is answered; one request
        per shape per audit, not charged to any probe's budget."""
        def send(twin_body: dict[str, Any]) -> TwinOutcome:
            try:
                return TwinOutcome(answer=self.send(twin_body))
            except RateLimited as exc:
                return TwinOutcome(answer=None, rate_limited=str(exc))
        return self.twins.get(harmless_twin(body), send)


def post_bounded(client: TargetClient, path: str, body: dict[str, Any], limit_s: float) -> ChatAnswer:
    exchange = Exchange(method="POST", url=client.url(path))
    lines: list[bytes] = []
    size = 0
    generator = client.stream_lines("POST", path, json_body=body, timeout_s=limit_s, max_bytes=MAX_ANSWER_BYTES,
                                    exchange=exchange, deadline_s=limit_s)
    try:
        for item in generator:
            if isinstance(item, Exchange):
                break
            lines.append(item[1])
            size += len(item[1]) + 1
    finally:
        generator.close()
    exchange.body = b"\n".join(lines)[:MAX_ANSWER_BYTES]
    exchange.truncated = exchange.truncated or size > MAX_ANSWER_BYTES
    return parse_chat_answer(exchange)


def session(ctx: AuditContext, deadline: float | None = None) -> LlmSession:
    return ctx.shared("llm.session", lambda: open_session(ctx, deadline))


def open_session(ctx: AuditContext, deadline: float | None = None) -> LlmSession:
    """The live probes' connection (auth header, TLS, model), plus what only the LLM probes need."""
    try:
        live = session_of(ctx)
    except TargetUnreachable as exc:
        return LlmSession(client=None, settings=ctx.profile.llm, chat_path="", unusable=str(exc),
                          unusable_status="not_evaluated")
    settings: LlmSettings = ctx.profile.llm
    # The operator's canary must never reach a report, even if the model prints it.
    ctx.redactor.add(settings.server_canary())
    try:
        with live.pacer.bounded(deadline if deadline is not None else float("inf")):
            llm = LlmSession(client=live.client, settings=settings, chat_path=live.settings.chat_path,
                             model=live.model)
            if settings.context_window:
                llm.context_window, llm.context_source = settings.context_window, "config"
            else:
                _read_context_window(llm, live.settings.models_path)
            _baseline(llm, ctx)
    except RateLimited as exc:
        return LlmSession(client=live.client, settings=settings, chat_path=live.settings.chat_path,
                          unusable=f"not judged: {exc}", unusable_status="not_evaluated")
    return llm


def _read_context_window(llm: LlmSession, models_path: str) -> None:
    exchange = llm.client.request("GET", models_path, timeout_s=llm.settings.request_timeout_s)
    payload = exchange.json() if exchange.ok else None
    entries = payload.get("data") if isinstance(payload, dict) else None
    entries = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    chosen = next((e for e in entries if e.get("id") == llm.model), entries[0] if entries else None)
    window = context_window_of(chosen) if chosen else None
    if window:
        llm.context_window, llm.context_source = window, models_path


def context_window_of(entry: dict[str, Any]) -> int | None:
    """The context window an entry of /v1/models declares, looking one level into nested objects."""
    candidates = [entry] + [v for v in entry.values() if isinstance(v, dict)]
    for candidate in candidates:
        for name in CONTEXT_FIELDS:
            value = candidate.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and 256 <= value <= 100_000_000:
                return value
    return None


def _baseline(llm: LlmSession, ctx: AuditContext) -> None:
    """A plain request must work before any verdict means something: a 400 to an attack prompt is
    a refusal only if the same endpoint answers an ordinary request."""
    body = llm.body([{"role": "user", "content": BASELINE_PROMPT}], max_tokens=8)
    answer = llm.send(body)
    status = answer.exchange.status
    if status in (400, 422) and "seed" in body:
        # Not every OpenAI-compatible server takes `seed`; determinism then rests on temperature 0.
        llm.send_seed = False
        answer = llm.send(llm.body([{"role": "user", "content": BASELINE_PROMPT}], max_tokens=8))
        if answer.ok:
            llm.notes.append("the endpoint rejects `seed`; probes rely on temperature 0 alone")
        status = answer.exchange.status
    if answer.ok:
        return
    if status in (401, 403):
        llm.unusable_status = "not_evaluated"
        llm.unusable = (f"the chat endpoint refused our credentials (HTTP {status}); put the API key in "
                        f"${ctx.options.api_key_env}")
    elif status == 404:
        llm.unusable_status = "not_evaluated"
        llm.unusable = (f"no chat endpoint at {llm.chat_path} (HTTP 404); set live.chat_path "
                        "if the service uses another path")
    elif status == 429:
        llm.unusable_status = "not_evaluated"
        llm.unusable = (f"not judged: the service's rate limit ({llm.limit_met()}) still answered 429 after "
                        "the waits it asked for")
    elif status is not None and 400 <= status < 500:
        # A service that refuses a plain request refuses every attack too: no refusal would mean anything.
        llm.unusable_status = "not_evaluated"
        llm.unusable = (f"the service refuses a plain chat request (HTTP {status}), so no refusal of an attack "
                        f"can be told from it; check live.model and live.sample_body: "
                        f"{escape_excerpt(answer.exchange.excerpt(ctx.redactor, 200))}")
    elif status is not None and not 200 <= status < 300:
        llm.unusable = (f"a plain chat request failed with HTTP {status}: "
                        f"{escape_excerpt(answer.exchange.excerpt(ctx.redactor, 200))}")
    else:
        llm.unusable = f"a plain chat request got no usable answer: {answer.problem}"
