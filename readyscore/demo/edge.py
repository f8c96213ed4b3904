"""The edge of the demo service, as plain ASGI middleware (streaming passes through untouched):
request ids, the Server header, security headers, CORS, metrics and the JSON access log."""

from __future__ import annotations

import logging
import platform
import re
import time
import uuid
from typing import Any

from readyscore.demo.metrics import Metrics
from readyscore.demo.settings import DemoSettings

ACCESS_LOG = logging.getLogger("readyscore.demo.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    # Browsers ignore HSTS over plain http; behind the TLS-terminating proxy it is what they see.
    "strict-transport-security": "max-age=31536000; includeSubDomains",
}
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "authorization, content-type, x-request-id"
KNOWN_ROUTES = ("/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/livez", "/readyz", "/metrics")


def leaky_server_header() -> str:
    """What an unconfigured uvicorn deployment gives away."""
    try:
        import uvicorn
        version = uvicorn.__version__
    except ImportError:  # pragma: no cover - the demo runs on uvicorn
        version = "0"
    return f"uvicorn/{version} (Python/{platform.python_version()})"


class EdgeMiddleware:
    def __init__(self, app, settings: DemoSettings, metrics: Metrics | None):
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.server = settings.server_header or leaky_server_header()

    def _cors(self, origin: str | None) -> dict[str, str]:
        settings = self.settings
        if not origin or settings.cors == "off":
            return {}
        if settings.cors == "reflect_any" or origin in settings.cors_origins:
            headers = {"access-control-allow-origin": origin, "vary": "Origin"}
            if settings.cors_allow_credentials:
                headers["access-control-allow-credentials"] = "true"
            return headers
        return {}

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        origin = headers.get("origin")
        cors = self._cors(origin)
        extra: dict[str, str] = {"server": self.server}
        if self.settings.request_id:
            extra["x-request-id"] = request_id
        if self.settings.security_headers:
            extra.update(SECURITY_HEADERS)
        extra.update(cors)

        if scope["method"] == "OPTIONS" and origin and "access-control-request-method" in headers \
                and self.settings.cors != "off":
            await self._preflight(send, extra, allowed=bool(cors))
            return

        started = time.perf_counter()
        status_seen = [500]
        if self.metrics:
            self.metrics.started()

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_seen[0] = message["status"]
                present = {k.decode("latin-1").lower() for k, _ in message.get("headers", [])}
                added = [(k.encode(), v.encode()) for k, v in extra.items()
                         if k not in present or k == "server"]
                kept = [(k, v) for k, v in message.get("headers", []) if k.decode("latin-1").lower() != "server"]
                message = {**message, "headers": kept + added}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            path = scope.get("path", "")
            route = path if path in KNOWN_ROUTES or path in self.settings.health_paths else "other"
            if self.metrics:
                self.metrics.finished(scope["method"], route, status_seen[0], elapsed)
            if self.settings.json_logs:
                ACCESS_LOG.info("request", extra={"request_id": request_id, "method": scope["method"], "path": route,
                                                  "status": status_seen[0], "duration_ms": round(elapsed * 1000, 2)})

    async def _preflight(self, send, extra: dict[str, str], allowed: bool) -> None:
        if allowed:
            status, body = 200, b"OK"
            extra = {**extra, "access-control-allow-methods": CORS_METHODS,
                     "access-control-allow-headers": CORS_HEADERS, "access-control-max-age": "600"}
        else:
            status, body = 400, b"Disallowed CORS origin"
        headers = [(k.encode(), v.encode()) for k, v in extra.items()]
        headers += [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
