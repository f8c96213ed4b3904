"""Area and overall calibration (issue 20): coverage weighs in, and no area is decided by a lone
weak check. Pure scoring: results and a profile in, a scorecard out."""

from __future__ import annotations

import pytest

from readyscore.config import Profile
from readyscore.model import Area, Result, Severity, Status
from readyscore.scoring import MIN_AREA_EVIDENCE, AreaStatus, ScoredCheck, check_swings, compute


def profile(weights: dict[str, float]) -> Profile:
    return Profile.model_validate({
        "schema_version": 1, "name": "test", "area_weights": weights,
        "levels": [{"level": n, "name": f"L{n}", "min_score": m, "gates": []}
                   for n, m in ((1, 30), (2, 50), (3, 70), (4, 85))],
    })


def check(check_id: str, area: Area, weight: float = 1.0, level: int = 3) -> ScoredCheck:
    return ScoredCheck(check_id, check_id, area, level, weight, Severity.MEDIUM)


def res(check_id: str, status: Status, score: float | None = None) -> Result:
    if score is None:
        score = {Status.PASS: 1.0, Status.PARTIAL: 0.5}.get(status, 0.0)
    return Result(check_id=check_id, status=status, score=score)


def table(*checks: ScoredCheck) -> dict[str, ScoredCheck]:
    return {c.id: c for c in checks}


SEC, PERF = Area.SECURITY, Area.PERFORMANCE


def security_passing(n: int = 4) -> tuple[dict[str, ScoredCheck], dict[str, Result]]:
    checks = table(*(check(f"s{i}", SEC) for i in range(n)))
    return checks, {c: res(c, Status.PASS) for c in checks}


def test_an_area_with_half_its_weight_evaluated_counts_with_half_its_weight():
    """weight x coverage: security (weight 1, all evaluated, 100) and performance (weight 1, half
    evaluated, 0) give 100*1 + 0*0.5 over 1.5 = 66.67, not the 50 of re-normalising per area."""
    checks, results = security_passing()
    checks |= table(*(check(f"p{i}", PERF) for i in range(4)))
    results |= {"p0": res("p0", Status.FAIL), "p1": res("p1", Status.FAIL),
                "p2": res("p2", Status.NOT_EVALUATED), "p3": res("p3", Status.NOT_EVALUATED)}
    card = compute(checks, results, profile({"security": 1, "performance": 1}))
    perf = card.areas["performance"]
    assert perf.status == AreaStatus.SCORED
    assert perf.coverage == 0.5 and perf.contribution == 0.5 and perf.score == 0.0
    assert card.areas["security"].contribution == 1.0
    assert card.score == pytest.approx(66.67)


def test_the_same_area_fully_evaluated_counts_fully():
    checks, results = security_passing()
    checks |= table(*(check(f"p{i}", PERF) for i in range(4)))
    results |= {f"p{i}": res(f"p{i}", Status.FAIL) for i in range(4)}
    card = compute(checks, results, profile({"security": 1, "performance": 1}))
    assert card.areas["performance"].contribution == 1.0
    assert card.score == 50.0


def test_a_lone_check_among_several_never_decides_its_area():
    """The file-only performance area: one cache heuristic out of four checks. Whether it passes
    or fails, the area shows 'too little evidence' and the score does not move."""
    checks, results = security_passing()
    checks |= table(check("cache", PERF, 2), check("latency", PERF, 4), check("ttft", PERF, 3))
    results |= {"latency": res("latency", Status.NOT_EVALUATED), "ttft": res("ttft", Status.NOT_EVALUATED)}
    scores = {}
    for outcome in (Status.PASS, Status.FAIL):
        card = compute(checks, results | {"cache": res("cache", outcome)}, profile({"security": 25, "performance": 12}))
        perf = card.areas["performance"]
        assert perf.status == AreaStatus.TOO_LITTLE_EVIDENCE
        assert perf.contribution == 0.0 and "below" in perf.reason
        assert perf.evaluated_checks == ["cache"]  # the check that ran is still shown
        assert perf.score == (100.0 if outcome == Status.PASS else 0.0)
        scores[outcome] = card.score
    assert scores[Status.PASS] == scores[Status.FAIL] == 100.0
    cache_item = next(i for i in compute(checks, results | {"cache": res("cache", Status.FAIL)},
                                         profile({"security": 25, "performance": 12})).roadmap
                      if i.check_id == "cache")
    assert cache_item.points == 0.0  # fixing it alone would not bring the area in


def test_a_heavy_lone_check_above_the_share_still_needs_a_second_check():
    checks, results = security_passing()
    checks |= table(check("big", PERF, 6), check("small", PERF, 1))
    results |= {"big": res("big", Status.FAIL), "small": res("small", Status.NOT_EVALUATED)}
    card = compute(checks, results, profile({"security": 1, "performance": 1}))
    perf = card.areas["performance"]
    assert perf.coverage > MIN_AREA_EVIDENCE
    assert perf.status == AreaStatus.TOO_LITTLE_EVIDENCE and "only 1 of its 2" in perf.reason
    assert card.score == 100.0


def test_an_area_with_one_applicable_check_is_decided_by_it():
    checks, results = security_passing()
    checks |= table(check("only", PERF), check("gpu", PERF))
    results |= {"only": res("only", Status.FAIL), "gpu": res("gpu", Status.NOT_APPLICABLE)}
    card = compute(checks, results, profile({"security": 1, "performance": 1}))
    assert card.areas["performance"].status == AreaStatus.SCORED
    assert card.score == 50.0


def test_an_area_with_a_lone_partial_check_shows_too_little_evidence():
    checks, results = security_passing()
    checks |= table(check("declared", PERF, 5), check("other", PERF, 1))
    results |= {"declared": res("declared", Status.PARTIAL), "other": res("other", Status.NOT_EVALUATED)}
    card = compute(checks, results, profile({"security": 1, "performance": 1}))
    assert card.areas["performance"].status == AreaStatus.TOO_LITTLE_EVIDENCE
    assert card.score == 100.0


def test_an_area_of_only_partial_verdicts_stays_out_however_much_ran():
    checks, results = security_passing()
    checks |= table(check("a", PERF), check("b", PERF))
    results |= {"a": res("a", Status.PARTIAL), "b": res("b", Status.PARTIAL, 0.25)}
    card = compute(checks, results, profile({"security": 1, "performance": 1}))
    perf = card.areas["performance"]
    assert perf.coverage == 1.0
    assert perf.status == AreaStatus.TOO_LITTLE_EVIDENCE and "partial" in perf.reason
    assert perf.score == pytest.approx(37.5)  # shown, not counted
    # One outright verdict beside them and the area counts.
    results["b"] = res("b", Status.FAIL)
    assert compute(checks, results, profile({"security": 1, "performance": 1})).areas["performance"].status \
        == AreaStatus.SCORED


def test_areas_without_evaluated_or_applicable_checks_say_so():
    checks, results = security_passing()
    checks |= table(check("ne", PERF), check("na", Area.COST))
    results |= {"ne": res("ne", Status.NOT_EVALUATED), "na": res("na", Status.NOT_APPLICABLE)}
    card = compute(checks, results, profile({"security": 1, "performance": 1, "cost": 1}))
    assert card.areas["performance"].status == AreaStatus.NOT_EVALUATED
    assert card.areas["cost"].status == AreaStatus.NOT_APPLICABLE
    assert card.areas["reliability"].status == AreaStatus.NOT_APPLICABLE  # no check in the model


def test_nothing_counted_still_has_no_score():
    checks = table(check("a", PERF), check("b", PERF), check("c", PERF))
    results = {"a": res("a", Status.PASS), "b": res("b", Status.NOT_EVALUATED), "c": res("c", Status.NOT_EVALUATED)}
    card = compute(checks, results, profile({"performance": 1}))
    assert card.score is None and card.level == 0


def test_overall_equals_a_check_weighted_mean_with_area_normalised_weights():
    """The documented equivalence: each scored check weighs area weight x its weight / the area's
    applicable weight."""
    checks = table(check("s1", SEC, 3), check("s2", SEC, 1), check("s3", SEC, 4),
                   check("p1", PERF, 2), check("p2", PERF, 2), check("p3", PERF, 6))
    results = {"s1": res("s1", Status.PASS), "s2": res("s2", Status.FAIL), "s3": res("s3", Status.NOT_EVALUATED),
               "p1": res("p1", Status.PASS), "p2": res("p2", Status.PARTIAL, 0.4), "p3": res("p3", Status.FAIL)}
    weights = {"security": 25, "performance": 12}
    card = compute(checks, results, profile(weights))
    effective = {c.id: weights[c.area.value] * c.weight / (8 if c.area == SEC else 10)
                 for c in checks.values() if results[c.id].status.evaluated}
    expected = 100 * sum(e * results[i].score for i, e in effective.items()) / sum(effective.values())
    assert card.score == pytest.approx(expected, abs=0.01)


def test_swings_are_the_score_if_each_check_failed_and_passed():
    checks, results = security_passing()
    checks |= table(check("p1", PERF), check("p2", PERF))
    results |= {"p1": res("p1", Status.PASS), "p2": res("p2", Status.FAIL)}
    swings = check_swings(checks, results, profile({"security": 1, "performance": 1}))
    assert set(swings) == set(checks)
    low, high = swings["p2"]
    assert (low, high) == (pytest.approx(75.0), pytest.approx(100.0))
    assert swings["p1"] == (pytest.approx(50.0), pytest.approx(75.0))


def test_the_worked_example_of_docs_scoring_md():
    obs = Area.OBSERVABILITY
    checks = table(check("s-pass", SEC, 61.75), check("s-fail", SEC, 3.25), check("s-ne", SEC, 35),
                   check("o-pass", obs, 88.27), check("o-fail", obs, 2.73), check("o-ne", obs, 9),
                   check("cache", PERF, 0.5), check("latency", PERF, 6), check("ttft", PERF, 4))
    status = {"pass": Status.PASS, "fail": Status.FAIL, "ne": Status.NOT_EVALUATED}
    results = {c: res(c, status[c.split("-")[1]]) for c in checks if "-" in c}
    results |= {"cache": res("cache", Status.FAIL), "latency": res("latency", Status.NOT_EVALUATED),
                "ttft": res("ttft", Status.NOT_EVALUATED)}
    card = compute(checks, results, profile({"security": 25, "observability": 12, "performance": 12}))
    assert (card.areas["security"].contribution, card.areas["security"].score) == (16.25, 95.0)
    assert (card.areas["observability"].contribution, card.areas["observability"].score) == (10.92, 97.0)
    assert card.areas["performance"].status == AreaStatus.TOO_LITTLE_EVIDENCE
    assert card.score == 95.80
