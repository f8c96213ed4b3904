"""The only way readyscore talks to a target over HTTP.

Everything the target sends is untrusted: every request has a timeout, bodies are read up to a cap
(and decompression is off, so a gzip bomb stays small), redirects are followed only within the
target's own origin, and the API key never leaves this module unredacted. Network failures come
back as an `Exchange` with `error` set, never as an exception.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from readyscore.redact import Redactor

DEFAULT_TIMEOUT_S = 10.0
MAX_BODY_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
EXCERPT_CHARS = 600
USER_AGENT = "readyscore (production-readiness audit)"


@dataclass
class Exchange:
    """One request and what came back (or why nothing did)."""

    method: str
    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    truncated: bool = False
    elapsed_s: float = 0.0
    error: str | None = None
    redirected_off_target: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def failed(self) -> bool:
        """No answer, or a server error: nothing of the service's own handling was seen."""
        return self.status is None or self.status >= 500

    @property
    def outcome(self) -> str:
        """How it ended, for messages: "HTTP 503" or "no answer (connection refused)"."""
        return f"HTTP {self.status}" if self.status is not None else f"no answer ({self.error})"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any | None:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def excerpt(self, redactor: Redactor | None = None, limit: int = EXCERPT_CHARS) -> str:
        text = self.text[:limit] + ("…" if len(self.body) > limit or self.truncated else "")
        return redactor.redact(text) if redactor else text


def same_origin(a: str, b: str) -> bool:
    x, y = urlsplit(a), urlsplit(b)
    return (x.scheme, x.hostname, x.port or _default_port(x.scheme)) == (y.scheme, y.hostname,
                                                                            y.port or _default_port(y.scheme))


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


class TargetClient:
    """A small synchronous client bound to one base URL. Thread-safe (httpx.Client is)."""

    def __init__(self, base_url: str, *, api_key: str | None = None, auth_header: str = "Authorization",
                 auth_scheme: str = "Bearer", timeout_s: float = DEFAULT_TIMEOUT_S,
                 max_body: int = MAX_BODY_BYTES, redactor: Redactor | None = None, verify: bool = True):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.auth_header = auth_header
        self.auth_scheme = auth_scheme
        self.max_body = max_body
        self.timeout_s = timeout_s
        self.redactor = redactor or Redactor()
        self.redactor.add(api_key)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s), follow_redirects=False, verify=verify, trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> TargetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def auth_headers(self, credentials: str | None = "valid") -> dict[str, str]:
        """credentials: 'valid' (the configured key), None (no header), or a literal bogus key."""
        if credentials is None:
            return {}
        key = self.api_key if credentials == "valid" else credentials
        if not key:
            return {}
        value = f"{self.auth_scheme} {key}" if self.auth_scheme else key
        return {self.auth_header: value}

    def request(self, method: str, path: str, *, credentials: str | None = "valid",
                headers: dict[str, str] | None = None, json_body: Any = None, content: bytes | None = None,
                follow_redirects: bool = False, timeout_s: float | None = None) -> Exchange:
        url = self.url(path)
        all_headers = {**self.auth_headers(credentials), **(headers or {})}
        started = time.perf_counter()
        for _ in range(MAX_REDIRECTS + 1):
            exchange = self._send(method, url, all_headers, json_body, content, timeout_s)
            location = exchange.header("location")
            if not (follow_redirects and exchange.status in (301, 302, 303, 307, 308) and location):
                break
            nxt = urljoin(url, location)
            if not same_origin(nxt, self.base_url):
                # Never follow a target off its own origin: it could point us (and our key) anywhere.
                exchange.redirected_off_target = nxt
                break
            url = nxt
        exchange.elapsed_s = time.perf_counter() - started
        return exchange

    def _send(self, method: str, url: str, headers: dict[str, str], json_body: Any, content: bytes | None,
              timeout_s: float | None) -> Exchange:
        exchange = Exchange(method=method, url=self.redactor.redact(url) or url)
        kwargs: dict[str, Any] = {"headers": headers}
        if json_body is not None:
            kwargs["json"] = json_body
        if content is not None:
            kwargs["content"] = content
        if timeout_s is not None:
            kwargs["timeout"] = httpx.Timeout(timeout_s)
        # httpx's timeouts are per read: a body that drips in a byte at a time never trips them.
        # The whole exchange gets the same budget, measured on the wall clock.
        budget = timeout_s if timeout_s is not None else self.timeout_s
        started = time.perf_counter()
        try:
            with self._client.stream(method, url, **kwargs) as response:
                self._record_head(exchange, response)
                chunks, size = [], 0
                for chunk in response.iter_raw():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.max_body:
                        exchange.truncated = True
                        break
                    if time.perf_counter() - started > budget:
                        exchange.truncated = True
                        exchange.error = f"timed out (the response did not end within {budget:g} s)"
                        break
                exchange.body = b"".join(chunks)[: self.max_body]
        except (httpx.HTTPError, UnicodeError, ValueError) as exc:
            exchange.error = failure_reason(exc)
        return exchange

    def _record_head(self, exchange: Exchange, response: httpx.Response) -> None:
        exchange.status = response.status_code
        exchange.headers = {k.lower(): self.redactor.redact(v) or "" for k, v in response.headers.items()}

    def stream_lines(self, method: str, path: str, *, json_body: Any = None, credentials: str | None = "valid",
                     headers: dict[str, str] | None = None, timeout_s: float | None = None,
                     max_bytes: int | None = None, exchange: Exchange | None = None,
                     deadline_s: float | None = None) -> Iterator[tuple[float, bytes] | Exchange]:
        """Yield (perf_counter arrival time, raw line) of a streamed response, then its Exchange.

        Stops at the byte cap; the caller bounds the total time with its own deadline. Pass your own
        `exchange` to see its status and headers even when you stop reading before the end.
        `deadline_s` also stops (with `exchange.error` set) a body that trickles in without ever
        completing a line, which a caller's per-line deadline cannot see.
        """
        url = self.url(path)
        if exchange is None:
            exchange = Exchange(method=method, url=url)
        exchange.method, exchange.url = method, self.redactor.redact(url) or url
        cap = max_bytes or self.max_body
        started = time.perf_counter()
        try:
            with self._client.stream(method, url, json=json_body,
                                     headers={**self.auth_headers(credentials), **(headers or {})},
                                     **({"timeout": httpx.Timeout(timeout_s)} if timeout_s else {})) as response:
                self._record_head(exchange, response)
                size, buffer = 0, b""
                for chunk in response.iter_raw():
                    now = time.perf_counter()
                    size += len(chunk)
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        yield now, line.rstrip(b"\r")
                    if size > cap:
                        exchange.truncated = True
                        break
                    if deadline_s is not None and now - started > deadline_s:
                        exchange.error = f"the response did not end within {deadline_s:g} s"
                        break
                if buffer and not exchange.truncated and exchange.error is None:
                    yield time.perf_counter(), buffer.rstrip(b"\r")
        except (httpx.HTTPError, UnicodeError, ValueError) as exc:
            exchange.error = failure_reason(exc)
        finally:
            # Also when the caller stops early (GeneratorExit): the timing is still worth keeping.
            exchange.elapsed_s = time.perf_counter() - started
        yield exchange


def failure_reason(exc: Exception) -> str:
    """Why a request produced no usable answer: a timeout, a network failure, or garbage."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.HTTPError):
        return describe_network_error(exc)
    return f"invalid response: {exc}"


def describe_network_error(exc: Exception) -> str:
    """A sentence a person can act on, not a traceback."""
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "connection refused" in lowered or "connect call failed" in lowered:
        return "connection refused: is the service running at that address?"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return "the host name does not resolve"
    if "certificate" in lowered or "ssl" in lowered:
        return f"TLS error: {text}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the protocol: {text}"
    return f"{type(exc).__name__}: {text}"
