"""How `readyscore demo` runs the resilience family: a second instance of the example service, in
upstream mode, started by the resilience run itself (the --service-cmd path) against readyscore's
fake upstream. The first instance keeps answering from its toy model for the other checks.

The timings are shorter than the defaults so the whole demo stays within about a minute: the demo
service's upstream timeout is 0.5 s per attempt, its breaker cools down in 2 s.
"""

from __future__ import annotations

import os
import sys

from readyscore.config import ResilienceTarget
from readyscore.demo.settings import API_KEY_ENV, UPSTREAM_URL_ENV

DEMO_RESILIENCE_SETTINGS = {
    "service_timeout_s": 2.0, "margin_s": 1.0, "hang_s": 10.0, "retry_after_s": 1.0, "throttle_s": 1.5,
    "breaker_max_requests": 6, "breaker_wait_s": 4.0, "storm_clients": 6, "recovery_within_s": 4.0,
    "poll_interval_s": 0.2, "budget_s": 40.0, "start_timeout_s": 20.0,
}


def demo_resilience_target(preset: str, api_key: str | None, overrides: dict | None = None) -> ResilienceTarget:
    command = [sys.executable, "-m", "readyscore.demo", "--preset", preset, "--port", "{port}"]
    for key, value in (overrides or {}).items():
        import json
        command += ["--set", f"{key}={value if isinstance(value, str) else json.dumps(value)}"]
    env = {"READYSCORE_DEMO_PARENT_PID": str(os.getpid())}  # the service stops itself if readyscore dies
    if api_key:
        env[API_KEY_ENV] = api_key
    return ResilienceTarget(upstream_env=UPSTREAM_URL_ENV, service_cmd=command, service_url="http://127.0.0.1:{port}",
                            service_env=env, settings=dict(DEMO_RESILIENCE_SETTINGS))
