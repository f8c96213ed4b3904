"""Reports at the edges: nothing evaluated (no score), an incomplete audit. Every format renders."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from report_factory import CHECKS_DIR, PROFILE, audit_files, GOOD_TREE

from readyscore import engine
from readyscore.baseline import attach, diff_reports, summary_lines
from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, load_profile
from readyscore.reporters import get_reporter


def nothing_evaluated():
    """A URL-only audit with no live check in the model: every check is not evaluated."""
    catalog = load_catalog([CHECKS_DIR], include_builtin=False)
    options = AuditOptions(root=None, url=None, show_progress=False)
    return engine.audit(catalog, load_profile(str(PROFILE)), ProjectConfig(), options)


def test_a_report_with_no_score_renders_in_every_format(tmp_path):
    empty = nothing_evaluated()
    assert empty.score is None
    good = audit_files(tmp_path, GOOD_TREE)
    diff = diff_reports(good, empty, "main.json")
    assert diff.score_delta is None and "nothing could be evaluated this time" in diff.regressions
    assert "—" in summary_lines(diff)[0]
    attach(empty, diff)
    assert json.loads(get_reporter("sarif").render(empty))["runs"][0]["results"] == []
    root = ET.fromstring(get_reporter("junit").render(empty).encode())
    assert root.get("failures") == "0" and all(s.get("skipped") == s.get("tests") for s in root.iter("testsuite"))
    text = get_reporter("markdown").render(empty)
    assert "## readyscore: —/100" in text and "**Regression:**" in text
    assert "score 100 → —" in get_reporter("html").render(empty)


def test_an_incomplete_audit_says_so_in_sarif_and_markdown(tmp_path):
    report = audit_files(tmp_path, GOOD_TREE).model_copy(update={"complete": False,
                                                                 "incomplete_reason": "deadline reached"})
    run = json.loads(get_reporter("sarif").render(report))["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["invocations"][0]["exitCodeDescription"] == "deadline reached"
    assert "**Incomplete audit:** deadline reached" in get_reporter("markdown").render(report)
