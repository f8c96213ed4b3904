"""The headline line that says what a file-only audit proves and what it would once verified: it
names the gates that wait for a source when gates wait, and the measured and estimated scores when
only the score stands between the two levels (never "confirms 0 gates (run with )")."""

from __future__ import annotations

import json
from pathlib import Path

from readyscore.report import Report, verification_line

SAMPLE = Path(__file__).resolve().parents[2] / "reports" / "sample" / "report.json"


def report(**changes) -> Report:
    data = json.loads(SAMPLE.read_text())
    data.update(changes)
    return Report.model_validate(data)


def test_gates_waiting_for_a_running_service_are_named_with_the_option():
    pending = [{"id": "authentication", "title": "auth", "level": 2, "source": "live", "option": "--url",
                "checks": ["live-auth-required"]}]
    line = verification_line(report(level=1, level_if_verified=2, pending_gates=pending))
    assert line == "Level 1 proven · Level 2 once a running service confirms 1 gate (run with --url)"


def test_only_the_score_between_the_levels_says_so_with_both_scores():
    line = verification_line(report(level=0, level_if_verified=1, pending_gates=[], score=31.2,
                                    measured_score=29.4))
    assert line == ("Level 0 proven · Level 1 if the estimate holds: measured 29/100, estimated 31/100 "
                    "(run with --url to measure the predicted checks)")
    assert "0 gates" not in line and "()" not in line


def test_nothing_to_say_when_the_levels_agree():
    assert verification_line(report(level=2, level_if_verified=2, pending_gates=[])) is None
