"""CORS: an arbitrary Origin must not be granted access, least of all with credentials; a wildcard
on an API that needs credentials is a mistake waiting for a browser client."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from readyscore.executors.base import AuditContext, result
from readyscore.executors.live.functional import credentials_problem
from readyscore.executors.live.session import LiveExecutor, LiveSession
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, EvidenceStrength, Result, Status
from readyscore.net import Exchange

CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-methods",
                "access-control-allow-headers", "vary")


class CorsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@register
class CorsProbe(LiveExecutor[CorsParams]):
    kind = "live_cors"
    Params = CorsParams
    description = ("An arbitrary or null Origin is not reflected (with credentials: fail); "
                   "no wildcard on an authenticated API.")

    def probe(self, spec: CheckSpec, params: CorsParams, ctx: AuditContext, session: LiveSession) -> Result:
        path = session.settings.chat_path
        evil = f"https://readyscore-{session.nonce}.example"
        answers = [
            ("preflight from an arbitrary origin", evil, session.request(
                "OPTIONS", path, credentials=None, headers={
                    "Origin": evil, "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type"})),
            ("request from an arbitrary origin", evil, session.request(
                "POST", path, json_body=session.chat_request_body(max_tokens=1), headers={"Origin": evil})),
            ("request from the null origin", "null", session.request(
                "GET", session.settings.models_path, headers={"Origin": "null"})),
        ]
        authenticated = session.requires_auth()
        failures, partials, evidence, wildcard = [], [], [], False
        for what, origin, exchange in answers:
            allowed = (exchange.header("access-control-allow-origin") or "").strip()
            credentials = (exchange.header("access-control-allow-credentials") or "").strip().lower() == "true"
            if not allowed:
                continue
            evidence.append(session.evidence(exchange, what, headers=CORS_HEADERS, body=False))
            if allowed == origin:
                if credentials:
                    failures.append(f"{what}: origin {origin!r} reflected with credentials allowed")
                elif authenticated:
                    failures.append(f"{what}: origin {origin!r} reflected on an authenticated API")
                else:
                    partials.append(f"{what}: origin {origin!r} reflected (any site may read the answers)")
            elif allowed == "*":
                wildcard = True
                if authenticated:
                    failures.append(f"{what}: Access-Control-Allow-Origin: * on an API that needs credentials")
        if failures:
            return result(spec, Status.FAIL, "; ".join(failures), evidence=evidence)
        if partials:
            return result(spec, Status.PARTIAL, "; ".join(partials), evidence=evidence)
        unseen = None if evidence else _policy_unseen([exchange for _, _, exchange in answers], session)
        if unseen:
            return Result.not_evaluated(spec.id, unseen)
        if wildcard:
            return result(spec, Status.PASS, "Access-Control-Allow-Origin: * on an API without credentials "
                                             "(public by design)", evidence=evidence,
                          strength=EvidenceStrength.VERIFIED)
        return result(spec, Status.PASS, "arbitrary and null origins are not granted access", evidence=evidence,
                      strength=EvidenceStrength.VERIFIED)


def _policy_unseen(exchanges: list[Exchange], session: LiveSession) -> str | None:
    """Why granting nothing proves nothing: every probe was refused at authentication, failed or got
    no answer, so no answer came from the layer that would set the CORS headers. A preflight that an
    auth wall refuses and a 401 carry no CORS headers whatever the authenticated answers carry."""
    if any(not exchange.failed and exchange.status not in (401, 403) for exchange in exchanges):
        return None
    refused = next((exchange.status for exchange in exchanges if exchange.status in (401, 403)), None)
    if refused is not None:
        return "no CORS probe got past authentication: " + credentials_problem(refused, session)
    shown = ", ".join(exchange.outcome for exchange in exchanges)
    return f"every CORS probe failed ({shown}): the service's CORS policy was not seen"
