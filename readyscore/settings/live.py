"""Settings of the live check family (the `live:` section of a profile or readyscore.yaml).

Defaults fit an OpenAI-compatible service on a laptop; a service with another API sets its paths,
its auth scheme, its model and a sample request body here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from readyscore.model import Strict


class BurstSettings(Strict):
    """The bounded burst of the rate-limit probe: it stops at whichever limit comes first."""

    requests: int = Field(default=100, ge=1, le=2000, description="the most requests the burst sends")
    concurrency: int = Field(default=8, ge=1, le=64)
    duration_s: float = Field(default=20.0, gt=0, le=300, description="the burst stops sending after this")
    # How long to wait (at most) for the service to recover afterwards; Retry-After is honoured
    # up to this bound.
    recovery_max_wait_s: float = Field(default=30.0, ge=0, le=600)
    # By default the burst sends small chat completions (max_tokens 1): the limit that protects the
    # model is the one that matters. A path here is sent GET requests instead.
    path: str | None = Field(default=None, description="a path to burst with GET; default: POST the chat path")


class LiveSettings(Strict):
    # API shape ---------------------------------------------------------------------------------
    # "openai": OpenAI-compatible chat completions (choices, usage, SSE streaming). "generic": any
    # JSON API; `sample_body` is sent as it is to `chat_path`, a non-empty 2xx answer counts as a
    # completion, and the probes that assume the OpenAI shape say they do not apply.
    api: Literal["openai", "generic"] = "openai"
    models_path: str = "/v1/models"
    chat_path: str = "/v1/chat/completions"
    completions_path: str = "/v1/completions"
    # Auth: the header that carries the key and the scheme word before it ("" = the bare key, as
    # with `X-API-Key: <key>`).
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    # The model to ask for; None = the first one /v1/models lists (or none at all).
    model: str | None = None
    prompt: str = "Reply with the single word: ready"
    max_tokens: int = Field(default=16, ge=1, le=4096)
    # A complete request body for the chat path when the API is not OpenAI-shaped; `model`,
    # `max_tokens` and `stream` are still set on it.
    sample_body: dict[str, Any] | None = None
    # Health -------------------------------------------------------------------------------------
    liveness_paths: list[str] = Field(default_factory=lambda: [
        "/livez", "/healthz", "/health", "/health/liveliness", "/health/liveness", "/live", "/ping"])
    readiness_paths: list[str] = Field(default_factory=lambda: [
        "/readyz", "/ready", "/health/readiness", "/health/ready", "/readiness"])
    health_max_latency_ms: float = Field(default=1000.0, gt=0)
    # Exposure: paths that should not answer 200 without credentials.
    sensitive_paths: list[str] = Field(default_factory=lambda: [
        "/docs", "/redoc", "/openapi.json", "/swagger", "/swagger-ui.html", "/admin", "/metrics",
        "/debug", "/debug/vars", "/debug/pprof/", "/.env", "/actuator", "/actuator/env", "/server-status"])
    # Budgets ------------------------------------------------------------------------------------
    request_timeout_s: float = Field(default=15.0, gt=0, le=300)
    stream_deadline_s: float = Field(default=60.0, gt=0, le=600)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # The oversized request body the body-size probe sends (413 or 400 expected).
    oversized_body_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024, le=64 * 1024 * 1024)
    # An absurd max_tokens: far beyond any model's output window.
    absurd_max_tokens: int = Field(default=10_000_000, ge=100_000)
    burst: BurstSettings = Field(default_factory=BurstSettings)
    # Transport ----------------------------------------------------------------------------------
    verify_tls: bool = True
    ca_bundle: str | None = Field(default=None, description="PEM file of extra trusted CAs (an internal CA)")
    # The plain-http address whose redirect to https is checked; default: the https URL's host on port 80.
    http_url: str | None = None
    cert_expiry_warn_days: int = Field(default=21, ge=0, le=365)

    @model_validator(mode="after")
    def _paths_are_paths(self) -> LiveSettings:
        if self.api == "generic" and not self.sample_body:
            raise ValueError("api: generic needs a sample_body (the request the probes send)")
        for path in [self.models_path, self.chat_path, self.completions_path, *self.liveness_paths,
                     *self.readiness_paths, *self.sensitive_paths]:
            if not path.startswith("/"):
                raise ValueError(f"path {path!r} must start with '/'")
        return self
