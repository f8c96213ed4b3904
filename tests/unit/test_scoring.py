"""Scoring is a pure function: these tests feed it results and a profile, nothing else."""

from __future__ import annotations

import pytest

from readyscore.config import Profile
from readyscore.model import Area, Result, Severity, Source, Status
from readyscore.scoring import GateStatus, ScoredCheck, compute


def profile(gates: dict[int, list[dict]] | None = None, weights: dict[str, float] | None = None) -> Profile:
    gates = gates or {}
    return Profile.model_validate({
        "schema_version": 1,
        "name": "test",
        "area_weights": weights or {"security": 1, "reliability": 1},
        "levels": [
            {"level": 1, "name": "Functional", "min_score": 30, "gates": gates.get(1, [])},
            {"level": 2, "name": "Hardened", "min_score": 50, "gates": gates.get(2, [])},
            {"level": 3, "name": "Production-Ready", "min_score": 70, "gates": gates.get(3, [])},
            {"level": 4, "name": "Enterprise-Grade", "min_score": 85, "gates": gates.get(4, [])},
        ],
    })


def check(check_id: str, area: Area = Area.SECURITY, weight: float = 1.0, level: int = 2,
          source: Source | None = None) -> ScoredCheck:
    return ScoredCheck(check_id, check_id, area, level, weight, Severity.MEDIUM, source)


def res(check_id: str, status: Status, score: float | None = None, suppressed: str | None = None) -> Result:
    if score is None:
        score = {Status.PASS: 1.0, Status.PARTIAL: 0.5}.get(status, 0.0)
    return Result(check_id=check_id, status=status, score=score, suppressed_by=suppressed)


def table(*checks: ScoredCheck) -> dict[str, ScoredCheck]:
    return {c.id: c for c in checks}


def test_nothing_evaluated_has_no_score_and_level_zero():
    checks = table(check("a"), check("b", Area.RELIABILITY))
    results = {"a": res("a", Status.NOT_EVALUATED), "b": res("b", Status.ERROR)}
    card = compute(checks, results, profile())
    assert card.score is None  # never 100 (or 0) for "nothing measured"
    assert card.level == 0
    assert card.coverage == 0.0
    assert card.level_name == "Prototype"


def test_everything_failing_scores_zero():
    checks = table(check("a"), check("b", Area.RELIABILITY))
    card = compute(checks, {"a": res("a", Status.FAIL), "b": res("b", Status.FAIL)}, profile())
    assert card.score == 0.0
    assert card.level == 0
    assert card.coverage == 1.0


def test_everything_passing_with_no_gates_reaches_the_top():
    checks = table(check("a"), check("b", Area.RELIABILITY))
    card = compute(checks, {"a": res("a", Status.PASS), "b": res("b", Status.PASS)}, profile())
    assert card.score == 100.0
    assert card.level == 4
    assert card.next_level is None


def test_area_score_is_the_weighted_share_of_evaluated_checks():
    checks = table(check("a", weight=3), check("b", weight=1), check("c", weight=10))
    results = {"a": res("a", Status.PASS), "b": res("b", Status.FAIL), "c": res("c", Status.NOT_EVALUATED)}
    card = compute(checks, results, profile(weights={"security": 1}))
    assert card.areas["security"].score == 75.0  # 3 of 4 evaluated weight; c is out of the denominator
    assert card.areas["security"].coverage == pytest.approx(4 / 14, abs=1e-3)


def test_overall_uses_area_weights_over_evaluated_areas_only():
    checks = table(check("s"), check("r", Area.RELIABILITY), check("o", Area.OBSERVABILITY))
    results = {"s": res("s", Status.PASS), "r": res("r", Status.FAIL), "o": res("o", Status.NOT_EVALUATED)}
    card = compute(checks, results, profile(weights={"security": 3, "reliability": 1, "observability": 5}))
    assert card.score == 75.0
    assert card.areas["observability"].score is None
    assert card.coverage == pytest.approx(4 / 9, abs=1e-3)


def test_partial_results_earn_partial_credit():
    checks = table(check("a"), check("b"), check("c", weight=2))
    results = {"a": res("a", Status.PARTIAL), "b": res("b", Status.PARTIAL, score=0.25), "c": res("c", Status.FAIL)}
    card = compute(checks, results, profile(weights={"security": 1}))
    assert card.score == pytest.approx(18.75)  # (0.5 + 0.25 + 0) / 4 of the weight


def test_not_applicable_is_out_of_the_denominator_and_the_coverage():
    checks = table(check("a"), check("b"))
    results = {"a": res("a", Status.PASS), "b": res("b", Status.NOT_APPLICABLE)}
    card = compute(checks, results, profile(weights={"security": 1}))
    assert card.score == 100.0
    assert card.coverage == 1.0


def test_a_high_score_with_an_unmet_gate_is_held_at_the_level_below():
    gates = {3: [{"id": "monitoring", "title": "Monitoring", "all_of": ["mon"]}]}
    checks = table(*(check(f"c{i}") for i in range(9)), check("mon", weight=1, level=3))
    results = {f"c{i}": res(f"c{i}", Status.PASS) for i in range(9)}
    results["mon"] = res("mon", Status.FAIL)
    card = compute(checks, results, profile(gates, weights={"security": 1}))
    assert card.score == 90.0
    assert card.level == 2
    assert card.next_level == 3
    assert card.held_back_by == ["monitoring"]
    gate = next(g for g in card.gates if g.id == "monitoring")
    assert gate.status == GateStatus.UNMET and gate.blocking == {"mon": "fail"}
    mon = next(item for item in card.roadmap if item.check_id == "mon")
    assert mon.unlocks_next_level and mon.points == 10.0
    assert card.roadmap[0].check_id == "mon"


def test_a_gate_without_evidence_is_not_met():
    gates = {2: [{"id": "auth", "title": "Auth", "any_of": ["live-auth", "static-auth"]}]}
    checks = table(check("x", weight=2), check("y", weight=2), check("live-auth"), check("static-auth"))
    results = {"x": res("x", Status.PASS), "y": res("y", Status.PASS), "live-auth": res("live-auth", Status.NOT_EVALUATED),
               "static-auth": res("static-auth", Status.ERROR)}
    card = compute(checks, results, profile(gates, weights={"security": 1}))
    assert card.score == 100.0
    assert card.level == 1
    gate = card.gates[0]
    assert gate.status == GateStatus.NOT_EVALUATED
    assert next(i for i in card.roadmap if i.check_id == "live-auth").action == "gather evidence"


def test_one_failing_lower_gate_blocks_every_higher_level():
    gates = {1: [{"id": "api", "title": "API answers", "all_of": ["api"]}],
             3: [{"id": "mon", "title": "Monitoring", "all_of": ["mon"]}]}
    checks = table(*(check(f"c{i}") for i in range(20)), check("api"), check("mon"))
    results = {c: res(c, Status.PASS) for c in checks}
    results["api"] = res("api", Status.FAIL)
    card = compute(checks, results, profile(gates, weights={"security": 1}))
    assert card.score > 90
    assert card.level == 0


def test_first_of_lets_the_strongest_evaluated_evidence_decide_and_reports_contradictions():
    gates = {2: [{"id": "rate-limit", "title": "Rate limiting", "first_of": ["live-rl", "static-rl"]}]}
    checks = table(check("live-rl"), check("static-rl"))
    contradicting = {"live-rl": res("live-rl", Status.FAIL), "static-rl": res("static-rl", Status.PASS)}
    gate = compute(checks, contradicting, profile(gates)).gates[0]
    assert gate.status == GateStatus.UNMET
    assert gate.contradictions and "live-rl decides" in gate.contradictions[0]

    static_only = {"live-rl": res("live-rl", Status.NOT_EVALUATED), "static-rl": res("static-rl", Status.PASS)}
    gate = compute(checks, static_only, profile(gates)).gates[0]
    assert gate.status == GateStatus.MET and not gate.contradictions


def test_a_warning_never_meets_a_gate():
    gates = {2: [{"id": "markup", "title": "Output", "all_of": ["w"]}]}
    checks = table(check("w"))
    card = compute(checks, {"w": res("w", Status.WARN)}, profile(gates))
    assert card.gates[0].status == GateStatus.UNMET
    assert "never meets a gate" in card.gates[0].reason


def test_suppressions_count_with_waivers_and_not_without():
    gates = {2: [{"id": "secrets", "title": "No secrets", "all_of": ["secret"]}]}
    checks = table(check("secret"), check("ok"), check("ok2"))
    results = {"secret": res("secret", Status.FAIL, suppressed="test fixture; owner sec; until 2099-01-01"),
               "ok": res("ok", Status.PASS), "ok2": res("ok2", Status.PASS)}
    waived = compute(checks, results, profile(gates, weights={"security": 1}), waivers=True)
    raw = compute(checks, results, profile(gates, weights={"security": 1}), waivers=False)
    assert waived.score == 100.0 and waived.level == 4
    assert raw.score == pytest.approx(66.67) and raw.level == 1
    assert waived.counts["suppressed"] == 1


def test_the_roadmap_ranks_gate_unlocking_items_first_then_by_points():
    gates = {1: [{"id": "g", "title": "g", "all_of": ["small"]}]}
    checks = table(check("small", weight=1), check("big", weight=9), check("ok", weight=1))
    results = {"small": res("small", Status.FAIL), "big": res("big", Status.FAIL), "ok": res("ok", Status.PASS)}
    card = compute(checks, results, profile(gates, weights={"security": 1}))
    assert [i.check_id for i in card.roadmap] == ["small", "big"]
    assert card.roadmap[1].points == pytest.approx(81.82, abs=0.01)


def test_gates_outside_the_profiles_model_are_pending_never_met():
    """ci-fast has no live checks: a live-first gate falls back to its static evidence, and a gate
    that names only live checks is pending: it holds `level` back, not `level_if_verified`."""
    gates = {1: [{"id": "api", "title": "API", "first_of": ["live-chat", "static-api"]}],
             2: [{"id": "caps", "title": "caps", "all_of": ["live-caps"]}]}
    checks = table(check("static-api"), check("x"))  # live-chat and live-caps are not in the model
    results = {"static-api": res("static-api", Status.PASS), "x": res("x", Status.PASS)}
    card = compute(checks, results, profile(gates), sources={"live-caps": Source.LIVE})
    by_id = {g.id: g for g in card.gates}
    assert by_id["api"].status == GateStatus.MET
    assert by_id["caps"].status == GateStatus.PENDING
    assert card.level == 1 and card.level_if_verified == 4
    assert [(p.id, p.source) for p in card.pending_gates] == [("caps", Source.LIVE)]
    assert "profile" in card.pending_gates[0].option  # the profile itself cannot gather it

    # Inside the model but not evaluated for another reason than a missing source: a gap, not pending.
    checks_with_live = {**checks, "live-caps": check("live-caps", source=Source.LIVE)}
    results["live-caps"] = res("live-caps", Status.NOT_EVALUATED)
    card = compute(checks_with_live, results, profile(gates), gathered={Source.STATIC, Source.LIVE})
    assert {g.id: g for g in card.gates}["caps"].status == GateStatus.NOT_EVALUATED
    assert card.level == 1 and card.level_if_verified == 1
