"""What the finder finds and the judge decides: claims, admissions, and the report's claim rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, Field


class ClaimKind(StrEnum):
    STATEMENT = "statement"  # "production-ready", "enterprise-grade": stands for a readiness level
    LEVEL = "level"  # "Level 3"
    SCORE = "score"  # "65/100"
    CHECKLIST = "checklist"  # a ticked item ("- [x] JWT authentication", "✅ Rate limiting")
    CAPABILITY = "capability"  # a sentence under a readiness heading, or in a README's introduction
    COMPLIANCE = "compliance"  # GDPR, SOC 2, HIPAA, ISO 27001 ...


class ClaimStatus(StrEnum):
    SUBSTANTIATED = "substantiated"  # the mapped evidence passed, at the strength it needs
    CONTRADICTED = "contradicted"  # mapped evidence failed, or the repository's own text admits the opposite
    UNPROVEN = "unproven"  # no evidence either way in this audit (the reason names what would settle it)
    OUT_OF_REACH = "out_of_reach"  # a certification or promise no check can judge; never substantiated


# Worst first: how reports order claims.
STATUS_ORDER = [ClaimStatus.CONTRADICTED, ClaimStatus.UNPROVEN, ClaimStatus.OUT_OF_REACH, ClaimStatus.SUBSTANTIATED]


@dataclass
class Claim:
    text: str
    path: str
    line: int
    kind: ClaimKind
    refs: list[str]  # ids in the claims mapping (statement, capability or compliance ids)
    value: float | None = None  # the stated level or score
    also_at: list[int] = field(default_factory=list)  # further lines of the same file saying the same


@dataclass
class Admission:
    """An open item ("- [ ] Configure rate limiting", "For production, add: Authentication")."""

    text: str
    path: str
    line: int
    refs: list[str]  # capability ids it admits are missing

    def where(self) -> str:
        return f"{self.path}:{self.line}"


class ClaimRecord(BaseModel):
    """One claim in report.json (`claims`)."""

    text: str = Field(description="the claim as written (one line, capped; escape when rendering)")
    path: str
    line: int
    kind: ClaimKind
    status: ClaimStatus
    checks: list[str] = Field(default_factory=list, description="the checks whose results decided it")
    reason: str = ""
    claim: list[str] = Field(default_factory=list, description="ids of the claims mapping it matched")
    also_at: list[int] = Field(default_factory=list, description="other lines of the file saying the same")
