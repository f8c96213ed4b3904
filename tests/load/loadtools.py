"""Helpers for the load tests: real Locust subprocesses against real loopback servers."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, load_profile
from readyscore.executors.load.plan import Stage, plan_document
from readyscore.executors.load.runner import LocustRun, run_locust
from bench.timed_server import ServerBehaviour, TimedSseServer
from readyscore.model import Source
from readyscore.settings.live import LiveSettings
from readyscore.settings.load import LoadSettings

# Short stages: each audit's load takes about 5 s plus Locust's start-up. The normal stage ends on
# its (small) minimum sample, or at its 6 s bound.
FAST_LOAD = {"users": 4, "duration_s": 6, "warmup_s": 0.5, "min_sample": 30,
             "overload": {"duration_s": 1, "recovery_s": 2}, "overhead_s": 20.0,
             "mix": {"prompt_words": [8], "max_tokens": [8]}}


def measure(behaviour: ServerBehaviour, tmp: Path, *, users: int = 2, seconds: float = 2.0,
            load: dict[str, Any] | None = None) -> LocustRun:
    """One Locust run of a single stage against a fresh timed server."""
    settings = LoadSettings.model_validate(load or {"mix": {"prompt_words": [8], "max_tokens": [12]}})
    with TimedSseServer(behaviour) as server:
        document = plan_document([Stage("normal", users, seconds, (0.0, 0.0), True)], settings, LiveSettings(),
                                 str(tmp))
        return run_locust(document, server.url, tmp, api_key=None, cancel=threading.Event(), limit_s=seconds + 30)


_catalog = None


def catalog():
    """The built-in catalog, loaded once (it imports every executor module: seconds)."""
    global _catalog
    if _catalog is None:
        _catalog = load_catalog([])
    return _catalog


def audit_load(url: str, *, load: dict[str, Any] | None = None, **options: Any):
    """A whole audit of the load source only, with a short load profile."""
    from readyscore import engine

    profile = load_profile("default")
    profile = profile.model_copy(update={"load": LoadSettings.model_validate({**FAST_LOAD, **(load or {})})})
    audit_options = AuditOptions(url=url, sources={Source.LOAD}, **options)
    return engine.audit(catalog(), profile, ProjectConfig(), audit_options)


def statuses(report) -> dict[str, str]:
    return {r.check_id: r.status.value for r in report.results if r.check_id.startswith("load-")}
