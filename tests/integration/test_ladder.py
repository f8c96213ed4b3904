"""The readiness ladder: the four demo presets, audited end to end (static, deploy, live probes and
a short load test against the real example service), land in their levels' score bands and levels,
and their scores rise strictly from level1 to level4.

With the same full audits: a file-only audit of each preset's tree estimates the full score (never
in a higher band; within MAX_FILE_ONLY_GAP points where that holds today), and no single check
swings the full score by more than MAX_SWING."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BANDS = {"level1": (1, 30, 50), "level2": (2, 50, 70), "level3": (3, 70, 85), "level4": (4, 85, 100.001)}
PRESETS = Path(__file__).resolve().parents[2] / "readyscore" / "demo" / "presets"
MAX_FILE_ONLY_GAP = 8.0
MAX_SWING = 8.0
# Measured (bench/score_stability.py, docs/scoring.md): the file-only score counts live checks at the
# result their file evidence predicts, which brings level2 and level3 within the gap; level1's gap is
# its load test, which no file predicts (the toy model keeps its latency under load even at level1,
# whose tree blocks the event loop, so the full audit's performance area scores 87 where the files
# cannot say how fast it answers). Known, not hidden: docs/scoring.md, "What is not met".
FILE_ONLY_GAP_NOT_MET = {"level1": -12.1}


@pytest.fixture(scope="module")
def ladder(tmp_path_factory) -> dict[str, dict]:
    reports = {}
    for preset in BANDS:
        out = tmp_path_factory.mktemp(preset)
        proc = subprocess.run([sys.executable, "-m", "readyscore", "demo", "--preset", preset, "-o", str(out),
                               "-q", "-f", "json"], capture_output=True, text=True, timeout=240)
        assert proc.returncode == 0, proc.stderr
        reports[preset] = json.loads((Path(out) / "report.json").read_text())
    return reports


@pytest.mark.parametrize("preset", list(BANDS))
def test_each_preset_lands_in_its_band_and_level(ladder, preset):
    report = ladder[preset]
    level, low, high = BANDS[preset]
    assert report["complete"], report["incomplete_reason"]
    assert low <= report["score"] < high, (preset, report["score"], report["held_back_by"])
    assert report["level"] == level, (preset, report["level"], report["held_back_by"])
    assert report["coverage"] > 0.9  # every source ran: static, deploy, live and load


def test_scores_rise_strictly_up_the_ladder(ladder):
    scores = [ladder[preset]["score"] for preset in BANDS]
    assert scores == sorted(scores) and len(set(scores)) == 4, scores



def _claims_check(report: dict) -> dict:
    return next(r for r in report["results"] if r["check_id"] == "repo-claims-substantiated")


def test_level1_claims_readiness_in_its_readme_and_the_evidence_contradicts_it(ladder):
    claims = ladder["level1"]["claims"]
    ready = [c for c in claims if c["claim"] == ["production-ready"]]
    assert ready and ready[0]["path"] == "README.md" and ready[0]["status"] == "contradicted"
    assert "gates not met" in ready[0]["reason"]
    assert _claims_check(ladder["level1"])["status"] == "fail"


@pytest.mark.parametrize("preset", ["level3", "level4"])
def test_level3_and_level4_claim_what_they_have_and_it_is_substantiated(ladder, preset):
    claims = ladder[preset]["claims"]
    assert any(c["kind"] == "statement" for c in claims) and any(c["kind"] == "level" for c in claims)
    assert len(claims) >= 8
    assert [c for c in claims if c["status"] != "substantiated"] == []
    assert _claims_check(ladder[preset])["status"] == "pass"


@pytest.fixture(scope="module")
def file_only(tmp_path_factory) -> dict[str, dict]:
    reports = {}
    for preset in BANDS:
        out = tmp_path_factory.mktemp(f"{preset}-files")
        proc = subprocess.run([sys.executable, "-m", "readyscore", "audit", str(PRESETS / preset), "-o", str(out),
                               "-q", "-f", "json"], capture_output=True, text=True, timeout=240)
        assert proc.returncode in (0, 1), proc.stderr
        reports[preset] = json.loads((Path(out) / "report.json").read_text())
    return reports


def _band(score: float) -> int:
    return max((level for level, low, _ in BANDS.values() if score >= low), default=0)


@pytest.mark.parametrize("preset", list(BANDS))
def test_a_file_only_audit_is_never_in_a_higher_band_than_the_full_one(ladder, file_only, preset):
    full, files = ladder[preset]["score"], file_only[preset]["score"]
    print(f"\n{preset}: file-only {files:.1f} (band {_band(files)}) · full {full:.1f} (band {_band(full)}) · "
          f"difference {files - full:+.1f}")
    assert _band(files) <= _band(full), (preset, files, full)


@pytest.mark.parametrize("preset", [pytest.param(p, marks=pytest.mark.xfail(
    strict=True, reason=f"file-only is {FILE_ONLY_GAP_NOT_MET[p]:+.1f} points from full (measured); see docs/scoring.md"))
    if p in FILE_ONLY_GAP_NOT_MET else p for p in BANDS])
def test_a_file_only_audit_is_within_the_gap_of_the_full_one(ladder, file_only, preset):
    assert abs(file_only[preset]["score"] - ladder[preset]["score"]) <= MAX_FILE_ONLY_GAP


def test_a_full_audit_predicts_nothing_and_a_file_only_one_says_what_it_predicted(ladder, file_only):
    for preset in BANDS:
        full, files = ladder[preset], file_only[preset]
        assert full["predictions"] == [] and full["measured_score"] == full["score"], preset
        predicted = {p["check_id"]: p for p in files["predictions"]}
        assert predicted and all(p["source"] in ("live", "resilience") for p in predicted.values()), preset
        # the prediction follows the file evidence: level1 has no auth in its code, level2 up do
        expected = "fail" if preset == "level1" else "pass"
        assert predicted["live-auth-required"]["status"] == expected, (preset, predicted["live-auth-required"])
        # and it is right about the running service: the full audit measured the same
        measured = next(r for r in full["results"] if r["check_id"] == "live-auth-required")
        assert measured["status"] == expected, preset


def test_no_single_check_swings_a_full_audit_beyond_the_bound(ladder):
    from readyscore.calibration import swings
    from readyscore.config import load_profile
    from readyscore.report import Report

    profile = load_profile("default")
    rows = []
    for preset, data in ladder.items():
        top = swings(Report.model_validate(data), profile)[0]
        rows.append((preset, top.points, top.check_id))
    print("\nlargest single-check swing (full audits): " + "; ".join(f"{p} {s:.2f} ({c})" for p, s, c in rows))
    assert all(points <= MAX_SWING for _, points, _ in rows), rows


# What the resilience phase of each demo finds: each preset carries the controls of its level
# (level1 none, level2 timeouts and immediate retries, level3 backoff with jitter and honest
# throttling, level4 a circuit breaker and a fallback too).
RESILIENCE = {
    "level1": {"timeouts": "fail", "retries-bounded": "partial", "backoff": "not_applicable", "upstream-429": "fail",
               "circuit-breaker": "fail", "fallback": "fail", "stream-errors": "fail", "recovery": "pass"},
    "level2": {"timeouts": "pass", "retries-bounded": "pass", "backoff": "fail", "upstream-429": "fail",
               "circuit-breaker": "fail", "fallback": "partial", "stream-errors": "pass", "recovery": "pass"},
    "level3": {"timeouts": "pass", "retries-bounded": "pass", "backoff": "pass", "upstream-429": "pass",
               "circuit-breaker": "fail", "fallback": "partial", "stream-errors": "pass", "recovery": "pass"},
    "level4": {"timeouts": "pass", "retries-bounded": "pass", "backoff": "pass", "upstream-429": "pass",
               "circuit-breaker": "pass", "fallback": "pass", "stream-errors": "pass", "recovery": "pass"},
}


@pytest.mark.parametrize("preset", list(BANDS))
def test_the_resilience_phase_passes_and_fails_as_each_preset_is_built(ladder, preset):
    results = {r["check_id"]: r for r in ladder[preset]["results"] if r["source"] == "resilience"}
    found = {check_id.removeprefix("resilience-"): r["status"] for check_id, r in results.items()}
    assert found == RESILIENCE[preset], {k: results[f"resilience-{k}"]["message"] for k in found
                                         if found[k] != RESILIENCE[preset].get(k)}
    gates = {g["id"]: g["status"] for g in ladder[preset]["gates"]}
    level4_gates = {gates["upstream-circuit-breaker"], gates["upstream-fallback"]}
    assert level4_gates == ({"met"} if preset == "level4" else {"unmet"})


@pytest.mark.parametrize("preset", list(BANDS))
def test_with_every_source_nothing_is_pending_and_no_gate_is_met_on_weak_evidence(ladder, preset):
    from gate_invariants import met_gate_violations

    report = ladder[preset]
    assert report["pending_gates"] == [] and report["level_if_verified"] == report["level"]
    assert met_gate_violations(report) == []
