"""The bundled demo presets are realistic target trees: level1 shows the hazards, level3 the
capabilities, and the static verdicts climb with the level."""

from __future__ import annotations

from pathlib import Path

import pytest
from static_helpers import explain

PRESETS = Path(__file__).resolve().parents[2] / "readyscore" / "demo" / "presets"
pytestmark = pytest.mark.skipif(not (PRESETS / "level1").is_dir(), reason="demo presets not present")

HAZARDS = ["static-cors-wildcard", "static-debug-mode", "static-http-timeout", "static-bind-all-interfaces",
           "static-blocking-in-async",  # its chat route calls requests.post inside async def
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
    # The planted key is found and masked in the evidence. It does not say "fake": a provider-shaped
    # key that does is a stand-in (AIBrix's samples), so the demo's says "not a real key" instead.
    assert level1["static-secrets"].evidence
    assert all("DEMO0KEY" not in (e.message + (e.snippet or "")) for e in level1["static-secrets"].evidence)


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


def test_every_capability_pass_of_every_preset_rests_on_implemented_evidence(levels):
    for level, results in levels.items():
        for check_id, result in results.items():
            if check_id.startswith("static-cap-") and result.status.value == "pass":
                assert result.strength.value == "implemented", (level, check_id)
                assert all(e.strength.value == "implemented" for e in result.evidence if e.strength), (level, check_id)


def test_the_level2_controls_are_wired_into_the_chat_route(levels):
    level2 = levels["level2"]
    wired = {"static-cap-auth": "require_api_key", "static-cap-rate-limit": "slowapi.Limiter.limit in chat",
             "static-cap-input-validation": "ChatRequest", "static-cap-persistence": "sqlalchemy"}
    for check_id, words in wired.items():
        result = level2[check_id]
        assert result.status.value == "pass", explain(level2)
        assert any(words in e.message for e in result.evidence), (check_id, result.evidence)
