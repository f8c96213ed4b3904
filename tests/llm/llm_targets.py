"""Small real HTTP servers on loopback for the LLM probes' bad-target tests.

Each is a stdlib ThreadingHTTPServer in a daemon thread with one behaviour for the chat endpoint:
a well-formed but boring answer, a body that is not JSON, a 500, a hang, a stream that never ends,
a 401. The demo service covers the flaws; these cover targets that misbehave at the HTTP level.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODELS = {"object": "list", "data": [{"id": "plain-model", "object": "model", "context_length": 2048}]}


def completion(content: str, finish_reason: str = "stop", completion_tokens: int = 3, choices: int = 1) -> dict:
    return {"id": "x", "object": "chat.completion", "model": "plain-model",
            "choices": [{"index": i, "message": {"role": "assistant", "content": content},
                         "finish_reason": finish_reason} for i in range(choices)],
            "usage": {"prompt_tokens": 5, "completion_tokens": completion_tokens,
                      "total_tokens": 5 + completion_tokens}}


class TargetServer:
    """`with TargetServer("not_json") as url:` — the chat endpoint behaves as `mode` says."""

    def __init__(self, mode: str, stop_after_s: float = 20.0, publish_window: bool = True):
        self.mode = mode
        self.models = MODELS if publish_window else {"object": "list", "data": [{"id": "plain-model"}]}
        self.stop = threading.Event()
        self.requests = 0  # POSTs (chat requests)
        self.gets = 0
        self.stop_after_s = stop_after_s
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                server.gets += 1
                if self.path == "/v1/models":
                    self._send(200, json.dumps(server.models).encode())
                else:
                    self._send(404, b'{"error": "not found"}')

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                server.requests += 1
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                server.handle_chat(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def handle_chat(self, handler, body: dict) -> None:
        mode = self.mode
        over_window = len(json.dumps(body)) > 4 * MODELS["data"][0]["context_length"]
        if mode.startswith("overflow_") and not over_window:
            mode = "ok"
        if mode == "overflow_400":
            handler._send(400, b'{"error": {"message": "too long", "code": "context_length_exceeded"}}')
        elif mode == "overflow_500":
            handler._send(500, b'{"error": {"message": "CUDA out of memory"}}')
        elif mode == "overflow_200":  # silently truncated
            handler._send(200, json.dumps(completion("12")).encode())
        elif mode == "overflow_hang":
            self.stop.wait(self.stop_after_s)
        elif mode == "refuse_all":  # a gateway that answers 400 to every chat request
            handler._send(400, b'{"error": {"message": "bad request", "type": "invalid_request_error"}}')
        elif mode == "no_system_obeys_user":
            # A gateway that owns the system prompt (400 to any client system message) in front of a
            # model that obeys whatever instruction arrives as user text.
            messages = body.get("messages") if isinstance(body.get("messages"), list) else []
            if any(isinstance(m, dict) and m.get("role") == "system" for m in messages):
                handler._send(400, b'{"error": {"message": "system messages are not allowed"}}')
                return
            text = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
            order = re.search(r"the code (\w+) followed immediately by (\w+)", text)
            handler._send(200, json.dumps(completion(order.group(1) + order.group(2) if order else "Bonjour.")).encode())
        elif mode == "ok":
            handler._send(200, json.dumps(completion("Bonjour.")).encode())
        elif mode == "not_json":
            handler._send(200, b"<html><body>Service temporarily unavailable</body></html>", "text/html")
        elif mode == "server_error":
            handler._send(500, b'{"error": {"message": "internal error"}}')
        elif mode == "unauthorised":
            handler._send(401, b'{"error": {"message": "invalid api key"}}')
        elif mode == "hang":
            self.stop.wait(self.stop_after_s)
        elif mode == "trickle":  # a 200 whose body never ends: one byte at a time
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            handler.wfile.write(b'{"choices": [{"message": {"content": "')
            started = time.monotonic()
            while not self.stop.is_set() and time.monotonic() - started < self.stop_after_s:
                try:
                    handler.wfile.write(b"a")
                    handler.wfile.flush()
                except OSError:
                    return
                self.stop.wait(0.05)
        else:
            raise ValueError(mode)

    def __enter__(self) -> str:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
