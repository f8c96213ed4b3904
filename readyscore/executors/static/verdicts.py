"""Pure verdicts of the code checks: from gathered findings to a status (no I/O, no syntax trees).

The collectors (service_graph.py, capability_findings.py, coverage.py) gather raw findings once
per audit; these functions only decide. The rules, weakest evidence first:

- a mention (a name, a string, a header read and passed on, a stub, a function nothing calls)
  never passes: with nothing stronger the capability check fails and shows the mention;
- a declared dependency, a config key, a library imported but never wired: at most partial;
- a mechanism wired into the serving path: pass, strength `implemented`.

Unread files: every verdict names the service's code files it could not read. A verdict that
rests on absence (a hazard check's "none found") is partial when the unread share is material
(coverage.MATERIAL_UNREAD_SHARE); a capability that was found stays found, since what was not read
cannot take it away. Nothing to judge is `not_applicable` only when the tree holds no code of the
service in any language; when its code could not be read, or is in a language these checks do
not read, the verdict is `not_evaluated`. Both families share this rule. A capability check that
found nothing is also `not_evaluated` when the code in languages it does not read outnumbers what
it read (coverage.OTHER_LANGUAGE_MAJORITY) and the Python it read serves no route: three helper
scripts are no ground for "no evidence";
a hazard check that found none there is `not_evaluated` by the same rule (a hazard found is found).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from readyscore.executors.static.coverage import MATERIAL_UNREAD_SHARE, CodeCoverage
from readyscore.model import Evidence, EvidenceStrength, Status

MAX_EVIDENCE = 10


@dataclass(frozen=True)
class Verdict:
    status: Status
    message: str
    strength: EvidenceStrength | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass
class CapabilityFindings:
    what: str
    implemented: list[Evidence] = field(default_factory=list)
    declared: list[Evidence] = field(default_factory=list)
    mentions: list[Evidence] = field(default_factory=list)
    notes: list[Evidence] = field(default_factory=list)  # shown on a fail (module-level dicts ...)
    coverage: CodeCoverage = field(default_factory=CodeCoverage)


def unread_evidence(coverage: CodeCoverage) -> list[Evidence]:
    return [Evidence(message=f"could not read: {why}", path=path) for path, why, _ in coverage.unread[:MAX_EVIDENCE]]


def _where(evidence: Evidence) -> str:
    return f"{evidence.path}:{evidence.line}" if evidence.line else (evidence.path or "")


def _unread_suffix(coverage: CodeCoverage) -> str:
    return f"; {coverage.unread_note()}" if coverage.unread else ""


def capability_verdict(found: CapabilityFindings) -> Verdict:
    coverage, what = found.coverage, found.what
    unread = unread_evidence(coverage)
    if found.implemented:
        first = found.implemented[0]
        files = {e.path for e in found.implemented if e.path}
        more = f" and {len(found.implemented) - 1} more in {len(files)} file(s)" if len(found.implemented) > 1 else ""
        return Verdict(Status.PASS, f"{what}: {first.message} ({_where(first)}){more}{_unread_suffix(coverage)}",
                       EvidenceStrength.IMPLEMENTED, tuple(found.implemented[:MAX_EVIDENCE] + unread))
    if found.declared:
        names = ", ".join(e.message for e in found.declared[:3])
        mentioned = f"; also {len(found.mentions)} mention(s)" if found.mentions else ""
        return Verdict(Status.PARTIAL, f"{what}: declared only ({names}); nothing wires it into the serving path"
                                       f"{mentioned}{_unread_suffix(coverage)}",
                       EvidenceStrength.DECLARED,
                       tuple(found.declared[:MAX_EVIDENCE] + found.mentions[:3] + unread))
    if coverage.no_code:
        return Verdict(Status.NOT_APPLICABLE, f"the tree holds no code of the service: no {what} to look for")
    if not coverage.read_files:
        return Verdict(Status.NOT_EVALUATED, f"{what} not looked for: {coverage.why_not_read()}",
                       evidence=tuple(unread))
    if coverage.mostly_other_languages:  # a few scripts read: no absence to judge in the code that matters
        return Verdict(Status.NOT_EVALUATED, f"{what} not looked for: {coverage.why_not_read()}",
                       evidence=tuple(found.mentions[:3] + unread))
    extra = "; state is kept in module-level dicts" if found.notes else ""
    if found.mentions:
        first = found.mentions[0]
        return Verdict(Status.FAIL, f"{what}: only mentioned, not implemented: {first.message} ({_where(first)})"
                                    + (f" and {len(found.mentions) - 1} more" if len(found.mentions) > 1 else "")
                                    + "; a name, a stub or a function no route reaches is not a control"
                                    + extra + _unread_suffix(coverage),
                       EvidenceStrength.MENTION, tuple(found.mentions[:MAX_EVIDENCE] + found.notes[:3] + unread))
    return Verdict(Status.FAIL, f"no evidence of {what} in {coverage.read_note()} or the declared "
                                f"dependencies{extra}{_unread_suffix(coverage)}",
                   evidence=tuple(found.notes[:MAX_EVIDENCE] + unread))


def hazard_verdict(what: str, findings: int, files_hit: int, coverage: CodeCoverage, extra: str = "") -> Verdict:
    """`findings` hazards in `files_hit` files; `extra` is appended to a fail message ("with credentials")."""
    unread = tuple(unread_evidence(coverage))
    if coverage.no_code:
        return Verdict(Status.NOT_APPLICABLE, "the tree holds no code of the service: nothing to analyse")
    if not coverage.read_files:
        return Verdict(Status.NOT_EVALUATED, f"not analysed: {coverage.why_not_read()}", evidence=unread)
    if findings:
        return Verdict(Status.FAIL, f"{findings} {what} in {files_hit} file(s){extra}{_unread_suffix(coverage)}",
                       evidence=unread)
    if coverage.mostly_other_languages:  # none in a few scripts says nothing of the service
        return Verdict(Status.NOT_EVALUATED, f"not analysed: {coverage.why_not_read()}", evidence=unread)
    if coverage.material:
        return Verdict(Status.PARTIAL, f"no {what} in the {coverage.read_files} Python file(s) read, but "
                                       f"{coverage.unread_share:.0%} of the service's Python code is unread (more than "
                                       f"{MATERIAL_UNREAD_SHARE:.0%}): {coverage.unread_note()}", evidence=unread)
    return Verdict(Status.PASS, f"no {what} in {coverage.read_files} Python file(s){_unread_suffix(coverage)}",
                   evidence=unread)
