"""Predicted results (issue 20): a file-only score estimates the full audit's by counting a live check
at the result the file evidence of the same control predicts. Pure scoring: results in, scorecard out.

Twins: the file control present (predicts a pass), absent (predicts a fail), only declared (partial),
mentioned (the strength rule fails it, so it predicts a fail); the live source gathered (no
prediction: the measurement decides); the predictor itself not evaluated (nothing to predict from)."""

from __future__ import annotations

from pathlib import Path

import pytest

from readyscore.catalog import load_catalog
from readyscore.config import Profile
from readyscore.model import Area, Evidence, EvidenceStrength, Result, Severity, Source, Status
from readyscore.scoring import GateStatus, ScoredCheck, check_swings, compute
from readyscore.yamlfile import ConfigError

SEC = Area.SECURITY
FILES = {Source.STATIC, Source.DEPLOY}


def profile(gates: list[dict] | None = None) -> Profile:
    return Profile.model_validate({
        "schema_version": 1, "name": "test", "area_weights": {"security": 1},
        "levels": [{"level": 1, "name": "L1", "min_score": 30, "gates": gates or []},
                   {"level": 2, "name": "L2", "min_score": 50, "gates": []}],
    })


def checks() -> dict[str, ScoredCheck]:
    return {
        "static-auth": ScoredCheck("static-auth", "auth in code", SEC, 2, 2.0, Severity.HIGH, Source.STATIC),
        "static-other": ScoredCheck("static-other", "other", SEC, 2, 2.0, Severity.HIGH, Source.STATIC),
        "live-auth": ScoredCheck("live-auth", "auth enforced", SEC, 2, 2.0, Severity.HIGH, Source.LIVE,
                                 predicted_by=("static-auth",)),
        "live-echo": ScoredCheck("live-echo", "no predictor", SEC, 2, 2.0, Severity.HIGH, Source.LIVE),
    }


def results(auth: Result, live: Status = Status.NOT_EVALUATED) -> dict[str, Result]:
    return {"static-auth": auth, "static-other": Result(check_id="static-other", status=Status.FAIL),
            "live-auth": Result(check_id="live-auth", status=live, score=1.0 if live == Status.PASS else 0.0),
            "live-echo": Result(check_id="live-echo", status=Status.NOT_EVALUATED)}


def passed(strength: EvidenceStrength = EvidenceStrength.IMPLEMENTED) -> Result:
    return Result(check_id="static-auth", status=Status.PASS, score=1.0,
                  evidence=[Evidence(message="verifier on the route", strength=strength)])


def test_a_wired_control_predicts_a_pass_and_the_estimate_counts_it():
    card = compute(checks(), results(passed()), profile(), gathered=FILES)
    assert [(p.check_id, p.status, p.predicted_by) for p in card.predictions] == [
        ("live-auth", Status.PASS, "static-auth")]
    # measured: static-auth 1, static-other 0 (50); estimate: + live-auth 1 (66.67)
    assert card.measured_score == pytest.approx(50.0)
    assert card.score == pytest.approx(66.67)
    assert card.areas["security"].predicted_checks == ["live-auth"]
    assert "live-auth" not in card.areas["security"].evaluated_checks  # a prediction is not coverage
    assert card.areas["security"].coverage == pytest.approx(0.5)


def test_an_absent_control_predicts_a_fail():
    card = compute(checks(), results(Result(check_id="static-auth", status=Status.FAIL)), profile(), gathered=FILES)
    assert [(p.check_id, p.status) for p in card.predictions] == [("live-auth", Status.FAIL)]
    assert card.score == pytest.approx(0.0) and card.measured_score == pytest.approx(0.0)


def test_a_declared_control_predicts_partial_and_a_mention_predicts_a_fail():
    declared = compute(checks(), results(passed(EvidenceStrength.DECLARED)), profile(), gathered=FILES)
    assert [(p.status, p.score) for p in declared.predictions] == [(Status.PARTIAL, 0.5)]
    mention = compute(checks(), results(passed(EvidenceStrength.MENTION)), profile(), gathered=FILES)
    assert [(p.status, p.score) for p in mention.predictions] == [(Status.FAIL, 0.0)]


def test_nothing_is_predicted_when_the_live_source_was_gathered():
    card = compute(checks(), results(passed(), live=Status.FAIL), profile(),
                   gathered=FILES | {Source.LIVE})
    assert card.predictions == [] and card.score == card.measured_score


def test_nothing_is_predicted_from_a_predictor_that_did_not_run():
    card = compute(checks(), results(Result.not_evaluated("static-auth", "no code")), profile(), gathered=FILES)
    assert card.predictions == []


def test_nothing_is_predicted_without_knowing_what_was_gathered():
    assert compute(checks(), results(passed()), profile()).predictions == []


def test_a_waived_predictor_predicts_nothing():
    waived = Result(check_id="static-auth", status=Status.FAIL, suppressed_by="accepted risk")
    assert compute(checks(), results(waived), profile(), gathered=FILES).predictions == []


def test_a_prediction_never_meets_a_gate():
    gate = {"id": "authn", "title": "auth", "all_of": ["live-auth"]}
    card = compute(checks(), results(passed()), profile([gate]), gathered=FILES)
    assert next(g for g in card.gates if g.id == "authn").status == GateStatus.PENDING
    # measured 50 and estimate 66.67 both reach the L1 band, but the pending gate holds L1 unproven;
    # once a running service confirms it, the estimate supports L2
    assert card.level == 0 and card.level_if_verified == 2


def test_the_proven_level_rests_on_the_measured_score_not_the_estimate():
    table = checks()
    table["static-other"] = ScoredCheck("static-other", "other", SEC, 2, 3.0, Severity.HIGH, Source.STATIC)
    card = compute(table, results(passed()), profile(), gathered=FILES)
    assert card.measured_score == pytest.approx(40.0) and card.score == pytest.approx(57.14)
    assert card.level == 1 and card.level_if_verified == 2


def test_the_swing_of_a_predictor_includes_the_check_it_predicts():
    swings = check_swings(checks(), results(passed()), profile(), gathered=FILES)
    low, high = swings["static-auth"]
    # failed: static-auth 0 and live-auth predicted 0 -> 0; passed: both 1 -> 66.67
    assert low == pytest.approx(0.0) and high == pytest.approx(66.67)


def test_the_catalog_refuses_a_predictor_that_is_not_a_file_check(tmp_path: Path):
    folder = tmp_path / "checks"
    folder.mkdir()
    # a real live check under a new id, predicted by another live check
    base = (Path(__file__).resolve().parents[2] / "checks" / "reliability" / "live-health.yaml").read_text()
    text = base.replace("id: live-health", "id: live-custom").rstrip("\n") + "\npredicted_by: [live-readiness]\n"
    (folder / "live-custom.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_catalog([folder])
    assert "live-custom.yaml" in str(caught.value) and "predicted_by" in str(caught.value)
    assert caught.value.line == text.count("\n")


def test_every_builtin_prediction_names_a_file_check_of_the_same_control():
    catalog = load_catalog()
    predicted = {e.spec.id: e.spec.predicted_by for e in catalog if e.spec.predicted_by}
    assert len(predicted) >= 10
    for check_id, by in predicted.items():
        for predictor in by:
            assert catalog.get(predictor).spec.source in (Source.STATIC, Source.DEPLOY), (check_id, predictor)
