"""Helpers for the live-probe tests: run real audits (the engine, the catalog, the default
profile) against real servers on 127.0.0.1."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from readyscore import engine
from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, apply_project_settings, load_profile
from readyscore.model import Source

# Small budgets: the fault servers answer in milliseconds, so the tests stay fast.
FAST = {"request_timeout_s": 3.0, "stream_deadline_s": 5.0, "oversized_body_bytes": 256 * 1024,
        "burst": {"requests": 40, "concurrency": 6, "duration_s": 5.0, "recovery_max_wait_s": 4.0}}


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.fixture(scope="session")
def catalog():
    return load_catalog([])


@pytest.fixture
def live_audit(catalog, monkeypatch):
    """live_audit(url, key, probes=[...], **live_settings) -> {check_id: CheckResult} of a real audit."""
    def run(url: str, key: str | None, probes: list[str], profile: str = "default", **live: Any):
        env = f"READYSCORE_TEST_KEY_{uuid.uuid4().hex[:8].upper()}"
        if key is not None:
            monkeypatch.setenv(env, key)
        project = ProjectConfig(live=merge(FAST, live))
        options = AuditOptions(url=url, sources={Source.LIVE}, api_key_env=env, probes=probes,
                               check_timeout_s=60, deadline_s=120, show_progress=False)
        report = engine.audit(catalog, apply_project_settings(load_profile(profile), project), project, options)
        run.last_report = report
        return {r.check_id: r for r in report.results}
    return run




assert os.name  # keep the imports honest for linters
