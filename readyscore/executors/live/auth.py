"""Authentication probes: no credentials and invalid credentials are turned away; sensitive
endpoints (docs, OpenAPI, admin, metrics) are not open to anyone who asks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from fnmatch import fnmatchcase
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from readyscore.executors.base import AuditContext, result
from readyscore.executors.live.session import LiveExecutor, LiveSession
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, EvidenceStrength, Result, Status
from readyscore.net import Exchange

EXPOSURE_WORKERS = 4


class AuthParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probe: Literal["required", "invalid_rejected", "exposed"]
    # exposed: path globs (fnmatch: `*` crosses slashes) whose open answer fails the check; the
    # other sensitive paths only warn.
    critical_paths: list[str] = Field(default_factory=lambda: [
        "/admin*", "/.env", "/debug*", "/actuator*", "/server-status"])


def judge_rejection(exchange: Exchange, what: str) -> tuple[Status, str]:
    """How a request that must be refused was answered."""
    status = exchange.status
    if status is None:
        return Status.FAIL, f"{what}: no answer ({exchange.error})"
    if status in (401, 403):
        return Status.PASS, f"{what}: refused with HTTP {status}"
    if 200 <= status < 300:
        return Status.FAIL, f"{what}: accepted (HTTP {status})"
    if status >= 500:
        return Status.FAIL, f"{what}: HTTP {status}, a server error instead of 401/403 (error handling)"
    if 300 <= status < 400:
        return Status.PARTIAL, f"{what}: HTTP {status} redirect instead of 401/403"
    if status == 429:
        return Status.PARTIAL, f"{what}: HTTP 429; rate limited before the credentials were judged"
    return Status.PASS, f"{what}: refused with HTTP {status} (401 or 403 would say why)"


def _landed_on(exchange: Exchange, path: str) -> bool:
    """Whether the answer is the page asked for: /admin -> /admin/ is, /admin -> /login is not."""
    final = urlsplit(exchange.url).path.rstrip("/")
    return final.endswith(path.rstrip("/")) or not path.rstrip("/")


@register
class AuthProbe(LiveExecutor[AuthParams]):
    kind = "live_auth"
    Params = AuthParams
    description = "Requests without or with invalid credentials are refused; sensitive endpoints are not open."

    def probe(self, spec: CheckSpec, params: AuthParams, ctx: AuditContext, session: LiveSession) -> Result:
        unusable = session.chat_unusable() if params.probe != "exposed" else None
        if unusable:
            return Result.not_evaluated(spec.id, unusable)
        if params.probe == "required":
            return self._required(spec, session)
        if params.probe == "invalid_rejected":
            return self._invalid(spec, session)
        return self._exposed(spec, params, session)

    def _twin_rule(self, spec: CheckSpec, exchange: Exchange, session: LiveSession) -> Result | None:
        """A refusal other than 401/403 counts only when the same request with the key is accepted."""
        if exchange.status is None or not 400 <= exchange.status < 500 or exchange.status in (401, 403, 429):
            return None
        twin = session.baseline_chat().exchange
        if twin.ok:
            return None
        return Result(check_id=spec.id, status=Status.NOT_EVALUATED,
                      message=f"refused with HTTP {exchange.status}, but the same request with the configured "
                              f"credentials got {twin.outcome} too, so the refusal says nothing about credentials",
                      evidence=[session.evidence(exchange, "the request"), session.evidence(twin, "its twin")])

    def _required(self, spec: CheckSpec, session: LiveSession) -> Result:
        chat = session.anonymous_chat().exchange
        refused_twin = self._twin_rule(spec, chat, session)
        if refused_twin:
            return refused_twin
        status, message = judge_rejection(chat, "a chat completion without credentials")
        evidence = [session.evidence(chat, message)]
        if session.generic:
            return result(spec, status, message, evidence=evidence,
                          strength=EvidenceStrength.VERIFIED if status is Status.PASS else None)
        models = session.request("GET", session.settings.models_path, credentials=None)
        if models.ok and not session.is_catch_all(models) and status is Status.PASS:
            status = Status.PARTIAL
            message += f"; but {session.settings.models_path} lists models without credentials"
            evidence.append(session.evidence(models, "the model list without credentials"))
        return result(spec, status, message, evidence=evidence,
                      strength=EvidenceStrength.VERIFIED if status is Status.PASS else None)

    def _invalid(self, spec: CheckSpec, session: LiveSession) -> Result:
        bogus = f"rs-invalid-{session.nonce}-0000000000000000"
        session.redactor.add(bogus)
        answer = session.chat(credentials=bogus)
        refused_twin = self._twin_rule(spec, answer.exchange, session)
        if refused_twin:
            return refused_twin
        status, message = judge_rejection(answer.exchange, "a chat completion with an invalid key")
        if status is Status.FAIL and answer.exchange.ok:
            anonymous = session.anonymous_chat().exchange
            message += (" — the API has no authentication at all" if anonymous.ok
                        else " — any key is accepted, so the key check proves nothing")
        return result(spec, status, message, evidence=[session.evidence(answer.exchange, message)],
                      strength=EvidenceStrength.VERIFIED if status is Status.PASS else None)

    def _exposed(self, spec: CheckSpec, params: AuthParams, session: LiveSession) -> Result:
        paths = session.settings.sensitive_paths
        with ThreadPoolExecutor(max_workers=EXPOSURE_WORKERS) as pool:
            # Same-origin redirects are followed: /admin -> /admin/ is still the admin page.
            exchanges = list(pool.map(lambda p: session.request("GET", p, credentials=None, follow_redirects=True),
                                      paths))
        open_paths = [(path, e) for path, e in zip(paths, exchanges, strict=True)
                      if e.ok and not session.is_catch_all(e) and _landed_on(e, path)]
        if not open_paths and all(e.failed for e in exchanges):
            # A service that fails every request hides nothing by refusing: what it serves once it
            # works was not seen.
            return Result.not_evaluated(spec.id, f"every one of the {len(paths)} sensitive paths failed "
                                                 f"({', '.join(sorted({e.outcome for e in exchanges}))}): whether they open once the "
                                                 "service works was not seen")
        if not open_paths:
            return result(spec, Status.PASS, f"none of {len(paths)} sensitive paths answers without credentials",
                          strength=EvidenceStrength.VERIFIED, metrics={"checked": len(paths)})
        critical = [(p, e) for p, e in open_paths if any(fnmatchcase(p, g) for g in params.critical_paths)]
        evidence = [session.evidence(e, f"{p} answers without credentials") for p, e in open_paths[:8]]
        names = ", ".join(p for p, _ in open_paths)
        if critical:
            return result(spec, Status.FAIL, f"open without credentials: {names}", evidence=evidence,
                          metrics={"open": [p for p, _ in open_paths]})
        return result(spec, Status.WARN, f"open without credentials: {names} (fine on an internal network; "
                                         "not on a public one)", evidence=evidence,
                      metrics={"open": [p for p, _ in open_paths]})
