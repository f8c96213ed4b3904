"""Settings of the llm check family (the `llm:` section of a profile or readyscore.yaml).

The LLM probes talk to an OpenAI-compatible chat endpoint. What they cannot find out from outside
is declared here: the canary planted in a server-side system prompt, whether the service claims to
sanitise output or redact personal data, an agent endpoint, the context window. The bounds keep
every probe safe to point at a production endpoint.
"""

from __future__ import annotations

import os

from pydantic import Field

from readyscore.model import Strict


class LlmSettings(Strict):
    # The API shape (paths, auth header, model, TLS) is the live section's: `live.chat_path`,
    # `live.models_path`, `live.model`, `live.auth_header` ... The probes share its connection.

    # A canary the operator planted in the server-side system prompt, so a leak of the real prompt
    # can be detected. Given here (in the project config) or through an environment variable —
    # never on the command line, where it would end up in shell history and CI logs.
    system_prompt_canary: str | None = Field(default=None, min_length=8, max_length=200)
    system_prompt_canary_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    # What the service claims; the probes hold it to the claim.
    sanitises_output: bool = Field(default=False, description="the service strips active markup from answers")
    redacts_pii: bool = Field(default=False, description="the service redacts personal data and secrets")

    # Only an agent that executes tools can show excessive agency.
    agent_endpoint: str | None = None
    context_window: int | None = Field(default=None, ge=256, le=100_000_000,
                                       description="tokens; overrides what /v1/models says")

    # Bounds per probe: requests, wall-clock time, and generated tokens per request.
    max_requests_per_probe: int = Field(default=8, ge=1, le=50)
    max_seconds_per_probe: float = Field(default=60.0, gt=0, le=600)
    request_timeout_s: float = Field(default=30.0, gt=0, le=300)
    max_tokens: int = Field(default=64, ge=8, le=1024, description="max_tokens of each content probe")
    seed: int | None = Field(default=7, description="sent where the API accepts one; null: never")
    # The largest `n` a service may hand out before "large n" counts as unbounded.
    max_n: int = Field(default=8, ge=1, le=128)
    # The over-long prompt is about twice the context window, but never more than this many bytes.
    overflow_max_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024, le=64 * 1024 * 1024)
    # When the context window is neither configured nor published: assume this many tokens.
    assumed_context_window: int = Field(default=131_072, ge=256, le=10_000_000)

    def server_canary(self) -> str | None:
        """The server-side canary, from the config or the environment variable it names."""
        if self.system_prompt_canary:
            return self.system_prompt_canary
        if self.system_prompt_canary_env:
            value = (os.environ.get(self.system_prompt_canary_env) or "").strip()
            return value if len(value) >= 8 else None
        return None
