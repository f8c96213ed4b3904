"""Framework mappings as data: which checks evidence which requirement of an outside framework.

`frameworks/<id>.yaml` lists a framework's requirements (OWASP Top 10 for LLM Applications 2025,
the AWS Generative AI Lens ...) and the catalog check ids behind each. A check that names a
requirement id in its own `maps_to` counts too, so a new check joins a framework without editing
the mapping file. From a report's results this module computes, per requirement, whether it is
covered and whether it passed, failed, warned or was not evaluated. Pure apart from reading the files.

The mapping file's checks are a requirement's *primary* evidence; checks that join through their
own `maps_to` support it (a requirement the file lists no checks for has only primary ones). A
requirement passes only when its primary checks were evaluated and passed: an error or a check not
evaluated makes it not evaluated, a warning makes it a warning, a failure anywhere makes it failed.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import Field, ValidationError, model_validator

from readyscore import paths
from readyscore.model import Status, Strict
from readyscore.yamlfile import ConfigError, load_yaml, require_mapping

MAX_FRAMEWORK_FILES = 100
# Mapping files in the same folder that are not frameworks of requirements (claims.yaml maps a
# repository's own readiness claims to checks; readyscore/claims reads it).
NOT_FRAMEWORKS = {"claims"}


class Requirement(Strict):
    id: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=3, max_length=300)
    risk: Literal["low", "medium", "high"] | None = None
    url: str | None = None
    checks: list[str] = Field(default_factory=list)
    note: str = ""


class Framework(Strict):
    schema_version: Literal[1]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$", max_length=80)
    title: str
    version: str = ""
    url: str | None = None
    description: str = ""
    requirements: list[Requirement] = Field(min_length=1)
    origin: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _unique_requirements(self) -> Framework:
        seen: set[str] = set()
        for requirement in self.requirements:
            if requirement.id in seen:
                raise ValueError(f"requirement {requirement.id!r} is listed twice")
            seen.add(requirement.id)
        return self

    def requirement(self, requirement_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)


def load_framework(path: Path) -> Framework:
    data = require_mapping(path, load_yaml(path), "framework mapping")
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation(path, data, exc) from None
    if framework.id != path.stem:
        raise ConfigError(path, f"id {framework.id!r} must match the file name ({path.stem!r})",
                          line=data.key_lines.get("id"), field="id")
    framework.origin = str(path)
    return framework


def load_frameworks(directory: Path | None = None) -> list[Framework]:
    directory = directory or paths.builtin_frameworks_dir()
    if not directory.is_dir():
        return []
    files = sorted(p for p in directory.iterdir()
                   if p.suffix in (".yaml", ".yml") and p.is_file() and p.stem not in NOT_FRAMEWORKS)
    if len(files) > MAX_FRAMEWORK_FILES:
        raise ConfigError(directory, f"holds {len(files)} framework files; the limit is {MAX_FRAMEWORK_FILES}")
    return [load_framework(p) for p in files]


def find_framework(framework_id: str, directory: Path | None = None) -> Framework | None:
    return next((f for f in load_frameworks(directory) if f.id == framework_id), None)


# --------------------------------------------------------------------------------------------
# Coverage from results


class RequirementStatus(StrEnum):
    PASSED = "passed"  # every primary check evaluated and passed (or not applicable), nothing failed
    FAILED = "failed"  # a mapped check failed or passed only partly
    WARNING = "warning"  # nothing failed, but a check warned: information, never a pass
    NOT_EVALUATED = "not_evaluated"  # a primary check errored, was not evaluated or is not in the audit
    NOT_APPLICABLE = "not_applicable"  # every mapped check says the risk does not apply here
    NOT_COVERED = "not_covered"  # no readyscore check evidences this requirement


class ResultLike(Protocol):
    check_id: str
    status: Status
    maps_to: list[str]


def checks_for(requirement: Requirement, results: list[ResultLike]) -> list[str]:
    """The mapping file's checks, then any other check whose `maps_to` names the requirement."""
    ids = list(requirement.checks)
    ids += [r.check_id for r in results if requirement.id in r.maps_to and r.check_id not in ids]
    return ids


def primary_checks(requirement: Requirement, ids: list[str]) -> list[str]:
    """The checks whose verdicts a pass needs: the mapping file's, or all when it lists none."""
    return list(requirement.checks) or ids


def requirement_status(primary: list[Status | None], supporting: list[Status | None] = ()) -> RequirementStatus:
    """`None`: the check is not in this audit (outside the profile's model)."""
    if not primary and not supporting:
        return RequirementStatus.NOT_COVERED
    everything = [*primary, *supporting]
    if any(s in (Status.FAIL, Status.PARTIAL) for s in everything):
        return RequirementStatus.FAILED
    if any(s in (Status.ERROR, Status.NOT_EVALUATED, None) for s in primary):
        return RequirementStatus.NOT_EVALUATED
    if all(s == Status.NOT_APPLICABLE for s in primary):
        return RequirementStatus.NOT_APPLICABLE
    if any(s == Status.WARN for s in everything):
        return RequirementStatus.WARNING
    return RequirementStatus.PASSED


def coverage(framework: Framework, results: list[ResultLike]) -> dict[str, Any]:
    """Per requirement: covered, status and the mapped checks with their statuses."""
    by_id = {r.check_id: r for r in results}
    rows = []
    summary = {s.value: 0 for s in RequirementStatus}
    for requirement in framework.requirements:
        ids = checks_for(requirement, results)
        primary = primary_checks(requirement, ids)
        checks = [{"id": cid, "status": by_id[cid].status.value if cid in by_id else "not_in_audit",
                   "primary": cid in primary} for cid in ids]
        status = requirement_status([by_id[cid].status if cid in by_id else None for cid in primary],
                                    [by_id[cid].status if cid in by_id else None for cid in ids if cid not in primary])
        summary[status.value] += 1
        rows.append({"id": requirement.id, "title": requirement.title, "risk": requirement.risk,
                     "url": requirement.url, "note": requirement.note, "covered": bool(ids),
                     "status": status.value, "checks": checks,
                     "warnings": sum(1 for c in checks if c["status"] == Status.WARN.value)})
    return {"id": framework.id, "title": framework.title, "version": framework.version, "url": framework.url,
            "requirements": rows, "summary": {"total": len(rows), "covered": sum(r["covered"] for r in rows),
                                              **summary}}


def catalog_mappings() -> list[ResultLike]:
    """The built-in catalog as unevaluated results: which checks map where, before any audit."""
    from types import SimpleNamespace

    from readyscore.catalog import load_catalog

    return [SimpleNamespace(check_id=spec.id, status=Status.NOT_EVALUATED, maps_to=spec.maps_to)
            for spec in load_catalog().specs]


def report_section(results: list[ResultLike], directory: Path | None = None) -> dict[str, Any]:
    """The `frameworks` section of a report. A broken mapping file never breaks an audit."""
    try:
        frameworks = load_frameworks(directory)
    except ConfigError as exc:
        return {"frameworks": [], "error": str(exc)}
    return {"frameworks": [coverage(f, results) for f in frameworks]}
