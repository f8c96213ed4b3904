"""What a deploy rule reports, and how its findings become one check Result.

A rule looks at every relevant item (a Dockerfile stage, a container, a Compose service) and says
for each one: good (`ok`), at fault, or could not be evaluated (`unknown`, e.g. a value that comes
from a Helm value we could not resolve). `to_result` then applies one policy to every deploy check:

- no relevant artefact at all -> not_applicable (the missing artefact is its own check);
- every item good -> pass (score = mean strength of the good items, so a tag pin scores below a digest);
- any item at fault -> fail, scored by the share of good items, citing each fault's file and line;
- nothing at fault but some items unknown -> partial, saying what could not be evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from readyscore.executors.base import MAX_FINDINGS, AuditContext, result
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status

MAX_EVIDENCE = 15


@dataclass
class Finding:
    path: str
    line: int | None
    message: str
    ok: bool
    unknown: bool = False
    score: float = 1.0  # for good items: how strong (a digest 1.0, a tag 0.8 ...)
    strength: EvidenceStrength = EvidenceStrength.IMPLEMENTED


@dataclass
class RuleOutcome:
    findings: list[Finding] = field(default_factory=list)
    not_applicable: str | None = None  # the reason, when the artefact does not exist
    what: str = "items"  # "containers", "Dockerfiles" ... for the summary line
    summary: str | None = None  # overrides the default summary when set

    def good(self, path: str, line: int | None, message: str, score: float = 1.0,
             strength: EvidenceStrength = EvidenceStrength.IMPLEMENTED) -> None:
        self.findings.append(Finding(path, line, message, True, score=score, strength=strength))

    def bad(self, path: str, line: int | None, message: str) -> None:
        self.findings.append(Finding(path, line, message, False))

    def unknown(self, path: str, line: int | None, message: str) -> None:
        self.findings.append(Finding(path, line, message, False, unknown=True))


def to_result(spec: CheckSpec, ctx: AuditContext, outcome: RuleOutcome) -> Result:
    if outcome.not_applicable is not None:
        return result(spec, Status.NOT_APPLICABLE, outcome.not_applicable)
    good = [f for f in outcome.findings if f.ok]
    unknown = [f for f in outcome.findings if f.unknown]
    # Every fault is reported; waivers are scoring's business (readyscore/waivers.py).
    bad = [f for f in outcome.findings if not f.ok and not f.unknown]
    total = len(good) + len(bad) + len(unknown)
    metrics = {"good": len(good), "at_fault": len(bad), "not_evaluated": len(unknown)}
    if total == 0:
        return result(spec, Status.NOT_APPLICABLE, outcome.summary or f"no {outcome.what} to check",
                      metrics=metrics)

    def evidence(findings: list[Finding], strength: EvidenceStrength | None = None) -> list[Evidence]:
        return [Evidence(message=f.message, path=f.path, line=f.line, strength=strength or f.strength)
                for f in findings[:MAX_EVIDENCE]]

    if bad:
        faults = [Evidence(message=f.message, path=f.path, line=f.line, finding=True, rule=spec.id)
                  for f in bad[:MAX_FINDINGS]]
        passing = f"; {len(good)} pass" if good else ""
        summary = outcome.summary or f"{len(bad)} problem(s) in {outcome.what}{passing}"
        return result(spec, Status.FAIL, summary, score=len(good) / total,
                      evidence=faults + evidence(unknown), metrics=metrics, findings=len(bad))
    if unknown:
        summary = outcome.summary or (f"{len(good)} of {total} {outcome.what} pass; "
                                      f"{len(unknown)} could not be evaluated")
        return result(spec, Status.PARTIAL, summary, score=0.5,
                      evidence=evidence(unknown) + evidence(good), strength=EvidenceStrength.DECLARED,
                      metrics=metrics, findings=0)
    strength = min(f.strength for f in good)
    summary = outcome.summary or f"all {len(good)} {outcome.what} pass"
    return result(spec, Status.PASS, summary, score=sum(f.score for f in good) / len(good),
                  evidence=evidence(good), strength=strength, metrics=metrics, findings=0)
