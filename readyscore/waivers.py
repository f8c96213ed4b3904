"""Waivers (the project config's `suppressions`), applied in one place: after the checks, to findings.

Executors report every fault they find, each an `Evidence` with `finding: true`, a path and a rule;
the check's raw status and score come from all of them. This module, pure like scoring, then:

- marks each finding a waiver matches (`waived_by`), leaving it in the report;
- waives a check as a whole (`Result.suppressed_by`) only when every fault it found is waived, or
  when a waiver names the check without a path or a rule (a check without per-finding faults, such
  as a live probe, can only be waived that way);
- never touches an error, not_evaluated, not_applicable or passing result: a waiver accepts a
  known risk, it does not stand in for evidence nobody gathered;
- lists, per waiver, the findings and checks it matched, and whether it covered a check whole;
- skips expired waivers, and waivers without an expiry date when the profile requires one.

Scoring computes the scorecard twice from the same results: with waivers (a wholly waived check
leaves the denominator and meets its gates) and without (raw, every finding counts).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from readyscore.config import Suppression
from readyscore.files import matches
from readyscore.model import Result, Status

WAIVABLE = (Status.FAIL, Status.PARTIAL, Status.WARN)


class SuppressionInfo(BaseModel):
    check: str
    path: str | None = None
    rule: str | None = None
    reason: str
    owner: str | None = None
    expires: dt.date | None = None
    active: bool
    ignored_reason: str | None = Field(default=None, description="why an active-looking waiver was not applied")
    matched: list[str] = Field(default_factory=list, description="checks it applied to")
    matched_findings: list[str] = Field(default_factory=list, description="findings it waived, as path:line (rule)")
    whole_check: bool = Field(default=False, description="it matched every finding of its check (or named the "
                                                         "check as a whole), so the check is waived")


def describe(suppression: Suppression) -> str:
    parts = [suppression.reason]
    if suppression.owner:
        parts.append(f"owner {suppression.owner}")
    if suppression.expires:
        parts.append(f"until {suppression.expires.isoformat()}")
    return "; ".join(parts)


def _finding_label(path: str | None, line: int | None, rule: str | None) -> str:
    where = (path or "?") + (f":{line}" if line else "")
    return where + (f" ({rule})" if rule else "")


def _whole_check(suppression: Suppression) -> bool:
    return suppression.path is None and suppression.rule is None


def _matches(suppression: Suppression, path: str | None, rule: str | None) -> bool:
    if suppression.path is not None and (path is None or not matches(path, suppression.path)):
        return False
    if suppression.rule is not None and (rule is None or not matches(rule, suppression.rule)):
        return False
    return True


def _ignored_reason(suppression: Suppression, today: dt.date, require_expiry: bool) -> str | None:
    if not suppression.active(today):
        return f"expired on {suppression.expires.isoformat()}"
    if require_expiry and suppression.expires is None:
        return "this profile requires an expiry date on every waiver"
    return None


def apply_waivers(results: dict[str, Result], suppressions: list[Suppression], today: dt.date,
                  require_expiry: bool = False) -> tuple[dict[str, Result], list[SuppressionInfo]]:
    """The results with waivers applied (copies; the inputs are untouched), and what each waiver matched."""
    out = dict(results)
    infos: list[SuppressionInfo] = []
    per_check: dict[str, list[tuple[Suppression, SuppressionInfo]]] = {}
    for suppression in suppressions:
        ignored = _ignored_reason(suppression, today, require_expiry)
        info = SuppressionInfo(**suppression.model_dump(), active=suppression.active(today), ignored_reason=ignored)
        infos.append(info)
        if ignored is None:
            per_check.setdefault(suppression.check, []).append((suppression, info))

    for check_id, waivers in per_check.items():
        result = results.get(check_id)
        if result is None or result.status not in WAIVABLE:
            continue
        out[check_id] = _waive(result, waivers)
    return out, infos


def _waive(result: Result, waivers: list[tuple[Suppression, SuppressionInfo]]) -> Result:
    evidence = [e.model_copy() for e in result.evidence]
    faults = [e for e in evidence if e.finding]
    applied: list[str] = []
    for suppression, info in waivers:
        hits = [e for e in faults if _matches(suppression, e.path, e.rule)]
        for finding in hits:
            finding.waived_by = finding.waived_by or describe(suppression)
        info.matched_findings.extend(_finding_label(e.path, e.line, e.rule) for e in hits)
        listed_all = result.findings is not None and result.findings == len(faults)
        if _whole_check(suppression) or (hits and listed_all and len(hits) == len(faults)):
            info.whole_check = True
        if hits or info.whole_check:
            info.matched.append(result.check_id)
            applied.append(describe(suppression))

    # The check is waived when a waiver names it whole, or every fault it found is waived (and the
    # evidence lists every fault: beyond the cap nobody can tell what an unlisted fault was).
    whole = next((s for s, _ in waivers if _whole_check(s)), None)
    every_fault = (bool(faults) and result.findings == len(faults) and all(e.waived_by for e in faults))
    update: dict = {"evidence": evidence}
    if whole is not None or every_fault:
        update["suppressed_by"] = "; ".join(dict.fromkeys(applied))
    return result.model_copy(update=update)
