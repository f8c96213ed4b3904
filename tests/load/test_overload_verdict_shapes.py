"""The overload verdict on each shape of overload stage, from its statistics alone (the real-Locust
twins are in test_load_verdicts.py / test_load_audits.py; the shape here that no purpose-built server
produces reliably is the one that fails a few requests and sheds none)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from readyscore.catalog import load_catalog
from readyscore.executors.load.checks import _overload
from readyscore.executors.load.session import LoadOutcome
from readyscore.config import load_profile

SPEC = next(e.spec for e in load_catalog() if e.spec.id == "load-overload-behaviour")


def stage(**counts) -> dict:
    base = {"users": 32, "planned_s": 2, "requests": 200, "ok": 200, "bad": 0, "shed": 0, "shed_with_retry_after": 0,
            "e2e_latency_ms": {"p95": 300.0}, "errors_by_kind": {}}
    return {**base, **counts}


@pytest.mark.parametrize(("overload", "status", "words"), [
    (stage(), "not_evaluated", "did not overload the service"),
    (stage(ok=199, bad=1, errors_by_kind={"timeout": 1}), "partial", "failed some requests and shed none"),
    (stage(ok=150, shed=50, shed_with_retry_after=50), "pass", "shed the excess"),
    (stage(ok=190, bad=10, errors_by_kind={"http_5xx": 10}), "fail", "failed badly"),  # over max_bad_share (1%)
    (stage(ok=150, shed=50, shed_with_retry_after=10), "partial", "not every refusal"),
    (stage(e2e_latency_ms={"p95": 9000.0}), "partial", "queued instead of shedding"),
])
def test_each_overload_shape_gets_its_verdict(overload, status, words):
    ctx = SimpleNamespace(profile=load_profile("default"))
    outcome = LoadOutcome(section={"stages": {"overload": overload}})
    result = _overload(SPEC, ctx, outcome)
    assert result.status.value == status, result.message
    assert words in result.message
