"""What one load run will do: the stages, the request mix, and whether the target may be loaded.

The plan is plain JSON handed to the Locust subprocess (readyscore/loadgen/locustfile.py reads it);
it never contains the API key, which travels only in the subprocess's environment.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from readyscore.settings.live import LiveSettings
from readyscore.settings.load import LoadSettings

API_KEY_ENV = "READYSCORE_LOAD_API_KEY"
MAX_RETRY_WAIT_S = 5.0


def load_refusal(url: str, allowed_hosts: list[str]) -> str | None:
    """Why this target must not be loaded, or None. Only loopback, or a host named explicitly."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return f"cannot tell the host of {url!r}"
    if host in {h.strip().lower().strip("[]") for h in allowed_hosts}:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (f"load tests run only against loopback targets; {host} is not one. If you are allowed to "
            f"load it, name it: --allow-load-on {host}")


@dataclass
class Stage:
    name: str
    users: int
    duration_s: float  # the stage's time bound
    wait_s: tuple[float, float]
    honour_retry_after: bool
    # The stage ends early once this many requests completed after `warmup_s` (0: runs its bound).
    min_requests: int = 0
    warmup_s: float = 0.0

    def __post_init__(self) -> None:
        # Locust's shape worker ticks once a second, so a stage lasts whole seconds: say so here
        # rather than have the statistics assume a length the run never had.
        self.duration_s = float(max(1, math.ceil(self.duration_s - 1e-9)))


def main_stages(load: LoadSettings) -> list[Stage]:
    # The normal stage runs until it has its minimum sample or reaches its bound. Requests in flight
    # when the warm-up ends complete after it but started inside it (out of the sample), so the
    # stage waits for that many more.
    stages = [Stage("normal", load.users, load.duration_s, load.wait_s, load.honour_retry_after,
                    min_requests=load.min_sample + load.users, warmup_s=load.warmup_s)]
    if load.overload.enabled:
        peak = min(load.overload.max_users, max(load.users + 1, math.ceil(load.users * load.overload.users_factor)))
        stages.append(Stage("overload", peak, load.overload.duration_s, (0.0, 0.0), False))
        stages.append(Stage("recovery", load.users, load.overload.recovery_s, load.wait_s, load.honour_retry_after))
    return stages


def sweep_stages(load: LoadSettings) -> list[Stage]:
    return [Stage(f"sweep-{users}", users, load.sweep.step_s, load.wait_s, False) for users in load.sweep.users]


def total_seconds(stages: list[Stage]) -> float:
    return sum(stage.duration_s for stage in stages)


def plan_document(stages: list[Stage], load: LoadSettings, live: LiveSettings, out_dir: str, *,
                  forward: bool = False, seed: int = 1) -> dict[str, Any]:
    end = 0.0
    documents = []
    for stage in stages:
        end += stage.duration_s
        documents.append({"name": stage.name, "users": stage.users, "end_s": round(end, 3),
                          "duration_s": stage.duration_s, "min_requests": stage.min_requests,
                          "warmup_s": stage.warmup_s,
                          "spawn_rate": load.spawn_rate if stage.name == "normal" else max(load.spawn_rate, 100.0),
                          "wait_s": list(stage.wait_s), "honour_retry_after": stage.honour_retry_after,
                          "max_retry_wait_s": MAX_RETRY_WAIT_S})
    return {
        "chat_path": live.chat_path,
        "auth_header": live.auth_header,
        "auth_scheme": live.auth_scheme,
        "api_key_env": API_KEY_ENV,
        "model": live.model,
        "body_template": live.sample_body,
        "mix": load.mix.model_dump(),
        "timeout_s": load.request_timeout_s,
        "stream_deadline_s": load.stream_deadline_s,
        "stages": documents,
        "out_dir": out_dir,
        "forward": forward,
        "seed": seed,
    }
