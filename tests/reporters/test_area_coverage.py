"""Every format shows each area's coverage beside its bar, and an area with too little evidence as
such, with the checks that ran (issue 20)."""

from __future__ import annotations

import json

from readyscore.reporters import get_reporter
from readyscore.scoring import AreaStatus

from report_factory import BAD_TREE, audit_files


def thin_report(tmp_path):
    report = audit_files(tmp_path, BAD_TREE)
    areas = dict(report.areas)
    areas["deployment"] = areas["deployment"].model_copy(update={
        "status": AreaStatus.TOO_LITTLE_EVIDENCE, "contribution": 0.0, "coverage": 0.25,
        "evaluated_checks": ["fx-dockerfile"], "reason": "25% of the area's weight was evaluated, below the 40%"})
    return report.model_copy(update={"areas": areas})


def test_terminal_shows_coverage_and_too_little_evidence(tmp_path):
    report = thin_report(tmp_path)
    text = get_reporter("terminal").render(report)
    reliability = report.areas["reliability"]
    assert "coverage" in text and f"{reliability.coverage:.0%}" in text
    assert "too little evidence" in text and "ran: fx-dockerfile" in text


def test_markdown_has_an_area_table_with_coverage(tmp_path):
    report = thin_report(tmp_path)
    text = get_reporter("markdown").render(report)
    reliability = report.areas["reliability"]
    assert "| area | score | coverage | checks |" in text
    assert f"| reliability | `" in text and f"| {reliability.coverage:.0%} | {reliability.evaluated}/" in text
    assert "| deployment | too little evidence (ran: fx-dockerfile) | 25% |" in text


def test_html_shows_coverage_beside_each_bar_and_the_thin_area(tmp_path):
    report = thin_report(tmp_path)
    html = get_reporter("html").render(report)
    shown = [a for a in report.areas.values() if a.total]
    assert html.count('class="cov') == len(shown)
    assert 'data-area-status="too_little_evidence"' in html and "ran: fx-dockerfile" in html
    assert 'id="thin-areas"' in html


def test_json_carries_status_contribution_and_the_checks_that_ran(tmp_path):
    data = json.loads(get_reporter("json").render(thin_report(tmp_path)))
    deployment = data["areas"]["deployment"]
    assert deployment["status"] == "too_little_evidence" and deployment["evaluated_checks"] == ["fx-dockerfile"]
    assert data["areas"]["reliability"]["status"] == "scored" and data["areas"]["reliability"]["contribution"] > 0
