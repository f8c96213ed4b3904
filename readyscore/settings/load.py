"""Settings of the load check family (the `load:` section of a profile or readyscore.yaml).

The defaults fit a laptop: 4 users until the normal stage has its minimum sample (100 completed
requests after the first second of warm-up) or reaches its 30 s bound, whichever comes first; a
2 s overload stage at 8x the users with no think time; and 2 s of recovery at the normal load.
Stages change on Locust's one-second shape tick, so their durations are rounded up to whole
seconds. Every number is bounded, so no profile can turn an audit
into an unbounded load test. The request path, auth header and model come from the `live:` section.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from readyscore.model import Strict


class RequestMix(Strict):
    """What the simulated users send; each request picks one value of each list at random."""

    prompt_words: list[int] = Field(default_factory=lambda: [24, 96], min_length=1,
                                    description="prompt sizes in words (a fresh random prefix each time)")
    max_tokens: list[int] = Field(default_factory=lambda: [32], min_length=1)
    stream_share: float = Field(default=1.0, ge=0.0, le=1.0, description="share of streamed requests")

    @model_validator(mode="after")
    def _bounded(self) -> RequestMix:
        if any(not 0 <= w <= 20_000 for w in self.prompt_words):
            raise ValueError("prompt_words must be between 0 and 20000")
        if any(not 1 <= t <= 8192 for t in self.max_tokens):
            raise ValueError("max_tokens must be between 1 and 8192")
        return self


class SloSettings(Strict):
    """Service-level objectives the load checks hold the service to (goodput counts requests that
    meet every one of them)."""

    e2e_p95_ms: float = Field(default=3000.0, gt=0, description="p95 end-to-end latency (readiness model: 3 s)")
    ttft_p95_ms: float = Field(default=1000.0, gt=0, description="p95 time to first token")
    tpot_ms: float | None = Field(default=None, gt=0, description="optional per-request time per output token")
    max_error_rate: float = Field(default=0.01, ge=0, le=1)


class OverloadSettings(Strict):
    """A short stage above the normal load: does the service shed load cleanly and recover?"""

    enabled: bool = True
    users_factor: float = Field(default=8.0, ge=1.0, le=100.0)
    max_users: int = Field(default=200, ge=1, le=2000)
    duration_s: float = Field(default=2.0, ge=1.0, le=300.0)
    recovery_s: float = Field(default=2.0, ge=1.0, le=300.0)
    # Bad outcomes (5xx other than a 503 with Retry-After, timeouts, resets) tolerated during overload.
    max_bad_share: float = Field(default=0.01, ge=0, le=1)


class CapacitySettings(Strict):
    """Inputs of the capacity plan W = Q * L / (U * C*)."""

    target_rps: float = Field(default=10.0, gt=0, le=1e6, description="Q: the request rate to plan for")
    target_utilization: float = Field(default=0.7, gt=0, le=1, description="U: headroom kept on every replica")
    # C*: requests one replica serves at once within the SLOs. None: measured (the sweep's knee with
    # --sweep, else the concurrency of the normal stage when it met the SLOs, a lower bound).
    replica_concurrency: float | None = Field(default=None, gt=0)
    max_replicas: int | None = Field(default=None, ge=1, le=100_000,
                                     description="the plan fails when it needs more replicas than this")


class SweepSettings(Strict):
    """`--sweep`: a stepped ramp of users, each step measured on its own."""

    users: list[int] = Field(default_factory=lambda: [1, 2, 4, 8, 16, 32], min_length=2, max_length=12)
    step_s: float = Field(default=3.0, ge=1.0, le=120.0)
    # A step counts as "within SLO" when this share of its requests met every SLO (DistServe: 90%).
    attainment: float = Field(default=0.9, gt=0, le=1)

    @model_validator(mode="after")
    def _increasing(self) -> SweepSettings:
        if self.users != sorted(set(self.users)) or self.users[0] < 1 or self.users[-1] > 2000:
            raise ValueError("users must increase strictly, from 1 to at most 2000")
        return self


class DistributedSettings(Strict):
    """A run across machines: readyscore starts the Locust master, workers elsewhere connect to it."""

    expect_workers: int = Field(default=0, ge=0, le=256, description="0: no distributed run")
    master_bind_host: str = "127.0.0.1"
    master_bind_port: int = Field(default=5557, ge=1024, le=65535)
    wait_for_workers_s: float = Field(default=60.0, ge=1, le=600)


class LoadSettings(Strict):
    users: int = Field(default=4, ge=1, le=2000)
    spawn_rate: float = Field(default=50.0, gt=0, le=10_000)
    duration_s: float = Field(default=30.0, ge=1.0, le=1800.0,
                              description="the normal stage's time bound, warm-up included; it ends earlier once "
                                          "it has min_sample completed requests after the warm-up")
    warmup_s: float = Field(default=1.0, ge=0.0, le=600.0)
    # Each latency, TTFT and error verdict (and the capacity plan and saturation built on them)
    # needs this many completed requests in its stage; below it the check is not evaluated.
    min_sample: int = Field(default=100, ge=1, le=1_000_000,
                            description="completed requests a latency/TTFT/error verdict needs in its stage")
    wait_s: tuple[float, float] = Field(default=(0.0, 0.0), description="think time between requests (min, max)")
    request_timeout_s: float = Field(default=30.0, gt=0, le=600)
    stream_deadline_s: float = Field(default=60.0, gt=0, le=3600)
    honour_retry_after: bool = Field(default=True, description="normal and recovery users wait as told (<= 5 s)")
    mix: RequestMix = Field(default_factory=RequestMix)
    slo: SloSettings = Field(default_factory=SloSettings)
    overload: OverloadSettings = Field(default_factory=OverloadSettings)
    capacity: CapacitySettings = Field(default_factory=CapacitySettings)
    sweep: SweepSettings = Field(default_factory=SweepSettings)
    distributed: DistributedSettings = Field(default_factory=DistributedSettings)
    # Headroom for Locust's start-up and the drain of in-flight requests, on top of the stages.
    overhead_s: float = Field(default=20.0, ge=5.0, le=600.0)

    @model_validator(mode="after")
    def _consistent(self) -> LoadSettings:
        if self.warmup_s >= self.duration_s:
            raise ValueError("warmup_s must be shorter than duration_s")
        low, high = self.wait_s
        if not 0 <= low <= high <= 600:
            raise ValueError("wait_s must be (min, max) with 0 <= min <= max <= 600")
        return self
