"""Every switch of the demo service, and the four presets that readyscore's demo audits.

The presets are built so that each level is strictly more production-ready than the one below:
level1 works and nothing more, level2 adds the "hardened" basics, level3 adds operability,
level4 adds compliance. The LLM-flaw switches make the toy model misbehave the way real models do,
so the LLM probes have something to find; the fault switches let tests break one thing at a time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

API_KEY_ENV = "READYSCORE_DEMO_API_KEY"
DB_PATH_ENV = "READYSCORE_DEMO_DB"
AUDIT_LOG_ENV = "READYSCORE_DEMO_AUDIT_LOG"
# Upstream mode: the model provider's base URL (as OPENAI_BASE_URL, e.g. http://127.0.0.1:PORT/v1).
UPSTREAM_URL_ENV = "READYSCORE_DEMO_UPSTREAM_URL"


class DemoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    preset: str = "custom"

    # The model ------------------------------------------------------------------------------
    model_name: str = "readyscore-demo"
    context_window: int = Field(default=2048, ge=64, le=1_000_000)
    ttft_ms: float = Field(default=50.0, ge=0, le=60_000)
    token_delay_ms: float = Field(default=5.0, ge=0, le=10_000)
    max_tokens_cap: int = Field(default=1024, ge=1, le=1_000_000)
    max_n: int = Field(default=4, ge=1, le=128)
    # A server-side system prompt used when a request brings none (operators plant a canary here).
    system_prompt: str | None = None

    # Security -------------------------------------------------------------------------------
    require_auth: bool = False
    api_key_env: str = API_KEY_ENV
    rate_limit: bool = False
    rate_limit_rps: float = Field(default=25.0, gt=0, le=100_000)
    rate_limit_burst: int = Field(default=25, ge=1, le=100_000)
    validate_input: bool = False
    # None: no cap on the request body at all.
    max_body_bytes: int | None = Field(default=None, ge=1024)
    enforce_context_window: bool = False
    debug_errors: bool = True
    expose_docs: bool = True
    cors: Literal["off", "reflect_any", "allowlist"] = "reflect_any"
    cors_origins: list[str] = Field(default_factory=list)
    cors_allow_credentials: bool = True
    # None: leak uvicorn's and Python's versions, as an unconfigured server does.
    server_header: str | None = None
    security_headers: bool = False

    # State ----------------------------------------------------------------------------------
    persistence: Literal["memory", "sqlite"] = "memory"
    db_path: str | None = None  # None: $READYSCORE_DEMO_DB, else a file in the temp directory
    audit_log: bool = False
    audit_log_path: str | None = None  # None: $READYSCORE_DEMO_AUDIT_LOG, else beside the database
    audit_retention_days: int = Field(default=30, ge=1, le=3650)

    # Operability ----------------------------------------------------------------------------
    health_paths: list[str] = Field(default_factory=lambda: ["/health"])
    kubernetes_probes: bool = False  # /livez and /readyz (readyz checks the database)
    metrics: bool = False  # Prometheus text at /metrics
    metrics_require_auth: bool = False
    request_id: bool = False
    json_logs: bool = False

    # LLM flaws ------------------------------------------------------------------------------
    echo_system_prompt: bool = True
    obey_injection: bool = True
    honour_template_tokens: bool = True
    echo_markup: bool = True
    echo_pii: bool = True
    ignore_max_tokens: bool = True
    ignore_n: bool = True

    # Upstream mode ----------------------------------------------------------------------------
    # With an upstream URL (this setting or $READYSCORE_DEMO_UPSTREAM_URL) chat completions are
    # proxied to that OpenAI-compatible provider instead of the toy model, with these controls.
    upstream_url: str | None = None
    upstream_timeout_s: float | None = Field(default=None, gt=0, le=600)  # None: wait as long as it takes
    upstream_attempts: int = Field(default=1, ge=1, le=50)  # 1: no retries
    upstream_backoff: Literal["none", "exponential_jitter"] = "none"
    upstream_backoff_base_s: float = Field(default=0.2, ge=0, le=60)
    upstream_backoff_max_s: float = Field(default=1.0, ge=0, le=600)
    # A provider 429 goes to the client as 429 with its Retry-After, and no call is made until it
    # has passed; otherwise a 429 is one more transient error (retried, then a 502).
    honest_throttling: bool = False
    # Upstream failures become clean JSON errors (502/504); otherwise they crash the request (500).
    upstream_errors_handled: bool = False
    circuit_breaker: bool = False
    breaker_threshold: int = Field(default=3, ge=1, le=1000)
    breaker_cooldown_s: float = Field(default=2.0, gt=0, le=3600)
    fallback: bool = False  # a canned reduced answer, marked X-Fallback, when the provider is down
    # A provider stream that breaks ends the client's stream with an error event; otherwise the
    # client gets a finish chunk and [DONE] as if the answer were complete.
    stream_error_event: bool = False

    # Faults for tests -----------------------------------------------------------------------
    rate_limit_status: int = Field(default=429, ge=400, le=599)
    auth_accept_any: bool = False
    health_delay_ms: float = Field(default=0.0, ge=0, le=60_000)

    def claims(self) -> dict[str, Any]:
        """What an operator of this service would declare in readyscore's `llm:` settings (the LLM
        probes hold a service to what it claims: sanitised output, redacted personal data)."""
        return {"sanitises_output": not self.echo_markup, "redacts_pii": not self.echo_pii,
                "context_window": self.context_window}

    def with_overrides(self, overrides: dict[str, Any]) -> DemoSettings:
        """A copy with some fields replaced, validated like the rest."""
        data = self.model_dump()
        data.update(overrides)
        return DemoSettings.model_validate(data)


def parse_override(text: str) -> tuple[str, Any]:
    """`key=value` from the command line; the value is JSON when it parses as JSON, else a string
    (so `--set echo_pii=false`, `--set ttft_ms=5`, `--set cors_origins='["https://a"]'` all work)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"expected key=value, got {text!r}")
    if key not in DemoSettings.model_fields:
        raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(DemoSettings.model_fields))}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    if raw.strip().lower() in ("none", "null"):
        value = None
    return key, value


_LEVEL1 = DemoSettings(preset="level1")

_LEVEL2 = _LEVEL1.with_overrides({
    "preset": "level2",
    "require_auth": True, "rate_limit": True, "validate_input": True, "max_body_bytes": 64 * 1024,
    "enforce_context_window": True, "debug_errors": False, "expose_docs": False, "cors": "off",
    "cors_allow_credentials": False, "server_header": "readyscore-demo", "persistence": "sqlite",
    # A hardened API that still trusts its model: the LLM-specific flaws stay, the request caps
    # (max_tokens, n) are enforced by the validation layer.
    "ignore_max_tokens": False, "ignore_n": False,
    # Timeouts and retries, but the retries come back-to-back and a provider 429 is just an error.
    "upstream_timeout_s": 0.5, "upstream_attempts": 3, "upstream_errors_handled": True, "stream_error_event": True,
})

_NO_LLM_FLAWS = {"echo_system_prompt": False, "obey_injection": False, "honour_template_tokens": False,
                 "echo_markup": False, "echo_pii": False, "ignore_max_tokens": False, "ignore_n": False}

_LEVEL3 = _LEVEL2.with_overrides({
    "preset": "level3",
    "metrics": True, "json_logs": True, "kubernetes_probes": True, "health_paths": ["/health"], "request_id": True,
    "security_headers": True, "cors": "allowlist", "cors_origins": ["https://chat.example.com"],
    **_NO_LLM_FLAWS,
    "upstream_backoff": "exponential_jitter", "honest_throttling": True,
})

_LEVEL4 = _LEVEL3.with_overrides({"preset": "level4", "audit_log": True, "audit_retention_days": 90,
                                  "metrics_require_auth": True, "circuit_breaker": True, "fallback": True})

PRESETS: dict[str, DemoSettings] = {"level1": _LEVEL1, "level2": _LEVEL2, "level3": _LEVEL3, "level4": _LEVEL4}


PRESET_TREES = Path(__file__).resolve().parent / "presets"


def preset_tree(name: str) -> Path:
    """The source tree of a preset (data for the static and deploy checks; never imported)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESET_TREES / name


def preset(name: str, overrides: dict[str, Any] | None = None) -> DemoSettings:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name].with_overrides(overrides or {})
