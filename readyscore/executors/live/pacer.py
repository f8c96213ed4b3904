"""One rate-aware pacer per target, shared by every live and LLM request of an audit.

Every production service has a rate limit. Probes that race each other into it come back with
429s instead of verdicts, so each request first asks the pacer for a slot:

- the RateLimit-* headers (IETF httpapi draft: `RateLimit-Limit/-Remaining/-Reset`,
  `RateLimit-Policy: 10;w=2`, the structured `RateLimit: "default";r=0;t=3`) and their common
  `X-RateLimit-*` spellings tell it how many requests are left and when the window resets; when
  none are left, requests wait for the reset instead of spending a 429;
- a 429 (or a 503 with Retry-After) stops every request until Retry-After (or the reset) has
  passed, and the request is sent again, bounded by the check's own deadline;
- a wait that would end after the check's deadline raises `RateLimited`, naming the limit met, so
  the probe reports `not_evaluated` instead of an error.

The burst probe (live-rate-limit) sends unpaced on purpose, in its own phase; afterwards it calls
`settle()` so that nothing else starts before the window has reset.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from readyscore.net import Exchange, TargetClient

MAX_WAIT_S = 60.0  # no single header may make us wait longer than this
DEFAULT_429_WAIT_S = 1.0  # a 429 that says nothing about when to come back
MAX_429_RETRIES = 6
DEADLINE_MARGIN_S = 1.0  # time left for the request itself after a wait

_STRUCTURED_REMAINING = re.compile(r"(?:^|[;,\s])r=(\d+)")
_STRUCTURED_RESET = re.compile(r"(?:^|[;,\s])t=(\d+(?:\.\d+)?)")
_POLICY = re.compile(r"^\s*(\d+)\s*;\s*w=(\d+(?:\.\d+)?)")
_STRUCTURED_POLICY = re.compile(r"q=(\d+).*?w=(\d+(?:\.\d+)?)")


class RateLimited(Exception):
    """The target's rate limit leaves no room before the check's deadline."""


@dataclass
class LimitSeen:
    """What the target said about its limit, as last seen."""

    limit: int | None = None
    window_s: float | None = None
    source: str | None = None  # which header told us

    def describe(self) -> str:
        if self.limit is not None and self.window_s:
            return f"{self.limit} requests per {self.window_s:g} s ({self.source})"
        if self.limit is not None:
            return f"{self.limit} requests per window ({self.source})"
        return f"a limit announced by {self.source}" if self.source else "an unannounced limit (HTTP 429)"


def _number(value: str | None) -> float | None:
    if not value:
        return None
    try:
        number = float(value.split(",")[0].strip().rstrip("s"))
    except ValueError:
        return None
    return number if number >= 0 else None


def read_headers(exchange: Exchange) -> tuple[int | None, float | None, LimitSeen]:
    """(requests remaining, seconds until the window resets, the limit) from one answer's headers."""
    header = exchange.header
    seen = LimitSeen()
    remaining = reset = None
    structured = header("ratelimit")
    if structured:
        match = _STRUCTURED_REMAINING.search(structured)
        remaining = int(match.group(1)) if match else None
        match = _STRUCTURED_RESET.search(structured)
        reset = float(match.group(1)) if match else None
        seen.source = "RateLimit"
    for prefix in ("ratelimit-", "x-ratelimit-"):
        for suffix in ("", "-requests"):
            left = _number(header(f"{prefix}remaining{suffix}"))
            if left is not None and remaining is None:
                remaining, seen.source = int(left), f"{prefix}remaining{suffix}".title()
            when = _number(header(f"{prefix}reset{suffix}"))
            # X-RateLimit-Reset is sometimes an epoch timestamp: no delay we can use.
            if when is not None and reset is None and when < 86_400:
                reset = when
            limit = _number(header(f"{prefix}limit{suffix}"))
            if limit is not None and seen.limit is None:
                seen.limit = int(limit)
    policy = header("ratelimit-policy") or ""
    match = _POLICY.match(policy) or _STRUCTURED_POLICY.search(policy)
    if match:
        seen.limit, seen.window_s = int(match.group(1)), float(match.group(2))
        seen.source = "RateLimit-Policy"
    return remaining, reset, seen


class Pacer:
    """Decides when the next request to the target may go out. Thread-safe."""

    def __init__(self, clock=time.monotonic, sleep=time.sleep):
        self.clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._local = threading.local()
        self.remaining: int | None = None  # our estimate, our own reservations included
        self.reset_at: float | None = None
        self.blocked_until = 0.0
        self.limit = LimitSeen()
        # What the report shows.
        self.sent = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.waited_s = 0.0
        self.waits = 0
        self.retried_429 = 0
        self.gave_up = 0

    # -- deadlines ----------------------------------------------------------------------------

    @contextmanager
    def bounded(self, deadline: float) -> Iterator[None]:
        """Requests from this thread must not wait past `deadline` (time.monotonic)."""
        before = getattr(self._local, "deadline", None)
        self._local.deadline = deadline if before is None else min(before, deadline)
        try:
            yield
        finally:
            self._local.deadline = before

    @property
    def deadline(self) -> float | None:
        return getattr(self._local, "deadline", None)

    # -- the slot -----------------------------------------------------------------------------

    def acquire(self, deadline: float | None = None) -> None:
        """Wait for a slot; RateLimited when it would come after the deadline."""
        deadline = min(d for d in (deadline, self.deadline, float("inf")) if d is not None)
        while True:
            with self._lock:
                now = self.clock()
                if self.reset_at is not None and now >= self.reset_at:
                    # A new window: as many requests as the limit allows (unknown: ask the server).
                    self.remaining, self.reset_at = self.limit.limit, None
                at = max(now, self.blocked_until)
                if self.remaining is not None and self.remaining <= 0:
                    at = max(at, self.reset_at if self.reset_at is not None else now + DEFAULT_429_WAIT_S)
                if at <= now:
                    if self.remaining is not None:
                        self.remaining -= 1
                    self.sent += 1
                    self.first_at = now if self.first_at is None else self.first_at
                    self.last_at = now
                    return
                if at + DEADLINE_MARGIN_S > deadline:
                    self.gave_up += 1
                    raise RateLimited(self.describe_wait(at - now))
                wait = at - now
                self.waits += 1
                self.waited_s += wait
            self._sleep(min(wait, MAX_WAIT_S))

    def describe_wait(self, wait_s: float) -> str:
        return (f"the service's rate limit ({self.limit.describe()}) asked for a wait of {wait_s:.1f} s, "
                "past this check's deadline")

    def observe(self, exchange: Exchange) -> None:
        """Learn from an answer's headers; a 429 (or a 503 with Retry-After) blocks everyone."""
        remaining, reset, seen = read_headers(exchange)
        retry_after = retry_after_header(exchange)
        with self._lock:
            now = self.clock()
            if seen.limit is not None or seen.source:
                # An answer that names less than an earlier one (no policy, no limit) keeps what we knew.
                if seen.limit is None:
                    seen.limit = self.limit.limit
                if seen.window_s is None and seen.limit == self.limit.limit:
                    seen.window_s = self.limit.window_s
                if seen.window_s is not None and self.limit.source == "RateLimit-Policy":
                    seen.source = "RateLimit-Policy"
                self.limit = seen
            if reset is not None:
                self.reset_at = now + min(reset, MAX_WAIT_S)
            if remaining is not None:
                # The header is the server's view when it answered; our estimate also counts the
                # requests sent since, so keep the lower of the two.
                self.remaining = remaining if self.remaining is None else min(self.remaining, remaining)
            limited = exchange.status == 429 or (exchange.status == 503 and retry_after is not None)
            if limited:
                wait = retry_after if retry_after is not None else reset if reset is not None else DEFAULT_429_WAIT_S
                self.blocked_until = max(self.blocked_until, now + min(wait, MAX_WAIT_S))
                self.remaining = 0
                if self.reset_at is None or self.reset_at < self.blocked_until:
                    self.reset_at = self.blocked_until
                if self.limit.source is None:
                    self.limit = LimitSeen(source="Retry-After" if retry_after is not None else None)

    def count_retry(self) -> None:
        with self._lock:
            self.retried_429 += 1

    def settle(self, bound_s: float) -> float:
        """Wait (at most `bound_s`) until the current window has reset: after the burst probe."""
        with self._lock:
            now = self.clock()
            until = max(self.blocked_until, self.reset_at or now)
            wait = max(0.0, min(until - now, bound_s))
        if wait > 0:
            self._sleep(wait)
        with self._lock:
            self.remaining, self.reset_at = self.limit.limit, None
        return wait

    def summary(self) -> dict[str, Any]:
        """The report's `live.pacing`: the limit met and the rate the audit ran at."""
        with self._lock:
            span = (self.last_at - self.first_at) if self.first_at is not None and self.last_at is not None else 0.0
            return {
                "requests": self.sent,
                "seconds": round(span, 2),
                "rate_rps": round(self.sent / span, 2) if span > 0 else None,
                "limit": self.limit.limit,
                "window_s": self.limit.window_s,
                "limit_source": self.limit.source,
                "limit_met": self.limit.describe() if (self.limit.source or self.retried_429) else None,
                "waits": self.waits,
                "waited_s": round(self.waited_s, 2),
                "retried_429": self.retried_429,
                "gave_up": self.gave_up,
            }


def retry_after_header(exchange: Exchange) -> float | None:
    value = exchange.header("retry-after")
    seconds = _number(value)
    if seconds is not None:
        return min(seconds, MAX_WAIT_S)
    if value:  # an HTTP date
        from readyscore.executors.live.session import _seconds_until_http_date
        return _seconds_until_http_date(value)
    return None


class PacedClient(TargetClient):
    """A TargetClient whose requests go through the pacer and wait out a 429 (bounded).

    `paced=False` sends at once (the burst probe), but the answer still teaches the pacer.
    """

    def __init__(self, *args: Any, pacer: Pacer | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pacer = pacer or Pacer()

    def request(self, method: str, path: str, *, paced: bool = True, **kwargs: Any) -> Exchange:
        if not paced:
            exchange = super().request(method, path, **kwargs)
            self.pacer.observe(exchange)
            return exchange
        retries = 0
        while True:
            self.pacer.acquire()
            exchange = super().request(method, path, **kwargs)
            self.pacer.observe(exchange)
            if exchange.status != 429 or retries >= MAX_429_RETRIES:
                return exchange
            retries += 1
            self.pacer.count_retry()

    def stream_lines(self, method: str, path: str, *, paced: bool = True, **kwargs: Any):
        """As TargetClient.stream_lines; a 429 answer is retried before anything is yielded."""
        retries = 0
        exchange = kwargs.get("exchange") or Exchange(method=method, url=self.url(path))
        kwargs["exchange"] = exchange
        while True:
            if paced:
                self.pacer.acquire()
            inner = super().stream_lines(method, path, **kwargs)
            held: list = []
            for item in inner:
                held.append(item)
                if exchange.status is not None or isinstance(item, Exchange):
                    break
            self.pacer.observe(exchange)
            if paced and exchange.status == 429 and retries < MAX_429_RETRIES:
                inner.close()
                retries += 1
                self.pacer.count_retry()
                _reset(exchange)  # the caller holds this object: the retry fills it again
                continue
            yield from held
            if not (held and isinstance(held[-1], Exchange)):
                yield from inner
            return


def _reset(exchange: Exchange) -> None:
    """A caller's Exchange object, emptied for the retry that reuses it."""
    exchange.status, exchange.headers, exchange.body = None, {}, b""
    exchange.truncated, exchange.error, exchange.elapsed_s = False, None, 0.0
