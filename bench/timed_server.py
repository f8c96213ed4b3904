"""A loopback OpenAI-style streaming server whose timings are known exactly.

It exists to check the measurement chain (the load tests and bench/load_accuracy.py): every
content event of a request is written at `arrival + ttft + k * token_delay` on an absolute
schedule (no drift), on a socket with TCP_NODELAY, so what readyscore reports can be compared with
the truth. Variants reproduce the stream shapes that distort timings in other tools (a role chunk
sent early, keep-alive comments, empty chunks, several tokens per event, no usage chunk, a body
ended by closing the connection, an error event, no `[DONE]`) and the failures a load test must
survive (shedding with 429/503, 500s, garbage, failing after a while).

Plain asyncio on a background thread; bind address is always 127.0.0.1. A test and benchmark
tool, not part of the installed package: the tests import it as `bench.timed_server`, the
benchmarks (run as scripts from bench/) as `timed_server`.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from dataclasses import dataclass

MAX_REQUEST_BYTES = 1024 * 1024
NONCE = re.compile(r"\[([0-9a-f]{10})\]")


@dataclass(frozen=True)
class ServerBehaviour:
    ttft_s: float = 0.2
    token_delay_s: float = 0.02
    tokens: int | None = None  # None: as many as the request's max_tokens
    tokens_per_event: int = 1
    role_chunk_early: bool = False  # a role-only chunk right away (must not count as the first token)
    keepalive_comments: bool = False  # ": ping" lines between events
    empty_chunks: bool = False  # a choices=[] and an empty-delta chunk between content events
    usage_chunk: bool = True
    close_delimited: bool = False  # no chunked encoding, the body ends when the connection closes
    split_writes: bool = False  # every event goes out in two TCP writes, cut inside its framing
    # The whole streamed answer pre-rendered and sent in one write, no delays: a server as fast as
    # Python gets, so a load generator is what saturates first (bench/load_efficiency.py).
    instant: bool = False
    error_event_after: int | None = None  # send an error event after this many content events
    send_done: bool = True
    # Overload and failure behaviour
    max_in_flight: int | None = None  # above this, shed with `shed_status`
    max_concurrent: int | None = None  # serve this many at once, queue the rest (latency grows)
    shed_status: int = 429
    shed_retry_after: bool = True
    status: int = 200  # a fixed status for every request (500: a broken service)
    garbage: bool = False  # answer 200 with text that is not an event stream
    fail_after_s: float | None = None  # from the first request on: afterwards every request gets 500


class TimedSseServer:
    """`with TimedSseServer(ServerBehaviour(...)) as server: server.url` (base URL, no /v1)."""

    def __init__(self, behaviour: ServerBehaviour | None = None, *, observe: bool = False):
        self.behaviour = behaviour or ServerBehaviour()
        # With observe=True, the real write times of every streamed answer (seconds after the
        # request arrived): the truth the client's figures are compared with, scheduler lag included.
        self.observe = observe
        self.observed: list[dict[str, object]] = []
        self.requests = 0
        self.shed = 0
        self._in_flight = 0
        self._queue: asyncio.Semaphore | None = None
        self._rendered: dict[int, bytes] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._started = 0.0
        self._first_request: float | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> TimedSseServer:
        self._thread = threading.Thread(target=self._run, name="timed-sse-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the timed SSE server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024))
        self.port = self._server.sockets[0].getsockname()[1]
        self._started = time.monotonic()
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

    # ------------------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrival = time.monotonic()
                if head.startswith(b"GET "):
                    listing = head.startswith(b"GET /v1/models ")
                    await self._simple(writer, 200 if listing else 404,
                                       b'{"object":"list","data":[{"id":"timed","object":"model"}]}' if listing
                                       else b'{"error":{"message":"not found"}}')
                    continue
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip() or 0)
                if length > MAX_REQUEST_BYTES:
                    return
                body = await reader.readexactly(length) if length else b""
                self.requests += 1
                keep_open = await self._respond(writer, body, arrival)
                if not keep_open:
                    return
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            return
        finally:
            try:
                writer.close()
            except RuntimeError:
                pass

    async def _respond(self, writer: asyncio.StreamWriter, body: bytes, arrival: float) -> bool:
        b = self.behaviour
        if self._first_request is None:
            self._first_request = arrival
        if b.fail_after_s is not None and arrival - self._first_request > b.fail_after_s:
            await self._simple(writer, 500, b'{"error": {"message": "internal error"}}')
            return True
        if b.status != 200:
            await self._simple(writer, b.status, b'{"error": {"message": "failing"}}')
            return True
        if b.max_in_flight is not None and self._in_flight >= b.max_in_flight:
            self.shed += 1
            extra = b"Retry-After: 1\r\n" if b.shed_retry_after else b""
            await self._simple(writer, b.shed_status, b'{"error": {"message": "overloaded"}}', extra)
            return True
        if b.garbage:
            await self._simple(writer, 200, b"<html>this is not an event stream</html>", content_type=b"text/html")
            return True
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            await self._simple(writer, 400, b'{"error": {"message": "bad json"}}')
            return True
        max_tokens = int(request.get("max_tokens") or 16)
        tokens = b.tokens if b.tokens is not None else max_tokens
        self._in_flight += 1
        try:
            if b.max_concurrent:
                if self._queue is None:
                    self._queue = asyncio.Semaphore(b.max_concurrent)
                async with self._queue:
                    return await self._serve(writer, b, request, tokens, time.monotonic())
            return await self._serve(writer, b, request, tokens, arrival)
        finally:
            self._in_flight -= 1

    async def _serve(self, writer: asyncio.StreamWriter, b: ServerBehaviour, request: dict, tokens: int,
                     arrival: float) -> bool:
        if request.get("stream"):
            return await self._stream(writer, b, tokens, arrival, _nonce(request))
        await asyncio.sleep(max(0.0, arrival + b.ttft_s + (tokens - 1) * b.token_delay_s - time.monotonic()))
        payload = {"id": "cmpl-1", "object": "chat.completion", "model": "timed",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": "tok " * tokens},
                                "finish_reason": "length"}],
                   "usage": {"prompt_tokens": 8, "completion_tokens": tokens, "total_tokens": 8 + tokens}}
        await self._simple(writer, 200, json.dumps(payload).encode())
        return True

    async def _stream(self, writer: asyncio.StreamWriter, b: ServerBehaviour, tokens: int, arrival: float,
                      nonce: str | None = None) -> bool:
        if b.instant and not b.close_delimited:
            rendered = self._rendered.get(tokens)
            if rendered is None:
                rendered = self._rendered[tokens] = _render_stream(tokens)
            writer.write(rendered)
            await writer.drain()
            return True
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        head += b"Connection: close\r\n\r\n" if b.close_delimited else b"Transfer-Encoding: chunked\r\n\r\n"
        writer.write(head)

        def frame(data: bytes) -> bytes:
            return data if b.close_delimited else b"%x\r\n%s\r\n" % (len(data), data)

        def event(payload: object) -> bytes:
            return frame(b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n")

        def chunk(delta: dict, finish: str | None = None) -> dict:
            return {"id": "c", "object": "chat.completion.chunk", "model": "timed",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        if b.role_chunk_early:
            writer.write(event(chunk({"role": "assistant", "content": ""})))
            await writer.drain()
        per_event = max(1, b.tokens_per_event)
        n_events = max(1, -(-tokens // per_event))
        sent = 0
        written: list[float] = []
        for k in range(n_events):
            # Absolute schedule: the k-th event carries tokens up to (k+1)*per_event; it is due when
            # the last of them would be, on the per-token clock.
            last_token = min(tokens, (k + 1) * per_event) - 1
            due = arrival + b.ttft_s + last_token * b.token_delay_s
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            count = last_token + 1 - sent
            sent += count
            data = event(chunk({"content": "tok " * count} if k or b.role_chunk_early
                               else {"role": "assistant", "content": "tok " * count}))
            if b.keepalive_comments:
                data = frame(b": ping\n\n") + data
            if b.empty_chunks and k:
                data = event({"id": "c", "choices": []}) + event(chunk({})) + data
            if b.split_writes:  # the reader first sees a piece of the chunk-size line, then the rest
                writer.write(data[:2])
                await writer.drain()
                await asyncio.sleep(0.001)
                data = data[2:]
            writer.write(data)
            written.append(time.monotonic() - arrival)
            await writer.drain()
            if b.error_event_after is not None and k + 1 >= b.error_event_after:
                writer.write(frame(b'event: error\ndata: {"error": {"message": "model crashed"}}\n\n'))
                await writer.drain()
                return False
        if self.observe and len(self.observed) < 200_000:
            self.observed.append({"nonce": nonce, "arrival": arrival, "ttft": written[0],
                                  "gaps": [b2 - a for a, b2 in zip(written, written[1:], strict=False)]})
        writer.write(event(chunk({}, "length")))
        if b.usage_chunk:
            writer.write(event({"id": "c", "choices": [], "usage": {"prompt_tokens": 8, "completion_tokens": tokens,
                                                                    "total_tokens": 8 + tokens}}))
        if b.send_done:
            writer.write(frame(b"data: [DONE]\n\n"))
        if not b.close_delimited:
            writer.write(b"0\r\n\r\n")
        await writer.drain()
        return not b.close_delimited

    async def _simple(self, writer: asyncio.StreamWriter, status: int, body: bytes, extra: bytes = b"",
                      content_type: bytes = b"application/json") -> None:
        reason = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 429: b"Too Many Requests", 500: b"Internal Server Error",
                  503: b"Service Unavailable"}.get(status, b"Status")
        writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n%s"
                     % (status, reason, content_type, len(body), extra, body))
        await writer.drain()


def _nonce(request: dict) -> str | None:
    """The `[hex]` prefix readyscore's load user puts in every prompt, to pair server and client views."""
    try:
        text = request["messages"][-1]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    match = NONCE.match(text) if isinstance(text, str) else None
    return match.group(1) if match else None


def _render_stream(tokens: int) -> bytes:
    """A complete chunked event-stream response of `tokens` one-token events, usage and [DONE]."""
    def frame(payload: object) -> bytes:
        data = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        data = b"data: " + data + b"\n\n"
        return b"%x\r\n%s\r\n" % (len(data), data)

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": "c", "object": "chat.completion.chunk", "model": "timed",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    body = [frame(chunk({"role": "assistant", "content": "tok "}))]
    body += [frame(chunk({"content": "tok "})) for _ in range(tokens - 1)]
    body += [frame(chunk({}, "length")),
             frame({"id": "c", "choices": [], "usage": {"prompt_tokens": 8, "completion_tokens": tokens,
                                                       "total_tokens": 8 + tokens}}),
             frame(b"[DONE]"), b"0\r\n\r\n"]
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + b"".join(body))
