"""OpenAI-compatible chat requests and server-sent-event parsing, shared by the live and llm probes.

Everything here works on what `readyscore.net.TargetClient` returns, so the client's timeouts, body
caps, same-origin redirects and redaction always apply. Nothing raises on bad input from the target:
a body that is not JSON, a stream with broken events or no end becomes fields of the answer.

Server-sent events are parsed by readyscore/loadgen/sse.py, the one parser the load test uses too.
Why not httpx-sse: it reads from an `httpx.Response`, which would bypass the client's byte cap and
per-line arrival times; the SSE grammar an LLM endpoint uses fits in a few lines (spec: WHATWG HTML,
"Server-sent events", the event stream interpretation).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from readyscore.loadgen.sse import StreamTimer, StreamTiming
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
class StreamAnswer:
    """What a streamed chat completion did, with the timings the probes need."""

    exchange: Exchange
    started: float = 0.0
    events: int = 0
    content_events: int = 0
    content: str = ""
    ttft_s: float | None = None  # first content-bearing event (role-only chunks do not count)
    last_content_s: float | None = None
    gaps: list[float] = field(default_factory=list)  # seconds between consecutive content events
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
    """Send a streamed chat request and read it to its end, the deadline, or the byte cap.

    The events are parsed by the one SSE parser (readyscore/loadgen/sse.py) that the load test
    uses too, so a probe and the load test agree on what the first token is."""
    answer = StreamAnswer(exchange=Exchange(method="POST", url=client.url(path)))
    answer.started = time.perf_counter()
    timer = StreamTimer(answer.started, collect_text=True)
    stop_at = answer.started + deadline_s
    raw_lines: list[bytes] = []
    generator = client.stream_lines("POST", path, json_body=body, credentials=credentials,
                                    timeout_s=timeout_s, max_bytes=max_bytes, exchange=answer.exchange,
                                    deadline_s=deadline_s)
    try:
        for item in generator:
            if isinstance(item, Exchange):
                break
            arrived, line = item
            if len(raw_lines) < 200:
                raw_lines.append(line)
            timer.feed(line + b"\n", arrived)
            timing = timer.timing
            if timing.events > MAX_EVENTS or timing.oversized:
                answer.truncated = True
                break
            if timing.done or timing.error is not None:
                break
            if arrived > stop_at:
                answer.timed_out = True
                break
    finally:
        generator.close()
    _take_timing(answer, timer.close(time.perf_counter()))
    if answer.exchange.error and "did not end within" in answer.exchange.error:
        answer.timed_out = True
    answer.truncated = answer.truncated or answer.exchange.truncated
    answer.content_type = answer.exchange.header("content-type")
    if not answer.exchange.body:
        answer.exchange.body = b"\n".join(raw_lines)[: client.max_body]
    return answer


def _take_timing(answer: StreamAnswer, timing: StreamTiming) -> None:
    answer.events = timing.events
    answer.content_events = timing.content_events
    answer.content = timing.text
    answer.ttft_s = timing.ttft
    answer.last_content_s = timing.last_content
    answer.gaps = timing.gaps
    answer.finish_reason = timing.finish_reason
    answer.done = timing.done
    answer.usage = usage_of({"usage": timing.usage}) if timing.usage is not None else None
    answer.invalid_events = timing.invalid_events
    answer.error_event = timing.error
