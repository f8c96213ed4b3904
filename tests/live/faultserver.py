"""A small OpenAI-compatible server on 127.0.0.1 whose faults are switched on one at a time.

`Faults()` is a well-behaved service: key auth, a 429 limiter with Retry-After, validation, 413
for big bodies, clean JSON errors, health endpoints, security headers, request ids, no CORS.
Each field turns one behaviour into the fault a probe must catch. Standard library only, one
thread per connection, so a burst is really concurrent.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk-fault-server-key-0123456789abcdef"
BODY_LIMIT = 64 * 1024


@dataclass
class Faults:
    auth: str = "strict"  # strict | any (accepts any bearer token) | none
    rate_limit: str = "429"  # 429 | 500 (limiter answers 500) | none | 429-bare (no headers)
    limit: int = 25  # requests per window on the chat path (the gentle probes stay near it, the burst goes over)
    window_s: float = 1.0
    leaky_errors: bool = False  # 500 with a Python traceback and file paths on bad input
    markup_errors: bool = False  # text/html error pages that echo the request's fields unescaped
    cors: str = "none"  # none | reflect-credentials | wildcard | wildcard-authenticated (only behind an auth wall)
    slow_health_s: float = 0.0
    sick_after_limit: bool = False  # once the limiter has said 429, liveness answers 503 for good
    readiness: str = "deps"  # deps (names what it checked) | plain ("ok") | 503 | missing
    redirect_off_target: str | None = None  # chat path answers 307 to this URL
    huge_body_bytes: int = 0  # chat path answers this many bytes of JSON-ish garbage
    security_headers: bool = True
    hsts: bool = False  # Strict-Transport-Security (only meaningful over TLS)
    request_id: bool = True
    server_header: str = "fault-server"
    body_limit: bool = True
    validation: bool = True
    open_admin: bool = False
    stream_no_done: bool = False  # the stream stops without finish_reason or [DONE]
    redirect_root_to: str | None = None  # GET / answers 301 to this URL (an http->https redirect)
    auth_header: str = "Authorization"  # or a named header such as X-API-Key carrying the bare key
    slow_chat_s: float = 0.0  # the chat path answers after this long
    reset_chat: bool = False  # the chat path drops the connection without an answer
    stream_ignored: bool = False  # stream=true is answered with one JSON body, not server-sent events
    echo_auth: bool = False  # error bodies echo the Authorization header (the key must still be redacted)
    fail_all: int = 0  # every request, preflights included, is answered with this status (e.g. 503)


class _Limiter:
    def __init__(self, limit: int, window_s: float):
        self.limit, self.window_s = limit, window_s
        self.lock = threading.Lock()
        self.started, self.count = time.monotonic(), 0
        self.tripped = False

    def take(self) -> float | None:
        """None when allowed, else seconds until the window resets."""
        with self.lock:
            now = time.monotonic()
            if now - self.started >= self.window_s:
                self.started, self.count = now, 0
            self.count += 1
            if self.count <= self.limit:
                return None
            self.tripped = True
            return self.window_s - (now - self.started)


def _handler(faults: Faults, limiter: _Limiter, hits: dict[str, int]):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
        server_version = faults.server_header
        sys_version = ""

        def log_message(self, *args: Any) -> None:
            pass

        # -- helpers -------------------------------------------------------------------------
        def send(self, status: int, body: Any, *, content_type: str = "application/json",
                 headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else (
                body.encode() if isinstance(body, str) else json.dumps(body).encode())
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.common_headers()
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                try:
                    self.wfile.write(data)
                except OSError:  # the client stopped reading (a capped body): that is its right
                    self.close_connection = True

        def common_headers(self) -> None:
            if faults.security_headers:
                self.send_header("X-Content-Type-Options", "nosniff")
                self.send_header("Cache-Control", "no-store")
            if faults.hsts:
                self.send_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
            if faults.request_id:
                self.send_header("X-Request-ID", self.headers.get("X-Request-ID") or uuid.uuid4().hex)
            origin = self.headers.get("Origin")
            if origin and faults.cors == "reflect-credentials":
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Allow-Credentials", "true")
            elif origin and faults.cors == "wildcard":
                self.send_header("Access-Control-Allow-Origin", "*")
            elif origin and faults.cors == "wildcard-authenticated" and self.holds_key():
                self.send_header("Access-Control-Allow-Origin", "*")

        def error(self, status: int, message: str, detail: str = "") -> None:
            if faults.echo_auth:
                detail += f" (you sent {self.headers.get('Authorization')!r}; key {API_KEY})"
            if faults.markup_errors:
                self.send(status, f"<html><body><h1>Error {status}</h1><p>{message}</p><p>{detail}</p></body></html>",
                          content_type="text/html; charset=utf-8")
            else:
                error = {"message": message, "type": "invalid_request_error"}
                self.send(status, {"error": {**error, "detail": detail}} if detail else {"error": error})

        def leak(self, exc: str) -> None:
            trace = ("Traceback (most recent call last):\n"
                     '  File "/home/deploy/app/.venv/lib/python3.11/site-packages/app/main.py", line 42, in chat\n'
                     "    body = json.loads(raw)\n" + exc)
            self.send(500, {"detail": trace})

        def read_body(self) -> bytes | None:
            length = int(self.headers.get("Content-Length") or 0)
            if faults.body_limit and length > BODY_LIMIT:
                remaining = length  # drain, so the client reads our 413 instead of a reset
                while remaining > 0:
                    remaining -= len(self.rfile.read(min(65536, remaining)) or b"x" * remaining)
                self.error(413, "request body too large")
                return None
            return self.rfile.read(length) if length else b""

        def holds_key(self) -> bool:
            return self.headers.get("Authorization", "") == f"Bearer {API_KEY}"

        def failed_all(self) -> bool:
            if faults.fail_all:
                self.send(faults.fail_all, {"error": {"message": "service unavailable"}})
            return bool(faults.fail_all)

        def authorised(self) -> bool:
            if faults.auth == "none":
                return True
            if faults.auth_header != "Authorization":
                if self.headers.get(faults.auth_header) == API_KEY:
                    return True
                self.send(401, {"error": {"message": f"missing or invalid {faults.auth_header}"}})
                return False
            header = self.headers.get("Authorization", "")
            if faults.auth == "any" and header.startswith("Bearer ") and len(header) > 7:
                return True
            if header == f"Bearer {API_KEY}":
                return True
            self.send(401, {"error": {"message": "invalid or missing API key", "type": "authentication_error"}},
                      headers={"WWW-Authenticate": "Bearer"})
            return False

        # -- routes --------------------------------------------------------------------------
        def count(self) -> None:
            hits[self.path] = hits.get(self.path, 0) + 1
            if self.headers.get("Authorization"):
                hits["<with Authorization>"] = hits.get("<with Authorization>", 0) + 1

        def do_GET(self) -> None:
            self.count()
            if self.failed_all():
                return
            if self.path == "/healthz" and faults.sick_after_limit and limiter.tripped:
                self.send(503, {"status": "fail"}, content_type="application/health+json")
            elif self.path in ("/healthz", "/readyz") and not (self.path == "/readyz" and faults.readiness == "missing"):
                time.sleep(faults.slow_health_s)
                if self.path == "/readyz" and faults.readiness == "plain":
                    self.send(200, b"ok", content_type="text/plain")
                elif self.path == "/readyz" and faults.readiness == "503":
                    self.send(503, {"status": "fail", "checks": {"model": [{"status": "fail"}]}},
                              content_type="application/health+json")
                elif self.path == "/readyz":
                    self.send(200, {"status": "pass", "checks": {"model": [{"status": "pass"}]}},
                              content_type="application/health+json")
                else:
                    self.send(200, {"status": "pass"}, content_type="application/health+json")
            elif self.path == "/v1/models":
                if self.authorised():
                    self.send(200, {"object": "list", "data": [{"id": "fault-model", "object": "model"}]})
            elif self.path == "/admin" and faults.open_admin:
                self.send(301, b"", headers={"Location": "/admin/"})
            elif self.path == "/admin/" and faults.open_admin:
                self.send(200, {"users": ["root"]})
            elif self.path == "/admin":
                self.send(302, b"", headers={"Location": "/login?next=/admin"})
            elif self.path.startswith("/login"):
                self.send(200, b"<form>sign in</form>", content_type="text/html")
            elif self.path == "/" and faults.redirect_root_to:
                self.send(301, b"", headers={"Location": faults.redirect_root_to})
            elif self.path == "/":
                self.send(200, {"service": "fault-server"})
            else:
                self.error(404, f"no route {self.path}")

        def do_OPTIONS(self) -> None:
            if self.failed_all():
                return
            if faults.cors == "wildcard-authenticated":  # the auth wall in front answers preflights too
                return self.send(401, {"error": {"message": "invalid or missing API key"}})
            self.send(204, b"", headers={"Access-Control-Allow-Methods": "POST"} if faults.cors != "none" else {})

        def do_DELETE(self) -> None:
            self.error(405, "method not allowed")

        def do_POST(self) -> None:
            self.count()
            raw = self.read_body()
            if raw is None or self.failed_all():
                return
            if self.path == "/generate":
                return self.generate(raw)
            if self.path != "/v1/chat/completions":
                return self.error(404, "no such route")
            if faults.reset_chat:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return  # closing with linger 0 sends a TCP reset
            time.sleep(faults.slow_chat_s)
            if faults.redirect_off_target:
                return self.send(307, b"", headers={"Location": faults.redirect_off_target})
            if not self.authorised():
                return
            if faults.rate_limit != "none":
                wait = limiter.take()
                if wait is not None:
                    if faults.rate_limit == "500":
                        return self.send(500, {"error": {"message": "internal error"}})
                    headers = {} if faults.rate_limit == "429-bare" else {
                        "Retry-After": str(max(1, round(wait))), "RateLimit-Limit": str(faults.limit)}
                    return self.send(429, {"error": {"message": "rate limited"}}, headers=headers)
            try:
                body = json.loads(raw)
            except ValueError as exc:
                if faults.leaky_errors:
                    return self.leak(f"json.decoder.JSONDecodeError: {exc}")
                return self.error(400, "the body is not valid JSON")
            except RecursionError:
                return self.error(400, "the body is nested too deeply")
            problem = self.invalid(body) if faults.validation else None
            if problem:
                if faults.leaky_errors:
                    return self.leak(f"KeyError: {problem!r}")
                return self.error(400 if "model" not in problem else 404, problem,
                                  detail=str(body.get("model", "")) if isinstance(body, dict) else "")
            if faults.huge_body_bytes:
                return self.send(200, b'{"choices": [' + b" " * faults.huge_body_bytes)
            if body.get("stream") and not faults.stream_ignored:
                return self.stream(body)
            self.send(200, {"id": "c1", "object": "chat.completion", "model": "fault-model",
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ready"},
                                         "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8}})

        def generate(self, raw: bytes) -> None:
            """A text-generation API that is not OpenAI-shaped: {"inputs": str} -> {"generated_text": str}."""
            if not self.authorised():
                return
            try:
                body = json.loads(raw)
            except ValueError:
                return self.error(400, "invalid JSON")
            if not isinstance(body, dict) or not isinstance(body.get("inputs"), str) or set(body) - {"inputs"}:
                return self.error(422, "inputs must be the only field, a string")
            self.send(200, {"generated_text": "ready"})

        def invalid(self, body: Any) -> str | None:
            if not isinstance(body, dict):
                return "the body must be an object"
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                return "messages must be a non-empty list"
            if body.get("model") not in (None, "fault-model"):
                return f"unknown model {body.get('model')}"
            temperature = body.get("temperature", 1)
            if not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2:
                return "temperature must be between 0 and 2"
            max_tokens = body.get("max_tokens", 16)
            if not isinstance(max_tokens, int) or not 0 < max_tokens <= 4096:
                return "max_tokens must be between 1 and 4096"
            return None

        def stream(self, body: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.common_headers()
            self.end_headers()
            chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
            chunks += [{"choices": [{"index": 0, "delta": {"content": word}}]} for word in ("re", "ady")]
            if not faults.stream_no_done:
                chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                chunks.append({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2,
                                                        "total_tokens": 9}})
            try:
                for chunk in chunks:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.01)
                if not faults.stream_no_done:
                    self.wfile.write(b"data: [DONE]\n\n")
            except OSError:
                pass
            self.close_connection = True

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-answer is part of what these tests do


class FaultServer:
    """`with FaultServer(Faults(auth="any")) as srv: srv.url, srv.api_key, srv.hits`"""

    def __init__(self, faults: Faults | None = None, tls: ssl.SSLContext | None = None):
        self.faults = faults or Faults()
        self.hits: dict[str, int] = {}
        self.api_key = API_KEY
        self._server = _QuietServer(("127.0.0.1", 0), _handler(
            self.faults, _Limiter(self.faults.limit, self.faults.window_s), self.hits))
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> FaultServer:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
