"""Prometheus metrics in the text exposition format (version 0.0.4), written by hand so the demo
needs no client library: request counts and durations, tokens, rate-limited requests, in flight."""

from __future__ import annotations

import threading
from collections import defaultdict

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    if not pairs:
        return ""
    inner = ",".join(f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in pairs)
    return "{" + inner + "}"


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * len(BUCKETS)
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.total += 1
        self.sum += value
        for i, bound in enumerate(BUCKETS):
            if value <= bound:
                self.counts[i] += 1


class Metrics:
    def __init__(self, model: str):
        self.model = model
        self._lock = threading.Lock()
        self.requests: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.durations: dict[tuple[tuple[str, str], ...], Histogram] = defaultdict(Histogram)
        self.ttft = Histogram()
        self.tokens = {"prompt": 0, "completion": 0}
        self.rate_limited = 0
        self.in_flight = 0

    def started(self) -> None:
        with self._lock:
            self.in_flight += 1

    def finished(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.in_flight -= 1
            self.requests[(("method", method), ("route", route), ("status", str(status)))] += 1
            self.durations[(("route", route),)].observe(seconds)
            if status == 429:
                self.rate_limited += 1

    def first_token(self, seconds: float) -> None:
        with self._lock:
            self.ttft.observe(seconds)

    def count_tokens(self, prompt: int, completion: int) -> None:
        with self._lock:
            self.tokens["prompt"] += prompt
            self.tokens["completion"] += completion

    def render(self) -> str:
        out: list[str] = []
        with self._lock:
            out += ["# HELP demo_http_requests_total HTTP requests by method, route and status.",
                    "# TYPE demo_http_requests_total counter"]
            out += [f"demo_http_requests_total{_labels(k)} {v}" for k, v in sorted(self.requests.items())]
            out += ["# HELP demo_http_request_duration_seconds Time to the end of the response.",
                    "# TYPE demo_http_request_duration_seconds histogram"]
            for key, hist in sorted(self.durations.items()):
                out += self._histogram("demo_http_request_duration_seconds", key, hist)
            out += ["# HELP demo_time_to_first_token_seconds Time to the first streamed token.",
                    "# TYPE demo_time_to_first_token_seconds histogram"]
            out += self._histogram("demo_time_to_first_token_seconds", (("model", self.model),), self.ttft)
            out += ["# HELP demo_tokens_total Tokens processed, by kind.", "# TYPE demo_tokens_total counter"]
            out += [f"demo_tokens_total{_labels((('kind', k), ('model', self.model)))} {v}"
                    for k, v in self.tokens.items()]
            out += ["# HELP demo_rate_limited_total Requests refused by the rate limiter.",
                    "# TYPE demo_rate_limited_total counter", f"demo_rate_limited_total {self.rate_limited}",
                    "# HELP demo_http_requests_in_flight Requests being served.",
                    "# TYPE demo_http_requests_in_flight gauge", f"demo_http_requests_in_flight {self.in_flight}"]
        return "\n".join(out) + "\n"

    @staticmethod
    def _histogram(name: str, key: tuple[tuple[str, str], ...], hist: Histogram) -> list[str]:
        lines = []
        for bound, count in zip(BUCKETS, hist.counts, strict=True):
            lines.append(f"{name}_bucket{_labels(key + (('le', repr(bound)),))} {count}")
        lines.append(f"{name}_bucket{_labels(key + (('le', '+Inf'),))} {hist.total}")
        lines.append(f"{name}_sum{_labels(key)} {hist.sum:.6f}")
        lines.append(f"{name}_count{_labels(key)} {hist.total}")
        return lines
