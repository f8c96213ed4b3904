"""The data every layer shares: check definitions, results, and the scorecard.

Measurement (executors) produces `Result`s; scoring turns them into a `Scorecard`; reporters render
a `Report`. Nothing here does I/O.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Strict(BaseModel):
    """Base for every model read from a user's file: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Area(StrEnum):
    SECURITY = "security"
    RELIABILITY = "reliability"
    SCALABILITY = "scalability"
    OBSERVABILITY = "observability"
    PERFORMANCE = "performance"
    DEPLOYMENT = "deployment"
    COMPLIANCE = "compliance"
    COST = "cost"


class Source(StrEnum):
    STATIC = "static"
    DEPLOY = "deploy"
    LIVE = "live"
    LOAD = "load"
    # The service's behaviour under upstream faults, with readyscore playing its model provider.
    RESILIENCE = "resilience"


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    PARTIAL = "partial"
    # A finding worth showing that never blocks a gate (for example active markup from a raw model
    # endpoint that does not claim to sanitise output).
    WARN = "warn"
    NOT_APPLICABLE = "not_applicable"
    NOT_EVALUATED = "not_evaluated"
    ERROR = "error"

    @property
    def evaluated(self) -> bool:
        """Whether the check looked and produced a verdict (it counts as coverage)."""
        return self in (Status.PASS, Status.FAIL, Status.PARTIAL, Status.WARN)

    @property
    def scored(self) -> bool:
        """Whether the verdict belongs in the score's denominator. A warning is information: it
        was looked at (coverage) but neither earns nor costs points (docs/scoring.md)."""
        return self in (Status.PASS, Status.FAIL, Status.PARTIAL)


class EvidenceStrength(StrEnum):
    """How strongly evidence proves a control, weakest first; comparisons follow that order.

    Scoring enforces it (docs/scoring.md): a pass resting on a mention fails, a pass resting on a
    declaration is at most partial, and each gate names the weakest strength it accepts.
    """

    MENTION = "mention"  # a name, a string, a comment, a stub that cannot change the outcome
    DECLARED = "declared"  # listed as a dependency, a config key, a step named in a pipeline
    IMPLEMENTED = "implemented"  # wired into the request path, the code or the deployment
    VERIFIED = "verified"  # observed on the running service

    @property
    def rank(self) -> int:
        return _STRENGTH_ORDER.index(self.value)

    # StrEnum compares as strings ("declared" < "mention"); strength must compare by rank.
    def __lt__(self, other: object) -> bool:
        if isinstance(other, EvidenceStrength):
            return self.rank < other.rank
        return NotImplemented

    def __le__(self, other: object) -> bool:
        if isinstance(other, EvidenceStrength):
            return self.rank <= other.rank
        return NotImplemented

    def __gt__(self, other: object) -> bool:
        if isinstance(other, EvidenceStrength):
            return self.rank > other.rank
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        if isinstance(other, EvidenceStrength):
            return self.rank >= other.rank
        return NotImplemented

    __hash__ = StrEnum.__hash__


_STRENGTH_ORDER = ("mention", "declared", "implemented", "verified")


class Level(IntEnum):
    PROTOTYPE = 0
    FUNCTIONAL = 1
    HARDENED = 2
    PRODUCTION_READY = 3
    ENTERPRISE_GRADE = 4


LEVEL_NAMES = {
    0: "Prototype",
    1: "Functional",
    2: "Hardened",
    3: "Production-Ready",
    4: "Enterprise-Grade",
}


class Reference(Strict):
    title: str
    url: str | None = None


class CheckSpec(Strict):
    """One check of the catalog, as written in `checks/<area>/<id>.yaml`."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$", max_length=80)
    title: str = Field(min_length=3, max_length=200)
    area: Area
    level: int = Field(ge=1, le=4)
    weight: float = Field(gt=0, le=100)
    severity: Severity
    source: Source
    kind: str
    params: dict[str, Any] = Field(default_factory=dict)
    rationale: str
    remediation: str
    references: list[Reference] = Field(default_factory=list)
    # Framework requirement ids this check evidences, e.g. "LLM07:2025", "CIS-Docker-4.1".
    maps_to: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    # File checks of the same control whose result predicts this check's when its source is not
    # gathered (a file-only audit): the estimated score counts the prediction (docs/scoring.md).
    predicted_by: list[str] = Field(default_factory=list)

    @field_validator("references", mode="before")
    @classmethod
    def _plain_strings_are_titles(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"title": item} if isinstance(item, str) else item for item in value]
        return value


class Evidence(BaseModel):
    """One piece of evidence: where it was seen and what it says. Everything is already redacted."""

    model_config = ConfigDict(extra="forbid")

    message: str
    path: str | None = None
    line: int | None = None
    url: str | None = None
    method: str | None = None
    status: int | None = None
    strength: EvidenceStrength | None = None
    # Small excerpt (a code line, a truncated response body); reporters escape it.
    snippet: str | None = None
    # A fault the check found (a committed key, a container without limits): the unit a waiver
    # matches, by `path` and `rule`. Other evidence (what was looked at, what passed) is not waivable.
    finding: bool = False
    rule: str | None = None
    # Set by scoring (readyscore/waivers.py) when a waiver accepted this finding: its description.
    waived_by: str | None = None


class Result(BaseModel):
    """What one executor measured for one check."""

    model_config = ConfigDict(extra="forbid")

    check_id: str
    status: Status
    score: float = Field(ge=0.0, le=1.0, default=0.0)
    message: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    strength: EvidenceStrength | None = None
    duration_s: float = 0.0
    # Structured measurements a reporter may chart (load statistics, counts of skipped files ...).
    metrics: dict[str, Any] = Field(default_factory=dict)
    # How many faults the check found in all; its evidence lists them (`finding: true`) up to a cap.
    # None: the check does not report faults one by one, so only a whole-check waiver applies.
    findings: int | None = None
    # Set by scoring when the strength rule changed the executor's verdict: what it measured.
    measured_status: Status | None = None
    # Set by scoring when waivers accepted every finding of the check (or the check as a whole).
    suppressed_by: str | None = None

    @classmethod
    def not_evaluated(cls, check_id: str, reason: str) -> Result:
        return cls(check_id=check_id, status=Status.NOT_EVALUATED, message=reason)

    @classmethod
    def not_applicable(cls, check_id: str, reason: str) -> Result:
        return cls(check_id=check_id, status=Status.NOT_APPLICABLE, message=reason)

    @classmethod
    def error(cls, check_id: str, reason: str) -> Result:
        return cls(check_id=check_id, status=Status.ERROR, message=reason)
