"""One audit's connection to the running service, shared by every live probe.

Built once per audit through `ctx.shared`: the configured `TargetClient`, the reachability verdict
(checked once, so a target that is down gives every live check the same readable reason), the model
to ask for, and a few answers several probes look at (a valid chat completion, an unauthenticated
one, a path that cannot exist).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
import secrets
import ssl
import time
import weakref
from abc import abstractmethod
from typing import Any, TypeVar

from pydantic import BaseModel

from readyscore.executors.base import AuditContext, Executor
from readyscore.executors.live.openai import ChatAnswer, chat_body, parse_chat_answer, usage_of
from readyscore.executors.live.pacer import PacedClient, Pacer, RateLimited
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result
from readyscore.net import Exchange
from readyscore.redact import mask
from readyscore.settings.live import LiveSettings

P = TypeVar("P", bound=BaseModel)

# Room a live probe keeps after its last paced wait, so it can still answer before the engine's timeout.
PACING_MARGIN_S = 3.0
# Headers worth showing in evidence when present.
NOTABLE_HEADERS = ("content-type", "content-length", "location", "www-authenticate", "retry-after",
                   "ratelimit", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy",
                   "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
                   "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
                   "access-control-allow-origin", "access-control-allow-credentials", "server", "x-powered-by",
                   "x-request-id", "strict-transport-security")


# The IETF RateLimit field: `"default";r=0;t=3` (t: seconds until the quota resets).
_RATELIMIT_RESET = re.compile(r"(?:^|;)\s*t=(\d+(?:\.\d+)?)")


class TargetUnreachable(Exception):
    """The service did not answer at all; every live check is then not evaluated."""


class LiveSession:
    def __init__(self, ctx: AuditContext):
        if not ctx.url:
            raise TargetUnreachable("no --url was given")
        self.ctx = ctx
        self.settings: LiveSettings = ctx.profile.live
        self.base_url = ctx.url.rstrip("/")
        self.api_key = ctx.api_key
        self.redactor = ctx.redactor
        self.nonce = secrets.token_hex(4)
        # One pacer for every live and LLM request to this target (see pacer.py).
        self.pacer = Pacer(sleep=ctx.sleep)
        self.client = PacedClient(
            self.base_url, pacer=self.pacer, api_key=self.api_key, auth_header=self.settings.auth_header,
            auth_scheme=self.settings.auth_scheme, timeout_s=self.settings.request_timeout_s,
            max_body=self.settings.max_body_bytes, redactor=self.redactor, verify=self.verify)
        # The engine has no end-of-audit hook: close the connection pool when the session goes.
        weakref.finalize(self, self.client.close)

    @property
    def verify(self) -> bool | ssl.SSLContext:
        if not self.settings.verify_tls:
            return False
        if self.settings.ca_bundle:
            return ssl.create_default_context(cafile=self.settings.ca_bundle)
        return True

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    # ----------------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, credentials: str | None = "valid", paced: bool = True,
                **kwargs: Any) -> Exchange:
        """One request, paced: it waits for the target's rate limit and waits out a 429 (bounded by
        the check's deadline). `paced=False` sends at once (the burst and its recovery polls)."""
        return self.client.request(method, path, credentials=credentials, paced=paced, **kwargs)

    def record_pacing(self) -> None:
        """Keep the report's `live.pacing` up to date (the engine has no end-of-audit hook)."""
        section = self.ctx.sections.get("live")
        if isinstance(section, dict):
            section["pacing"] = self.pacer.summary()

    @property
    def generic(self) -> bool:
        return self.settings.api == "generic"

    def chat_request_body(self, **extra: Any) -> dict[str, Any]:
        if self.generic:
            # Sent as configured: a strict schema may refuse keys it does not know (model, max_tokens).
            return json.loads(json.dumps(self.settings.sample_body))
        return chat_body(self.model, self.settings.prompt, max_tokens=extra.pop("max_tokens", self.settings.max_tokens),
                         stream=extra.pop("stream", False), template=self.settings.sample_body, **extra)

    def chat(self, *, credentials: str | None = "valid", paced: bool = True, **extra: Any) -> ChatAnswer:
        exchange = self.request("POST", self.settings.chat_path, credentials=credentials, paced=paced,
                                json_body=self.chat_request_body(**extra), follow_redirects=True)
        if self.generic:
            return generic_answer(exchange)
        return parse_chat_answer(exchange)

    # ----------------------------------------------------------------------------------------
    # Shared observations (computed once per audit)

    @property
    def model(self) -> str | None:
        model = self.ctx.shared("live.model", self._discover_model)
        if "live" in self.ctx.sections:
            self.ctx.sections["live"]["model"] = model
        return model

    def _discover_model(self) -> str | None:
        if self.settings.model:
            return self.settings.model
        if self.generic:
            return None  # a generic API names its model in its sample body, if at all
        if self.settings.sample_body and "model" in self.settings.sample_body:
            return str(self.settings.sample_body["model"])
        payload = self.request("GET", self.settings.models_path, follow_redirects=True).json()
        data = payload.get("data") if isinstance(payload, dict) else None
        if isinstance(data, list):
            for item in data:
                if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
                    return item["id"][:200]
        return None

    def baseline_chat(self) -> ChatAnswer:
        """A valid chat completion with the configured credentials."""
        return self.ctx.shared("live.chat.valid", lambda: self.chat())

    def anonymous_chat(self) -> ChatAnswer:
        """The same request without any credentials."""
        return self.ctx.shared("live.chat.anonymous", lambda: self.chat(credentials=None))

    def not_found(self) -> Exchange:
        """A path that cannot exist: tells a catch-all (SPA, proxy default page) from a real endpoint."""
        return self.ctx.shared("live.not_found", lambda: self.request(
            "GET", f"/readyscore-probe-{self.nonce}-does-not-exist", credentials=None))

    def is_catch_all(self, exchange: Exchange) -> bool:
        """Whether a 2xx answer is just what the server says for any path."""
        other = self.not_found()
        return (other.status is not None and 200 <= other.status < 300 and other.status == exchange.status
                and other.body[:2048] == exchange.body[:2048])

    def chat_unusable(self) -> str | None:
        """Why requests to the chat path prove nothing, if they do not: the valid request itself
        gets 404/405 (a wrong path or model). A refusal of a broken request is no validation."""
        status = self.baseline_chat().exchange.status
        if status not in (404, 405):
            return None
        return (f"the valid chat request itself answered HTTP {status} at {self.settings.chat_path}: set "
                "live.chat_path (or live.model, if the service does not know the model asked for)")

    def valid_twin(self) -> Exchange:
        """The valid twin of the invalid-input requests: the same path, headers and body shape, with
        nothing wrong in it. A rejection of an invalid request counts only when this one is accepted."""
        def send() -> Exchange:
            return self.request("POST", self.settings.chat_path, content=json.dumps(self.chat_request_body()).encode(),
                                headers={"Content-Type": "application/json"})
        return self.ctx.shared("live.valid_twin", send)

    def twin_refused(self) -> str | None:
        """Why a 4xx to an invalid request proves nothing here (the valid twin was not accepted), or None."""
        twin = self.valid_twin()
        if twin.ok:
            return None
        got = twin.outcome
        if twin.status in (401, 403) and self.api_key is None:
            got += f" (no key was given: put it in ${self.ctx.options.api_key_env})"
        return (f"a valid twin of the same request (same path, headers and body shape, nothing wrong in it) got "
                f"{got}, so a rejection of the invalid ones proves nothing")

    def requires_auth(self) -> bool | None:
        """True when the chat path turns away a request without credentials; None when unknown."""
        status = self.anonymous_chat().exchange.status
        if status is None:
            return None
        return status in (401, 403)

    def evidence(self, exchange: Exchange, message: str, *, headers: tuple[str, ...] = NOTABLE_HEADERS,
                 body: bool = True) -> Evidence:
        return exchange_evidence(exchange, message, self.redactor, headers=headers, body=body)


def generic_answer(exchange: Exchange) -> ChatAnswer:
    """A non-OpenAI API's answer: any non-empty 2xx body is an answer; `usage` is read if present."""
    answer = ChatAnswer(exchange=exchange, payload=exchange.json())
    answer.usage = usage_of(answer.payload)
    if exchange.error:
        answer.problem = exchange.error
    elif not exchange.body.strip():
        answer.problem = "the body is empty"
    elif exchange.truncated:
        answer.problem = "the body exceeded the size cap"
    else:
        answer.content = exchange.text[:2000]
    return answer


def session_of(ctx: AuditContext) -> LiveSession:
    """The audit's live session, after checking once that the target answers at all."""
    try:
        session = ctx.shared("live.session", lambda: LiveSession(ctx))
    except (OSError, ssl.SSLError) as exc:  # an unreadable live.ca_bundle, say
        raise TargetUnreachable(f"the live settings cannot be used: live.ca_bundle: {exc}") from None
    reason = ctx.shared("live.unreachable", lambda: _unreachable_reason(session))
    if reason:
        raise TargetUnreachable(reason)
    return session


def _describe_target(session: LiveSession, reason: str | None) -> dict[str, Any]:
    """The report's `live` section: what was probed and how, never the key itself."""
    settings = session.settings
    return {
        "base_url": session.redactor.redact(session.base_url),
        "api": settings.api,
        "chat_path": settings.chat_path,
        "auth": {"header": settings.auth_header, "scheme": settings.auth_scheme or None,
                 "key_env": session.ctx.options.api_key_env,
                 "key": mask(session.api_key) if session.api_key else None},
        "reachable": reason is None,
        "unreachable_reason": reason,
        "tls_verified": bool(settings.verify_tls),
        "probes": session.ctx.options.probes or ["*"],
    }


def _unreachable_reason(session: LiveSession) -> str | None:
    exchange = session.client.request("GET", "/", credentials=None)
    reason = None
    if exchange.error is not None:
        hint = ""
        if exchange.error.startswith("TLS error") and session.settings.verify_tls:
            hint = " (trust its CA with live.ca_bundle, or set live.verify_tls: false to probe anyway)"
        reason = f"the service at {session.redactor.redact(session.base_url)} did not answer: {exchange.error}{hint}"
    session.ctx.sections.setdefault("live", _describe_target(session, reason))
    return reason


def retry_after_s(exchange: Exchange) -> float | None:
    """Retry-After in seconds (or as an HTTP date), else the RateLimit reset, else None."""
    structured = _RATELIMIT_RESET.search(exchange.header("ratelimit") or "")
    for name in ("retry-after", "ratelimit-reset", "x-ratelimit-reset-requests", "x-ratelimit-reset"):
        if name == "ratelimit-reset" and structured and not exchange.header(name):
            return float(structured.group(1))
        value = exchange.header(name)
        if not value:
            continue
        try:
            seconds = float(value.strip().rstrip("s"))
        except ValueError:
            seconds = _seconds_until_http_date(value) if name == "retry-after" else None
            if seconds is None:
                continue
        # X-RateLimit-Reset is sometimes an epoch timestamp, which is no delay we can use.
        if 0 <= seconds < 86_400:
            return seconds
    return None


def _seconds_until_http_date(value: str) -> float | None:
    """Retry-After may be an HTTP date (RFC 9110 section 10.2.3) instead of seconds."""
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def exchange_evidence(exchange: Exchange, message: str, redactor, *, headers: tuple[str, ...] = NOTABLE_HEADERS,
                      body: bool = True) -> Evidence:
    """Evidence of one exchange: method, URL, status, the headers that matter, timing, a redacted excerpt."""
    lines = [f"{exchange.method} {exchange.url} -> {exchange.outcome}"
             + f" in {exchange.elapsed_s * 1000:.0f} ms"]
    lines += [f"{name}: {exchange.headers[name][:200]}" for name in headers if name in exchange.headers]
    if exchange.redirected_off_target:
        lines.append(f"redirect off the target, not followed: {exchange.redirected_off_target[:200]}")
    if body and exchange.body:
        lines += ["", exchange.excerpt(redactor, limit=400)]
        if exchange.truncated:
            lines.append(f"[body cut at the {len(exchange.body)} byte cap]")
    return Evidence(message=message, method=exchange.method, url=exchange.url, status=exchange.status,
                    strength=EvidenceStrength.VERIFIED, snippet=redactor.redact("\n".join(lines)))


class LiveExecutor(Executor[P]):
    """Base of the live probes: the session, and one readable reason when the target is down."""

    def run(self, spec: CheckSpec, params: P, ctx: AuditContext) -> Result:
        deadline = time.monotonic() + self.timeout_s(params, ctx) - PACING_MARGIN_S
        try:
            session = session_of(ctx)
        except TargetUnreachable as exc:
            return Result.not_evaluated(spec.id, str(exc))
        except RateLimited as exc:
            return Result.not_evaluated(spec.id, str(exc))
        try:
            with session.pacer.bounded(deadline):
                return self.probe(spec, params, ctx, session)
        except RateLimited as exc:
            return Result.not_evaluated(spec.id, f"not judged: {exc}")
        finally:
            session.record_pacing()

    @abstractmethod
    def probe(self, spec: CheckSpec, params: P, ctx: AuditContext, session: LiveSession) -> Result:
        """Measure one check against a target known to answer."""
