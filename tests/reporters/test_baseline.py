"""The diff of two reports: what got worse, what got fixed, and what counts as a regression."""

from __future__ import annotations

from report_factory import BAD_TREE, GOOD_TREE, audit_files, with_result

from readyscore.baseline import attach, attached, diff_reports, headline, summary_lines
from readyscore.model import Status
from readyscore.report import Report


def ids(changes) -> list[str]:
    return [c.check_id for c in changes]


def test_the_same_tree_twice_is_no_regression(tmp_path):
    one, two = audit_files(tmp_path, GOOD_TREE, "a"), audit_files(tmp_path, GOOD_TREE, "b")
    diff = diff_reports(one, two)
    assert diff.score_delta == 0 and not diff.regressed
    assert diff.newly_failing == [] and diff.fixed == [] and diff.new_checks_failing == []
    assert "no check changed" in summary_lines(diff)[-1]


def test_breaking_a_good_tree_is_a_regression_naming_the_checks(tmp_path):
    good, bad = audit_files(tmp_path, GOOD_TREE, "good"), audit_files(tmp_path, BAD_TREE, "bad")
    diff = diff_reports(good, bad, "main.json")
    assert diff.regressed
    assert ids(diff.newly_failing) == ["fx-no-env", "fx-tests", "fx-dockerfile"]  # worst severity, lowest level first
    assert diff.newly_failing[0].before == Status.PASS and diff.newly_failing[0].after == Status.FAIL
    assert diff.level_before == 3 and diff.level_after == 1
    assert any("level dropped from 3" in r for r in diff.regressions)
    assert any("score fell" in r for r in diff.regressions)
    assert "Level 3 → 1" in headline(diff) and "(-" in headline(diff)


def test_fixing_the_tree_lists_the_fixes_and_is_not_a_regression(tmp_path):
    good, bad = audit_files(tmp_path, GOOD_TREE, "good"), audit_files(tmp_path, BAD_TREE, "bad")
    diff = diff_reports(bad, good)
    assert not diff.regressed and diff.score_delta > 0
    assert set(ids(diff.fixed)) == {"fx-no-env", "fx-dockerfile", "fx-tests"} and diff.newly_failing == []


def test_a_check_the_baseline_did_not_have_is_shown_but_never_a_regression(tmp_path):
    bad = audit_files(tmp_path, BAD_TREE)
    older_catalog = bad.model_copy(update={"results": [r for r in bad.results if r.check_id != "fx-no-env"]})
    diff = diff_reports(older_catalog, bad)
    assert ids(diff.new_checks_failing) == ["fx-no-env"] and diff.new_checks_failing[0].before is None
    assert "fx-no-env" not in ids(diff.newly_failing)
    assert not any("fx-no-env" in r for r in diff.regressions)


def test_a_check_not_evaluated_before_is_not_newly_failing(tmp_path):
    good = audit_files(tmp_path, GOOD_TREE)
    now_failing = with_result(good, "fx-live-health", status=Status.FAIL, message="503")
    diff = diff_reports(good, now_failing)
    assert diff.newly_failing == []
    assert [(c.check_id, c.before, c.after) for c in diff.other_changes] == [
        ("fx-live-health", Status.NOT_EVALUATED, Status.FAIL)]


def test_a_waived_failure_is_not_newly_failing_but_its_expiry_is(tmp_path):
    good = audit_files(tmp_path, GOOD_TREE)
    broken = with_result(good, "fx-readme", status=Status.FAIL, message="gone")
    waived = with_result(broken, "fx-readme", suppressed_by="accepted until the rewrite")
    assert diff_reports(good, waived).newly_failing == []
    assert ids(diff_reports(waived, broken).newly_failing) == ["fx-readme"]  # the waiver lapsed


def test_the_diff_survives_the_json_report_round_trip(tmp_path):
    good, bad = audit_files(tmp_path, GOOD_TREE, "good"), audit_files(tmp_path, BAD_TREE, "bad")
    attach(bad, diff_reports(good, bad, "main.json"))
    reloaded = Report.model_validate_json(bad.model_dump_json())
    diff = attached(reloaded)
    assert diff is not None and diff.baseline == "main.json" and ids(diff.newly_failing)[0] == "fx-no-env"


def test_a_damaged_diff_section_is_ignored(tmp_path):
    good = audit_files(tmp_path, GOOD_TREE)
    good.sections["baseline"] = {"score_before": "lots"}
    assert attached(good) is None
    good.sections["baseline"] = ["not", "a", "mapping"]
    assert attached(good) is None
