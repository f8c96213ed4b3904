"""The bundled demo presets are realistic target trees: level1 shows the hazards, level3 the
capabilities, and the static verdicts climb with the level."""

from __future__ import annotations

from pathlib import Path

import pytest
from static_helpers import explain

PRESETS = Path(__file__).resolve().parents[2] / "readyscore" / "demo" / "presets"
pytestmark = pytest.mark.skipif(not (PRESETS / "level1").is_dir(), reason="demo presets not present")

HAZARDS = ["static-cors-wildcard", "static-debug-mode", "static-http-timeout", "static-bind-all-interfaces",
           "static-secrets"]
LEVEL3_CAPABILITIES = ["static-cap-auth", "static-cap-rate-limit", "static-cap-input-validation",
                       "static-cap-persistence", "static-cap-migrations", "static-cap-retries", "static-cap-caching",
                       "static-cap-structured-logging", "static-cap-metrics", "static-cap-tracing",
                       "static-cap-error-tracking", "static-cap-llm-safeguards", "static-cap-max-tokens",
                       "static-cap-token-accounting"]


@pytest.fixture(scope="module")
def levels(module_audit):
    return {level: module_audit(PRESETS / level) for level in ("level1", "level2", "level3", "level4")}


@pytest.fixture(scope="module")
def level1(levels):
    return levels["level1"]


@pytest.fixture(scope="module")
def level3(levels):
    return levels["level3"]


def test_level1_shows_the_prototype_hazards(level1):
    assert {c: level1[c].status.value for c in HAZARDS} == {c: "fail" for c in HAZARDS}, explain(level1)
    assert "credentials" in level1["static-cors-wildcard"].message
    assert "module-level dicts" in level1["static-cap-persistence"].message
    # The client's max_tokens passed through is not a cap.
    assert level1["static-cap-max-tokens"].status.value == "fail"
    assert all("FAKE0DEMO" not in (e.message + (e.snippet or "")) for e in level1["static-secrets"].evidence)


def test_level3_shows_the_capabilities_and_no_hazard(level3):
    failing = {c: level3[c].status.value for c in LEVEL3_CAPABILITIES if level3[c].status.value != "pass"}
    assert not failing, explain(level3)
    assert all(level3[c].strength.value == "implemented" for c in LEVEL3_CAPABILITIES)
    hazards = [c for c in HAZARDS + ["static-sql-injection", "static-eval-request-data",
                                     "static-unsafe-deserialization", "static-bandit-high"]
               if level3[c].status.value != "pass"]
    assert not hazards, explain(level3)


def test_passing_static_checks_grow_with_the_level(levels):
    passed = [sum(r.status.value == "pass" for r in levels[level].values()) for level in sorted(levels)]
    assert passed == sorted(passed) and passed[0] < passed[-1], passed
