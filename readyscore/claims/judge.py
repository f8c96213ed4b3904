"""Judge each claim against the evidence of the other checks. Pure: no files, no clocks.

Inputs are what the audit already decided before this check: every other check's result, the
profile's gate outcomes (computed without waivers: a waived failure is an accepted risk, not a
substantiated claim) and the score. Statuses (docs/claims.md):

- substantiated: the mapped evidence passed, at the strength the claim needs;
- contradicted: mapped evidence failed, or the repository's own text admits the opposite;
- unproven: nothing was gathered either way; the reason names what would settle it;
- out of reach: certifications and legal determinations; never substantiated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from readyscore.claims.mapping import Capability, ClaimMap
from readyscore.claims.records import STATUS_ORDER, Admission, Claim, ClaimKind, ClaimRecord, ClaimStatus
from readyscore.model import EvidenceStrength, Status

MAX_REASON_CHARS = 700
MAX_CHECKS_LISTED = 40
MAX_ADMISSIONS_CITED = 4
_STRENGTH_RANK = {EvidenceStrength.MENTION: 0, EvidenceStrength.DECLARED: 1, EvidenceStrength.IMPLEMENTED: 2,
                  EvidenceStrength.VERIFIED: 3}


class ResultLike(Protocol):
    status: Status
    strength: EvidenceStrength | None
    message: str


class GateLike(Protocol):
    id: str
    title: str
    level: int
    status: str  # met | unmet | not_evaluated | not_applicable
    checks: list[str]
    blocking: dict[str, str]


@dataclass
class Evidence:
    """Everything the audit decided before claims are judged."""

    results: dict[str, ResultLike]
    gates: list[GateLike]
    score: float | None
    bands: dict[int, float]  # level -> min_score
    level_names: dict[int, str] = field(default_factory=dict)

    def gate(self, gate_id: str) -> GateLike | None:
        return next((g for g in self.gates if g.id == gate_id), None)


@dataclass
class Verdict:
    status: ClaimStatus
    reason: str
    checks: list[str]


def _status_value(value) -> str:
    return getattr(value, "value", value)


def _cite(admissions: list[Admission]) -> str:
    shown = "; ".join(f"{a.where()} \u201c{a.text[:80]}\u201d" for a in admissions[:MAX_ADMISSIONS_CITED])
    more = f" and {len(admissions) - MAX_ADMISSIONS_CITED} more" if len(admissions) > MAX_ADMISSIONS_CITED else ""
    return shown + more


def _unsettled(check_ids: list[str], evidence: Evidence) -> str:
    """Why the checks have no verdict, which names what would settle them (--url, a source tree)."""
    parts = []
    for check_id in check_ids[:4]:
        result = evidence.results.get(check_id)
        why = result.message if result is not None and result.message else "not part of this audit's profile"
        parts.append(f"{check_id}: {why}")
    return "; ".join(parts)


def capability_level(capability: Capability, evidence: Evidence) -> int | None:
    if capability.level is not None:
        return capability.level
    levels = [g.level for g in (evidence.gate(gid) for gid in capability.gates) if g is not None]
    return min(levels) if levels else None


def _strong_enough(capability: Capability, strength: EvidenceStrength | None) -> bool:
    if capability.min_strength is None:
        return True
    return strength is not None and _STRENGTH_RANK[strength] >= _STRENGTH_RANK[capability.min_strength]


def _strongest(check_ids: list[str], evidence: Evidence) -> EvidenceStrength | None:
    strengths = [r.strength for c in check_ids if (r := evidence.results.get(c)) is not None
                 and r.status == Status.PASS and r.strength is not None]
    return max(strengths, key=lambda s: _STRENGTH_RANK[s], default=None)


def _weak(capability: Capability, strength: EvidenceStrength | None) -> str:
    had = strength.value if strength else "a clean scan (the absence of a finding)"
    return f"{capability.title}: the evidence is only {had}; the claim needs {capability.min_strength.value} evidence"


def _capability_checks(capability: Capability, evidence: Evidence) -> list[str]:
    gate_checks = [c for gid in capability.gates if (g := evidence.gate(gid)) is not None for c in g.checks]
    return list(capability.checks) + gate_checks


def judge_capability(capability: Capability, admissions: list[Admission], evidence: Evidence) -> Verdict:
    admitted = [a for a in admissions if capability.id in a.refs]
    if admitted:
        return Verdict(ClaimStatus.CONTRADICTED,
                       f"{capability.title}: the repository's own text leaves it open: {_cite(admitted)}",
                       _capability_checks(capability, evidence))
    if capability.gates:
        return _judge_by_gates(capability, evidence)
    return _judge_by_checks(capability, evidence)


def _judge_by_gates(capability: Capability, evidence: Evidence) -> Verdict:
    outcomes = [(gid, evidence.gate(gid)) for gid in capability.gates]
    checks = [c for _, g in outcomes if g is not None for c in g.checks]
    missing = [gid for gid, g in outcomes if g is None]
    if missing:
        return Verdict(ClaimStatus.UNPROVEN, f"{capability.title}: the profile has no gate {', '.join(missing)}", checks)
    unmet = [g for _, g in outcomes if _status_value(g.status) == "unmet"]
    if unmet:
        why = "; ".join(f"gate {g.id} is not met ({', '.join(f'{c} is {s}' for c, s in g.blocking.items())})"
                        for g in unmet)
        # As with a single check, a partial (or a pass on weaker evidence than the gate needs)
        # neither backs the claim nor refutes it: lorax's "Helm charts for Kubernetes" is not
        # contradicted by a chart that could not be rendered without helm. A failure refutes it.
        refuted = any(str(state).startswith("fail") for g in unmet for state in g.blocking.values())
        return Verdict(ClaimStatus.CONTRADICTED if refuted else ClaimStatus.UNPROVEN,
                       f"{capability.title}: {why}", checks)
    unsettled = [g for _, g in outcomes if _status_value(g.status) != "met"]
    if unsettled:
        blocking = [c for g in unsettled for c in (g.blocking or dict.fromkeys(g.checks))]
        return Verdict(ClaimStatus.UNPROVEN, f"{capability.title}: no evidence was gathered "
                       f"({_unsettled(blocking, evidence)})", checks)
    strength = _strongest(checks, evidence)
    # A met gate already holds the evidence to the profile's standard; a mapping entry asks for
    # more only when it says so (a claim of observed behaviour: `min_strength: verified`).
    if "min_strength" in capability.model_fields_set and not _strong_enough(capability, strength):
        return Verdict(ClaimStatus.UNPROVEN, _weak(capability, strength), checks)
    met = ", ".join(g.id for _, g in outcomes)
    return Verdict(ClaimStatus.SUBSTANTIATED, f"{capability.title}: gate {met} met"
                   + (f" ({strength.value} evidence)" if strength else ""), checks)


def _judge_by_checks(capability: Capability, evidence: Evidence) -> Verdict:
    checks = list(capability.checks)
    decider = next((c for c in checks if (r := evidence.results.get(c)) is not None and r.status.evaluated), None)
    if decider is None:
        return Verdict(ClaimStatus.UNPROVEN, f"{capability.title}: no evidence was gathered "
                       f"({_unsettled(checks, evidence)})", checks)
    result = evidence.results[decider]
    if result.status == Status.FAIL:
        return Verdict(ClaimStatus.CONTRADICTED, f"{capability.title}: {decider} failed: {result.message}", checks)
    if result.status != Status.PASS:  # partial or warning: neither backs the claim nor refutes it
        return Verdict(ClaimStatus.UNPROVEN, f"{capability.title}: {decider} is {result.status.value}: "
                       f"{result.message}", checks)
    if not _strong_enough(capability, result.strength):
        return Verdict(ClaimStatus.UNPROVEN, _weak(capability, result.strength), checks)
    strength = f", {result.strength.value}" if result.strength else ""
    return Verdict(ClaimStatus.SUBSTANTIATED, f"{capability.title}: {decider} passed{strength}", checks)


def judge_level(level: int, mapping: ClaimMap, admissions: list[Admission], evidence: Evidence) -> Verdict:
    """A stated level, or a statement standing for one: that level's gates, every lower level's,
    the level's score band, and no admission that something it needs is missing."""
    gates = [g for g in evidence.gates if g.level <= level]
    name = evidence.level_names.get(level, f"Level {level}")
    if level not in evidence.bands:
        return Verdict(ClaimStatus.UNPROVEN, f"Level {level} is stated, and this audit's profile has no Level {level}", [])
    checks = list(dict.fromkeys(c for g in gates for c in g.checks))[:MAX_CHECKS_LISTED]
    problems = []
    admitted = [a for a in admissions
                if any((cap := mapping.capability(ref)) is not None and (lvl := capability_level(cap, evidence))
                       is not None and lvl <= level for ref in a.refs)]
    if admitted:
        problems.append(f"the repository's own text leaves open what Level {level} needs: {_cite(admitted)}")
    unmet = [g for g in gates if _status_value(g.status) == "unmet"]
    if unmet:
        problems.append("gates not met: " + "; ".join(
            f"{g.id} (Level {g.level}: {', '.join(f'{c} is {s}' for c, s in list(g.blocking.items())[:3])})"
            for g in unmet[:6]) + (f" and {len(unmet) - 6} more" if len(unmet) > 6 else ""))
    band = evidence.bands.get(level)
    if band is not None and evidence.score is not None and evidence.score < band:
        problems.append(f"the score {evidence.score:.0f} is below Level {level}'s band ({band:g})")
    if problems:
        blocking = [c for g in unmet for c in g.blocking]
        blocking += [c for a in admitted for ref in a.refs if (cap := mapping.capability(ref)) is not None
                     for c in _capability_checks(cap, evidence)]
        return Verdict(ClaimStatus.CONTRADICTED, f"Level {level} ({name}): " + "; ".join(problems),
                       list(dict.fromkeys(blocking))[:MAX_CHECKS_LISTED] or checks)
    unsettled = [g for g in gates if _status_value(g.status) == "not_evaluated"]
    if unsettled or evidence.score is None:
        blocking = [c for g in unsettled for c in g.blocking]
        return Verdict(ClaimStatus.UNPROVEN, f"Level {level} ({name}): gates without evidence: "
                       + ", ".join(g.id for g in unsettled[:8]) + f" ({_unsettled(blocking, evidence)})",
                       list(dict.fromkeys(blocking))[:MAX_CHECKS_LISTED])
    return Verdict(ClaimStatus.SUBSTANTIATED, f"Level {level} ({name}): every gate up to Level {level} is met "
                   f"and the score {evidence.score:.0f} is in its band (from {band:g})", checks)


def judge_score(stated: float, mapping: ClaimMap, evidence: Evidence) -> Verdict:
    if evidence.score is None:
        return Verdict(ClaimStatus.UNPROVEN, f"a score of {stated:g} is stated; nothing was evaluated to compare", [])
    if evidence.score + mapping.score_tolerance < stated:
        return Verdict(ClaimStatus.CONTRADICTED, f"a score of {stated:g} is stated; readyscore measured "
                       f"{evidence.score:.0f} (tolerance {mapping.score_tolerance:g})", [])
    return Verdict(ClaimStatus.SUBSTANTIATED, f"a score of {stated:g} is stated; readyscore measured "
                   f"{evidence.score:.0f}", [])


def judge_compliance(claim_id: str, mapping: ClaimMap, evidence: Evidence) -> Verdict:
    entry = next(c for c in (mapping.compliance.claims if mapping.compliance else []) if c.id == claim_id)
    related = [f"{c} is {r.status.value}" for c in entry.related if (r := evidence.results.get(c)) is not None]
    shown = f"; related controls: {', '.join(related)}" if related else ""
    return Verdict(ClaimStatus.OUT_OF_REACH, f"{entry.title} is a certification or legal determination that no "
                   f"check can make{shown}", list(entry.related))


def _combine(verdicts: list[Verdict]) -> Verdict:
    status = min((v.status for v in verdicts), key=STATUS_ORDER.index)
    # The reasons that decided first, then the rest for context.
    ordered = sorted(verdicts, key=lambda v: STATUS_ORDER.index(v.status))
    return Verdict(status, "; ".join(v.reason for v in ordered),
                   list(dict.fromkeys(c for v in ordered for c in v.checks)))


def judge_claim(claim: Claim, mapping: ClaimMap, admissions: list[Admission], evidence: Evidence) -> Verdict:
    if claim.kind in (ClaimKind.STATEMENT, ClaimKind.LEVEL):
        return judge_level(int(claim.value or 0), mapping, admissions, evidence) if claim.value else Verdict(
            ClaimStatus.UNPROVEN, "Level 0 claims nothing", [])
    if claim.kind == ClaimKind.SCORE:
        return judge_score(float(claim.value or 0), mapping, evidence)
    if claim.kind == ClaimKind.COMPLIANCE:
        return judge_compliance(claim.refs[0], mapping, evidence)
    verdicts = [judge_capability(cap, admissions, evidence)
                for ref in claim.refs if (cap := mapping.capability(ref)) is not None]
    if not verdicts:
        return Verdict(ClaimStatus.UNPROVEN, "no check maps to this claim", [])
    return _combine(verdicts)


def judge(claims: list[Claim], admissions: list[Admission], mapping: ClaimMap,
          evidence: Evidence) -> list[ClaimRecord]:
    """Every claim with its status, worst first (contradicted, unproven, out of reach, substantiated)."""
    records = []
    for claim in claims:
        verdict = judge_claim(claim, mapping, admissions, evidence)
        reason = verdict.reason if len(verdict.reason) <= MAX_REASON_CHARS else verdict.reason[:MAX_REASON_CHARS - 1] + "…"
        records.append(ClaimRecord(text=claim.text, path=claim.path, line=claim.line, kind=claim.kind,
                                   status=verdict.status, checks=verdict.checks[:MAX_CHECKS_LISTED], reason=reason,
                                   claim=list(claim.refs), also_at=claim.also_at[:20]))
    records.sort(key=lambda r: (STATUS_ORDER.index(r.status), r.path, r.line))
    return records
