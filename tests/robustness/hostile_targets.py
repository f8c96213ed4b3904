"""Hostile HTTP targets: real servers on 127.0.0.1 that misbehave on purpose, one behaviour each.

Raw sockets rather than http.server, because the interesting faults live below HTTP: a server that
sends its headers and then nothing, a reset in the middle of a body, a body that never ends.
Every server stops with its context manager; every behaviour that could run forever waits on the
server's stop event, so no thread outlives the test by more than a moment.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import socketserver
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ONE_GIB = 1 << 30
CHUNK = b"A" * 65536
MAX_REQUEST_BODY = 16 * 1024 * 1024  # what a hostile server bothers to read of a probe's body


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def _read_request(sock: socket.socket) -> Request | None:
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 256 * 1024:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, path, _ = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get("content-length", "0") or 0), MAX_REQUEST_BODY)
    body = rest
    while len(body) < length:
        chunk = sock.recv(min(65536, length - len(body)))
        if not chunk:
            break
        body += chunk
    return Request(method, path, headers, body[:length])


def _head(status: str, headers: list[tuple[str, str | bytes]]) -> bytes:
    out = [f"HTTP/1.1 {status}\r\n".encode()]
    for name, value in headers:
        out.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")) + b"\r\n")
    out.append(b"\r\n")
    return b"".join(out)


def _respond(sock, status: str, body: bytes, content_type: str = "application/json",
             extra: list[tuple[str, str | bytes]] | None = None) -> None:
    sock.sendall(_head(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                ("Connection", "close"), *(extra or [])]) + body)


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """About 1 MB that inflates to 1 GiB: 128 gzip members of 8 MiB of zeros each (RFC 1952 allows
    a file to be several members; every gzip reader concatenates them)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = compressor.compress(b"\0" * (8 << 20)) + compressor.flush()
    return member * 128


# --- behaviours: (server, sock, request) -> None -----------------------------------------------


def silence(server, sock, req):
    """Headers promising a body, then nothing at all."""
    sock.sendall(_head("200 OK", [("Content-Type", "application/json"), ("Content-Length", "100")]))
    server.stop.wait(60)


def drip(server, sock, req):
    """Headers, then one byte every 0.2 s: never idle long enough for a read timeout."""
    sock.sendall(_head("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(ONE_GIB))]))
    while not server.stop.wait(0.2):
        sock.sendall(b" ")


def reset_mid_stream(server, sock, req):
    """Part of a promised body, then a TCP reset (SO_LINGER 0 turns close() into an RST)."""
    sock.sendall(_head("200 OK", [("Content-Type", "text/event-stream"), ("Content-Length", str(1 << 20))]))
    sock.sendall(b'data: {"choices":[{"delta":{"content":"hal"}}]}\n\n' * 20)
    time.sleep(0.05)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def sse_forever(server, sock, req):
    """A well-formed chat stream that never finishes: no finish_reason, no [DONE], no end."""
    sock.sendall(_head("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]))
    event = b'data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"more "}}]}\n\n'
    while not server.stop.wait(0.01):
        sock.sendall(event * 20)


def huge_body(server, sock, req):
    """A 1 GiB body, generated as it is sent (never held in memory)."""
    sock.sendall(_head("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(ONE_GIB))]))
    sent = 0
    while sent < ONE_GIB and not server.stop.is_set():
        sock.sendall(CHUNK)
        sent += len(CHUNK)


def gzip_bombed(server, sock, req):
    _respond(sock, "200 OK", gzip_bomb(), extra=[("Content-Encoding", "gzip")])


def invalid_utf8(server, sock, req):
    """Bytes that are not UTF-8, in a body that claims to be UTF-8 JSON, and in a header."""
    body = b'{"object": "list", "data": [{"id": "\xff\xfe\xc3\x28model"}], "error": "\xed\xa0\x80"}'
    _respond(sock, "200 OK", body, content_type="application/json; charset=utf-8",
             extra=[("X-Model-Name", b"\xff\xfe\xc3\x28"), ("Server", b"caf\xe9")])


def redirect_loop(server, sock, req):
    """Every path redirects to itself."""
    _respond(sock, "302 Found", b"", extra=[("Location", req.path)])


def redirect_chain(server, sock, req):
    """Every path redirects to a new one: a loop detector would never notice, only a cap stops it."""
    _respond(sock, "307 Temporary Redirect", b"", extra=[("Location", req.path.rstrip("/") + "/x")])


def markup(server, sock, req):
    """Script and markup everywhere a report might show it: status text, headers, body."""
    payload = '<script>alert("target")</script><img src=x onerror=alert(1)>'
    body = json.dumps({"error": {"message": payload, "type": "<b>bold</b>"}, "detail": payload}).encode()
    _respond(sock, "500 <script>alert(2)</script>", body,
             extra=[("Server", '<script>alert("server")</script>'), ("X-Powered-By", payload)])


def echo_credentials(server, sock, req):
    """Echoes every request header back, in the body and in response headers (a leaky proxy)."""
    auth = req.headers.get("authorization", "") or req.headers.get("x-api-key", "")
    body = json.dumps({"error": {"message": f"bad request from {auth}", "headers": req.headers}}).encode()
    _respond(sock, "400 Bad Request", body,
             extra=[("X-Echo-Authorization", auth), ("WWW-Authenticate", f'Bearer realm="{auth}"')])


def plain_ok(server, sock, req):
    body = json.dumps({"status": "ok", "object": "list", "data": [{"id": "m"}]}).encode()
    _respond(sock, "200 OK", body)


BEHAVIOURS: dict[str, Callable] = {f.__name__: f for f in (
    silence, drip, reset_mid_stream, sse_forever, huge_body, gzip_bombed, invalid_utf8, redirect_loop,
    redirect_chain, markup, echo_credentials, plain_ok)}


# --- the server --------------------------------------------------------------------------------


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: HostileServer = self.server.owner  # type: ignore[attr-defined]
        sock = self.request
        try:
            if server.tls is not None:
                sock.settimeout(10)
                sock = server.tls.wrap_socket(sock, server_side=True)
            req = _read_request(sock)
            if req is None:
                return
            with server.lock:
                server.requests.append(req)
            server.behaviour(server, sock, req)
        except (OSError, ssl.SSLError, ValueError):
            pass  # the client hung up, or refused our certificate: exactly what some tests want


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


@dataclass
class HostileServer:
    behaviour: Callable
    tls: ssl.SSLContext | None = None
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> HostileServer:
        self._server = _TCPServer(("127.0.0.1", 0), _Handler)
        self._server.owner = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"


def serve(name: str, tls: ssl.SSLContext | None = None) -> HostileServer:
    return HostileServer(BEHAVIOURS[name], tls=tls)


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


UNRESOLVABLE_URL = "http://readyscore-robustness.invalid"  # RFC 6761: .invalid never resolves


# --- certificates (generated per test session with `cryptography`) ------------------------------


@dataclass
class Certificates:
    ca_pem: Path
    self_signed: ssl.SSLContext  # a leaf nobody vouches for
    expired: ssl.SSLContext  # signed by the CA above, but expired yesterday
    valid: ssl.SSLContext  # signed by the CA above, valid today (the safe twin)


def make_certificates(folder: Path) -> Certificates:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subject: str, key, issuer: str, issuer_key, not_before, not_after, ca: bool):
        builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(not_before).not_valid_after(not_after)
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                             x509.DNSName("localhost")]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def context(leaf, key, label: str) -> ssl.SSLContext:
        cert_path = folder / f"{label}.pem"
        key_path = folder / f"{label}.key"
        cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_path, key_path)
        return ctx

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert("readyscore test CA", ca_key, "readyscore test CA", ca_key, now - dt.timedelta(days=30),
              now + dt.timedelta(days=30), ca=True)
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    own_key = ec.generate_private_key(ec.SECP256R1())
    self_signed = cert("127.0.0.1", own_key, "127.0.0.1", own_key, now - dt.timedelta(days=1),
                       now + dt.timedelta(days=30), ca=False)
    old_key = ec.generate_private_key(ec.SECP256R1())
    expired = cert("127.0.0.1", old_key, "readyscore test CA", ca_key, now - dt.timedelta(days=30),
                   now - dt.timedelta(days=1), ca=False)
    good_key = ec.generate_private_key(ec.SECP256R1())
    valid = cert("127.0.0.1", good_key, "readyscore test CA", ca_key, now - dt.timedelta(days=1),
                 now + dt.timedelta(days=30), ca=False)
    return Certificates(ca_pem=ca_pem, self_signed=context(self_signed, own_key, "self-signed"),
                        expired=context(expired, old_key, "expired"), valid=context(valid, good_key, "valid"))
