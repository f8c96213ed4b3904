"""Transport: TLS (protocol version, a trusted certificate not about to expire) and http->https.

Plain http to a loopback or private address is normal behind a TLS-terminating proxy, so those
checks are not applicable there; plain http to a public host fails.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import warnings
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict

from readyscore.executors.base import AuditContext, result
from readyscore.executors.live.session import LiveExecutor, LiveSession
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status

MODERN_PROTOCOLS = ("TLSv1.2", "TLSv1.3")
HANDSHAKE_TIMEOUT_S = 10.0


class TransportParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probe: Literal["tls", "https_redirect"]


def is_private_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".svc", ".cluster.local")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def tls_handshake(host: str, port: int, context: ssl.SSLContext) -> tuple[str | None, dict | None, str | None]:
    """(protocol version, peer certificate, error) of one handshake."""
    try:
        with socket.create_connection((host, port), timeout=HANDSHAKE_TIMEOUT_S) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            return tls.version(), tls.getpeercert(), None
    except ssl.SSLCertVerificationError as exc:
        return None, None, f"certificate not trusted: {exc.verify_message or exc}"
    except ssl.SSLError as exc:
        return None, None, f"{type(exc).__name__}: {exc}"
    except OSError as exc:
        return None, None, f"unreachable: {type(exc).__name__}: {exc}"


def legacy_protocol_accepted(host: str, port: int) -> str | None:
    """The name of a pre-1.2 protocol the server still negotiates, if any."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with warnings.catch_warnings():  # deprecated on purpose: offering them is the test
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        return None  # this OpenSSL cannot even offer the old protocols
    version, _, error = tls_handshake(host, port, context)
    return version if error is None and version not in MODERN_PROTOCOLS else None


@register
class TransportProbe(LiveExecutor[TransportParams]):
    kind = "live_tls"
    Params = TransportParams
    description = "https with TLS 1.2+ and a trusted, not-soon-expiring certificate; http redirects to https."

    def run(self, spec: CheckSpec, params: TransportParams, ctx: AuditContext) -> Result:
        # The TLS check judges the handshake itself, so a TLS failure that makes the target
        # "unreachable" for the other probes is exactly what it must report.
        if params.probe == "tls" and ctx.url and ctx.url.startswith("https://"):
            return self._tls(spec, ctx)
        return super().run(spec, params, ctx)

    def probe(self, spec: CheckSpec, params: TransportParams, ctx: AuditContext, session: LiveSession) -> Result:
        host = urlsplit(session.base_url).hostname
        if params.probe == "tls" or not session.https:
            if is_private_host(host):
                return Result.not_applicable(spec.id, f"plain http to a private address ({host}): TLS is usually "
                                                      "terminated in front of the service; audit its public https URL")
            return result(spec, Status.FAIL, f"the API is served over plain http at {host}: keys and prompts "
                                             "travel in clear text")
        return self._redirect(spec, session)

    def _tls(self, spec: CheckSpec, ctx: AuditContext) -> Result:
        settings = ctx.profile.live
        parts = urlsplit(ctx.url)
        host, port = parts.hostname or "", parts.port or 443
        try:
            context = ssl.create_default_context(cafile=settings.ca_bundle) if settings.ca_bundle \
                else ssl.create_default_context()
        except (OSError, ssl.SSLError) as exc:
            return Result.error(spec.id, f"live.ca_bundle cannot be used: {exc}")
        version, cert, error = tls_handshake(host, port, context)
        where = f"{host}:{port}"
        if error and error.startswith("unreachable"):
            return Result.not_evaluated(spec.id, f"the service at {where} did not answer: {error}")
        if error:
            return result(spec, Status.FAIL, f"TLS handshake with {where} failed: {error}",
                          evidence=[Evidence(message=error, url=ctx.url, strength=EvidenceStrength.VERIFIED)])
        notes, status = [f"{version}"], Status.PASS
        if version not in MODERN_PROTOCOLS:
            status = Status.FAIL
            notes.append(f"{version} is obsolete (TLS 1.2 or newer expected)")
        legacy = legacy_protocol_accepted(host, port)
        if legacy:
            status = Status.FAIL
            notes.append(f"still accepts {legacy}")
        days_left = None
        if cert and cert.get("notAfter"):
            expires = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), dt.UTC)
            days_left = (expires - dt.datetime.now(dt.UTC)).total_seconds() / 86_400
            notes.append(f"certificate valid until {expires:%Y-%m-%d} ({days_left:.0f} days)")
            if days_left < settings.cert_expiry_warn_days and status is Status.PASS:
                status = Status.PARTIAL
                notes.append(f"expires within {settings.cert_expiry_warn_days} days: renew it")
        message = f"TLS to {where}: " + "; ".join(notes)
        return result(spec, status, message, evidence=[Evidence(message=message, url=ctx.url,
                                                                strength=EvidenceStrength.VERIFIED)],
                      strength=EvidenceStrength.VERIFIED if status is Status.PASS else None,
                      metrics={"protocol": version, "cert_days_left": round(days_left, 1) if days_left else None})

    def _redirect(self, spec: CheckSpec, session: LiveSession) -> Result:
        parts = urlsplit(session.base_url)
        if session.settings.http_url:
            plain = session.settings.http_url.rstrip("/")
        elif parts.port not in (None, 443):
            return Result.not_applicable(spec.id, f"the https port is {parts.port}, so the plain http address is "
                                                  "unknown (set live.http_url to check it)")
        else:
            plain = urlunsplit(("http", parts.hostname or "", parts.path, "", ""))
        # Never send the key over plain http.
        exchange = session.client.request("GET", plain + "/", credentials=None)
        location = exchange.header("location") or ""
        evidence = [session.evidence(exchange, "the plain http address", body=False)]
        if exchange.status is None:
            return result(spec, Status.PASS, f"nothing answers plain http at {plain} ({exchange.error})",
                          evidence=evidence, strength=EvidenceStrength.VERIFIED)
        if exchange.status in (301, 302, 307, 308) and location.startswith("https://"):
            note = "" if exchange.status in (301, 308) else " (a permanent 301/308 lets clients remember it)"
            return result(spec, Status.PASS, f"http redirects to https with {exchange.status}{note}",
                          evidence=evidence, strength=EvidenceStrength.VERIFIED)
        return result(spec, Status.FAIL, f"plain http answers HTTP {exchange.status} without redirecting to https",
                      evidence=evidence)
