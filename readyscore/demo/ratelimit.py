"""A token bucket per caller (API key, or client address without auth).

The bucket holds `burst` requests and refills at `rate` per second; a request that finds it empty
is refused with the seconds until the next token, which becomes Retry-After. The RateLimit-*
headers follow the IETF httpapi draft ("RateLimit header fields for HTTP").
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: float  # seconds until the bucket is full again
    retry_after_s: float  # seconds until one request is allowed (0 when allowed)

    def headers(self, window_s: float) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(max(0, math.ceil(self.reset_s))),
            "RateLimit-Policy": f"{self.limit};w={max(1, round(window_s))}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after_s)))
        return headers


class TokenBucketLimiter:
    MAX_CALLERS = 10_000  # forget idle callers beyond this, so the table cannot grow without end

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, last refill)
        self._lock = threading.Lock()

    @property
    def window_s(self) -> float:
        return self.burst / self.rate

    def take(self, caller: str) -> Decision:
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(caller, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if len(self._buckets) >= self.MAX_CALLERS and caller not in self._buckets:
                self._forget_full(now)
            self._buckets[caller] = (tokens, now)
        missing = self.burst - tokens
        return Decision(allowed=allowed, limit=self.burst, remaining=int(tokens), reset_s=missing / self.rate,
                        retry_after_s=0.0 if allowed else (1.0 - tokens) / self.rate)

    def _forget_full(self, now: float) -> None:
        for caller, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * self.rate >= self.burst:
                del self._buckets[caller]
