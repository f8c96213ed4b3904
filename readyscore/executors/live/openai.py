"""OpenAI-compatible chat requests and server-sent-event parsing, shared by the live and llm probes.

Everything here works on what `readyscore.net.TargetClient` returns, so the client's timeouts, body
caps, same-origin redirects and redaction always apply. Nothing raises on bad input from the target:
a body that is not JSON, a stream with broken events or no end becomes fields of the answer.

Why not httpx-sse: it reads from an `httpx.Response`, which would bypass the client's byte cap and
per-line arrival times; the SSE grammar an LLM endpoint uses fits in a few lines (spec: WHATWG HTML,
"Server-sent events", the event stream interpretation).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from readyscore.net import Exchange, TargetClient

DEFAULT_CHAT_PATH = "/v1/chat/completions"
DEFAULT_PROMPT = "Reply with the single word: ready"
MAX_EVENTS = 10_000  # a stream with more events than this is cut (and flagged truncated)


def chat_body(model: str | None, prompt: str = DEFAULT_PROMPT, *, max_tokens: int | None = 16,
              stream: bool = False, template: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A chat-completions request body. `template` (a configured sample body) replaces the default
    shape; `model`, `stream` and `max_tokens` are still set on it when given."""
    if template is not None:
        body = json.loads(json.dumps(template))  # a deep copy: callers mutate their body
    else:
        body = {"messages": [{"role": "user", "content": prompt}]}
    if model:
        body["model"] = model
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if stream:
        body["stream"] = True
        # Ask for the usage chunk; servers that do not know the option should ignore it.
        body.setdefault("stream_options", {"include_usage": True})
    else:
        body.pop("stream", None)
        body.pop("stream_options", None)
    body.update(extra)
    return body


# --------------------------------------------------------------------------------------------
# Non-streamed answers


@dataclass
class ChatAnswer:
    """What a (non-streamed) chat completion said, read defensively."""

    exchange: Exchange
    payload: Any = None  # the parsed JSON body, or None
    content: str | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    choices: int = 0
    problem: str | None = None  # why the answer is not a well-formed completion

    @property
    def ok(self) -> bool:
        return self.exchange.ok and self.problem is None


def parse_chat_answer(exchange: Exchange) -> ChatAnswer:
    answer = ChatAnswer(exchange=exchange)
    if exchange.error:
        answer.problem = exchange.error
        return answer
    answer.payload = exchange.json()
    if not isinstance(answer.payload, dict):
        cut = " (truncated at the size cap)" if exchange.truncated else ""
        answer.problem = f"the body is not a JSON object{cut}"
        return answer
    answer.usage = usage_of(answer.payload)
    choices = answer.payload.get("choices")
    if not isinstance(choices, list) or not choices:
        answer.problem = "the body has no `choices`"
        return answer
    answer.choices = len(choices)
    first = choices[0] if isinstance(choices[0], dict) else {}
    message = first.get("message") if isinstance(first.get("message"), dict) else {}
    content = message.get("content", first.get("text"))
    answer.content = content if isinstance(content, str) else None
    reason = first.get("finish_reason")
    answer.finish_reason = reason if isinstance(reason, str) else None
    if answer.content is None and not message.get("tool_calls"):
        answer.problem = "the first choice has no message content"
    return answer


def usage_of(payload: Any) -> dict[str, Any] | None:
    """The `usage` object when it carries integer token counts, else None."""
    usage = payload.get("usage") if isinstance(payload, dict) else None
    if not isinstance(usage, dict):
        return None
    counts = {k: v for k, v in usage.items()
              if k in ("prompt_tokens", "completion_tokens", "total_tokens") and isinstance(v, int)
              and not isinstance(v, bool) and v >= 0}
    return counts or None


def chat_completion(client: TargetClient, body: dict[str, Any], *, path: str = DEFAULT_CHAT_PATH,
                    credentials: str | None = "valid", timeout_s: float | None = None,
                    headers: dict[str, str] | None = None) -> ChatAnswer:
    exchange = client.request("POST", path, json_body=body, credentials=credentials, timeout_s=timeout_s,
                              headers=headers)
    return parse_chat_answer(exchange)


# --------------------------------------------------------------------------------------------
# Server-sent events


@dataclass
class SseEvent:
    data: str
    event: str = "message"
    arrived: float = 0.0  # perf_counter of the line that completed it


def parse_sse(lines: Iterable[tuple[float, bytes]]) -> Iterator[SseEvent]:
    """Events from (arrival time, raw line) pairs.

    Comments (`:` keep-alives) and `id:`/`retry:` are skipped; `data:` is accepted with or without
    the space; several data lines join with a newline; an event ends at a blank line (or at the end
    of the stream, which some servers reach without the final blank line).
    """
    data: list[str] = []
    event = "message"
    last = 0.0
    for arrived, raw in lines:
        last = arrived
        line = raw.decode("utf-8", errors="replace").rstrip("\r")
        if not line:
            if data:
                yield SseEvent(data="\n".join(data), event=event, arrived=arrived)
            data, event = [], "message"
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value or "message"
    if data:
        yield SseEvent(data="\n".join(data), event=event, arrived=last)


@dataclass
class StreamAnswer:
    """What a streamed chat completion did, with the timings the probes need."""

    exchange: Exchange
    started: float = 0.0
    events: int = 0
    content_events: int = 0
    content: str = ""
    ttft_s: float | None = None  # first content-bearing event (role-only chunks do not count)
    last_content_s: float | None = None
    content_times: list[float] = field(default_factory=list)  # seconds since start, per content event
    finish_reason: str | None = None
    done: bool = False  # `data: [DONE]` seen
    usage: dict[str, Any] | None = None
    invalid_events: int = 0  # data that is not JSON
    error_event: str | None = None  # an error object inside an HTTP 200 stream
    content_type: str | None = None
    timed_out: bool = False  # our own deadline ended the read
    truncated: bool = False

    @property
    def ended(self) -> bool:
        """The stream finished properly: `[DONE]` or a finish_reason, and no error."""
        return (self.done or self.finish_reason is not None) and self.error_event is None \
            and not self.timed_out and not self.truncated and self.exchange.error is None

    @property
    def problem(self) -> str | None:
        if self.exchange.error:
            return self.exchange.error
        if self.exchange.status is not None and not 200 <= self.exchange.status < 300:
            return f"HTTP {self.exchange.status}"
        if self.error_event:
            return f"an error event inside the stream: {self.error_event}"
        if self.timed_out:
            return "the stream did not end before the deadline"
        if self.truncated:
            return "the stream exceeded the size cap"
        if self.events == 0:
            shown = f" (Content-Type: {self.content_type})" if self.content_type else ""
            return f"no server-sent events arrived{shown}"
        if not (self.done or self.finish_reason):
            return "the stream stopped without `[DONE]` or a finish_reason (truncated)"
        return None


def stream_chat(client: TargetClient, body: dict[str, Any], *, path: str = DEFAULT_CHAT_PATH,
                credentials: str | None = "valid", timeout_s: float | None = None,
                deadline_s: float = 60.0, max_bytes: int | None = None) -> StreamAnswer:
    """Send a streamed chat request and read it to its end, the deadline, or the byte cap."""
    answer = StreamAnswer(exchange=Exchange(method="POST", url=client.url(path)))
    answer.started = time.perf_counter()
    stop_at = answer.started + deadline_s
    raw_lines: list[bytes] = []
    generator = client.stream_lines("POST", path, json_body=body, credentials=credentials,
                                    timeout_s=timeout_s, max_bytes=max_bytes, exchange=answer.exchange,
                                    deadline_s=deadline_s)

    def lines() -> Iterator[tuple[float, bytes]]:
        for item in generator:
            if isinstance(item, Exchange):
                return
            arrived, line = item
            if len(raw_lines) < 200:
                raw_lines.append(line)
            yield item
            if arrived > stop_at:
                answer.timed_out = True
                return

    try:
        for event in parse_sse(lines()):
            answer.events += 1
            if answer.events > MAX_EVENTS:
                answer.truncated = True
                break
            _apply_event(answer, event)
            if answer.done or answer.error_event:
                break
    finally:
        generator.close()
    if answer.exchange.error and "did not end within" in answer.exchange.error:
        answer.timed_out = True
    answer.truncated = answer.truncated or answer.exchange.truncated
    answer.content_type = answer.exchange.header("content-type")
    if not answer.exchange.body:
        answer.exchange.body = b"\n".join(raw_lines)[: client.max_body]
    return answer


def _apply_event(answer: StreamAnswer, event: SseEvent) -> None:
    data = event.data.strip()
    if data == "[DONE]":
        answer.done = True
        return
    try:
        payload = json.loads(data)
    except ValueError:
        answer.invalid_events += 1
        return
    if event.event == "error" or (isinstance(payload, dict) and isinstance(payload.get("error"), (dict, str))):
        error = payload.get("error") if isinstance(payload, dict) else payload
        message = error.get("message") if isinstance(error, dict) else error
        answer.error_event = str(message)[:200]
        return
    if not isinstance(payload, dict):
        answer.invalid_events += 1
        return
    answer.usage = usage_of(payload) or answer.usage
    choices = payload.get("choices")
    if not isinstance(choices, list):
        return
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
        text = delta.get("content", choice.get("text"))
        if (isinstance(text, str) and text) or delta.get("tool_calls") or delta.get("reasoning_content"):
            offset = event.arrived - answer.started
            if answer.ttft_s is None:
                answer.ttft_s = offset
            answer.last_content_s = offset
            answer.content_times.append(offset)
            answer.content_events += 1
            if isinstance(text, str) and len(answer.content) < 20_000:
                answer.content += text
        if isinstance(choice.get("finish_reason"), str):
            answer.finish_reason = choice["finish_reason"]
