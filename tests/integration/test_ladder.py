"""The readiness ladder: the four demo presets, audited end to end (static, deploy, live probes and
a short load test against the real example service), land in their levels' score bands and levels,
and their scores rise strictly from level1 to level4."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BANDS = {"level1": (1, 30, 50), "level2": (2, 50, 70), "level3": (3, 70, 85), "level4": (4, 85, 100.001)}


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
