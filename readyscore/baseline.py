"""What changed between two reports: score and level, checks newly failing, checks fixed.

Used by `readyscore diff OLD NEW` and `readyscore audit --baseline OLD`. The diff is plain data
(it is stored in the new report's `sections["baseline"]`, so every format can show it and
`readyscore report` re-renders it); `regressions` says in words why a `--fail-on-regression`
gate fails.

What counts as a regression: the level dropped, the score fell, or a check that passed in the
baseline fails now. A check the baseline did not have (a newer catalog) and a check that was
not evaluated before are shown but never counted: neither is something the service got worse at.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from readyscore.model import Area, Severity, Status
from readyscore.report import CheckResult, Report

SECTION = "baseline"
FAILING = (Status.FAIL, Status.PARTIAL)
PASSING = (Status.PASS, Status.WARN)
# Scores are shown with one decimal; a smaller move is noise, not a regression.
SCORE_TOLERANCE = 0.05


class CheckChange(BaseModel):
    check_id: str
    title: str
    area: Area
    level: int
    severity: Severity
    before: Status | None = Field(description="null: the baseline did not have this check")
    after: Status | None = Field(description="null: the new report does not have this check")
    message: str = ""


class ReportDiff(BaseModel):
    baseline: str = Field(description="where the baseline came from (a file name)")
    baseline_finished_at: dt.datetime
    profile_before: str
    profile_after: str
    score_before: float | None
    score_after: float | None
    score_delta: float | None
    level_before: int
    level_after: int
    level_name_before: str
    level_name_after: str
    coverage_before: float
    coverage_after: float
    newly_failing: list[CheckChange] = Field(default_factory=list)
    fixed: list[CheckChange] = Field(default_factory=list)
    new_checks_failing: list[CheckChange] = Field(default_factory=list)
    other_changes: list[CheckChange] = Field(default_factory=list)
    regressions: list[str] = Field(default_factory=list, description="why this counts as a regression, if it does")

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)


def failing(check: CheckResult | None) -> bool:
    """Failing and not waived: what a gate and a reviewer care about."""
    return check is not None and check.status in FAILING and not check.suppressed_by


def passing(check: CheckResult | None) -> bool:
    return check is not None and (check.status in PASSING or (check.status in FAILING and bool(check.suppressed_by)))


def _change(check: CheckResult, before: CheckResult | None, after: CheckResult | None) -> CheckChange:
    return CheckChange(check_id=check.check_id, title=check.title, area=check.area, level=check.level,
                       severity=check.severity, before=before.status if before else None,
                       after=after.status if after else None, message=(after or before or check).message)


def _order(change: CheckChange) -> tuple:
    return (-Severity(change.severity).rank, change.level, change.check_id)


def diff_reports(old: Report, new: Report, baseline_name: str = "baseline") -> ReportDiff:
    before = {c.check_id: c for c in old.results}
    after = {c.check_id: c for c in new.results}
    newly_failing, fixed, new_failing, other = [], [], [], []
    for check_id, now in after.items():
        was = before.get(check_id)
        if was is None:
            if failing(now):
                new_failing.append(_change(now, None, now))
        elif failing(now) and passing(was):
            newly_failing.append(_change(now, was, now))
        elif failing(was) and passing(now):
            fixed.append(_change(now, was, now))
        elif was.status != now.status:
            other.append(_change(now, was, now))
    for check_id, was in before.items():
        if check_id not in after and failing(was):
            other.append(_change(was, was, None))

    delta = None
    if old.score is not None and new.score is not None:
        delta = round(new.score - old.score, 2)
    reasons = []
    if new.level < old.level:
        reasons.append(f"level dropped from {old.level} ({old.level_name}) to {new.level} ({new.level_name})")
    if delta is not None and delta < -SCORE_TOLERANCE:
        reasons.append(f"score fell by {-delta:.1f} points, from {old.score:.1f} to {new.score:.1f}")
    if old.score is not None and new.score is None:
        reasons.append("nothing could be evaluated this time")
    if newly_failing:
        ids = ", ".join(c.check_id for c in sorted(newly_failing, key=_order))
        reasons.append(f"{len(newly_failing)} check(s) passed in the baseline and fail now: {ids}")

    return ReportDiff(
        baseline=baseline_name, baseline_finished_at=old.finished_at,
        profile_before=old.profile.name, profile_after=new.profile.name,
        score_before=old.score, score_after=new.score, score_delta=delta,
        level_before=old.level, level_after=new.level,
        level_name_before=old.level_name, level_name_after=new.level_name,
        coverage_before=old.coverage, coverage_after=new.coverage,
        newly_failing=sorted(newly_failing, key=_order), fixed=sorted(fixed, key=_order),
        new_checks_failing=sorted(new_failing, key=_order), other_changes=sorted(other, key=_order),
        regressions=reasons,
    )


def attach(report: Report, diff: ReportDiff) -> None:
    """Store the diff in the report, so every format shows it and re-rendering keeps it."""
    report.sections[SECTION] = diff.model_dump(mode="json")


def attached(report: Report) -> ReportDiff | None:
    """The diff stored in a report, if any (a damaged one is ignored, never fatal)."""
    data = report.sections.get(SECTION)
    if not isinstance(data, dict):
        return None
    try:
        return ReportDiff.model_validate(data)
    except ValueError:
        return None


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def headline(diff: ReportDiff) -> str:
    """One line: 'score 61.0 -> 72.5 (+11.5) · Level 2 -> 3'."""
    delta = "" if diff.score_delta is None else f" ({diff.score_delta:+.1f})"
    level = (f"Level {diff.level_before} → {diff.level_after} ({diff.level_name_after})"
             if diff.level_before != diff.level_after else f"Level {diff.level_after} (unchanged)")
    return f"score {_score(diff.score_before)} → {_score(diff.score_after)}{delta} · {level}"


def summary_lines(diff: ReportDiff, limit: int = 10) -> list[str]:
    """Plain text for a terminal or a log."""
    lines = [f"since {diff.baseline} ({diff.baseline_finished_at:%Y-%m-%d %H:%M} UTC): {headline(diff)}"]
    if diff.profile_before != diff.profile_after:
        lines.append(f"note: the baseline used profile {diff.profile_before!r}, this audit {diff.profile_after!r}")
    for title, changes in (("newly failing", diff.newly_failing), ("fixed", diff.fixed),
                           ("failing in checks the baseline did not have", diff.new_checks_failing)):
        if changes:
            lines.append(f"{title} ({len(changes)}):")
            lines += [f"  - {c.check_id}: {c.title} [{c.before or 'new'} → {c.after}]" for c in changes[:limit]]
            if len(changes) > limit:
                lines.append(f"  … and {len(changes) - limit} more")
    if not (diff.newly_failing or diff.fixed or diff.new_checks_failing):
        lines.append("no check changed between failing and passing")
    return lines
