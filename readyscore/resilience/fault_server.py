"""The fault-injecting upstream: an OpenAI-compatible HTTP/1.1 server written on raw asyncio
streams, because the faults it plays (a connection reset mid-stream, a body cut short, an answer
that never comes) are exactly what an HTTP framework is built to prevent.

Run as `python -m readyscore.resilience.fault_server --host 127.0.0.1 --port 0`. It talks to the
process that started it in JSON lines:
- stdout: `{"event": "listening", "url": ...}`, then one `{"event": "request", ...}` per request
  received (arrival time on the shared monotonic clock, the caller's address and port, the fault
  that answered it, the probe tag found in the body), and `{"event": "mode", ...}` acknowledgements;
- stdin: `{"mode": "error", "status": 503}` switches the fault; end of input (the parent is gone)
  ends the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import struct
import sys
import time
from typing import Any

MODES = ("healthy", "throttle", "error", "hang", "slow_first_token", "reset_mid_stream", "malformed_sse")
MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 4 * 1024 * 1024
TAG = re.compile(rb"rs-probe:([0-9a-f]{8,32})")
ANSWER_WORDS = ["The", " fake", " upstream", " answers", " in", " full", "."]
MODEL_PATHS = ("/chat/completions", "/completions")


def emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class FaultServer:
    def __init__(self) -> None:
        self.mode = "healthy"
        self.params: dict[str, Any] = {}
        self.seq = 0
        self.errors_sent = 0
        # Set when the mode changes: answers held back (hang, slow first token) are released then,
        # by closing their connections, so no fault outlives its phase.
        self.release = asyncio.Event()

    def set_mode(self, mode: str, params: dict[str, Any]) -> None:
        self.release.set()
        self.release = asyncio.Event()
        self.mode, self.params = mode, params
        emit({"event": "mode", "mode": mode, "t": time.monotonic()})

    # -- one connection -------------------------------------------------------------------------

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("?", 0)
        connection = f"{peer[0]}:{peer[1]}"
        first = True
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrived = time.monotonic()
                method, path, headers = parse_head(head)
                length = int(headers.get("content-length", "0") or 0)
                if headers.get("transfer-encoding", "").lower() == "chunked" or not 0 <= length <= MAX_BODY_BYTES:
                    await self.plain(writer, 411, {"error": {"message": "send a Content-Length body"}}, close=True)
                    return
                body = await reader.readexactly(length) if length else b""
                keep = await self.answer(writer, method, path, body, arrived, connection, first)
                first = False
                if not keep:
                    return
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            return
        finally:
            if not writer.is_closing():
                writer.close()

    async def answer(self, writer: asyncio.StreamWriter, method: str, path: str, body: bytes, arrived: float,
                     connection: str, new_connection: bool) -> bool:
        path = path.split("?", 1)[0]
        model_call = method == "POST" and path.endswith(MODEL_PATHS)
        stream = False
        if model_call:
            try:
                stream = bool(json.loads(body or b"{}").get("stream"))
            except (ValueError, AttributeError):
                stream = False
        tag = TAG.search(body)
        mode = self.mode if model_call else "healthy"
        self.seq += 1
        record = {"event": "request", "seq": self.seq, "t": arrived, "method": method, "path": path,
                  "connection": connection, "new_connection": new_connection, "stream": stream,
                  "model_call": model_call, "mode": mode, "tag": tag.group(1).decode() if tag else None,
                  "status": self.status_for(mode, model_call, path, method)}
        emit(record)
        if not model_call:
            if method == "GET" and path.rstrip("/").endswith("/models"):
                return await self.plain(writer, 200, {"object": "list", "data": [
                    {"id": "fake-upstream", "object": "model", "owned_by": "readyscore"}]})
            return await self.plain(writer, 404, {"error": {"message": "no such endpoint", "type": "not_found"}})
        return await getattr(self, f"_{mode}")(writer, stream)

    def status_for(self, mode: str, model_call: bool, path: str, method: str) -> int | None:
        if not model_call:
            return 200 if method == "GET" and path.rstrip("/").endswith("/models") else 404
        if mode == "throttle":
            return 429
        if mode == "error":
            return int(self.params.get("status") or (500 if self.seq % 2 else 503))
        if mode == "hang":
            return None
        return 200

    # -- the faults -----------------------------------------------------------------------------

    async def _healthy(self, writer: asyncio.StreamWriter, stream: bool) -> bool:
        if stream:
            await self.start_stream(writer)
            for chunk in sse_chunks(ANSWER_WORDS):
                await self.chunk(writer, chunk)
            await self.chunk(writer, finish_chunk() + b"data: [DONE]\n\n")
            await self.end_stream(writer)
            return True
        return await self.plain(writer, 200, completion("".join(ANSWER_WORDS)))

    async def _throttle(self, writer: asyncio.StreamWriter, stream: bool) -> bool:
        retry_after = float(self.params.get("retry_after_s", 2))
        return await self.plain(writer, 429, {"error": {"message": "Rate limit reached for requests",
                                                        "type": "rate_limit_error", "code": "rate_limit_exceeded"}},
                                headers={"Retry-After": f"{max(1, round(retry_after))}"})

    async def _error(self, writer: asyncio.StreamWriter, stream: bool) -> bool:
        status = self.status_for("error", True, "", "POST") or 500
        return await self.plain(writer, status, {"error": {"message": "The server had an error while processing "
                                                           "your request.", "type": "server_error"}})

    async def _hang(self, writer: asyncio.StreamWriter, stream: bool) -> bool:
        await self.hold(float(self.params.get("hold_s", 30)))
        reset(writer)
        return False

    async def _slow_first_token(self, writer: asyncio.StreamWriter, stream: bool) -> bool:
        delay = float(self.params.get("first_token_s", 30))
        if not stream:
            if not await self.hold(delay):
                reset(writer)
                return False
            return await self._healthy(writer, stream)
        await self.start_stream(writer)
        if not await self.hold(delay):
            reset(writer)
            return False
        for chunk in sse_chunks(ANSWER_WORDS):
            await self.chunk(writer, chunk)
        await self.chunk(writer, finish_chunk() + b"data: [DONE]\n\n")
        await self.end_stream(writer)
        return True

    async def _reset_mid_stream(self, writer: asyncio.StreamWriter, stream: bool) -> bool:
        if stream:
            await self.start_stream(writer)
            for chunk in sse_chunks(ANSWER_WORDS[:3]):
                await self.chunk(writer, chunk)
        else:  # a JSON answer whose connection dies halfway through its declared length
            body = json.dumps(completion("".join(ANSWER_WORDS))).encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body[: len(body) // 2])
            await writer.drain()
        await asyncio.sleep(0.05)
        reset(writer)
        return False

    async def _malformed_sse(self, writer: asyncio.StreamWriter, stream: bool) -> bool:
        if not stream:  # a complete HTTP answer whose JSON is cut short
            body = json.dumps(completion("".join(ANSWER_WORDS))).encode()[:40]
            return await self.plain(writer, 200, None, raw=body, close=True)
        await self.start_stream(writer)
        for chunk in sse_chunks(ANSWER_WORDS[:2]):
            await self.chunk(writer, chunk)
        # An event whose JSON stops mid-string, then a clean end of the HTTP body without [DONE].
        await self.chunk(writer, b'data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","choices":[{"index"'
                                 b':0,"delta":{"content":" trunc\n\n')
        await self.end_stream(writer)
        return False

    # -- plumbing -------------------------------------------------------------------------------

    async def hold(self, seconds: float) -> bool:
        """Wait `seconds`; False when the phase ended first (the caller then drops the connection)."""
        try:
            await asyncio.wait_for(self.release.wait(), timeout=seconds)
            return False
        except TimeoutError:
            return True

    async def plain(self, writer: asyncio.StreamWriter, status: int, payload: Any, *, headers: dict[str, str] | None = None,
                    raw: bytes | None = None, close: bool = False) -> bool:
        body = raw if raw is not None else json.dumps(payload).encode()
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}", "content-type: application/json",
                 f"content-length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if close:
            lines.append("connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        return not close

    async def start_stream(self, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
                     b"transfer-encoding: chunked\r\n\r\n")
        await writer.drain()

    async def chunk(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        await writer.drain()
        await asyncio.sleep(float(self.params.get("token_delay_s", 0.005)))

    async def end_stream(self, writer: asyncio.StreamWriter) -> None:
        writer.write(b"0\r\n\r\n")
        await writer.drain()


REASONS = {200: "OK", 404: "Not Found", 411: "Length Required", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return method, path, headers


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST instead of FIN: what a crashed provider or a dropped load balancer does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


def completion(text: str) -> dict[str, Any]:
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": "fake-upstream",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 8, "completion_tokens": len(ANSWER_WORDS), "total_tokens": 8 + len(ANSWER_WORDS)}}


def _event(choice: dict[str, Any]) -> bytes:
    data = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": "fake-upstream", "choices": [choice]}
    return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


def sse_chunks(words: list[str]) -> list[bytes]:
    first = _event({"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None})
    return [first] + [_event({"index": 0, "delta": {"content": w}, "finish_reason": None}) for w in words]


def finish_chunk() -> bytes:
    return _event({"index": 0, "delta": {}, "finish_reason": "stop"})


async def main_async(host: str, port: int) -> None:
    server = FaultServer()
    listener = await asyncio.start_server(server.serve, host, port, limit=MAX_HEAD_BYTES, reuse_address=True)
    sock = listener.sockets[0]
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    emit({"event": "listening", "url": f"http://{shown}:{bound_port}", "t": time.monotonic()})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_HEAD_BYTES)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:  # the parent is gone (or closed our stdin on purpose): stop
            break
        try:
            command = json.loads(line)
            if command.get("sync"):
                # Every request that arrived before this line has been reported: the parent may
                # now match the upstream's records against the answers its client already has.
                emit({"event": "sync", "t": time.monotonic()})
                continue
            mode = command.pop("mode")
            if mode not in MODES:
                raise ValueError(mode)
        except (ValueError, KeyError, AttributeError, TypeError):
            emit({"event": "bad_command", "line": line.decode("utf-8", "replace")[:200]})
            continue
        server.set_mode(mode, command)
    server.release.set()
    listener.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m readyscore.resilience.fault_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        asyncio.run(main_async(args.host, args.port))
    except OSError as exc:
        emit({"event": "failed", "reason": f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"})
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
