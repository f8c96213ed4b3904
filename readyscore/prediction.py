"""Predicted results: what a check whose source this audit did not gather would most likely find,
read off the file evidence of the same control. Pure, like scoring.py, which uses it.

A file-only audit cannot run `live-auth-required`, but when `static-cap-auth` found a verifier wired
into the request path, the running service will most likely refuse an anonymous request; when it
found none, the probe will most likely get in. A live check names the file checks that predict it
(`predicted_by` in its YAML); the prediction is the best scored result among them.

Predictions only feed the *estimated* score (docs/scoring.md, section 8): they never meet a gate,
never change a check's own status (it stays not_evaluated), and are listed in the report so a reader
sees which part of the score is foreseen rather than measured. Without them a file-only score leaves
out a third of the model, and the part it keeps (the files) is not the part a running service does
best at, so it lands whole bands away from the full audit's.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field

from readyscore.model import Result, Source, Status


class Prediction(BaseModel):
    check_id: str
    status: Status = Field(description="the predicted verdict: pass, partial or fail")
    score: float
    predicted_by: str = Field(description="the file check whose result decided the prediction")
    source: Source | None = Field(default=None, description="the source that would measure it (e.g. --url)")


def not_gathered(source: Source | None, result: Result | None, gathered: set[Source] | None) -> bool:
    """Not evaluated only because the audit did not gather the check's source (no --url, no tree)."""
    return (gathered is not None and source is not None and source not in gathered
            and (result is None or result.status == Status.NOT_EVALUATED))


def predict(predictors: dict[str, tuple[str, ...]], sources: dict[str, Source | None],
            results: dict[str, Result], gathered: set[Source] | None,
            in_score: Callable[[Result | None], bool]) -> dict[str, Prediction]:
    """`predictors`: check id -> the file checks that predict it; `results`: graded results;
    `in_score`: scoring's own rule for a result that counts (passed, failed or partial, not waived:
    a waived predictor accepted a risk, it did not measure the control, so it predicts nothing)."""
    out: dict[str, Prediction] = {}
    for check_id, by in predictors.items():
        if not by or not not_gathered(sources.get(check_id), results.get(check_id), gathered):
            continue
        scored = [(results[p].score, p) for p in by if in_score(results.get(p))]
        if not scored:
            continue  # the file evidence of the control was not gathered either: nothing to foresee
        score, decided_by = max(scored, key=lambda pair: pair[0])  # any file evidence of the control
        status = Status.PASS if score >= 1.0 else Status.FAIL if score <= 0.0 else Status.PARTIAL
        out[check_id] = Prediction(check_id=check_id, status=status, score=score, predicted_by=decided_by,
                                   source=sources.get(check_id))
    return out


def as_result(prediction: Prediction) -> Result:
    return Result(check_id=prediction.check_id, status=prediction.status, score=prediction.score,
                  message=f"predicted from {prediction.predicted_by}")
