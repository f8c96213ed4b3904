"""Small, purpose-built chat servers on loopback for the load verdict tests (issue 16).

A stdlib ThreadingHTTPServer streaming OpenAI-style server-sent events (chunked, keep-alive) with
one fault each:

- ok:                   answers every request (a short stream of 8 tokens)
- mostly_500:           98 of every 100 requests answer 500; the rest are served
- not_found:            every request answers 404 (a wrong chat path)
- refuse_all:           every chat request answers 400
- shed_503:             above `max_in_flight` requests at once, 503 with Retry-After
- breaks_under_overload: serves until more than `max_in_flight` requests arrive at once, then
                        answers 500 to everything for the rest of its life
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "mostly_500", "not_found", "refuse_all", "shed_503", "breaks_under_overload")


class LoadTarget:
    """`with LoadTarget("mostly_500") as target: target.url`."""

    def __init__(self, mode: str, *, max_in_flight: int = 8, token_delay_s: float = 0.005, tokens: int = 8):
        if mode not in MODES:
            raise ValueError(mode)
        self.mode, self.max_in_flight = mode, max_in_flight
        self.token_delay_s, self.tokens = token_delay_s, tokens
        self.lock = threading.Lock()
        self.requests = 0
        self.in_flight = 0
        self.broken = False
        self.statuses: dict[int, int] = {}
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if target.mode == "not_found":
                    return self.send_json(404, {"error": {"message": "not found"}})
                if self.path.startswith("/v1/models"):
                    return self.send_json(200, {"object": "list", "data": [{"id": "load-model"}]})
                self.send_json(404, {"error": {"message": "not found"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with target.lock:
                    target.requests += 1
                    target.in_flight += 1
                    number, crowd = target.requests, target.in_flight
                    if target.mode == "breaks_under_overload" and crowd > target.max_in_flight:
                        target.broken = True
                    broken = target.broken
                try:
                    status = target.status_for(number, crowd, broken)
                    with target.lock:
                        target.statuses[status] = target.statuses.get(status, 0) + 1
                    if status != 200:
                        headers = {"Retry-After": "1"} if status == 503 else {}
                        return self.send_json(status, {"error": {"message": f"HTTP {status}"}}, headers)
                    if body.get("stream"):
                        self.stream()
                    else:
                        self.send_json(200, completion("word " * target.tokens, target.tokens))
                finally:
                    with target.lock:
                        target.in_flight -= 1

            def send_json(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for index in range(target.tokens):
                    time.sleep(target.token_delay_s)
                    event = {"choices": [{"index": 0, "delta": {"content": "word "},
                                          "finish_reason": "length" if index == target.tokens - 1 else None}]}
                    self.chunk(f"data: {json.dumps(event)}\n\n".encode())
                usage = {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": target.tokens,
                                                  "total_tokens": 5 + target.tokens}}
                self.chunk(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def status_for(self, number: int, crowd: int, broken: bool) -> int:
        mode = self.mode
        if mode == "not_found":
            return 404
        if mode == "refuse_all":
            return 400
        if mode == "mostly_500":
            return 200 if number % 50 == 0 else 500
        if mode == "shed_503" and crowd > self.max_in_flight:
            return 503
        if mode == "breaks_under_overload" and broken:
            return 500
        return 200

    def __enter__(self) -> LoadTarget:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the overload stage opens dozens of connections at once


def completion(content: str, tokens: int) -> dict:
    return {"id": "x", "object": "chat.completion", "model": "load-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": tokens, "total_tokens": 5 + tokens}}
