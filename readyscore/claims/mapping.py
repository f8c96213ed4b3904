"""frameworks/claims.yaml: which patterns make a claim, and which evidence would substantiate it.

Data, not code (like the OWASP and GenAI Lens mappings beside it): a new capability claim is a new
entry in the file. Validated strictly, every regex compiled up front, so a broken mapping is a
clear error naming its file, line and field, never a crash in the middle of an audit.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from readyscore import paths
from readyscore.model import EvidenceStrength, Strict
from readyscore.yamlfile import ConfigError, load_yaml, require_mapping

MAPPING_FILE = "claims.yaml"
MAX_PATTERN_CHARS = 200


def _compile_all(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        if len(pattern) > MAX_PATTERN_CHARS:
            raise ValueError(f"pattern longer than {MAX_PATTERN_CHARS} characters: {pattern[:40]!r}...")
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
    return patterns


def _regex(patterns: list[str]) -> re.Pattern[str] | None:
    """One alternation of the patterns (None when there are none): one scan per line, not N."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


class Patterned(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    title: str = Field(min_length=2, max_length=120)
    patterns: list[str] = Field(min_length=1)

    _check_patterns = field_validator("patterns")(classmethod(lambda cls, v: _compile_all(v)))

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return _regex(self.patterns)  # type: ignore[return-value]


class Statement(Patterned):
    """An overall readiness statement ("production-ready"): stands for a level of the profile."""

    level: int = Field(ge=1, le=4)


class Capability(Patterned):
    gates: list[str] = Field(default_factory=list, description="profile gate ids; their outcomes decide")
    checks: list[str] = Field(default_factory=list, description="check ids, strongest first (without gates)")
    level: int | None = Field(default=None, ge=1, le=4)
    min_strength: EvidenceStrength | None = EvidenceStrength.IMPLEMENTED

    @model_validator(mode="after")
    def _names_evidence(self) -> Capability:
        if not (self.gates or self.checks):
            raise ValueError(f"capability {self.id!r} needs gates or checks")
        return self


class ComplianceClaim(Patterned):
    related: list[str] = Field(default_factory=list)


class Compliance(Strict):
    context: list[str] = Field(min_length=1)
    claims: list[ComplianceClaim] = Field(default_factory=list)

    _check_patterns = field_validator("context")(classmethod(lambda cls, v: _compile_all(v)))

    @cached_property
    def context_regex(self) -> re.Pattern[str]:
        return _regex(self.context)  # type: ignore[return-value]


class Syntax(Strict):
    checked_marks: list[str] = Field(default_factory=list)
    unchecked_marks: list[str] = Field(default_factory=list)
    admission_phrases: list[str] = Field(default_factory=list)
    open_scopes: list[str] = Field(default_factory=list)
    claim_scopes: list[str] = Field(default_factory=list)
    # A heading or label that gives the reader advice ("Best practices", "To minimize security
    # risks when running X:"): the lines below it say what the reader should do, not what the
    # service does, so they are no claims even where a claim scope matches too.
    advice_scopes: list[str] = Field(default_factory=list)
    not_admitting: list[str] = Field(default_factory=list)
    negations: list[str] = Field(default_factory=list)

    _check_patterns = field_validator("admission_phrases", "open_scopes", "claim_scopes", "advice_scopes",
                                      "not_admitting", "negations")(classmethod(lambda cls, v: _compile_all(v)))

    @cached_property
    def admission(self) -> re.Pattern[str] | None:
        return _regex(self.admission_phrases)

    @cached_property
    def open_scope(self) -> re.Pattern[str] | None:
        return _regex(self.open_scopes)

    @cached_property
    def claim_scope(self) -> re.Pattern[str] | None:
        return _regex(self.claim_scopes)

    @cached_property
    def advice_scope(self) -> re.Pattern[str] | None:
        return _regex(self.advice_scopes)

    @cached_property
    def not_admitting_regex(self) -> re.Pattern[str] | None:
        return _regex(self.not_admitting)

    @cached_property
    def negation(self) -> re.Pattern[str] | None:
        return _regex(self.negations)


class Stated(Strict):
    context: list[str] = Field(min_length=1)
    level: str
    score: str

    _check_patterns = field_validator("context")(classmethod(lambda cls, v: _compile_all(v)))

    @field_validator("level", "score")
    @classmethod
    def _one_group(cls, value: str) -> str:
        _compile_all([value])
        if re.compile(value).groups != 1:
            raise ValueError(f"pattern {value!r} needs exactly one group (the number)")
        return value

    @cached_property
    def context_regex(self) -> re.Pattern[str]:
        return _regex(self.context)  # type: ignore[return-value]

    @cached_property
    def level_regex(self) -> re.Pattern[str]:
        return re.compile(self.level, re.IGNORECASE)

    @cached_property
    def score_regex(self) -> re.Pattern[str]:
        return re.compile(self.score, re.IGNORECASE)


class ClaimMap(Strict):
    schema_version: Literal[1]
    id: Literal["claims"]
    title: str
    description: str = ""
    files: list[str] = Field(min_length=1)
    # Documents under `files` that say what someone proposes or decided, not what the service is.
    exclude: list[str] = Field(default_factory=list)
    suffixes: list[str] = Field(default_factory=lambda: [".md", ".txt", ".rst", ""])
    syntax: Syntax = Field(default_factory=Syntax)
    score_tolerance: float = Field(default=5.0, ge=0, le=100)
    statements: list[Statement] = Field(default_factory=list)
    stated: Stated | None = None
    capabilities: list[Capability] = Field(default_factory=list)
    compliance: Compliance | None = None
    origin: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _unique_ids(self) -> ClaimMap:
        seen: set[str] = set()
        entries = [*self.statements, *self.capabilities, *(self.compliance.claims if self.compliance else [])]
        for entry in entries:
            if entry.id in seen:
                raise ValueError(f"claim id {entry.id!r} is listed twice")
            seen.add(entry.id)
        return self

    def capability(self, capability_id: str) -> Capability | None:
        return next((c for c in self.capabilities if c.id == capability_id), None)

    def unknown_references(self, check_ids: set[str], gate_ids: set[str]) -> list[str]:
        """Check and gate ids the mapping names that the catalog or profile does not have."""
        problems = []
        for cap in self.capabilities:
            problems += [f"{cap.id}: unknown gate {g!r}" for g in cap.gates if g not in gate_ids]
            problems += [f"{cap.id}: unknown check {c!r}" for c in cap.checks if c not in check_ids]
        for claim in self.compliance.claims if self.compliance else []:
            problems += [f"{claim.id}: unknown check {c!r}" for c in claim.related if c not in check_ids]
        return problems


def load_claim_map(path: Path | None = None) -> ClaimMap:
    path = path or paths.builtin_frameworks_dir() / MAPPING_FILE
    data = require_mapping(path, load_yaml(path), "claims mapping")
    try:
        mapping = ClaimMap.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation(path, data, exc) from None
    mapping.origin = str(path)
    return mapping
