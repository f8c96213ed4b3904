"""Results + profile -> scorecard. Pure: no I/O, no clocks, no knowledge of HTTP or files.

The rules (docs/architecture.md, "Scoring"):
- A check counts in its area's denominator only when it was evaluated (pass, fail, partial, warn).
  Not applicable, not evaluated and error stay out and lower the coverage instead.
- Area score = weighted share of its evaluated checks. Overall = the mean of the area scores, each
  weighted by its profile weight times the share of it that was evaluated (weight x coverage), over
  the areas with enough evidence: an area whose evaluated weight is below MIN_AREA_EVIDENCE of its
  applicable weight, that rests on fewer than MIN_AREA_CHECKS checks, or whose every evaluated
  check is only partial, shows "too little evidence" and stays out. Nothing counted at all: no
  score (never 100). docs/scoring.md has the formula and a worked example.
- Level = the highest level whose band the score reaches and whose gates, and every lower level's
  gates, are met. A gate passes only on evaluated evidence; an unevaluated gate is not met.
- A suppressed (waived) result is taken out of the denominator and meets any gate it is part of;
  the scorecard is computed with and without waivers so the report can show both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, Field

from readyscore.config import GateSpec, Profile
from readyscore.model import Area, Result, Severity, Status


@dataclass(frozen=True)
class ScoredCheck:
    """What scoring needs to know of a check: no executor, no params."""

    id: str
    title: str
    area: Area
    level: int
    weight: float
    severity: Severity


class GateStatus(StrEnum):
    MET = "met"
    UNMET = "unmet"
    NOT_EVALUATED = "not_evaluated"
    # Every check the gate names is outside the profile's model (ci-fast has no live checks):
    # the profile cannot ask for that evidence, so the gate does not hold its level back.
    NOT_APPLICABLE = "not_applicable"


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
    score: float | None
    level: int
    level_name: str
    coverage: float
    areas: dict[str, AreaScore]
    gates: list[GateOutcome]
    next_level: int | None
    held_back_by: list[str] = Field(description="ids of the unmet gates of the next level")
    roadmap: list[RoadmapItem]
    counts: dict[str, int]


def _passed(result: Result | None, waivers: bool) -> bool:
    if result is None:
        return False
    if waivers and result.suppressed_by:
        return True
    return result.status in (Status.PASS, Status.WARN)


def _evaluated(result: Result | None, waivers: bool) -> bool:
    if result is None:
        return False
    if waivers and result.suppressed_by:
        return True
    return result.status.evaluated


def evaluate_gate(gate: GateSpec, level: int, results: dict[str, Result], waivers: bool = True,
                  model: set[str] | None = None) -> GateOutcome:
    """`model`: the ids of the checks in the profile's readiness model; references to other checks
    are dropped (a profile without live checks earns its gates on the evidence it has)."""
    if model is not None:
        kept = {name: [c for c in getattr(gate, name) if c in model] for name in ("all_of", "any_of", "first_of")}
        if not any(kept.values()):
            return GateOutcome(id=gate.id, title=gate.title, level=level, status=GateStatus.NOT_APPLICABLE,
                               checks=gate.check_ids(), reason="none of its checks is in this profile's model")
        gate = gate.model_copy(update=kept)
    blocking: dict[str, str] = {}
    contradictions: list[str] = []
    any_evidence = False

    def status_of(check_id: str) -> str:
        result = results.get(check_id)
        return result.status.value if result else "not_in_model"

    for check_id in gate.all_of:
        any_evidence |= _evaluated(results.get(check_id), waivers)
        if not _passed(results.get(check_id), waivers):
            blocking[check_id] = status_of(check_id)

    if gate.any_of:
        any_evidence |= any(_evaluated(results.get(c), waivers) for c in gate.any_of)
        if not any(_passed(results.get(c), waivers) for c in gate.any_of):
            blocking.update({c: status_of(c) for c in gate.any_of})

    if gate.first_of:
        decider = next((c for c in gate.first_of if _evaluated(results.get(c), waivers)), None)
        if decider is None:
            blocking.update({c: status_of(c) for c in gate.first_of})
        else:
            any_evidence = True
            decided = _passed(results.get(decider), waivers)
            if not decided:
                blocking[decider] = status_of(decider)
            weaker = gate.first_of[gate.first_of.index(decider) + 1:]
            contradictions = [
                f"{check} is {status_of(check)} but {decider} is {status_of(decider)}; {decider} decides"
                for check in weaker
                if _evaluated(results.get(check), waivers) and _passed(results.get(check), waivers) != decided
            ]

    if not blocking:
        status, reason = GateStatus.MET, ""
    elif not any_evidence:
        status, reason = GateStatus.NOT_EVALUATED, "no evidence was gathered for this gate"
    else:
        status = GateStatus.UNMET
        reason = "; ".join(f"{check} is {state}" for check, state in blocking.items())
    return GateOutcome(id=gate.id, title=gate.title, level=level, status=status,
                       checks=gate.check_ids(), blocking=blocking, reason=reason,
                       contradictions=contradictions)


def _strong(result: Result) -> bool:
    """A full verdict (pass or fail), as opposed to partial credit or a warning."""
    return result.status in (Status.PASS, Status.FAIL)


def _area_score(area: Area, members: list[ScoredCheck], results: dict[str, Result], profile: Profile,
                waivers: bool) -> AreaScore:
    applicable = [c for c in members if results.get(c.id) is None
                  or results[c.id].status != Status.NOT_APPLICABLE]
    scored = [c for c in applicable
              if _evaluated(results.get(c.id), waivers) and not (waivers and results[c.id].suppressed_by)]
    covered = [c for c in applicable if _evaluated(results.get(c.id), waivers)]
    weight_applicable = sum(c.weight for c in applicable)
    weight_scored = sum(c.weight for c in scored)
    score = (100.0 * sum(c.weight * results[c.id].score for c in scored) / weight_scored
             if weight_scored > 0 else None)
    area_weight = profile.area_weights.get(area, 0.0)
    scored_share = weight_scored / weight_applicable if weight_applicable else 0.0
    reason = ""
    if not applicable:
        status = AreaStatus.NOT_APPLICABLE
    elif not covered:
        status = AreaStatus.NOT_EVALUATED
    elif score is None:
        status, reason = AreaStatus.TOO_LITTLE_EVIDENCE, "every check that ran is waived"
    elif scored_share < MIN_AREA_EVIDENCE:
        status = AreaStatus.TOO_LITTLE_EVIDENCE
        reason = (f"{scored_share:.0%} of the area's weight was evaluated, below the "
                  f"{MIN_AREA_EVIDENCE:.0%} an area needs to count")
    elif len(scored) < min(MIN_AREA_CHECKS, len(applicable)):
        status = AreaStatus.TOO_LITTLE_EVIDENCE
        reason = (f"only {len(scored)} of its {len(applicable)} applicable checks ran; "
                  f"an area needs {MIN_AREA_CHECKS} to count")
    elif not any(_strong(results[c.id]) for c in scored):
        status = AreaStatus.TOO_LITTLE_EVIDENCE
        reason = "only partial verdicts: no check that ran could pass or fail outright"
    else:
        status = AreaStatus.SCORED
    return AreaScore(
        score=None if score is None else round(score, 2),
        weight=area_weight,
        evaluated=len(covered),
        total=len(members),
        coverage=round(sum(c.weight for c in covered) / weight_applicable, 4) if weight_applicable else 0.0,
        status=status,
        contribution=round(area_weight * scored_share, 4) if status == AreaStatus.SCORED else 0.0,
        evaluated_checks=[c.id for c in covered],
        reason=reason,
    )


def _area_scores(checks: dict[str, ScoredCheck], results: dict[str, Result], profile: Profile,
                 waivers: bool) -> dict[str, AreaScore]:
    return {area.value: _area_score(area, [c for c in checks.values() if c.area == area], results, profile, waivers)
            for area in Area}


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
              areas: dict[str, AreaScore], profile: Profile, waivers: bool) -> float | None:
    """The overall score with one check's result replaced; only that check's area is recomputed."""
    changed = {**results, check.id: replacement}
    members = [c for c in checks.values() if c.area == check.area]
    return _overall({**areas, check.area.value: _area_score(check.area, members, changed, profile, waivers)})


def check_swings(checks: dict[str, ScoredCheck], results: dict[str, Result], profile: Profile,
                 waivers: bool = True) -> dict[str, tuple[float | None, float | None]]:
    """For every scored check: the overall score if it failed and if it passed, everything else as
    measured. The difference is how far that one check can move the score (its swing)."""
    areas = _area_scores(checks, results, profile, waivers)
    swings: dict[str, tuple[float | None, float | None]] = {}
    for check in checks.values():
        result = results.get(check.id)
        if result is None or not result.status.evaluated or (waivers and result.suppressed_by):
            continue
        failed = Result(check_id=check.id, status=Status.FAIL, score=0.0)
        passed = Result(check_id=check.id, status=Status.PASS, score=1.0)
        swings[check.id] = (_score_if(check, failed, checks, results, areas, profile, waivers),
                            _score_if(check, passed, checks, results, areas, profile, waivers))
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


def _roadmap(checks: dict[str, ScoredCheck], results: dict[str, Result], areas: dict[str, AreaScore],
             profile: Profile, next_gate_checks: set[str], waivers: bool) -> list[RoadmapItem]:
    score = _overall(areas)
    items: list[RoadmapItem] = []
    for check in checks.values():
        result = results.get(check.id)
        if result is None or result.status == Status.NOT_APPLICABLE or _passed(result, waivers):
            continue
        if result.status == Status.NOT_EVALUATED and check.id not in next_gate_checks:
            continue  # missing input is shown as coverage; only gate-blocking gaps are steps to take
        points: float | None = None
        if result.status.evaluated and score is not None:
            # Recomputed, not estimated: passing may also bring an area over the evidence threshold.
            passed = Result(check_id=check.id, status=Status.PASS, score=1.0)
            after = _score_if(check, passed, checks, results, areas, profile, waivers)
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


def compute(checks: dict[str, ScoredCheck], results: dict[str, Result], profile: Profile,
            waivers: bool = True) -> Scorecard:
    areas = _area_scores(checks, results, profile, waivers)
    score = _overall(areas)

    gates: list[GateOutcome] = []
    for level_spec in sorted(profile.levels, key=lambda s: s.level):
        gates.extend(evaluate_gate(g, level_spec.level, results, waivers, set(checks)) for g in level_spec.gates)

    level = 0
    for level_spec in sorted(profile.levels, key=lambda s: s.level):
        in_band = score is not None and score >= level_spec.min_score
        gates_met = all(g.status in (GateStatus.MET, GateStatus.NOT_APPLICABLE)
                        for g in gates if g.level == level_spec.level)
        if not (in_band and gates_met):
            break  # a level is earned only on top of every level below it
        level = level_spec.level

    top = max((s.level for s in profile.levels), default=0)
    next_level = level + 1 if level < top else None
    held_back = [g for g in gates if g.level == next_level
                 and g.status not in (GateStatus.MET, GateStatus.NOT_APPLICABLE)]
    next_gate_checks = {c for g in held_back for c in g.blocking}

    counts = {status.value: 0 for status in Status}
    for check_id in checks:
        if check_id in results:
            counts[results[check_id].status.value] += 1
    counts["suppressed"] = sum(1 for c in checks if c in results and results[c].suppressed_by)

    return Scorecard(
        score=score,
        level=level,
        level_name=profile.level_name(level),
        coverage=_coverage(checks, results, profile, waivers),
        areas=areas,
        gates=gates,
        next_level=next_level,
        held_back_by=[g.id for g in held_back],
        roadmap=_roadmap(checks, results, areas, profile, next_gate_checks, waivers),
        counts=counts,
    )
