"""The rate-limit probe: a bounded burst must meet 429 with back-off headers, never 5xx or
timeouts, and the service must be healthy again afterwards.

It exhausts the target's limit on purpose, so it runs in phase 1, after the gentle probes, and
sends unpaced; afterwards the shared pacer waits until the window has reset (pacer.py).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from readyscore.executors.base import AuditContext, result
from readyscore.executors.live.functional import credentials_problem
from readyscore.executors.live.health import health_endpoints
from readyscore.executors.live.session import LiveExecutor, LiveSession, retry_after_s
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, EvidenceStrength, Result, Status
from readyscore.net import Exchange

# Enough 429s to be sure the limit is real; the burst stops sending once it has them.
ENOUGH_429 = 3
# A server already failing under the burst is not hammered further.
ENOUGH_FAILURES = 5
BACKOFF_HEADERS = ("retry-after", "ratelimit", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
                   "ratelimit-policy", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
                   "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests")


class RateLimitParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class BurstOutcome:
    sent: int = 0
    statuses: Counter = field(default_factory=Counter)  # "429", "200", "timeout", "error" ...
    first: dict[str, Exchange] = field(default_factory=dict)  # first exchange of each class
    advertised: Exchange | None = None  # a 2xx answer that carries rate-limit headers
    latencies: list[float] = field(default_factory=list)
    duration_s: float = 0.0

    def count(self, prefix: str) -> int:
        return sum(n for key, n in self.statuses.items() if key.startswith(prefix))


def run_burst(session: LiveSession, ctx: AuditContext) -> BurstOutcome:
    settings = session.settings
    burst = settings.burst
    outcome = BurstOutcome()
    lock = threading.Lock()
    stop = threading.Event()
    started = time.perf_counter()
    ends_at = started + burst.duration_s
    body = session.chat_request_body(max_tokens=1)

    def send() -> Exchange:
        # Unpaced on purpose: the burst is there to meet the limit.
        if burst.path:
            return session.client.request("GET", burst.path, paced=False)
        return session.client.request("POST", settings.chat_path, json_body=body, paced=False)

    def worker() -> None:
        while not (stop.is_set() or ctx.cancel.is_set()) and time.perf_counter() < ends_at:
            with lock:
                if outcome.sent >= burst.requests:
                    return
                outcome.sent += 1
            exchange = send()
            key = (str(exchange.status) if exchange.status is not None
                   else "timeout" if exchange.error and "timed out" in exchange.error else "error")
            with lock:
                outcome.statuses[key] += 1
                outcome.latencies.append(exchange.elapsed_s)
                klass = "429" if key == "429" else key[0] + "xx" if key[0].isdigit() else key
                outcome.first.setdefault(klass, exchange)
                if exchange.ok and outcome.advertised is None and any(h in exchange.headers for h in BACKOFF_HEADERS):
                    outcome.advertised = exchange
                failures = outcome.count("5") + outcome.statuses["timeout"] + outcome.statuses["error"]
                if outcome.statuses["429"] >= ENOUGH_429 or failures >= ENOUGH_FAILURES:
                    stop.set()

    with ThreadPoolExecutor(max_workers=burst.concurrency) as pool:
        for _ in range(burst.concurrency):
            pool.submit(worker)
    outcome.duration_s = time.perf_counter() - started
    return outcome


def wait_for_recovery(session: LiveSession, ctx: AuditContext,
                      first_wait_s: float) -> tuple[bool, str, Exchange | None]:
    """Poll until a normal request succeeds again (bounded); (recovered, what happened, last answer)."""
    bound = session.settings.burst.recovery_max_wait_s
    started = time.perf_counter()
    ctx.sleep(min(first_wait_s, bound))
    last: Exchange | None = None
    while True:
        last = session.chat(max_tokens=1, paced=False).exchange if not session.settings.burst.path else \
            session.client.request("GET", session.settings.burst.path, paced=False)
        waited = time.perf_counter() - started
        if last.ok:
            return True, f"accepted requests again after {waited:.1f} s", last
        if waited >= bound:
            what = f"HTTP {last.status}" if last.status is not None else last.error
            return False, f"still failing ({what}) {waited:.1f} s after the burst", last
        ctx.sleep(min(retry_after_s(last) or 1.0, max(0.2, bound - waited)))


@register
class RateLimitProbe(LiveExecutor[RateLimitParams]):
    kind = "live_rate_limit"
    Params = RateLimitParams
    phase = 1
    description = ("A bounded burst meets 429 with Retry-After/RateLimit headers, no 5xx or timeouts; "
                   "the service recovers.")

    def timeout_s(self, params: RateLimitParams, ctx: AuditContext) -> float:
        settings = ctx.profile.live
        # The burst, the recovery polls, the wait for the window to reset (bounded like them), requests.
        return max(ctx.options.check_timeout_s, settings.burst.duration_s + 2 * settings.burst.recovery_max_wait_s
                   + 3 * settings.request_timeout_s + 10)

    def probe(self, spec: CheckSpec, params: RateLimitParams, ctx: AuditContext, session: LiveSession) -> Result:
        burst_settings = session.settings.burst
        unusable = None if burst_settings.path else session.chat_unusable()
        if unusable:
            return Result.not_evaluated(spec.id, unusable)
        # Which liveness endpoint answered before the burst (shared with the health probes, so
        # normally already known): the one to ask again afterwards.
        liveness = [e for e in health_endpoints(session)["liveness"] if e.ok]
        outcome = run_burst(session, ctx)
        ok = outcome.count("2")
        limited = outcome.statuses["429"]
        server_errors = outcome.count("5")
        timeouts = outcome.statuses["timeout"] + outcome.statuses["error"]
        summary = (f"{outcome.sent} requests in {outcome.duration_s:.1f} s "
                   f"at concurrency {burst_settings.concurrency}: "
                   + ", ".join(f"{n}× {key}" for key, n in sorted(outcome.statuses.items())))
        metrics = {"sent": outcome.sent, "statuses": dict(outcome.statuses),
                   "duration_s": round(outcome.duration_s, 2),
                   "max_latency_ms": round(max(outcome.latencies, default=0) * 1000, 1)}
        evidence = [session.evidence(e, f"first {klass} answer of the burst", body=klass != "2xx")
                    for klass, e in sorted(outcome.first.items())]
        auth = outcome.count("401") + outcome.count("403")
        if auth and auth == outcome.sent:
            blocked = credentials_problem(outcome.first["4xx"].status, session)
            return Result.not_evaluated(spec.id, blocked or "every burst request was refused as unauthorised")
        if outcome.count("3") == outcome.sent and outcome.sent:
            return Result.not_evaluated(spec.id, f"every burst request was redirected ({summary}); "
                                                 "point --url or live.chat_path at the real endpoint")

        if server_errors or timeouts:
            status = Status.FAIL
            message = (f"no graceful degradation: {server_errors} server error(s) and {timeouts} timeout(s)/"
                       f"connection failure(s) under the burst instead of 429 ({summary})")
        elif limited:
            headers = [h for h in BACKOFF_HEADERS if h in outcome.first["429"].headers]
            metrics["accepted_in_burst"] = ok
            if headers:
                status, message = Status.PASS, f"rate limited with 429 and {', '.join(headers)} ({summary})"
            else:
                status = Status.PARTIAL
                message = f"429 without Retry-After or RateLimit headers: clients cannot back off well ({summary})"
        elif outcome.advertised is not None:
            status = Status.PARTIAL
            message = f"a limit is advertised in headers but the bounded burst never reached it ({summary})"
        elif ok == outcome.sent:
            status = Status.FAIL
            message = f"every request was accepted: no rate limit within the burst ({summary})"
        else:
            status = Status.FAIL
            message = f"the burst met no 429 ({summary})"

        first_wait = retry_after_s(outcome.first["429"]) if limited else None
        recovered, recovery, last = wait_for_recovery(session, ctx, first_wait if first_wait is not None else 1.0)
        if last is not None:
            evidence.append(session.evidence(last, f"after the burst: {recovery}", body=not last.ok))
        healthy = True
        if liveness:
            again = session.request("GET", liveness[0].url, credentials=None, paced=False)
            evidence.append(session.evidence(again, "liveness after the burst"))
            if not again.ok:
                healthy = False
                recovery += f"; liveness answers {again.status or again.error}"
        still_limited = not recovered and last is not None and last.status == 429
        bound = burst_settings.recovery_max_wait_s
        if not healthy or not (recovered or still_limited):
            status = Status.FAIL
            recovery += ": the service is not healthy after the burst"
        elif still_limited and first_wait is not None and first_wait > bound:
            recovery += (f" (its Retry-After of {first_wait:.0f} s is longer than the {bound:.0f} s this probe waits; "
                         "not held against it)")
        elif still_limited and status is Status.PASS:
            status = Status.PARTIAL
            recovery += ", past the wait its own headers asked for"
        metrics["recovered"] = recovered and healthy
        message += f"; {recovery}"
        # Nothing after the burst starts before the window it exhausted has reset.
        metrics["settled_s"] = round(session.pacer.settle(bound), 2)
        return result(spec, status, message, evidence=evidence, metrics=metrics,
                      strength=EvidenceStrength.VERIFIED if status is Status.PASS else None)
