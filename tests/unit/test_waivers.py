"""Waivers are applied in one place, after the checks, to findings (readyscore/waivers.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from readyscore.config import Suppression
from readyscore.model import Evidence, Result, Status
from readyscore.waivers import apply_waivers

TODAY = dt.date(2026, 6, 1)


def finding(path: str, rule: str = "openai-key", line: int = 3) -> Evidence:
    return Evidence(message="a key", path=path, line=line, finding=True, rule=rule)


def failing(check_id: str = "static-secrets", *paths: str, total: int | None = None, **extra) -> Result:
    evidence = [finding(p) for p in paths]
    return Result(check_id=check_id, status=extra.pop("status", Status.FAIL), score=0.0, evidence=evidence,
                  findings=len(evidence) if total is None else total, **extra)


def waiver(**fields) -> Suppression:
    return Suppression(**{"check": "static-secrets", "reason": "accepted risk", "expires": dt.date(2099, 1, 1),
                          **fields})


def test_a_waiver_matching_every_finding_waives_the_check_and_keeps_the_evidence():
    results = {"static-secrets": failing("static-secrets", "app/llm.py")}
    out, infos = apply_waivers(results, [waiver(path="**")], TODAY)
    result = out["static-secrets"]
    assert result.status == Status.FAIL  # the raw verdict is untouched
    assert result.suppressed_by and len(result.evidence) == 1 and result.evidence[0].waived_by
    assert infos[0].whole_check and infos[0].matched == ["static-secrets"]
    assert infos[0].matched_findings == ["app/llm.py:3 (openai-key)"]
    assert not results["static-secrets"].suppressed_by and not results["static-secrets"].evidence[0].waived_by


def test_a_waiver_matching_some_findings_marks_them_and_leaves_the_check_failing():
    results = {"static-secrets": failing("static-secrets", "app/llm.py", "tests/fixture.py")}
    out, infos = apply_waivers(results, [waiver(path="tests/**")], TODAY)
    result = out["static-secrets"]
    assert not result.suppressed_by
    assert [e.path for e in result.evidence if e.waived_by] == ["tests/fixture.py"]
    assert not infos[0].whole_check and infos[0].matched_findings == ["tests/fixture.py:3 (openai-key)"]


def test_two_waivers_together_covering_every_finding_waive_the_check_but_neither_is_whole_check():
    results = {"static-secrets": failing("static-secrets", "a.py", "b.py")}
    out, infos = apply_waivers(results, [waiver(path="a.py"), waiver(path="b.py", reason="other reason")], TODAY)
    assert out["static-secrets"].suppressed_by == "accepted risk; until 2099-01-01; other reason; until 2099-01-01"
    assert [i.whole_check for i in infos] == [False, False]


def test_a_waiver_matches_by_rule():
    result = failing("static-secrets")
    result.evidence = [finding("a.py", "openai-key"), finding("a.py", "aws-key")]
    result.findings = 2
    out, infos = apply_waivers({"static-secrets": result}, [waiver(rule="aws-*")], TODAY)
    assert [e.rule for e in out["static-secrets"].evidence if e.waived_by] == ["aws-key"]
    assert not out["static-secrets"].suppressed_by


def test_findings_beyond_the_listed_ones_keep_a_path_waiver_from_covering_the_check():
    results = {"static-secrets": failing("static-secrets", "a.py", total=500)}
    out, infos = apply_waivers(results, [waiver(path="**")], TODAY)
    assert not out["static-secrets"].suppressed_by and not infos[0].whole_check


def test_a_waiver_without_path_or_rule_waives_a_check_without_findings_as_a_whole():
    results = {"live-rate-limit": Result(check_id="live-rate-limit", status=Status.FAIL, message="no 429")}
    out, infos = apply_waivers(results, [waiver(check="live-rate-limit")], TODAY)
    assert out["live-rate-limit"].suppressed_by and infos[0].whole_check
    # A path waiver has nothing to match on a check that reports no findings.
    out, infos = apply_waivers(results, [waiver(check="live-rate-limit", path="**")], TODAY)
    assert not out["live-rate-limit"].suppressed_by and infos[0].matched == []


@pytest.mark.parametrize("status", [Status.ERROR, Status.NOT_EVALUATED, Status.NOT_APPLICABLE, Status.PASS])
def test_waivers_never_apply_to_errors_unevaluated_or_passing_results(status):
    results = {"static-secrets": Result(check_id="static-secrets", status=status, message="x")}
    out, infos = apply_waivers(results, [waiver()], TODAY)
    assert not out["static-secrets"].suppressed_by and infos[0].matched == []


def test_an_expired_waiver_is_listed_and_not_applied():
    results = {"static-secrets": failing("static-secrets", "a.py")}
    out, infos = apply_waivers(results, [waiver(expires=dt.date(2026, 1, 1))], TODAY)
    assert not out["static-secrets"].suppressed_by and not infos[0].active
    assert infos[0].ignored_reason == "expired on 2026-01-01"


def test_a_profile_may_require_an_expiry_date():
    results = {"static-secrets": failing("static-secrets", "a.py")}
    open_ended = Suppression(check="static-secrets", path="**", reason="forever")
    out, infos = apply_waivers(results, [open_ended], TODAY, require_expiry=True)
    assert not out["static-secrets"].suppressed_by and "requires an expiry" in infos[0].ignored_reason
    out, infos = apply_waivers(results, [open_ended], TODAY, require_expiry=False)
    assert out["static-secrets"].suppressed_by
