"""Shared helpers of the resilience tests: short settings, a demo-service target with overrides,
and a finder for processes the tests started (by an environment marker every descendant inherits).

Kept out of a conftest.py on purpose: other test folders import their own `conftest` by name."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from readyscore.config import ResilienceTarget
from readyscore.demo.resilience import DEMO_RESILIENCE_SETTINGS, demo_resilience_target
from readyscore.resilience.run import run_resilience
from readyscore.resilience.scenario import RunRecord
from readyscore.settings.live import LiveSettings
from readyscore.settings.resilience import ResilienceSettings

API_KEY = "rsk-resilience-test-key"
SHORT = ResilienceSettings.model_validate(DEMO_RESILIENCE_SETTINGS)


def demo_target(preset: str, overrides: dict[str, Any] | None = None) -> ResilienceTarget:
    return demo_resilience_target(preset, API_KEY, overrides)


def run_against_demo(preset: str, overrides: dict[str, Any] | None = None,
                     settings: ResilienceSettings = SHORT) -> RunRecord:
    """A whole resilience run against a demo service (started and stopped by the run)."""
    return run_resilience(demo_target(preset, overrides), settings, LiveSettings(), None, API_KEY, threading.Event())


def processes_with_marker(marker: str) -> list[tuple[int, str]]:
    """Live processes whose environment holds `marker` (inherited by every descendant)."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes():
                continue
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if stat[stat.rindex(")") + 2:].split()[0] != "Z":
            found.append((int(entry.name), cmdline[:200]))
    return found
