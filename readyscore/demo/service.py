"""What the demo service does with one API call: authenticate, rate-limit, read and validate the
body, run the toy model, answer as JSON or server-sent events, and keep the books (request log,
metrics, audit trail). The routes in `app.py` only hand requests to it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError

from readyscore.demo.metrics import Metrics
from readyscore.demo.model import Completion, ToyModel, usage
from readyscore.demo.ratelimit import TokenBucketLimiter
from readyscore.demo.schemas import ChatRequest, CompletionRequest
from readyscore.demo.proxy import Throttled, UpstreamFailure, UpstreamProxy
from readyscore.demo.settings import UPSTREAM_URL_ENV, DemoSettings
from readyscore.demo.store import AuditLog, RequestRecord, audit_log_path, open_store

# Bodies past the cap are still read (and thrown away) up to this bound, so the client gets its 413
# instead of a reset connection; beyond it the connection is simply cut.
DRAIN_LIMIT = 64 * 1024 * 1024
# `ignore_n` serves any n "in full", but past this the demo would only burn the test machine's memory.
HARD_MAX_N = 128


class MissingApiKey(RuntimeError):
    """Auth is on but no API key is configured: the service must not start open."""


class ApiError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param
        self.headers = headers or {}


def error_response(status: int, message: str, type_: str, code: str | None = None, param: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": type_, "param": param, "code": code}},
                        status_code=status, headers=headers)


@dataclass
class Parsed:
    kind: str  # "chat" | "text"
    messages: list[dict[str, Any]]
    max_tokens: int | None
    n: int
    stream: bool
    include_usage: bool
    seed: int | None


@dataclass
class Call:
    """One API call as it goes through the service (for the log, the metrics and the audit)."""

    request_id: str
    caller: str = "anonymous"
    started: float = field(default_factory=time.perf_counter)
    path: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Service:
    def __init__(self, settings: DemoSettings):
        self.settings = settings
        self.api_key = os.environ.get(settings.api_key_env, "").strip() if settings.require_auth else ""
        if settings.require_auth and not self.api_key:
            raise MissingApiKey(f"authentication is on but ${settings.api_key_env} is empty: refusing to start "
                                "an open service")
        self.model = ToyModel(settings)
        self.store = open_store(settings)
        self.limiter = TokenBucketLimiter(settings.rate_limit_rps, settings.rate_limit_burst) \
            if settings.rate_limit else None
        self.metrics = Metrics(settings.model_name) if settings.metrics else None
        self.audit = AuditLog(audit_log_path(settings), settings.audit_retention_days) if settings.audit_log else None
        upstream = settings.upstream_url or os.environ.get(UPSTREAM_URL_ENV, "").strip()
        self.proxy = UpstreamProxy(settings, upstream) if upstream else None

    # -- gatekeeping ---------------------------------------------------------------------------

    def authorise(self, request: Request) -> str:
        host = request.client.host if request.client else "unknown"
        if not self.settings.require_auth:
            return f"ip:{host}"
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        challenge = {"WWW-Authenticate": 'Bearer realm="readyscore-demo"'}
        if scheme.lower() != "bearer" or not token:
            self._audit("auth.denied", request, reason="missing credentials")
            raise ApiError(401, "Missing API key: send 'Authorization: Bearer <key>'.", "authentication_error",
                           "missing_api_key", headers=challenge)
        if not (self.settings.auth_accept_any or hmac.compare_digest(token.encode(), self.api_key.encode())):
            self._audit("auth.denied", request, reason="invalid key")
            raise ApiError(401, "Invalid API key.", "authentication_error", "invalid_api_key", headers=challenge)
        return "key:" + hashlib.sha256(token.encode()).hexdigest()[:12]

    def limit(self, caller: str) -> dict[str, str]:
        if self.limiter is None:
            return {}
        decision = self.limiter.take(caller)
        headers = decision.headers(self.limiter.window_s)
        if not decision.allowed:
            raise ApiError(self.settings.rate_limit_status, "Rate limit exceeded: slow down and retry after the "
                           "time in Retry-After.", "rate_limit_error", "rate_limit_exceeded", headers=headers)
        return headers

    async def read_body(self, request: Request) -> bytes:
        cap = self.settings.max_body_bytes
        if cap is None:
            return await request.body()
        declared = request.headers.get("content-length", "")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size <= cap:
                chunks.append(chunk)
            elif size > DRAIN_LIMIT:
                break
        if size > cap or (declared.isdigit() and int(declared) > cap):
            raise ApiError(413, f"Request body too large: the limit is {cap} bytes.", "invalid_request_error",
                           "request_too_large")
        return b"".join(chunks)

    # -- parsing -------------------------------------------------------------------------------

    def parse(self, raw: bytes, kind: str) -> Parsed:
        parsed = self._parse_validated(raw, kind) if self.settings.validate_input else self._parse_naive(raw, kind)
        if not self.settings.ignore_n:
            if self.settings.validate_input:
                if parsed.n > self.settings.max_n:
                    raise ApiError(400, f"n must be at most {self.settings.max_n}.", param="n", code="invalid_n")
                if parsed.max_tokens is not None and parsed.max_tokens > self.settings.max_tokens_cap:
                    raise ApiError(400, f"max_tokens must be at most {self.settings.max_tokens_cap}.",
                                   param="max_tokens", code="invalid_max_tokens")
            else:
                parsed.n = min(parsed.n, self.settings.max_n)
                if parsed.max_tokens is not None:
                    parsed.max_tokens = min(parsed.max_tokens, self.settings.max_tokens_cap)
        parsed.n = max(1, min(parsed.n, HARD_MAX_N))
        if self.settings.enforce_context_window:
            prompt_tokens = self.model.prompt_tokens(parsed.messages)
            if prompt_tokens > self.settings.context_window:
                raise ApiError(400, f"This model's maximum context length is {self.settings.context_window} tokens; "
                                    f"the messages have {prompt_tokens}.", param="messages",
                               code="context_length_exceeded")
        return parsed

    def _parse_validated(self, raw: bytes, kind: str) -> Parsed:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise ApiError(400, "The body is not valid JSON.", code="invalid_json") from None
        if not isinstance(data, dict):
            raise ApiError(400, "The body must be a JSON object.", code="invalid_body")
        try:
            request = (ChatRequest if kind == "chat" else CompletionRequest).model_validate(data)
        except ValidationError as exc:
            # Where and what, never the offending input: errors must not reflect what was sent.
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                                 for e in exc.errors(include_input=False, include_url=False)[:5])
            first = exc.errors()[0]["loc"] if exc.errors() else ()
            raise ApiError(400, f"Invalid request: {problems}", param=str(first[0]) if first else None,
                           code="invalid_request") from None
        if request.model not in (None, self.settings.model_name):
            raise ApiError(404, "The requested model does not exist; see /v1/models.", code="model_not_found",
                           param="model")
        if isinstance(request, ChatRequest):
            messages = request.message_dicts()
        else:
            prompt = request.prompt if isinstance(request.prompt, str) else "\n".join(request.prompt)
            messages = [{"role": "user", "content": prompt}]
        options = request.stream_options
        return Parsed(kind, messages, request.token_limit, request.n, request.stream,
                      bool(options and options.include_usage), request.seed)

    def _parse_naive(self, raw: bytes, kind: str) -> Parsed:
        # The way a first prototype does it: trust the body and let Python complain.
        data = json.loads(raw)
        if kind == "chat":
            messages = list(data["messages"])
            messages[-1]["content"]  # the prompt must exist
        else:
            messages = [{"role": "user", "content": str(data["prompt"])}]
        return Parsed(kind, messages, data.get("max_tokens", data.get("max_completion_tokens")), int(data.get("n", 1)),
                      bool(data.get("stream", False)), bool((data.get("stream_options") or {}).get("include_usage")),
                      data.get("seed"))

    # -- answering -----------------------------------------------------------------------------

    async def handle(self, request: Request, kind: str) -> Response:
        call = Call(request_id=request.state.request_id, path=request.url.path)
        headers: dict[str, str] = {}
        try:
            call.caller = self.authorise(request)
            headers = self.limit(call.caller)
            parsed = self.parse(await self.read_body(request), kind)
            if self.proxy is not None and kind == "chat":
                return await self.proxied(call, parsed, headers)
            completions = self.model.complete(parsed.messages, max_tokens=parsed.max_tokens, n=parsed.n,
                                              seed=parsed.seed)
            call.prompt_tokens = self.model.prompt_tokens(parsed.messages)
        except ApiError as exc:
            self.record(call, exc.status)
            return error_response(exc.status, exc.message, exc.type, exc.code, exc.param, {**headers, **exc.headers})
        except Exception as exc:  # noqa: BLE001 - the service answers every request
            self.record(call, 500)
            return self.crash(exc, headers)
        call.completion_tokens = sum(c.completion_tokens for c in completions)
        if parsed.stream:
            return StreamingResponse(self.stream(call, parsed, completions), media_type="text/event-stream",
                                     headers={**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        longest = max(c.completion_tokens for c in completions)
        await asyncio.sleep(self.settings.ttft_ms / 1000 + max(0, longest - 1) * self.settings.token_delay_ms / 1000)
        self.record(call, 200)
        return JSONResponse(self.whole(call, parsed, completions), headers=headers)

    async def proxied(self, call: Call, parsed: Parsed, headers: dict[str, str]) -> Response:
        """Upstream mode: the provider answers, behind the preset's resilience controls."""
        assert self.proxy is not None
        body = {"model": self.settings.model_name, "messages": parsed.messages, "stream": parsed.stream}
        if parsed.max_tokens is not None:
            body["max_tokens"] = parsed.max_tokens
        try:
            if parsed.stream:
                upstream = await self.proxy.open_stream(body)
                self.record(call, 200)
                return StreamingResponse(self.proxy.relay(upstream), media_type="text/event-stream",
                                         headers={**headers, "Cache-Control": "no-cache"})
            answer = await self.proxy.complete(body)
        except UpstreamFailure as exc:
            if not self.settings.upstream_errors_handled and not isinstance(exc, Throttled):
                raise  # the prototype's way: the request crashes (a 500)
            if self.settings.fallback and not isinstance(exc, Throttled):
                self.record(call, 200)
                marked = {**headers, "X-Fallback": "canned"}
                if parsed.stream:
                    return StreamingResponse(self.proxy.fallback_stream(self.settings.model_name),
                                             media_type="text/event-stream", headers=marked)
                return JSONResponse(self.proxy.fallback_answer(self.settings.model_name), headers=marked)
            status = exc.status
            if isinstance(exc, Throttled) and not self.settings.honest_throttling:
                status = 500 if not self.settings.upstream_errors_handled else 502
            self.record(call, status)
            extra = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after is not None \
                and status in (429, 503) else {}
            return error_response(status, exc.message, "upstream_error", exc.code, headers={**headers, **extra})
        self.record(call, 200)
        return JSONResponse(answer, headers=headers)

    def crash(self, exc: Exception, headers: dict[str, str]) -> JSONResponse:
        if self.settings.debug_errors:
            body = {"error": {"message": f"{type(exc).__name__}: {exc}", "type": "server_error",
                              "traceback": traceback.format_exc()}}
        else:
            body = {"error": {"message": "Internal server error.", "type": "server_error", "param": None,
                              "code": None}}
        return JSONResponse(body, status_code=500, headers=headers)

    def whole(self, call: Call, parsed: Parsed, completions: list[Completion]) -> dict[str, Any]:
        if parsed.kind == "chat":
            choices = [{"index": i, "message": {"role": "assistant", "content": c.text}, "logprobs": None,
                        "finish_reason": c.finish_reason} for i, c in enumerate(completions)]
            obj = "chat.completion"
        else:
            choices = [{"index": i, "text": c.text, "logprobs": None, "finish_reason": c.finish_reason}
                       for i, c in enumerate(completions)]
            obj = "text_completion"
        return {"id": self._id(call, parsed), "object": obj, "created": int(time.time()),
                "model": self.settings.model_name, "system_fingerprint": "fp_readyscore_demo", "choices": choices,
                "usage": usage(call.prompt_tokens, completions)}

    @staticmethod
    def _id(call: Call, parsed: Parsed) -> str:
        return ("chatcmpl-" if parsed.kind == "chat" else "cmpl-") + call.request_id.replace("-", "")[:24]

    async def stream(self, call: Call, parsed: Parsed, completions: list[Completion]) -> AsyncIterator[bytes]:
        chat = parsed.kind == "chat"
        base = {"id": self._id(call, parsed), "object": "chat.completion.chunk" if chat else "text_completion",
                "created": int(time.time()), "model": self.settings.model_name,
                "system_fingerprint": "fp_readyscore_demo"}

        def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            return b"data: " + json.dumps({**base, "choices": choices, **extra}, separators=(",", ":")).encode() + b"\n\n"

        def piece(index: int, text: str | None, finish: str | None = None, role: bool = False) -> dict[str, Any]:
            if chat:
                delta: dict[str, Any] = {"role": "assistant", "content": ""} if role else \
                    ({"content": text} if text is not None else {})
                return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {"index": index, "text": text or "", "logprobs": None, "finish_reason": finish}

        status = 200
        try:
            await asyncio.sleep(self.settings.ttft_ms / 1000)
            if chat:
                yield event([piece(i, None, role=True) for i in range(len(completions))])
            longest = max(c.completion_tokens for c in completions)
            for position in range(longest):
                if position:
                    await asyncio.sleep(self.settings.token_delay_ms / 1000)
                elif self.metrics:
                    self.metrics.first_token(time.perf_counter() - call.started)
                yield event([piece(i, c.tokens[position]) for i, c in enumerate(completions)
                             if position < len(c.tokens)])
            yield event([piece(i, None if chat else "", c.finish_reason) for i, c in enumerate(completions)])
            if parsed.include_usage:
                yield event([], usage=usage(call.prompt_tokens, completions))
            yield b"data: [DONE]\n\n"
        except asyncio.CancelledError:
            status = 499  # the client went away mid-stream
            raise
        finally:
            self.record(call, status)

    # -- bookkeeping ---------------------------------------------------------------------------

    def record(self, call: Call, status: int) -> None:
        latency_ms = (time.perf_counter() - call.started) * 1000
        self.store.add(RequestRecord(request_id=call.request_id, caller=call.caller, path=call.path,
                                     model=self.settings.model_name, status=status, prompt_tokens=call.prompt_tokens,
                                     completion_tokens=call.completion_tokens if status == 200 else 0,
                                     latency_ms=round(latency_ms, 2), ts=time.time()))
        if self.metrics and status == 200:
            self.metrics.count_tokens(call.prompt_tokens, call.completion_tokens)
        if self.audit:
            # What was asked is not kept, only who asked for how much: prompts may hold personal data.
            self.audit.write({"event": "completion", "request_id": call.request_id, "caller": call.caller,
                              "path": call.path, "status": status, "prompt_tokens": call.prompt_tokens,
                              "completion_tokens": call.completion_tokens if status == 200 else 0})

    def _audit(self, event: str, request: Request, **fields: Any) -> None:
        if self.audit:
            self.audit.write({"event": event, "request_id": request.state.request_id, "path": request.url.path,
                              "client": request.client.host if request.client else None, **fields})

    async def health_pause(self) -> None:
        if self.settings.health_delay_ms:
            await asyncio.sleep(self.settings.health_delay_ms / 1000)
