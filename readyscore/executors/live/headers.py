"""Response headers: security headers, a request id for traceability, no version in Server or
X-Powered-By."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from readyscore.executors.base import AuditContext, result
from readyscore.executors.live.hygiene import error_exchanges
from readyscore.executors.live.session import LiveExecutor, LiveSession
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, EvidenceStrength, Result, Status
from readyscore.net import Exchange

REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-correlation-id", "x-trace-id", "traceparent",
                      "x-amzn-requestid", "x-amz-request-id", "x-cloud-trace-context", "cf-ray", "x-b3-traceid",
                      "apim-request-id", "x-ms-request-id")
VERSION_HEADERS = ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator",
                   "x-runtime-version")
_VERSION = re.compile(r"\d+\.\d+")
# A product/version banner in a proxy's default error page: <center>nginx/1.25.3</center>.
_BODY_BANNER = re.compile(r"\b(nginx|apache|openresty|uvicorn|gunicorn|werkzeug|jetty|tomcat|envoy|caddy|"
                          r"microsoft-iis|express|hypercorn|daphne|traefik)/\d+(?:\.\d+)+", re.IGNORECASE)
HSTS_MIN_AGE_S = 15_552_000  # 180 days, the lower bound most scanners accept


class HeadersParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probe: Literal["security", "request_id", "version_leak"]


def _samples(session: LiveSession) -> list[tuple[str, Exchange]]:
    """Answers of several kinds (success, refusal, error) that already exist in this audit."""
    samples = [("the chat completion", session.baseline_chat().exchange),
               ("a request without credentials", session.anonymous_chat().exchange),
               ("an unknown path", session.not_found())]
    samples += [(what, e) for what, e in error_exchanges(session)[:3]]
    return [(what, e) for what, e in samples if e.status is not None]


def hsts_problem(value: str | None) -> str | None:
    if not value:
        return "no Strict-Transport-Security"
    match = re.search(r"max-age\s*=\s*\"?(\d+)", value, re.IGNORECASE)
    if not match:
        return f"Strict-Transport-Security without max-age ({value[:80]})"
    if int(match.group(1)) < HSTS_MIN_AGE_S:
        return f"Strict-Transport-Security max-age={match.group(1)} is under 180 days"
    return None


@register
class HeadersProbe(LiveExecutor[HeadersParams]):
    kind = "live_headers"
    Params = HeadersParams
    description = "Security headers present, a request id on every answer, no versions in Server/X-Powered-By."

    def probe(self, spec: CheckSpec, params: HeadersParams, ctx: AuditContext, session: LiveSession) -> Result:
        samples = _samples(session)
        if not samples:
            return Result.not_evaluated(spec.id, "no answer to read headers from")
        if params.probe == "security":
            return self._security(spec, session, samples)
        if params.probe == "request_id":
            return self._request_id(spec, session, samples)
        return self._version_leak(spec, session, samples)

    def _security(self, spec: CheckSpec, session: LiveSession, samples: list[tuple[str, Exchange]]) -> Result:
        main = samples[0][1]
        missing, present, advice = [], [], []
        if (main.header("x-content-type-options") or "").strip().lower() == "nosniff":
            present.append("X-Content-Type-Options: nosniff")
        else:
            missing.append("X-Content-Type-Options: nosniff")
        if session.https:
            problem = hsts_problem(main.header("strict-transport-security"))
            (missing.append(problem) if problem else present.append("Strict-Transport-Security"))
        if "no-store" in (main.header("cache-control") or "").lower():
            present.append("Cache-Control: no-store")
        else:
            advice.append("Cache-Control: no-store keeps completions out of shared caches")
        if main.header("x-frame-options") or "frame-ancestors" in (main.header("content-security-policy") or ""):
            present.append("frame protection")
        evidence = [session.evidence(main, "headers of " + samples[0][0], body=False,
                                     headers=("x-content-type-options", "strict-transport-security",
                                              "cache-control", "x-frame-options", "content-security-policy",
                                              "referrer-policy"))]
        tail = (f"; present: {', '.join(present)}" if present else "") + (
            f"; advice: {'; '.join(advice)}" if advice else "")
        if not missing:
            return result(spec, Status.PASS, "security headers present" + tail, evidence=evidence,
                          strength=EvidenceStrength.VERIFIED)
        status = Status.PARTIAL if present else Status.FAIL
        return result(spec, status, f"missing: {', '.join(missing)}" + tail, evidence=evidence)

    def _request_id(self, spec: CheckSpec, session: LiveSession, samples: list[tuple[str, Exchange]]) -> Result:
        with_id = [(what, e, next(h for h in REQUEST_ID_HEADERS if h in e.headers)) for what, e in samples
                   if any(h in e.headers for h in REQUEST_ID_HEADERS)]
        without = [what for what, e in samples if not any(h in e.headers for h in REQUEST_ID_HEADERS)]
        evidence = [session.evidence(e, f"{what}: {header}", body=False, headers=(header,))
                    for what, e, header in with_id[:3]]
        if not with_id:
            return result(spec, Status.FAIL, f"no request id header ({', '.join(REQUEST_ID_HEADERS[:4])} ...) "
                                             f"in {len(samples)} answers: a failed call cannot be traced")
        if without:
            return result(spec, Status.PARTIAL, f"a request id on {len(with_id)} of {len(samples)} answers; "
                                                f"missing on: {', '.join(without)}", evidence=evidence)
        return result(spec, Status.PASS, f"a request id ({with_id[0][2]}) on all {len(samples)} answers",
                      evidence=evidence, strength=EvidenceStrength.VERIFIED)

    def _version_leak(self, spec: CheckSpec, session: LiveSession, samples: list[tuple[str, Exchange]]) -> Result:
        leaks, names, evidence = [], set(), []
        for what, exchange in samples:
            for header in VERSION_HEADERS:
                value = exchange.header(header)
                if not value:
                    continue
                names.add(f"{header}: {value[:60]}")
                if _VERSION.search(value) or header in ("x-aspnet-version", "x-aspnetmvc-version"):
                    leaks.append(f"{header}: {value[:80]}")
                    evidence.append(session.evidence(exchange, f"{what}: {header} names a version", body=False,
                                                     headers=(header,)))
            banner = _BODY_BANNER.search(exchange.text[:20_000]) if exchange.status >= 400 else None
            if banner:
                leaks.append(f"{banner.group(0)} in the body of {what}")
                evidence.append(session.evidence(exchange, f"{what}: a version banner in the body"))
        leaks = sorted(set(leaks))
        if leaks:
            return result(spec, Status.FAIL, f"version disclosed: {'; '.join(leaks)}", evidence=evidence[:6])
        shown = f" (product names only: {'; '.join(sorted(names))})" if names else ""
        return result(spec, Status.PASS, f"no version in Server, X-Powered-By or error pages{shown}",
                      strength=EvidenceStrength.VERIFIED)
