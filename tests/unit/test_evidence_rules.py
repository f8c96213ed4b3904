"""Scoring's evidence rules, as a pure function: strength thresholds, warnings as information, and
gates left pending for lack of a source (docs/scoring.md)."""

from __future__ import annotations

import pytest

from readyscore.config import Profile
from readyscore.model import Area, Evidence, EvidenceStrength, Result, Severity, Source, Status
from readyscore.scoring import GateStatus, ScoredCheck, compute, evidence_strength, grade

S = EvidenceStrength


def profile(gates: dict[int, list[dict]] | None = None, **extra) -> Profile:
    gates = gates or {}
    return Profile.model_validate({
        "schema_version": 1, "name": "test", "area_weights": {"security": 1, "reliability": 1},
        "levels": [{"level": n, "name": f"L{n}", "min_score": band, "gates": gates.get(n, [])}
                   for n, band in ((1, 30), (2, 50), (3, 70), (4, 85))],
        **extra,
    })


def check(check_id: str, source: Source = Source.STATIC, area: Area = Area.SECURITY) -> ScoredCheck:
    return ScoredCheck(check_id, check_id, area, 2, 1.0, Severity.MEDIUM, source)


def res(check_id: str, status: Status, strength: EvidenceStrength | None = None, score: float | None = None,
        **extra) -> Result:
    score = {Status.PASS: 1.0, Status.PARTIAL: 0.5}.get(status, 0.0) if score is None else score
    return Result(check_id=check_id, status=status, score=score, strength=strength, **extra)


def table(*checks: ScoredCheck) -> dict[str, ScoredCheck]:
    return {c.id: c for c in checks}


# --- strength is ordered ---------------------------------------------------------------------

def test_strengths_order_from_mention_to_verified():
    assert S.MENTION < S.DECLARED < S.IMPLEMENTED < S.VERIFIED
    assert max(S) == S.VERIFIED and min(S) == S.MENTION
    assert S.DECLARED >= S.DECLARED and not S.VERIFIED <= S.IMPLEMENTED
    assert S("declared") == "declared"  # still the string in report.json


# --- the strength rule on one result ---------------------------------------------------------

@pytest.mark.parametrize("status, strength, expected, max_score", [
    (Status.PASS, S.MENTION, Status.FAIL, 0.0),  # a mention never passes
    (Status.PARTIAL, S.MENTION, Status.FAIL, 0.0),
    (Status.PASS, S.DECLARED, Status.PARTIAL, 0.5),  # declared alone is at most partial
    (Status.PARTIAL, S.DECLARED, Status.PARTIAL, 0.5),
    (Status.PASS, S.IMPLEMENTED, Status.PASS, 1.0),
    (Status.PASS, S.VERIFIED, Status.PASS, 1.0),
    (Status.FAIL, S.MENTION, Status.FAIL, 0.0),
    (Status.WARN, None, Status.WARN, 0.0),
])
def test_grade_applies_the_strength_rule(status, strength, expected, max_score):
    graded = grade(res("c", status, strength), Source.STATIC)
    assert graded.status == expected and graded.score <= max_score
    if expected != status:
        assert graded.measured_status == status  # what the executor measured stays on record
    assert grade(graded, Source.STATIC) == graded  # idempotent


def test_a_pass_without_a_stated_strength_takes_its_evidence_or_its_source():
    assert grade(res("c", Status.PASS), Source.LIVE).strength == S.VERIFIED
    assert grade(res("c", Status.PASS), Source.DEPLOY).strength == S.IMPLEMENTED
    weak = res("c", Status.PASS, evidence=[Evidence(message="named", strength=S.MENTION),
                                           Evidence(message="wired", strength=S.IMPLEMENTED)])
    assert evidence_strength(weak) == S.MENTION and grade(weak).status == Status.FAIL


def test_a_check_that_only_names_its_control_scores_like_a_failure():
    checks = table(check("named"), check("other"))
    named = compute(checks, {"named": res("named", Status.PASS, S.MENTION), "other": res("other", Status.PASS)},
                    profile())
    failed = compute(checks, {"named": res("named", Status.FAIL), "other": res("other", Status.PASS)}, profile())
    assert named.score == failed.score == 50.0


# --- gates and strength ----------------------------------------------------------------------

def test_a_gate_met_on_weaker_evidence_than_it_accepts_is_not_met():
    gates = {1: [{"id": "limits", "title": "limits", "all_of": ["limiter"], "min_strength": "verified"}]}
    card = compute(table(check("limiter")), {"limiter": res("limiter", Status.PASS, S.IMPLEMENTED)}, profile(gates))
    gate = card.gates[0]
    assert gate.status == GateStatus.UNMET and gate.min_strength == S.VERIFIED
    assert "implemented evidence" in gate.reason and card.level == 0


def test_the_default_gate_strength_is_implemented_and_declared_evidence_does_not_meet_it():
    gates = {1: [{"id": "g", "title": "g", "all_of": ["dep"]}]}
    card = compute(table(check("dep")), {"dep": res("dep", Status.PASS, S.DECLARED)}, profile(gates))
    assert card.gates[0].status == GateStatus.UNMET  # graded to partial first
    card = compute(table(check("dep")), {"dep": res("dep", Status.PASS, S.IMPLEMENTED)}, profile(gates))
    assert card.gates[0].status == GateStatus.MET and card.gates[0].strength == S.IMPLEMENTED


def test_a_profile_raises_a_gates_strength_by_id():
    gates = {1: [{"id": "g", "title": "g", "first_of": ["live-x", "static-x"]}]}
    strict = profile(gates, gate_strength={"g": "verified"})
    # Two passing reliability checks give the audit a score (a one-check area has too little evidence).
    checks = table(check("live-x", Source.LIVE), check("static-x"), check("r1", area=Area.RELIABILITY),
                   check("r2", area=Area.RELIABILITY))
    results = {"live-x": res("live-x", Status.NOT_EVALUATED), "static-x": res("static-x", Status.PASS, S.IMPLEMENTED),
               "r1": res("r1", Status.PASS), "r2": res("r2", Status.PASS)}
    file_only = {Source.STATIC, Source.DEPLOY}
    # The static evidence meets the default gate; the strict profile waits for the live check.
    assert compute(checks, results, profile(gates), gathered=file_only).gates[0].status == GateStatus.MET
    card = compute(checks, results, strict, gathered=file_only)
    assert card.gates[0].status == GateStatus.PENDING and card.gates[0].pending_sources == [Source.LIVE]
    assert card.level == 0 and card.level_if_verified == 4
    assert [(p.id, p.source, p.option) for p in card.pending_gates] == [("g", Source.LIVE, "--url")]
    # Run live, and the verified pass meets it.
    results["live-x"] = res("live-x", Status.PASS, S.VERIFIED)
    card = compute(checks, results, strict, gathered=file_only | {Source.LIVE})
    assert card.gates[0].status == GateStatus.MET and card.gates[0].strength == S.VERIFIED


def test_gate_strength_must_name_an_existing_gate():
    with pytest.raises(ValueError, match="unknown gate"):
        profile({1: [{"id": "g", "title": "g", "all_of": ["a"]}]}, gate_strength={"nope": "verified"})


# --- warnings are information ----------------------------------------------------------------

def test_a_warning_is_out_of_the_denominator_in_the_coverage_and_never_meets_a_gate():
    gates = {4: [{"id": "markup", "title": "markup", "all_of": ["w"]}]}
    checks = table(check("w"), check("ok"), check("bad", area=Area.RELIABILITY))
    base = {"ok": res("ok", Status.PASS), "bad": res("bad", Status.PARTIAL)}
    with_warning = compute(checks, {**base, "w": res("w", Status.WARN, score=1.0)}, profile(gates))
    without = compute(checks, {**base, "w": res("w", Status.NOT_APPLICABLE)}, profile(gates))
    assert with_warning.score == without.score  # neither earns nor costs a point, whatever its score field
    assert with_warning.areas["security"].evaluated == 2  # it was looked at: coverage
    assert with_warning.gates[0].status == GateStatus.UNMET
    ungated = compute(checks, {**base, "w": res("w", Status.WARN)}, profile())
    assert not [i for i in ungated.roadmap if i.check_id == "w"]  # information, not a step


def test_a_warning_blocking_the_next_level_is_on_the_roadmap():
    gates = {1: [{"id": "markup", "title": "markup", "all_of": ["w"]}]}
    card = compute(table(check("w"), check("ok")), {"w": res("w", Status.WARN), "ok": res("ok", Status.PASS)},
                   profile(gates))
    assert card.level == 0 and [i.check_id for i in card.roadmap] == ["w"]


# --- pending gates and level_if_verified -----------------------------------------------------

def ladder_profile() -> Profile:
    return profile({1: [{"id": "api", "title": "API", "first_of": ["live-api", "static-api"]}],
                    2: [{"id": "caps", "title": "caps", "all_of": ["live-caps"]},
                        {"id": "tests", "title": "tests", "all_of": ["tests"]}],
                    3: [{"id": "load", "title": "load", "all_of": ["load-p95"]}]})


def ladder_checks() -> dict[str, ScoredCheck]:
    return table(check("live-api", Source.LIVE), check("static-api"), check("live-caps", Source.LIVE),
                 check("tests"), check("load-p95", Source.LOAD))


def file_only_results(tests: Status = Status.PASS) -> dict[str, Result]:
    return {"live-api": res("live-api", Status.NOT_EVALUATED), "static-api": res("static-api", Status.PASS),
            "live-caps": res("live-caps", Status.NOT_EVALUATED), "tests": res("tests", tests),
            "load-p95": res("load-p95", Status.NOT_EVALUATED)}


def test_a_file_only_audit_proves_level_1_and_would_reach_the_top_once_verified():
    card = compute(ladder_checks(), file_only_results(), ladder_profile(), gathered={Source.STATIC})
    by_id = {g.id: g for g in card.gates}
    assert by_id["api"].status == GateStatus.MET and by_id["api"].strength == S.IMPLEMENTED
    assert by_id["caps"].status == by_id["load"].status == GateStatus.PENDING
    assert card.level == 1 and card.level_if_verified == 4  # no Level 4 gate, score 100
    assert {(p.id, p.source) for p in card.pending_gates} == {("caps", Source.LIVE), ("load", Source.LOAD)}


def test_a_failed_gate_is_never_pending():
    card = compute(ladder_checks(), file_only_results(tests=Status.FAIL), ladder_profile(), gathered={Source.STATIC})
    assert {g.id: g for g in card.gates}["tests"].status == GateStatus.UNMET
    assert card.level == card.level_if_verified == 1


def test_a_first_of_gate_failed_by_its_fallback_evidence_is_unmet_not_pending():
    results = file_only_results()
    results["static-api"] = res("static-api", Status.FAIL)
    card = compute(ladder_checks(), results, ladder_profile(), gathered={Source.STATIC})
    assert card.gates[0].status == GateStatus.UNMET and card.level_if_verified == 0


def test_with_every_source_gathered_nothing_is_pending_and_both_levels_agree():
    results = {cid: res(cid, Status.PASS, S.VERIFIED if cid.startswith(("live", "load")) else None)
               for cid in ladder_checks()}
    card = compute(ladder_checks(), results, ladder_profile(), gathered=set(Source))
    assert card.pending_gates == [] and card.level == card.level_if_verified == 4


def test_an_errored_check_leaves_its_gate_not_evaluated_not_pending():
    results = file_only_results()
    results["live-caps"] = res("live-caps", Status.ERROR)
    card = compute(ladder_checks(), results, ladder_profile(), gathered={Source.STATIC, Source.LIVE})
    assert {g.id: g for g in card.gates}["caps"].status == GateStatus.NOT_EVALUATED
    assert card.level_if_verified == 1


# --- waivers in gates ------------------------------------------------------------------------

def test_a_waived_error_never_meets_a_gate():
    gates = {1: [{"id": "g", "title": "g", "all_of": ["e"]}]}
    card = compute(table(check("e"), check("ok")), {"e": res("e", Status.ERROR, suppressed_by="accepted"),
                                                    "ok": res("ok", Status.PASS)}, profile(gates))
    assert card.gates[0].status == GateStatus.NOT_EVALUATED and card.level == 0


def test_a_gate_met_by_a_waiver_says_so():
    gates = {1: [{"id": "g", "title": "g", "all_of": ["f"]}]}
    checks = table(check("f"), check("ok"))
    results = {"f": res("f", Status.FAIL, suppressed_by="accepted until 2099"), "ok": res("ok", Status.PASS)}
    waived = compute(checks, results, profile(gates), waivers=True)
    raw = compute(checks, results, profile(gates), waivers=False)
    assert waived.gates[0].status == GateStatus.MET and waived.gates[0].waived and waived.gates[0].strength is None
    assert raw.gates[0].status == GateStatus.UNMET
