"""repo-claims-substantiated: what the repository says about its readiness, against the evidence.

Two steps, because a claim is judged by the other checks' results:
1. `run` (with the other file checks) finds the claims in the repository's documents and returns a
   placeholder;
2. `judge`, called by the engine once every other check has finished, decides each claim with the
   pure judge in readyscore/claims/judge.py and turns the verdicts into this check's result.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from readyscore.claims import finder
from readyscore.claims.judge import Evidence as ClaimEvidence
from readyscore.claims.judge import judge
from readyscore.claims.mapping import load_claim_map
from readyscore.claims.records import ClaimRecord, ClaimStatus
from readyscore.executors.base import AuditContext, Executor, result
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status

AWAITING = "the claims are judged after the other checks"
MAX_EVIDENCE = 10


class ClaimsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_file_bytes: int = Field(default=finder.MAX_FILE_BYTES, ge=1024, le=16 * 1024 * 1024)
    max_total_bytes: int = Field(default=finder.MAX_TOTAL_BYTES, ge=1024, le=64 * 1024 * 1024)
    max_files: int = Field(default=finder.MAX_FILES, ge=1, le=5000)


@register
class ClaimsAgainstEvidence(Executor[ClaimsParams]):
    kind = "claims_against_evidence"
    Params = ClaimsParams
    description = ("Finds readiness claims in the repository's documents and judges each against the other "
                   "checks' results (frameworks/claims.yaml); fails when a claim is contradicted.")
    # The engine calls `judge` after every other check (readyscore.engine.judge_after_checks).
    judges_results: ClassVar[bool] = True

    def find(self, params: ClaimsParams, ctx: AuditContext) -> finder.Found:
        limits = finder.Limits(file_bytes=params.max_file_bytes, total_bytes=params.max_total_bytes,
                               files=params.max_files)
        return ctx.shared("claims.found", lambda: finder.find_claims(ctx.files, load_claim_map(), limits))

    def run(self, spec: CheckSpec, params: ClaimsParams, ctx: AuditContext) -> Result:
        found = self.find(params, ctx)
        return Result(check_id=spec.id, status=Status.NOT_EVALUATED, message=AWAITING,
                      metrics={"awaiting_judgement": True, "claims_found": len(found.claims)})

    def judge(self, spec: CheckSpec, params: ClaimsParams, ctx: AuditContext, results: dict[str, Result],
              gates: list, score: float | None) -> tuple[Result, list[ClaimRecord]]:
        found = self.find(params, ctx)
        profile = ctx.profile
        evidence = ClaimEvidence(results=results, gates=gates, score=score,
                                 bands={s.level: s.min_score for s in profile.levels},
                                 level_names={s.level: s.name for s in profile.levels})
        records = judge(found.claims, found.admissions, load_claim_map(), evidence)
        records = [r.model_copy(update={"text": ctx.redactor.redact(r.text) or "",
                                        "reason": ctx.redactor.redact(r.reason) or ""}) for r in records]
        return verdict(spec, records, found), records


def verdict(spec: CheckSpec, records: list[ClaimRecord], found: finder.Found) -> Result:
    """The check's result from the judged claims: any contradiction fails it."""
    counts = {s.value: sum(1 for r in records if r.status == s) for s in ClaimStatus}
    metrics = {"claims": counts, "documents_read": len(found.files_read), "bytes_read": found.bytes_read,
               "truncated": found.truncated[:20], "skipped_documents": found.skipped,
               "admissions": len(found.admissions)}
    summary = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)
    if not records:
        return result(spec, Status.NOT_APPLICABLE, f"no readiness claims in {len(found.files_read)} document(s)",
                      metrics=metrics)
    contradicted = [r for r in records if r.status == ClaimStatus.CONTRADICTED]
    if contradicted:
        evidence = [Evidence(message=r.reason, path=r.path, line=r.line, snippet=r.text)
                    for r in contradicted[:MAX_EVIDENCE]]
        return result(spec, Status.FAIL, f"{len(contradicted)} of {len(records)} claim(s) contradicted ({summary})",
                      evidence=evidence, metrics=metrics)
    substantiated = [r for r in records if r.status == ClaimStatus.SUBSTANTIATED]
    if substantiated:
        evidence = [Evidence(message=r.reason, path=r.path, line=r.line, snippet=r.text,
                             strength=EvidenceStrength.IMPLEMENTED) for r in substantiated[:MAX_EVIDENCE]]
        return result(spec, Status.PASS, f"no claim contradicted ({summary})", evidence=evidence,
                      strength=EvidenceStrength.IMPLEMENTED, metrics=metrics)
    return result(spec, Status.NOT_EVALUATED, f"none of the {len(records)} claim(s) could be judged with the "
                  f"evidence gathered ({summary})", metrics=metrics)
