"""The one parser of OpenAI-compatible server-sent events, fed the raw bytes as they arrive.

Used by the Locust load user (readyscore/loadgen/locustfile.py) and by the live probes
(readyscore/executors/live/openai.py), so "first token", "content event" and "the stream ended"
mean the same in every family. It imports nothing but orjson: it runs inside the Locust processes.

The caller feeds every read (`feed(chunk, arrived)`, `arrived` = `perf_counter()` taken right after
the read returned) and ends with `close(ended)`. Definitions follow the reference notes
(docs/load.md, "Definitions"):

- TTFT = first content-bearing event - send. Content-bearing: a choice whose delta has non-empty
  `content`, `reasoning_content`/`reasoning` or `tool_calls` (or a completions-style `text`). A
  role-only chunk, a finish chunk, a usage chunk (`choices: []`) and keep-alive comments are not.
  Reasoning deltas count: they are generated tokens the server streams (and bills) like any other,
  so a reasoning model's first token is its first reasoning token, as the readiness model's notes
  on LLM serving metrics define TTFT (first content/reasoning/tool_calls event). Counting
  only `content` would fold the length of the model's thinking into a latency figure. Both keys
  are read because servers name the field differently.
- e2e = last content-bearing event - send (the stream end is kept apart as `end`).
- gaps = the time between consecutive content-bearing events (ITL, pooled over requests later).
- N = `usage.completion_tokens` when the server reports it, else the number of content events.

Events that arrive in one read share its timestamp; an event split across reads is buffered until
its blank line. Nothing here raises on bad input: a line over the cap, data that is not JSON, an
error object inside the stream or a stream without `[DONE]`/finish_reason become fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

MAX_LINE_BYTES = 1024 * 1024  # one SSE line longer than this is garbage, not a token
MAX_GAPS = 8192  # per request; a longer answer keeps its count and times but not every gap
MAX_TEXT_CHARS = 20_000  # of answer text kept when asked for (`collect_text`)
# orjson: about twice as fast as json on these small objects, and it reads bytes as they are.
# Invalid UTF-8 or JSON raises orjson.JSONDecodeError, a ValueError.
_decode = orjson.loads


@dataclass
class StreamTiming:
    """What one streamed answer did, in seconds since the request was sent."""

    started: float
    ttft: float | None = None
    last_content: float | None = None
    end: float | None = None
    content_events: int = 0
    events: int = 0
    gaps: list[float] = field(default_factory=list)
    usage_tokens: int | None = None
    prompt_tokens: int | None = None
    finish_reason: str | None = None
    done: bool = False
    invalid_events: int = 0
    error: str | None = None  # an error event inside the (HTTP 200) stream
    oversized: bool = False
    usage: dict[str, Any] | None = None  # the last usage object, as sent
    text: str = ""  # the answer's text, only with `StreamTimer(collect_text=True)`

    @property
    def tokens(self) -> int:
        return self.usage_tokens if self.usage_tokens is not None else self.content_events

    @property
    def token_count_source(self) -> str:
        return "usage" if self.usage_tokens is not None else "events"

    @property
    def ended_properly(self) -> bool:
        return (self.done or self.finish_reason is not None) and self.error is None and not self.oversized

    def problem(self) -> tuple[str, str] | None:
        """(kind, message) when the stream did not deliver a complete answer."""
        if self.error is not None:
            return "stream_error", f"error event in the stream: {self.error}"
        if self.oversized:
            return "invalid", "an SSE line exceeded the size cap"
        if self.events == 0:
            return "invalid", "no server-sent events"
        if self.content_events == 0 and self.invalid_events and not self.ended_properly:
            return "invalid", "the events are not JSON"
        if not (self.done or self.finish_reason is not None):
            return "truncated", "the stream stopped without [DONE] or a finish_reason"
        return None


class StreamTimer:
    """Incremental SSE parser plus the chat-completion bookkeeping on top of it."""

    __slots__ = ("timing", "_buffer", "_data", "_event", "_collect_text")

    def __init__(self, started: float, *, collect_text: bool = False):
        self.timing = StreamTiming(started=started)
        self._buffer = b""
        self._data: list[bytes] = []
        self._event = b""
        # The load user wants timings only (the fast path below); a probe may want the words too.
        self._collect_text = collect_text

    def feed(self, chunk: bytes, arrived: float) -> None:
        if not chunk:
            return
        if not self._buffer and not self._data and chunk.endswith(b"\n\n"):
            events = chunk.count(b"\n\n")
            # The common read: nothing but whole single-line `data: ` events (every newline pairs
            # into an event end, every event starts with `data: `; JSON strings cannot hold a raw
            # newline). Checked by counting in C, then handled in one loop.
            if (not self._collect_text and chunk.startswith(b"data: ") and chunk.count(b"\n") == 2 * events
                    and chunk.count(b"\n\ndata: ") == events - 1 and b"\r" not in chunk):
                self._batch([block[6:] for block in chunk[:-2].split(b"\n\n")], arrived)
                return
            for block in chunk.split(b"\n\n"):
                if block:
                    for line in block.split(b"\n"):
                        self._line(line.rstrip(b"\r"), arrived)
                    if self._data:
                        self._dispatch(arrived)
            return
        buffer = self._buffer + chunk if self._buffer else chunk
        start = 0
        while True:
            newline = buffer.find(b"\n", start)
            if newline < 0:
                break
            line = buffer[start:newline]
            start = newline + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            self._line(line, arrived)
        self._buffer = buffer[start:]
        if len(self._buffer) > MAX_LINE_BYTES:
            self.timing.oversized = True
            self._buffer = b""

    def close(self, ended: float) -> StreamTiming:
        """The body ended (or the read stopped): flush an event that had no final blank line."""
        if self._buffer:
            line = self._buffer.rstrip(b"\r")
            self._buffer = b""
            self._line(line, ended)
        if self._data:
            self._dispatch(ended)
        self.timing.end = ended - self.timing.started
        return self.timing

    # ------------------------------------------------------------------------------------------

    def _line(self, line: bytes, arrived: float) -> None:
        if not line:
            if self._data:
                self._dispatch(arrived)
            return
        if line[:1] == b":":
            return  # keep-alive comment
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value
        # id:, retry: and unknown fields are ignored, as the SSE grammar says

    def _dispatch(self, arrived: float) -> None:
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = self._event
        self._data = []
        self._event = b""
        self._payload(data, event, arrived)

    def _batch(self, datas: list[bytes], arrived: float) -> None:
        """The events that arrived in one read, handled in one tight loop."""
        timing = self.timing
        if datas[-1] == b"[DONE]":
            timing.events += 1
            timing.done = True
            datas = datas[:-1]
        try:
            payloads = [_decode(data) for data in datas]  # each event on its own: exact, and no slower
        except ValueError:
            for data in datas:  # one of them is not JSON: the careful path counts it
                self._payload(data, b"", arrived)
            return
        timing.events += len(datas)
        found = 0
        for payload in payloads:
            # The usual chunk, inline: one choice, no error, no usage. Anything else: _apply.
            choices = payload.get("choices") if type(payload) is dict else None
            if (type(choices) is list and len(choices) == 1 and type(choices[0]) is dict
                    and not payload.get("error") and not payload.get("usage")):
                choice = choices[0]
                delta = choice.get("delta")
                text = delta.get("content") if type(delta) is dict else None
                if (text and type(text) is str) or _has_content(choice):
                    found += 1
                reason = choice.get("finish_reason")
                if reason is not None and type(reason) is str:
                    timing.finish_reason = reason
            else:
                self._apply(payload, b"", arrived)
        if found:
            self._content(arrived, found)

    def _content(self, arrived: float, count: int = 1) -> None:
        """`count` content events arrived at `arrived` (the first gap is real, the rest zero)."""
        timing = self.timing
        offset = arrived - timing.started
        if timing.ttft is None:
            timing.ttft = offset
        elif len(timing.gaps) < MAX_GAPS:
            timing.gaps.append(offset - timing.last_content)
        if count > 1 and len(timing.gaps) < MAX_GAPS:
            timing.gaps.extend([0.0] * min(count - 1, MAX_GAPS - len(timing.gaps)))
        timing.last_content = offset
        timing.content_events += count

    def _payload(self, data: bytes, event: bytes, arrived: float) -> None:
        timing = self.timing
        timing.events += 1
        try:
            payload = _decode(data)
        except ValueError:
            if data.strip() == b"[DONE]":
                timing.done = True
            else:
                timing.invalid_events += 1
            return
        self._apply(payload, event, arrived)

    def _apply(self, payload: Any, event: bytes, arrived: float) -> None:
        timing = self.timing
        if type(payload) is not dict:
            timing.invalid_events += 1
            return
        if event == b"error" or payload.get("error"):
            error = payload.get("error", payload)
            message = error.get("message") if isinstance(error, dict) else error
            timing.error = str(message)[:200]
            return
        usage = payload.get("usage")
        if usage:
            _read_usage(timing, usage)
        choices = payload.get("choices")
        if not choices or type(choices) is not list:
            return
        content = False
        for choice in choices:
            if type(choice) is not dict:
                continue
            if not content:
                delta = choice.get("delta")
                text = delta.get("content") if type(delta) is dict else None
                content = (bool(text) and type(text) is str) or _has_content(choice)
            if self._collect_text:
                _append_text(timing, choice)
            reason = choice.get("finish_reason")
            if reason is not None and type(reason) is str:
                timing.finish_reason = reason
        if content:
            self._content(arrived)


def _append_text(timing: StreamTiming, choice: dict[str, Any]) -> None:
    delta = choice.get("delta")
    text = delta.get("content") if type(delta) is dict else None
    if not isinstance(text, str):
        text = choice.get("text")
    if isinstance(text, str) and text and len(timing.text) < MAX_TEXT_CHARS:
        timing.text += text[:MAX_TEXT_CHARS - len(timing.text)]


def _read_usage(timing: StreamTiming, usage: Any) -> None:
    if not isinstance(usage, dict):
        return
    timing.usage = usage
    completion = usage.get("completion_tokens")
    if isinstance(completion, int) and not isinstance(completion, bool) and completion >= 0:
        timing.usage_tokens = completion
    prompt = usage.get("prompt_tokens")
    if isinstance(prompt, int) and not isinstance(prompt, bool) and prompt >= 0:
        timing.prompt_tokens = prompt


def _has_content(choice: dict[str, Any]) -> bool:
    delta = choice.get("delta")
    if type(delta) is dict:
        value = delta.get("content")
        if value and isinstance(value, str):
            return True
        for key in ("reasoning_content", "reasoning"):
            value = delta.get(key)
            if value and isinstance(value, str):
                return True
        if delta.get("tool_calls"):
            return True
    text = choice.get("text")
    return bool(text) and isinstance(text, str)


def read_usage_tokens(body: bytes) -> tuple[int | None, bool, str | None]:
    """(completion tokens, has a choice, error) of a non-streamed completion body."""
    try:
        payload = _decode(body)
    except ValueError:
        return None, False, "the body is not JSON"
    if not isinstance(payload, dict):
        return None, False, "the body is not a JSON object"
    if payload.get("error"):
        error = payload["error"]
        return None, False, str(error.get("message") if isinstance(error, dict) else error)[:200]
    usage = payload.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 0:
        tokens = None
    choices = payload.get("choices")
    return tokens, isinstance(choices, list) and bool(choices), None
