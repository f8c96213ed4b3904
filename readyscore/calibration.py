"""Calibration figures of a finished report: how far one check can move its score (the swing), and
which score band a score falls in. Used by bench/score_stability.py and the calibration tests; the
scoring itself lives in scoring.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from readyscore.catalog import load_catalog
from readyscore.config import Profile
from readyscore.model import Result
from readyscore.report import Report
from readyscore.scoring import ScoredCheck, check_swings


def band(score: float | None, profile: Profile) -> int:
    """The level whose score band holds the score (gates aside): 0 below the first band."""
    reached = 0
    for spec in sorted(profile.levels, key=lambda s: s.level):
        if score is not None and score >= spec.min_score:
            reached = spec.level
    return reached


def scoring_inputs(report: Report) -> tuple[dict[str, ScoredCheck], dict[str, Result]]:
    # Which check predicts which is catalog data, not in the report; the report's own predictions say
    # which were used, so a check the catalog no longer knows keeps the predictor the report names.
    catalog = load_catalog()
    named = {p.check_id: (p.predicted_by,) for p in report.predictions}

    def predictors(check_id: str) -> tuple[str, ...]:
        entry = catalog.get(check_id)
        return tuple(entry.spec.predicted_by) if entry is not None else named.get(check_id, ())

    checks = {r.check_id: ScoredCheck(r.check_id, r.title, r.area, r.level, r.weight, r.severity, r.source,
                                      predictors(r.check_id))
              for r in report.results}
    results = {r.check_id: Result(check_id=r.check_id, status=r.status, score=r.score, strength=r.strength,
                                  suppressed_by=r.suppressed_by) for r in report.results}
    return checks, results


@dataclass(frozen=True)
class Swing:
    check_id: str
    if_failed: float | None
    if_passed: float | None

    @property
    def points(self) -> float:
        return (self.if_passed or 0.0) - (self.if_failed or 0.0)


def swings(report: Report, profile: Profile) -> list[Swing]:
    """Every scored check's swing, largest first."""
    checks, results = scoring_inputs(report)
    gathered = set(report.sources_gathered) if report.sources_gathered else None
    found = [Swing(check_id, low, high)
             for check_id, (low, high) in check_swings(checks, results, profile, gathered=gathered).items()]
    return sorted(found, key=lambda s: (-s.points, s.check_id))
