"""Upstream mode of the demo service: chat completions go to an OpenAI-compatible provider, with
as much resilience as the preset has (the timeouts, retries, backoff, throttling, breaker, fallback
and stream handling switches of `DemoSettings`). readyscore's resilience run points this at its
fake upstream and judges each control from outside.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from readyscore.demo.settings import DemoSettings

FALLBACK_TEXT = "The model is unavailable right now; this is a reduced answer."
TRANSIENT_STATUSES = {500, 502, 503, 504}


class UpstreamFailure(Exception):
    """The provider failed: `status` is what the client gets when the failure is handled."""

    def __init__(self, status: int, message: str, code: str, retry_after: float | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.retry_after = status, message, code, retry_after


class Throttled(UpstreamFailure):
    pass


class CircuitBreaker:
    """Opens after `threshold` failed calls in a row; after `cooldown_s` one trial call goes through;
    its success closes the breaker, its failure opens it again."""

    def __init__(self, threshold: int, cooldown_s: float):
        self.threshold, self.cooldown_s = threshold, cooldown_s
        self.failures = 0
        self.opened_at: float | None = None
        self.trial_running = False

    def allow(self) -> bool:
        if self.opened_at is None:
            return True
        if time.monotonic() - self.opened_at >= self.cooldown_s and not self.trial_running:
            self.trial_running = True
            return True
        return False

    def retry_after(self) -> float:
        return max(0.0, (self.opened_at or 0) + self.cooldown_s - time.monotonic())

    def succeeded(self) -> None:
        self.failures, self.opened_at, self.trial_running = 0, None, False

    def failed(self) -> None:
        self.failures += 1
        if self.trial_running or self.failures >= self.threshold:
            self.opened_at = time.monotonic()
        self.trial_running = False


class UpstreamProxy:
    def __init__(self, settings: DemoSettings, base_url: str):
        self.s = settings
        self.base_url = base_url.rstrip("/")
        timeout = httpx.Timeout(settings.upstream_timeout_s) if settings.upstream_timeout_s else httpx.Timeout(None)
        self.client = httpx.AsyncClient(timeout=timeout, trust_env=False)
        self.breaker = CircuitBreaker(settings.breaker_threshold, settings.breaker_cooldown_s) \
            if settings.circuit_breaker else None
        self.not_before = 0.0  # honest throttling: no provider call before this (monotonic) time

    async def close(self) -> None:
        await self.client.aclose()

    # -- one call, with the preset's controls ---------------------------------------------------

    def _delay(self, retry: int) -> float:
        if self.s.upstream_backoff == "none":
            return 0.0
        ceiling = min(self.s.upstream_backoff_max_s, self.s.upstream_backoff_base_s * 2 ** (retry - 1))
        return ceiling * (0.5 + random.random() / 2)  # noqa: S311 - "equal jitter", not cryptography

    def _gate(self) -> None:
        wait = self.not_before - time.monotonic()
        if wait > 0:
            raise Throttled(429, "The model provider is rate limiting; retry later.", "upstream_rate_limited", wait)
        if self.breaker is not None and not self.breaker.allow():
            raise UpstreamFailure(503, "The model provider is failing; the circuit breaker is open.",
                                  "upstream_circuit_open", self.breaker.retry_after())

    async def _attempts(self, once):
        self._gate()
        last: UpstreamFailure | None = None
        for attempt in range(self.s.upstream_attempts):
            if attempt:
                await asyncio.sleep(self._delay(attempt))
            try:
                result = await once()
            except Throttled as exc:
                if self.s.honest_throttling:
                    self.not_before = time.monotonic() + (exc.retry_after or 1.0)
                    if self.breaker is not None:
                        self.breaker.trial_running = False
                    raise
                last = UpstreamFailure(502, "The model provider is rate limiting.", "upstream_error")
                continue
            except UpstreamFailure as exc:
                last = exc
                continue
            if self.breaker is not None:
                self.breaker.succeeded()
            return result
        if self.breaker is not None:
            self.breaker.failed()
        assert last is not None
        raise last

    @staticmethod
    def _failure(response: httpx.Response) -> UpstreamFailure:
        if response.status_code == 429:
            retry_after = response.headers.get("retry-after", "")
            return Throttled(429, "The model provider is rate limiting; retry later.", "upstream_rate_limited",
                             float(retry_after) if retry_after.replace(".", "", 1).isdigit() else 1.0)
        return UpstreamFailure(502, f"The model provider answered {response.status_code}.", "upstream_error")

    @staticmethod
    def _transport(exc: httpx.HTTPError) -> UpstreamFailure:
        if isinstance(exc, httpx.TimeoutException):
            return UpstreamFailure(504, "The model provider did not answer in time.", "upstream_timeout")
        return UpstreamFailure(502, "The connection to the model provider failed.", "upstream_error")

    async def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        async def once() -> dict[str, Any]:
            try:
                response = await self.client.post(self.base_url + "/chat/completions", json=body)
            except httpx.HTTPError as exc:
                raise self._transport(exc) from None
            if response.status_code != 200:
                raise self._failure(response)
            try:
                data = response.json()
                data["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError):
                raise UpstreamFailure(502, "The model provider sent a malformed answer.", "upstream_error") from None
            return data
        return await self._attempts(once)

    async def open_stream(self, body: dict[str, Any]) -> httpx.Response:
        """The provider's streaming response, once its head arrived (retried like a plain call)."""
        async def once() -> httpx.Response:
            request = self.client.build_request("POST", self.base_url + "/chat/completions", json=body)
            try:
                response = await self.client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise self._transport(exc) from None
            if response.status_code != 200:
                await response.aread()
                await response.aclose()
                raise self._failure(response)
            return response
        return await self._attempts(once)

    async def relay(self, response: httpx.Response) -> AsyncIterator[bytes]:
        """The provider's events, checked; a break ends with an error event or, without that
        control, with a finish chunk and [DONE] (the silent truncation readyscore catches)."""
        finished = False
        try:
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    finished = True
                    break
                json.loads(data)  # a malformed event is a broken stream
                yield f"data: {data}\n\n".encode()
            if not finished:
                raise UpstreamFailure(502, "The model provider's stream ended early.", "upstream_stream_broken")
        except (httpx.HTTPError, ValueError, UpstreamFailure) as exc:
            if self.breaker is not None:
                self.breaker.failed()
            if self.s.stream_error_event:
                message = exc.message if isinstance(exc, UpstreamFailure) else \
                    "The model provider's stream broke off." if not isinstance(exc, httpx.TimeoutException) \
                    else "The model provider stopped sending in time."
                yield ("data: " + json.dumps({"error": {"message": message, "type": "upstream_error",
                                                        "code": "upstream_stream_broken"}}) + "\n\n").encode()
                return
            finish = {"id": "chatcmpl-demo", "object": "chat.completion.chunk", "model": self.s.model_name,
                      "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            yield f"data: {json.dumps(finish)}\n\n".encode()
        finally:
            await response.aclose()
        yield b"data: [DONE]\n\n"

    def fallback_answer(self, model: str) -> dict[str, Any]:
        return {"id": "chatcmpl-fallback", "object": "chat.completion", "created": int(time.time()), "model": model,
                "fallback": True, "choices": [{"index": 0, "message": {"role": "assistant", "content": FALLBACK_TEXT},
                                               "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}

    def fallback_stream(self, model: str) -> AsyncIterator[bytes]:
        async def events() -> AsyncIterator[bytes]:
            base = {"id": "chatcmpl-fallback", "object": "chat.completion.chunk", "model": model, "fallback": True}
            for delta, finish in (({"role": "assistant", "content": FALLBACK_TEXT}, None), ({}, "stop")):
                yield f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': delta, 'finish_reason': finish}]})}\n\n".encode()
            yield b"data: [DONE]\n\n"
        return events()
