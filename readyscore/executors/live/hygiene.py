"""Error hygiene: error answers must not carry stack traces, internal paths, debug pages, database
errors or the request's own markup rendered as HTML."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from readyscore.executors.base import AuditContext, result
from readyscore.executors.live.functional import credentials_problem
from readyscore.executors.live.session import LiveExecutor, LiveSession
from readyscore.executors.live.validation import validation_outcomes
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, EvidenceStrength, Result, Status
from readyscore.net import Exchange

# (what it is, pattern). Written against real framework output; each needs more than one word so
# an ordinary message ("an error occurred at line 1") does not trip it.
LEAK_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("a Python stack trace", re.compile(r"Traceback \(most recent call last\)|File \"[^\"\n]{1,300}\", line \d+")),
    ("a Java/.NET stack trace", re.compile(r"\n\s+at [\w$.<>]+\([\w$]+\.(?:java|kt|scala|cs):\d+\)"
                                           r"|Exception in thread \"|System\.[A-Za-z.]*Exception:")),
    ("a Node.js stack trace", re.compile(r"\n\s+at (?:[\w$.<> ]+ )?\(?(?:/|[A-Z]:\\|node:)[^\n)]{1,300}:\d+:\d+\)?")),
    ("a Go panic", re.compile(r"goroutine \d+ \[[a-z ]+\]:|panic: runtime error")),
    ("an internal file path", re.compile(r"(?:/home/[\w.-]+/|/usr/(?:local/)?lib/python3|/site-packages/"
                                         r"|/var/www/|/opt/[\w.-]+/[\w./-]+\.py\b|[A-Z]:\\\\?Users\\\\?)")),
    ("a debug page", re.compile(r"Werkzeug Debugger|Starlette Debugger|class=\"frame-filename\""
                                r"|The debugger caught an exception|You're seeing this error "
                                r"because you have <code>DEBUG = True|Django Version:|Whoops! There was an error"
                                r"|Action Controller: Exception caught|<title>[^<]*Traceback", re.IGNORECASE)),
    ("a database error", re.compile(r"psycopg2?\.errors|SQLSTATE\[|ORA-\d{5}|sqlite3\.\w+Error"
                                    r"|syntax error at or near|You have an error in your SQL syntax")),
]
MARKUP_NONCE_TAG = "<script>rs{nonce}()</script>"
HTML_TYPES = ("text/html", "application/xhtml+xml")


class HygieneParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probe: Literal["error_bodies"] = "error_bodies"


def leaks_in(text: str) -> list[str]:
    return [what for what, pattern in LEAK_PATTERNS if pattern.search(text)]


def error_exchanges(session: LiveSession) -> list[tuple[str, Exchange]]:
    """Answers to requests built to fail, once per audit: (what was sent, answer)."""
    def compute() -> list[tuple[str, Exchange]]:
        settings = session.settings
        tag = MARKUP_NONCE_TAG.format(nonce=session.nonce)
        markup_body = session.chat_request_body()
        markup_body["model"] = tag
        markup_body["temperature"] = tag  # a type error that frameworks echo back with the input
        deep = ("[" * 5000 + "]" * 5000).encode()
        sent = [
            ("an unknown path", session.request("GET", f"/readyscore-{session.nonce}/<b>x</b>", credentials=None)),
            ("the wrong method on the chat path", session.request("DELETE", settings.chat_path)),
            ("markup in request fields", session.request("POST", settings.chat_path, json_body=markup_body)),
            ("JSON nested 5000 deep", session.request("POST", settings.chat_path, content=deep,
                                                      headers={"Content-Type": "application/json"})),
        ]
        sent += [(f"invalid input ({o.case})", o.exchange) for o in validation_outcomes(session)]
        return sent
    return session.ctx.shared("live.errors", compute)


@register
class ErrorHygieneProbe(LiveExecutor[HygieneParams]):
    kind = "live_error_hygiene"
    Params = HygieneParams
    description = "Error answers carry no stack traces, internal paths, debug pages or reflected markup."

    def probe(self, spec: CheckSpec, params: HygieneParams, ctx: AuditContext, session: LiveSession) -> Result:
        tag = MARKUP_NONCE_TAG.format(nonce=session.nonce)
        failures, notes, inspected = [], [], 0
        evidence, clean = [], []
        for what, exchange in error_exchanges(session):
            if exchange.status is None or exchange.status < 400:
                continue
            inspected += 1
            text = exchange.text
            leaks = leaks_in(text)
            content_type = (exchange.header("content-type") or "").split(";")[0].strip().lower()
            if tag in text and (content_type in HTML_TYPES or not content_type):
                leaks.append("the request's markup reflected unescaped in an HTML answer (XSS)")
            if leaks:
                failures.append(f"{what}: {', '.join(leaks)}")
                evidence.append(session.evidence(exchange, f"{what}: {', '.join(leaks)}"))
            elif content_type in HTML_TYPES and what != "an unknown path":
                notes.append(f"{what}: an HTML error page from a JSON API")
                evidence.append(session.evidence(exchange, f"{what}: HTML error page"))
            elif len(clean) < 3:
                clean.append(session.evidence(exchange, f"{what}: a clean error answer"))
        metrics = {"inspected": inspected, "leaks": len(failures)}
        if inspected == 0:
            return Result.not_evaluated(spec.id, "no request built to fail got an error answer to inspect")
        if failures:
            return result(spec, Status.FAIL, f"error answers leak internals: {'; '.join(failures)}",
                          evidence=evidence, metrics=metrics)
        twin = session.valid_twin()
        if twin.failed:
            # The well-formed request fails as well: the clean answers came from a failing service
            # (a proxy's 503, a crashed worker), not from the handlers' error handling.
            return Result(check_id=spec.id, status=Status.NOT_EVALUATED, metrics=metrics,
                          message=f"{inspected} error answers were clean, but a well-formed request failed too "
                                  f"({twin.outcome}), so the error handling was not reached")
        door = credentials_problem(twin.status, session)
        if door is not None:
            # The valid twin of these requests is turned away at authentication, so the clean answers
            # came from in front of the handlers (the auth wall, the router, a body limit): a service
            # that answers every 500 with a traceback gives the same answers to a caller without a key.
            return Result(check_id=spec.id, status=Status.NOT_EVALUATED, metrics=metrics,
                          message=f"{inspected} error answers were clean, but none came from behind authentication, "
                                  f"so the error handling was not reached: {door}")
        if notes:
            return result(spec, Status.PARTIAL, f"no leaks in {inspected} error answers, but {'; '.join(notes)}",
                          evidence=evidence, metrics=metrics, strength=EvidenceStrength.VERIFIED)
        return result(spec, Status.PASS, f"{inspected} error answers: no stack traces, internal paths, debug "
                                         "pages or reflected markup", metrics=metrics, evidence=clean,
                      strength=EvidenceStrength.VERIFIED)
