"""Results + profile -> scorecard. Pure: no I/O, no clocks, no knowledge of HTTP or files.

The rules (docs/architecture.md, "Scoring"; docs/scoring.md says them for users):
- Evidence strength is enforced (`grade`): a pass resting on a mention fails, a pass resting on a
  declaration is at most partial; each gate accepts evidence from its minimum strength up.
- A check counts in its area's denominator only when it passed, failed or passed partly. A warning
  is information: it counts as coverage, never as points, and never meets a gate. Not applicable,
  not evaluated and error stay out and lower the coverage instead.
- Area score = weighted share of its evaluated checks. Overall = the mean of the area scores, each
  weighted by its profile weight times the share of it that was evaluated (weight x coverage), over
  the areas with enough evidence: an area whose evaluated weight is below MIN_AREA_EVIDENCE of its
  applicable weight, that rests on fewer than MIN_AREA_CHECKS checks, or whose every evaluated
  check is only partial, shows "too little evidence" and stays out. Nothing counted at all: no
  score (never 100). docs/scoring.md has the formula and a worked example.
- A check whose source the audit did not gather counts in the score at the result its file
  predictors (`predicted_by`) foresee (readyscore/prediction.py): the score of a file-only audit is
  an estimate of the full one. Predictions never meet a gate and are not coverage; `measured_score`
  leaves them out, and the proven level rests on it.
- Level = the highest level whose band the measured score reaches and whose gates, and every lower
  level's gates, are met. A gate passes only on evaluated evidence; an unevaluated gate is not met.
- A gate that only evidence of a source this audit did not gather could settle (live checks in a
  file-only audit, checks outside the profile's model) is *pending*: never met. `level_if_verified`
  is the level reached if every pending gate were met; a failed gate is never pending.
- A waived result (readyscore/waivers.py: every finding waived, never an error) is taken out of the
  denominator and meets any gate it is part of; the scorecard is computed with and without waivers
  so the report can show both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, Field

from readyscore.config import GateSpec, Profile
from readyscore.model import Area, EvidenceStrength, Result, Severity, Source, Status
from readyscore.prediction import Prediction, as_result, not_gathered, predict


@dataclass(frozen=True)
class ScoredCheck:
    """What scoring needs to know of a check: no executor, no params."""

    id: str
    title: str
    area: Area
    level: int
    weight: float
    severity: Severity
    source: Source | None = None
    # File checks whose result predicts this one when its source is not gathered (readyscore/prediction.py).
    predicted_by: tuple[str, ...] = ()


class GateStatus(StrEnum):
    MET = "met"
    UNMET = "unmet"
    NOT_EVALUATED = "not_evaluated"
    # Not met: only evidence this audit did not gather can settle it (a live check without --url,
    # a check outside the profile's model). `level_if_verified` counts it as met; `level` never does.
    PENDING = "pending"
    # No longer produced (a gate outside the profile's model is pending); kept so reports of
    # schema 1.1 still load.
    NOT_APPLICABLE = "not_applicable"


# What a pass rests on when the executor did not say: file evidence is taken as implemented,
# behaviour seen on the running service as verified.
IMPLIED_STRENGTH = {Source.STATIC: EvidenceStrength.IMPLEMENTED, Source.DEPLOY: EvidenceStrength.IMPLEMENTED,
                    Source.LIVE: EvidenceStrength.VERIFIED, Source.LOAD: EvidenceStrength.VERIFIED,
                    Source.RESILIENCE: EvidenceStrength.VERIFIED}
# The command-line option that gathers a source's evidence.
SOURCE_OPTION = {Source.STATIC: "PATH", Source.DEPLOY: "PATH", Source.LIVE: "--url", Source.LOAD: "--url",
                 Source.RESILIENCE: "--upstream-env NAME with --service-cmd"}


class GateOutcome(BaseModel):
    id: str
    title: str
    level: int
    status: GateStatus
    checks: list[str]
    # The checks that hold the gate back (failed, or with no evidence), with their statuses.
    blocking: dict[str, str] = Field(default_factory=dict)
    reason: str = ""
    # Where weaker evidence disagrees with the evidence that decided (a limiter in the code whose
    # 429 never reaches the client): shown side by side, decided by the stronger evidence.
    contradictions: list[str] = Field(default_factory=list)
    min_strength: EvidenceStrength = Field(default=EvidenceStrength.IMPLEMENTED,
                                           description="the weakest evidence this gate accepts")
    strength: EvidenceStrength | None = Field(default=None, description="met gates: the strength of the "
                                              "evidence it rests on (the weakest of what it needed)")
    waived: bool = Field(default=False, description="met only because a waiver accepted a failing check")
    pending_sources: list[Source] = Field(default_factory=list,
                                          description="pending gates: the sources whose evidence would settle it")


class PendingGate(BaseModel):
    id: str
    title: str
    level: int
    source: Source = Field(description="the source whose evidence would settle the gate")
    option: str = Field(description="how to gather it, e.g. --url")
    checks: list[str] = Field(default_factory=list, description="the pending checks")


# An area counts in the overall score only when at least this share of its applicable check weight
# was evaluated: below it, one heuristic check would decide the whole area (a file-only audit's
# performance area is one cache check out of four).
MIN_AREA_EVIDENCE = 0.4
# ... and at least this many scored checks (or all of them, when fewer apply): one check among
# several, however heavy, is one heuristic's opinion of the area.
MIN_AREA_CHECKS = 2


class AreaStatus(StrEnum):
    SCORED = "scored"
    # Some checks ran, but too little of the area (below MIN_AREA_EVIDENCE of its weight), or only
    # partial verdicts: the area is shown with the checks that ran, and kept out of the score.
    TOO_LITTLE_EVIDENCE = "too_little_evidence"
    NOT_EVALUATED = "not_evaluated"
    NOT_APPLICABLE = "not_applicable"


class AreaScore(BaseModel):
    score: float | None = Field(description="0-100 over the evaluated checks; null when none was")
    weight: float
    evaluated: int
    total: int
    coverage: float = Field(description="share of the area's applicable check weight that was evaluated")
    status: AreaStatus = Field(default=AreaStatus.SCORED, description=(
        "scored: counts in the overall score; too_little_evidence: some checks ran but below the "
        "minimum share of the area's weight, or only partial verdicts, so it stays out; not_evaluated: "
        "nothing ran; not_applicable: no check applies"))
    contribution: float = Field(default=0.0, description=(
        "the area's weight in the overall score: profile weight x share of its applicable check weight "
        "that was scored (waived checks excluded); 0 when the area does not count"))
    evaluated_checks: list[str] = Field(default_factory=list, description="ids of the area's checks that ran")
    predicted_checks: list[str] = Field(default_factory=list, description=(
        "ids of the area's checks whose source this audit did not gather, counted in the estimated score "
        "at the result their file evidence predicts (see predictions)"))
    reason: str = Field(default="", description="why the area is not scored, when it is not")


class RoadmapItem(BaseModel):
    check_id: str
    title: str
    area: Area
    level: int
    status: Status
    points: float | None = Field(description="overall score gained if this check passed; null when unknown")
    unlocks_next_level: bool
    action: str


class Scorecard(BaseModel):
    score: float | None = Field(description="the estimate: measured results, plus predictions for checks "
                                            "whose source was not gathered")
    measured_score: float | None = Field(default=None, description="measured results only")
    predictions: list[Prediction] = Field(default_factory=list)
    level: int
    level_name: str
    coverage: float
    areas: dict[str, AreaScore]
    gates: list[GateOutcome]
    next_level: int | None
    held_back_by: list[str] = Field(description="ids of the unmet gates of the next level")
    roadmap: list[RoadmapItem]
    counts: dict[str, int]
    level_if_verified: int = Field(description="the level reached if every pending gate were met")
    pending_gates: list[PendingGate] = Field(default_factory=list)


WAIVABLE = (Status.FAIL, Status.PARTIAL, Status.WARN)


def _waived(result: Result | None, waivers: bool) -> bool:
    """Waived as a whole; an error or an unevaluated check never is (readyscore/waivers.py)."""
    return waivers and result is not None and bool(result.suppressed_by) and result.status in WAIVABLE


def _evaluated(result: Result | None, waivers: bool) -> bool:
    """Looked at, with a verdict: counts as coverage (a warning does, a waived check does)."""
    return result is not None and (result.status.evaluated or _waived(result, waivers))


def _in_score(result: Result | None, waivers: bool) -> bool:
    """In the score's denominator: passed, failed or partial, and not waived."""
    return result is not None and result.status.scored and not _waived(result, waivers)


def _only_warned(result: Result | None, waivers: bool) -> bool:
    return result is not None and result.status == Status.WARN and not _waived(result, waivers)


def _passed(result: Result | None, waivers: bool) -> bool:
    return result is not None and (result.status == Status.PASS or _waived(result, waivers))


# --------------------------------------------------------------------------------------------
# Evidence strength


def evidence_strength(result: Result, source: Source | None = None) -> EvidenceStrength:
    """What a result rests on: the executor's word, else its evidence's weakest, else what its
    source implies (file evidence implemented, live behaviour verified)."""
    if result.strength is not None:
        return result.strength
    strengths = [e.strength for e in result.evidence if e.strength is not None]
    if strengths:
        return min(strengths)
    return IMPLIED_STRENGTH.get(source, EvidenceStrength.IMPLEMENTED) if source else EvidenceStrength.IMPLEMENTED


def grade(result: Result, source: Source | None = None) -> Result:
    """The strength rule, applied to one result (idempotent):

    - a pass or partial resting on a mention is a failure (a name is no evidence at all);
    - a pass resting on a declaration alone is partial, worth at most half;
    - a pass keeps its strength on record, so the report shows what every met gate rests on.
    """
    if result.measured_status is not None or result.status not in (Status.PASS, Status.PARTIAL):
        return result
    strength = evidence_strength(result, source)
    if strength == EvidenceStrength.MENTION:
        return result.model_copy(update={
            "status": Status.FAIL, "score": 0.0, "strength": strength, "measured_status": result.status,
            "message": f"{result.message} [only mentioned: a mention is not evidence]".strip()})
    if strength == EvidenceStrength.DECLARED and result.status == Status.PASS:
        return result.model_copy(update={
            "status": Status.PARTIAL, "score": min(result.score, 0.5), "strength": strength,
            "measured_status": result.status,
            "message": f"{result.message} [declared only: at most partial until it is implemented]".strip()})
    if result.status == Status.PASS and result.strength is None:
        return result.model_copy(update={"strength": strength})
    return result


# --------------------------------------------------------------------------------------------
# Gates


class _State(StrEnum):
    PASSED = "passed"  # passed on strong enough evidence, or waived as a whole
    WEAK = "weak"  # passed, on evidence weaker than the gate accepts
    FAILED = "failed"  # fail, partial or warn: evidence that the gate does not hold
    PENDING = "pending"  # only a source this audit did not gather could tell
    MISSING = "missing"  # error, not evaluated, not applicable: nothing to go on


def _state(check_id: str, results: dict[str, Result], waivers: bool, min_strength: EvidenceStrength,
           pending: dict[str, Source | None]) -> _State:
    result = results.get(check_id)
    if check_id in pending:
        return _State.PENDING
    if result is None:
        return _State.MISSING
    if _waived(result, waivers):
        return _State.PASSED
    if result.status == Status.PASS:
        return _State.PASSED if evidence_strength(result) >= min_strength else _State.WEAK
    if result.status in WAIVABLE:
        return _State.FAILED
    return _State.MISSING


def evaluate_gate(gate: GateSpec, level: int, results: dict[str, Result], waivers: bool = True,
                  model: set[str] | None = None, *, min_strength: EvidenceStrength = EvidenceStrength.IMPLEMENTED,
                  pending: dict[str, Source | None] | None = None) -> GateOutcome:
    """`model`: the ids of the checks in the profile's readiness model; a gate check outside it is
    pending (the profile cannot gather that evidence, so the gate is never met on it).
    `pending`: check id -> the source whose evidence this audit did not gather."""
    pending = dict(pending or {})
    for check_id in gate.check_ids():
        if model is not None and check_id not in model:
            pending.setdefault(check_id, None)
    states = {c: _state(c, results, waivers, min_strength, pending) for c in gate.check_ids()}

    def status_of(check_id: str) -> str:
        result = results.get(check_id)
        if states[check_id] == _State.PENDING:
            source = pending.get(check_id)
            return f"pending ({source.value} evidence)" if source else "pending (not in this profile's model)"
        if result is None:
            return "not_in_model"
        if states[check_id] == _State.WEAK:
            return f"pass on {evidence_strength(result).value} evidence (the gate needs {min_strength.value})"
        if result.status == Status.WARN:
            return "warn (a warning never meets a gate)"
        return result.status.value

    blocking: dict[str, str] = {}
    deciding: list[str] = []
    waiting: list[str] = []  # pending checks that could still settle the gate
    contradictions: list[str] = []
    failed = missing = False

    for check_id in gate.all_of:
        state = states[check_id]
        if state == _State.PASSED:
            deciding.append(check_id)
            continue
        blocking[check_id] = status_of(check_id)
        if state == _State.PENDING:
            waiting.append(check_id)
        elif state in (_State.FAILED, _State.WEAK):
            failed = True
        else:
            missing = True

    if gate.any_of:
        passing = [c for c in gate.any_of if states[c] == _State.PASSED]
        if passing:
            deciding.append(max(passing, key=lambda c: _strength_rank(results.get(c), waivers)))
        else:
            blocking.update({c: status_of(c) for c in gate.any_of})
            could = [c for c in gate.any_of if states[c] == _State.PENDING]
            if could:
                waiting += could
            elif any(states[c] in (_State.FAILED, _State.WEAK) for c in gate.any_of):
                failed = True
            else:
                missing = True

    if gate.first_of:
        decided_states = (_State.PASSED, _State.WEAK, _State.FAILED)
        decider = next((c for c in gate.first_of if states[c] in decided_states), None)
        stronger = gate.first_of if decider is None else gate.first_of[:gate.first_of.index(decider)]
        stronger_pending = [c for c in stronger if states[c] == _State.PENDING]
        if decider is None:
            blocking.update({c: status_of(c) for c in gate.first_of})
            if stronger_pending:
                waiting += stronger_pending
            else:
                missing = True
        else:
            decided = states[decider] == _State.PASSED
            if decided:
                deciding.append(decider)
            else:
                blocking[decider] = status_of(decider)
                # Evidence too weak for the gate, and a stronger source not gathered: that source
                # settles it. A failure is a failure: stronger evidence is not waited for.
                if states[decider] == _State.WEAK and stronger_pending:
                    waiting += stronger_pending
                    blocking.update({c: status_of(c) for c in stronger_pending})
                else:
                    failed = True
            weaker = gate.first_of[gate.first_of.index(decider) + 1:]
            contradictions = [
                f"{check} is {status_of(check)} but {decider} is {status_of(decider)}; {decider} decides"
                for check in weaker
                if states[check] in decided_states and (states[check] == _State.PASSED) != decided
            ]

    strength: EvidenceStrength | None = None
    waived = False
    if not blocking:
        status, reason = GateStatus.MET, ""
        unwaived = [c for c in deciding if not _waived(results.get(c), waivers)]
        waived = len(unwaived) < len(deciding)
        strength = min((evidence_strength(results[c]) for c in unwaived), default=None)
    elif failed:
        status = GateStatus.UNMET
        reason = "; ".join(f"{check} is {state}" for check, state in blocking.items())
    elif missing:
        status, reason = GateStatus.NOT_EVALUATED, "no evidence was gathered for this gate"
        detail = [f"{c} is {s}" for c, s in blocking.items() if states[c] != _State.PENDING]
        if any(states[c] == _State.PASSED for c in gate.check_ids()) or detail:
            reason = "; ".join(detail) or reason
    else:
        status = GateStatus.PENDING
        reason = "waits for " + _pending_phrase([pending.get(c) for c in waiting])
    sources = sorted({pending[c] for c in waiting if pending.get(c) is not None}, key=list(Source).index)
    return GateOutcome(id=gate.id, title=gate.title, level=level, status=status,
                       checks=gate.check_ids(), blocking=blocking, reason=reason,
                       contradictions=contradictions, min_strength=min_strength, strength=strength,
                       waived=waived, pending_sources=sources if status == GateStatus.PENDING else [])


def _strength_rank(result: Result | None, waivers: bool) -> int:
    if result is None or _waived(result, waivers):
        return -1
    return evidence_strength(result).rank


def _pending_phrase(sources: list[Source | None]) -> str:
    named = sorted({s.value for s in sources if s is not None})
    parts = [f"{name} evidence" for name in named]
    if any(s is None for s in sources):
        parts.append("checks outside this profile's model")
    return " and ".join(parts) or "evidence not gathered"


def pending_checks(checks: dict[str, ScoredCheck], results: dict[str, Result], profile: Profile,
                   gathered: set[Source] | None, sources: dict[str, Source] | None) -> dict[str, Source | None]:
    """Gate checks only evidence this audit did not gather could settle, with that source: checks
    outside the profile's model, and checks not evaluated because their source was not gathered."""
    out: dict[str, Source | None] = {}
    for level_spec in profile.levels:
        for gate in level_spec.gates:
            for check_id in gate.check_ids():
                if check_id not in checks:
                    out[check_id] = (sources or {}).get(check_id)
                    continue
                source = checks[check_id].source
                if not_gathered(source, results.get(check_id), gathered):
                    out[check_id] = source
    return out


def pending_gate_list(gates: list[GateOutcome], pending: dict[str, Source | None],
                      model: set[str]) -> list[PendingGate]:
    items = []
    for gate in gates:
        if gate.status != GateStatus.PENDING:
            continue
        waiting = [c for c in gate.blocking if c in pending]
        source = next((pending[c] for c in waiting if pending[c] is not None), None)
        if source is None:
            option = "a profile whose model includes these checks (e.g. --profile default)"
        elif not any(c in model for c in waiting):
            option = f"{SOURCE_OPTION.get(source, source.value)}, with a profile whose model has these {source.value} checks " \
                     f"(e.g. --profile default)"
        else:
            option = SOURCE_OPTION.get(source, source.value)
        items.append(PendingGate(id=gate.id, title=gate.title, level=gate.level,
                                 source=source or Source.LIVE, option=option, checks=waiting))
    return items


def reached_level(profile: Profile, score: float | None, gates: list[GateOutcome],
                  pending_as_met: bool = False) -> int:
    """The highest level whose band the score reaches and whose gates, and every lower level's,
    are met (with `pending_as_met`, pending gates too: the level the evidence would support)."""
    accepted = {GateStatus.MET, GateStatus.PENDING} if pending_as_met else {GateStatus.MET}
    level = 0
    for level_spec in sorted(profile.levels, key=lambda s: s.level):
        in_band = score is not None and score >= level_spec.min_score
        if not (in_band and all(g.status in accepted for g in gates if g.level == level_spec.level)):
            break  # a level is earned only on top of every level below it
        level = level_spec.level
    return level


def _strong(result: Result) -> bool:
    """A full verdict (pass or fail), as opposed to partial credit or a warning."""
    return result.status in (Status.PASS, Status.FAIL)


def _area_score(area: Area, members: list[ScoredCheck], results: dict[str, Result], profile: Profile,
                waivers: bool, predicted: set[str] = frozenset()) -> AreaScore:
    """`results` may hold predictions (ids in `predicted`): they are scored like results, but they are
    not coverage: nothing was measured."""
    applicable = [c for c in members if results.get(c.id) is None
                  or results[c.id].status != Status.NOT_APPLICABLE]
    scored = [c for c in applicable if _in_score(results.get(c.id), waivers)]
    covered = [c for c in applicable if _evaluated(results.get(c.id), waivers)]
    measured = [c for c in covered if c.id not in predicted]
    weight_applicable = sum(c.weight for c in applicable)
    weight_scored = sum(c.weight for c in scored)
    score = (100.0 * sum(c.weight * results[c.id].score for c in scored) / weight_scored
             if weight_scored > 0 else None)
    area_weight = profile.area_weights.get(area, 0.0)
    # A warning is information: the score is as if the check were not in the area at all, so it
    # neither earns points nor lowers the area's pull on the overall score (it still is coverage).
    countable = [c for c in applicable if not _only_warned(results.get(c.id), waivers)]
    weight_countable = sum(c.weight for c in countable)
    scored_share = weight_scored / weight_countable if weight_countable else 0.0
    reason = ""
    if not applicable:
        status = AreaStatus.NOT_APPLICABLE
    elif not covered:
        status = AreaStatus.NOT_EVALUATED
    elif score is None:
        status, reason = AreaStatus.TOO_LITTLE_EVIDENCE, "every check that ran is waived or only warned"
    elif scored_share < MIN_AREA_EVIDENCE:
        status = AreaStatus.TOO_LITTLE_EVIDENCE
        reason = (f"{scored_share:.0%} of the area's weight was evaluated, below the "
                  f"{MIN_AREA_EVIDENCE:.0%} an area needs to count")
    elif len(scored) < min(MIN_AREA_CHECKS, len(countable)):
        status = AreaStatus.TOO_LITTLE_EVIDENCE
        reason = (f"only {len(scored)} of its {len(countable)} applicable checks ran; "
                  f"an area needs {MIN_AREA_CHECKS} to count")
    elif not any(_strong(results[c.id]) for c in scored):
        status = AreaStatus.TOO_LITTLE_EVIDENCE
        reason = "only partial verdicts: no check that ran could pass or fail outright"
    else:
        status = AreaStatus.SCORED
    return AreaScore(
        score=None if score is None else round(score, 2),
        weight=area_weight,
        evaluated=len(measured),
        total=len(members),
        coverage=round(sum(c.weight for c in measured) / weight_applicable, 4) if weight_applicable else 0.0,
        status=status,
        contribution=round(area_weight * scored_share, 4) if status == AreaStatus.SCORED else 0.0,
        evaluated_checks=[c.id for c in measured],
        predicted_checks=[c.id for c in covered if c.id in predicted],
        reason=reason,
    )


def _area_scores(checks: dict[str, ScoredCheck], results: dict[str, Result], profile: Profile,
                 waivers: bool, predicted: set[str] = frozenset()) -> dict[str, AreaScore]:
    return {area.value: _area_score(area, [c for c in checks.values() if c.area == area], results, profile,
                                    waivers, predicted)
            for area in Area}


def _predictions(checks: dict[str, ScoredCheck], results: dict[str, Result], gathered: set[Source] | None,
                 waivers: bool) -> dict[str, Prediction]:
    return predict({c.id: c.predicted_by for c in checks.values() if c.predicted_by},
                   {c.id: c.source for c in checks.values()}, results, gathered,
                   lambda result: _in_score(result, waivers))


def _estimated_areas(checks: dict[str, ScoredCheck], results: dict[str, Result], profile: Profile,
                     waivers: bool, gathered: set[Source] | None) -> tuple[dict[str, AreaScore], dict[str, Prediction]]:
    """The areas with the predicted results of checks whose source was not gathered counted in."""
    predictions = _predictions(checks, results, gathered, waivers)
    with_predictions = {**results, **{cid: as_result(p) for cid, p in predictions.items()}}
    return _area_scores(checks, with_predictions, profile, waivers, set(predictions)), predictions


def _overall(areas: dict[str, AreaScore]) -> float | None:
    """Mean of the counted areas' scores weighted by their contributions (weight x coverage).

    Equivalently: a weighted mean over the scored checks, each check weighing its area's weight x its
    own weight / its area's applicable weight. A check not evaluated lowers its area's pull on the
    score instead of handing its share to whatever did run."""
    weighted = [(a.contribution, a.score) for a in areas.values()
                if a.status == AreaStatus.SCORED and a.score is not None and a.contribution > 0]
    total = sum(w for w, _ in weighted)
    if total == 0:
        return None
    return round(sum(w * s for w, s in weighted) / total, 2)


def _score_if(check: ScoredCheck, replacement: Result, checks: dict[str, ScoredCheck], results: dict[str, Result],
              profile: Profile, waivers: bool, gathered: set[Source] | None) -> float | None:
    """The (estimated) overall score with one check's result replaced. Every area is recomputed: the
    check may predict others (static-http-timeout predicts resilience-timeouts)."""
    changed = {**results, check.id: replacement}
    return _overall(_estimated_areas(checks, changed, profile, waivers, gathered)[0])


def check_swings(checks: dict[str, ScoredCheck], results: dict[str, Result], profile: Profile,
                 waivers: bool = True, gathered: set[Source] | None = None) -> dict[str, tuple[float | None, float | None]]:
    """For every scored check: the overall score if it failed and if it passed, everything else as
    measured. The difference is how far that one check can move the score (its swing), the checks it
    predicts included."""
    swings: dict[str, tuple[float | None, float | None]] = {}
    for check in checks.values():
        result = results.get(check.id)
        if not _in_score(result, waivers):
            continue
        failed = Result(check_id=check.id, status=Status.FAIL, score=0.0)
        passed = Result(check_id=check.id, status=Status.PASS, score=1.0)
        swings[check.id] = (_score_if(check, failed, checks, results, profile, waivers, gathered),
                            _score_if(check, passed, checks, results, profile, waivers, gathered))
    return swings


def _coverage(checks: dict[str, ScoredCheck], results: dict[str, Result], profile: Profile,
              waivers: bool) -> float:
    """Share of the model's applicable weight that was evaluated, each check weighted by its
    area's weight so coverage speaks the same language as the score."""
    by_area: dict[Area, list[ScoredCheck]] = {}
    for check in checks.values():
        result = results.get(check.id)
        if result is not None and result.status == Status.NOT_APPLICABLE:
            continue
        by_area.setdefault(check.area, []).append(check)
    total = covered = 0.0
    for area, members in by_area.items():
        area_weight = profile.area_weights.get(area, 0.0)
        area_total = sum(c.weight for c in members)
        if area_weight <= 0 or area_total <= 0:
            continue
        total += area_weight
        covered += area_weight * sum(c.weight for c in members
                                     if _evaluated(results.get(c.id), waivers)) / area_total
    return round(covered / total, 4) if total else 0.0


def _roadmap(checks: dict[str, ScoredCheck], results: dict[str, Result], score: float | None,
             profile: Profile, next_gate_checks: set[str], waivers: bool,
             gathered: set[Source] | None) -> list[RoadmapItem]:
    items: list[RoadmapItem] = []
    for check in checks.values():
        result = results.get(check.id)
        if result is None or result.status == Status.NOT_APPLICABLE or _passed(result, waivers):
            continue
        if result.status == Status.WARN and check.id not in next_gate_checks:
            continue  # information, not a step; it is one only where it holds a gate back
        if result.status == Status.NOT_EVALUATED and check.id not in next_gate_checks:
            continue  # missing input is shown as coverage; only gate-blocking gaps are steps to take
        points: float | None = None
        if _in_score(result, waivers) and score is not None:
            # Recomputed, not estimated: passing may also bring an area over the evidence threshold.
            passed = Result(check_id=check.id, status=Status.PASS, score=1.0)
            after = _score_if(check, passed, checks, results, profile, waivers, gathered)
            points = max(0.0, round(after - score, 2)) if after is not None else None
        if result.status.evaluated:
            action = "fix"
        elif result.status == Status.ERROR:
            action = "make the check run"
        else:
            action = "gather evidence"
        items.append(RoadmapItem(
            check_id=check.id, title=check.title, area=check.area, level=check.level,
            status=result.status, points=points, unlocks_next_level=check.id in next_gate_checks,
            action=action))
    items.sort(key=lambda i: (not i.unlocks_next_level, -(i.points or 0.0), i.level, i.check_id))
    return items


def grade_all(checks: dict[str, ScoredCheck], results: dict[str, Result]) -> dict[str, Result]:
    """Every result with the strength rule applied (see `grade`)."""
    return {cid: grade(r, checks[cid].source if cid in checks else None) for cid, r in results.items()}


def compute(checks: dict[str, ScoredCheck], results: dict[str, Result], profile: Profile,
            waivers: bool = True, *, gathered: set[Source] | None = None,
            sources: dict[str, Source] | None = None) -> Scorecard:
    """`gathered`: the sources this audit gathered evidence from (None: take every not-evaluated
    check as a gap, not as pending); `sources`: the source of every catalog check, for gates that
    name checks outside the profile's model."""
    results = grade_all(checks, results)
    areas, predictions = _estimated_areas(checks, results, profile, waivers, gathered)
    score = _overall(areas)
    # What the gathered evidence alone scores; the proven level rests on it, never on a prediction.
    measured_score = _overall(_area_scores(checks, results, profile, waivers)) if predictions else score

    pending = pending_checks(checks, results, profile, gathered, sources)
    gates: list[GateOutcome] = []
    for level_spec in sorted(profile.levels, key=lambda s: s.level):
        gates.extend(evaluate_gate(g, level_spec.level, results, waivers, set(checks),
                                   min_strength=profile.min_strength(g), pending=pending)
                     for g in level_spec.gates)

    level = reached_level(profile, measured_score, gates)
    level_if_verified = max(level, reached_level(profile, score, gates, pending_as_met=True))

    top = max((s.level for s in profile.levels), default=0)
    next_level = level + 1 if level < top else None
    held_back = [g for g in gates if g.level == next_level and g.status != GateStatus.MET]
    next_gate_checks = {c for g in held_back for c in g.blocking}

    counts = {status.value: 0 for status in Status}
    for check_id in checks:
        if check_id in results:
            counts[results[check_id].status.value] += 1
    counts["suppressed"] = sum(1 for c in checks if _waived(results.get(c), waivers))

    return Scorecard(
        score=score,
        measured_score=measured_score,
        predictions=list(predictions.values()),
        level=level,
        level_name=profile.level_name(level),
        coverage=_coverage(checks, results, profile, waivers),
        areas=areas,
        gates=gates,
        next_level=next_level,
        held_back_by=[g.id for g in held_back],
        roadmap=_roadmap(checks, results, score, profile, next_gate_checks, waivers, gathered),
        counts=counts,
        level_if_verified=level_if_verified,
        pending_gates=pending_gate_list(gates, pending, set(checks)),
    )
