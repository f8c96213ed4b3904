"""bandit's findings as readiness results: selected by severity and rule, scored by density.

A check counts findings per thousand lines of code, and each rule counts at most
`static.per_rule_cap` findings, so a large repository is not punished for its size alone and one
noisy rule cannot swamp the security area. Any counted finding fails the check; how far the score
drops depends on the density (`half_density`: the findings per 1000 lines that halve it).
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from readyscore.executors.base import MAX_FINDINGS, AuditContext, Executor, result
from readyscore.executors.registry import register
from readyscore.executors.static.bandit_run import shared_bandit, start_bandit_in_background
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status
from readyscore.settings.static import StaticSettings

BanditLevel = Literal["low", "medium", "high"]
RANK = {"low": 0, "medium": 1, "high": 2}


class BanditParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severities: list[BanditLevel] = Field(min_length=1, description="bandit severities this check counts")
    only_tests: list[str] = Field(default_factory=list, description="count only these bandit test ids")
    exclude_tests: list[str] = Field(default_factory=list, description="bandit test ids another check covers")
    half_density: float = Field(default=0.5, gt=0, description="findings per 1000 lines that halve the score")
    what: str = "bandit findings"


@register
class BanditFindings(Executor[BanditParams]):
    kind = "bandit_findings"
    Params = BanditParams
    description = ("bandit over the service's Python code (parallel, cached by content hash); fails on findings "
                   "of the given severities, scored by density with a per-rule cap.")

    def timeout_s(self, params: BanditParams, ctx: AuditContext) -> float:
        return max(ctx.options.check_timeout_s, ctx.profile.static.bandit_timeout_s + 60)

    def prefetch(self, params: BanditParams, ctx: AuditContext) -> None:
        if ctx.profile.static.prefetch_bandit and ctx.root is not None:
            start_bandit_in_background(ctx)

    def run(self, spec: CheckSpec, params: BanditParams, ctx: AuditContext) -> Result:
        settings: StaticSettings = ctx.profile.static
        run = shared_bandit(ctx)
        if not run.scanned:
            if run.errors:
                example = next(iter(run.errors.items()))
                return Result.error(spec.id, f"bandit could not scan any of {len(run.errors)} Python file(s); "
                                             f"e.g. {example[0]}: {example[1]}")
            return Result.not_applicable(spec.id, "no Python source of the service's own to scan")
        floor = RANK[settings.min_confidence]
        counted, below_floor = [], 0
        for issue in run.issues:
            severity = str(issue.get("issue_severity", "")).lower()
            test_id = str(issue.get("test_id", ""))
            if severity not in params.severities or test_id in settings.bandit_skips:
                continue
            if (params.only_tests and test_id not in params.only_tests) or test_id in params.exclude_tests:
                continue
            if RANK.get(str(issue.get("issue_confidence", "")).lower(), 0) < floor:
                below_floor += 1
                continue
            counted.append(issue)

        per_rule = Counter(str(i.get("test_id")) for i in counted)
        capped = sum(min(n, settings.per_rule_cap) for n in per_rule.values())
        kloc = max(run.loc, 1) / 1000.0
        density = capped / kloc
        metrics = {"findings": len(counted), "counted_after_rule_cap": capped, "per_rule": dict(per_rule),
                   "lines_of_code": run.loc, "files_scanned": run.scanned, "density_per_kloc": round(density, 3),
                   "below_confidence_floor": below_floor,
                   "files_bandit_could_not_scan": len(run.errors)}
        coverage = (f"; bandit could not scan {len(run.errors)} file(s)" if run.errors else "")
        if not counted:
            return result(spec, Status.PASS, f"no {params.what} in {run.scanned} file(s), {run.loc} lines{coverage}",
                          metrics=metrics, strength=EvidenceStrength.IMPLEMENTED, findings=0)
        counted.sort(key=lambda i: (-RANK.get(str(i.get("issue_severity", "")).lower(), 0),
                                    -RANK.get(str(i.get("issue_confidence", "")).lower(), 0),
                                    i["path"], i.get("line_number") or 0))
        evidence = [Evidence(message=f"{i.get('test_id')} {i.get('test_name')}: {i.get('issue_text')} "
                                     f"(severity {str(i.get('issue_severity')).lower()}, "
                                     f"confidence {str(i.get('issue_confidence')).lower()})",
                             path=i["path"], line=i.get("line_number"), url=i.get("more_info"),
                             finding=True, rule=str(i.get("test_id")))
                    for i in counted[:MAX_FINDINGS]]
        rules = ", ".join(f"{rule} x{n}" for rule, n in per_rule.most_common(6))
        score = 1.0 / (1.0 + density / params.half_density)
        return result(spec, Status.FAIL,
                      f"{len(counted)} {params.what} ({rules}); {density:.2f} per 1000 lines after the per-rule cap"
                      f"{coverage}", score=score, evidence=evidence, metrics=metrics, findings=len(counted))
