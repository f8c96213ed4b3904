"""What the client saw: one request sent through the audited service, bounded in time.

Every probe carries a tag (`[rs-probe:<hex>]` in its prompt) so the upstream's records can be
matched to the client request that caused them.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from readyscore.net import failure_reason

MAX_BODY_CHARS = 4000
MAX_EVENTS = 2000
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "Exception in ASGI")


@dataclass
class Observation:
    phase: str
    tag: str
    stream: bool
    sent: float  # monotonic, the same clock as the upstream's records
    answered: float | None = None  # when the answer ended (or the client gave up)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    error: str | None = None  # transport failure as the client saw it (timeout, reset ...)
    timed_out: bool = False  # the client's own bound ran out: the service never answered in time
    events: int = 0
    done: bool = False  # the stream ended with data: [DONE]
    error_event: bool = False  # the stream carried an error event
    fallback: bool = False  # the answer is marked as a fallback or degraded answer

    @property
    def elapsed(self) -> float | None:
        return None if self.answered is None else self.answered - self.sent

    @property
    def success(self) -> bool:
        """A real answer: 2xx, not a fallback, and for a stream one that ended with [DONE]."""
        if self.status is None or not 200 <= self.status < 300 or self.fallback or self.error:
            return False
        return self.done if self.stream else bool(self.body)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def clean_error(self) -> bool:
        """An error status with a JSON body and no stack trace in it."""
        if self.status is None or self.status < 400:
            return False
        return isinstance(self.json(), dict) and not any(m in self.body for m in TRACEBACK_MARKERS)

    def summary(self) -> str:
        took = f"{self.elapsed:.2f} s" if self.elapsed is not None else "?"
        if self.timed_out:
            return f"no answer within {took}"
        if self.error and self.status is None:
            return f"{self.error} after {took}"
        parts = [f"HTTP {self.status}"]
        if self.stream:
            parts.append(f"{self.events} events")
            parts.append("[DONE]" if self.done else "no [DONE]")
            if self.error_event:
                parts.append("error event")
            if self.error:
                parts.append(self.error)
        if self.fallback:
            parts.append("fallback")
        retry_after = self.headers.get("retry-after")
        if retry_after:
            parts.append(f"Retry-After {retry_after[:20]}")
        return f"{', '.join(parts)} after {took}"


class ProbeClient:
    def __init__(self, base_url: str, *, chat_path: str, model: str | None, prompt: str, max_tokens: int,
                 auth_header: str, auth_value: str | None, fallback_headers: list[str]):
        self.base_url = base_url.rstrip("/")
        self.chat_path = chat_path
        self.model, self.prompt, self.max_tokens = model, prompt, max_tokens
        self.headers = {auth_header: auth_value} if auth_value else {}
        self.fallback_headers = [h.lower() for h in fallback_headers]

    def body(self, tag: str, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": [{"role": "user", "content": f"{self.prompt} [rs-probe:{tag}]"}],
                                "max_tokens": self.max_tokens, "stream": stream}
        if self.model:
            body["model"] = self.model
        return body

    def send(self, phase: str, *, stream: bool, bound_s: float) -> Observation:
        """One chat completion through the service. Never takes much longer than `bound_s`."""
        tag = secrets.token_hex(6)
        obs = Observation(phase=phase, tag=tag, stream=stream, sent=time.monotonic())
        deadline = obs.sent + bound_s
        timeout = httpx.Timeout(bound_s, connect=min(bound_s, 5.0))
        try:
            # A fresh connection per probe: a connection the service dropped during a fault must not
            # turn the next probe's answer into a client-side error.
            with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client, \
                    client.stream("POST", self.base_url + self.chat_path, json=self.body(tag, stream),
                                  headers=self.headers) as response:
                obs.status = response.status_code
                obs.headers = {k.lower(): v for k, v in response.headers.items()}
                streaming = stream and response.status_code < 300 and \
                    "text/event-stream" in obs.headers.get("content-type", "")
                if streaming:
                    self._read_events(response, obs, deadline)
                else:
                    self._read_body(response, obs, deadline)
        except httpx.TimeoutException:
            obs.timed_out = True
            obs.error = "timed out"
        except httpx.HTTPError as exc:
            obs.error = failure_reason(exc)
        obs.answered = time.monotonic()
        if obs.answered > deadline + 0.5:
            obs.timed_out = True
        obs.fallback = self._marked_fallback(obs)
        return obs

    def _read_body(self, response: httpx.Response, obs: Observation, deadline: float) -> None:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size <= MAX_BODY_CHARS * 4:
                chunks.append(chunk)
            if time.monotonic() > deadline:
                obs.timed_out = True
                break
        obs.body = b"".join(chunks).decode("utf-8", "replace")[:MAX_BODY_CHARS]

    def _read_events(self, response: httpx.Response, obs: Observation, deadline: float) -> None:
        kept: list[str] = []
        event_name = ""
        for line in response.iter_lines():
            if time.monotonic() > deadline:
                obs.timed_out = True
                break
            if line.startswith("event:"):
                event_name = line[6:].strip().lower()
                if event_name == "error":
                    obs.error_event = True
                continue
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            obs.events += 1
            if data == "[DONE]":
                obs.done = True
                continue
            if len(kept) < 20:
                kept.append(data)
            try:
                payload = json.loads(data)
            except ValueError:
                continue
            if isinstance(payload, dict) and (payload.get("error") or payload.get("type") == "error"
                                              or event_name == "error"):
                obs.error_event = True
            if obs.events >= MAX_EVENTS:
                break
        obs.body = "\n".join(kept)[:MAX_BODY_CHARS]

    def _marked_fallback(self, obs: Observation) -> bool:
        for name in self.fallback_headers:
            value = obs.headers.get(name)
            if value is not None and value.strip().lower() not in ("", "0", "false", "no"):
                return True
        data = obs.json()
        if isinstance(data, dict) and (data.get("fallback") or data.get("degraded")):
            return True
        return False

    def health(self, path: str, bound_s: float) -> tuple[int | None, float, str | None]:
        started = time.monotonic()
        try:
            with httpx.Client(timeout=bound_s, trust_env=False) as client:
                response = client.get(self.base_url + path, headers=self.headers)
            return response.status_code, time.monotonic() - started, None
        except httpx.HTTPError as exc:
            return None, time.monotonic() - started, failure_reason(exc)
