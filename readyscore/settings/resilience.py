"""Settings of the resilience family (the `resilience:` section of a profile or readyscore.yaml).

The defaults keep a whole run within about a minute against a service whose own upstream timeout,
retries included, is at most `service_timeout_s`. Tests and the demo use much shorter values.
"""

from __future__ import annotations

from pydantic import Field

from readyscore.model import Strict


class ResilienceSettings(Strict):
    # What the service promises --------------------------------------------------------------------
    service_timeout_s: float = Field(default=10.0, gt=0, le=600,
                                     description="the longest a client should wait for an error when the upstream hangs "
                                                 "(the service's upstream timeout, retries included)")
    margin_s: float = Field(default=2.0, ge=0, le=60, description="slack over service_timeout_s")
    max_attempts: int = Field(default=5, ge=1, le=100,
                              description="the most upstream attempts per client request that still count as bounded")
    recovery_within_s: float = Field(default=10.0, gt=0, le=600,
                                     description="healthy answers must resume this soon after the upstream recovers")
    fast_answer_s: float = Field(default=0.5, gt=0, le=30,
                                 description="an open circuit breaker answers within this, without calling the upstream")
    # The script -----------------------------------------------------------------------------------
    hang_s: float = Field(default=30.0, gt=0, le=600, description="how long a hung upstream holds a call")
    retry_after_s: float = Field(default=2.0, ge=1, le=60, description="the Retry-After the throttled upstream sends")
    throttle_s: float = Field(default=3.0, gt=0, le=120,
                              description="how long the upstream throttles (a service that waits out Retry-After "
                                          "succeeds after it)")
    error_requests: int = Field(default=3, ge=1, le=20,
                                description="sequential requests whose upstream attempts show the retry pattern")
    breaker_max_requests: int = Field(default=10, ge=2, le=100,
                                      description="failing requests sent before concluding there is no breaker")
    breaker_wait_s: float = Field(default=20.0, gt=0, le=600,
                                  description="how long to wait for an open breaker's half-open trial")
    storm_clients: int = Field(default=8, ge=2, le=64, description="concurrent clients while the upstream fails")
    poll_interval_s: float = Field(default=0.25, gt=0, le=10)
    budget_s: float = Field(default=60.0, gt=0, le=1800,
                            description="the run skips its remaining fault phases past this (recovery still runs)")
    # The service --------------------------------------------------------------------------------------
    health_path: str = "/health"
    start_timeout_s: float = Field(default=30.0, gt=0, le=600,
                                   description="how long a --service-cmd service may take to answer its health path")
    # How a fallback answer is marked: any of these response headers, or a true `fallback` or
    # `degraded` field in the JSON body.
    fallback_headers: list[str] = Field(default_factory=lambda: [
        "x-fallback", "x-degraded", "x-fallback-model", "x-served-from-cache", "x-cache-fallback"])

    @property
    def client_bound_s(self) -> float:
        return self.service_timeout_s + self.margin_s
