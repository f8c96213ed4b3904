"""Profiles, the project config (readyscore.yaml) and the options of one audit.

A profile is the readiness model a team holds itself to: area weights, level bands and gates,
per-check overrides and the settings of each check family. The project config lives in the
audited repository and says which profile, which URL, which suppressions.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from readyscore import paths
from readyscore.model import LEVEL_NAMES, Area, EvidenceStrength, Severity, Source, Strict
from readyscore.settings import (DeploySettings, LiveSettings, LlmSettings, LoadSettings, ResilienceSettings,
                                 StaticSettings)
from readyscore.yamlfile import ConfigError, LineDict, load_yaml, require_mapping

PROFILE_SCHEMA_VERSION = 1
PROJECT_CONFIG_NAMES = ("readyscore.yaml", "readyscore.yml", ".readyscore.yaml")
SETTINGS_SECTIONS = ("static", "deploy", "live", "load", "llm", "resilience")


class GateSpec(Strict):
    """A condition a level requires. Every list given must hold.

    - all_of: every check passes;
    - any_of: at least one check passes;
    - first_of: evidence ordered strongest first (live before static, say): the first check that
      was evaluated decides, so a limiter in the code cannot pass a gate the live service fails.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    title: str
    all_of: list[str] = Field(default_factory=list)
    any_of: list[str] = Field(default_factory=list)
    first_of: list[str] = Field(default_factory=list)
    # The weakest evidence that meets this gate; unset: the profile's `gate_strength` for this
    # gate, else implemented (file evidence of a wired-in control). See docs/scoring.md.
    min_strength: EvidenceStrength | None = None

    @model_validator(mode="after")
    def _names_some_check(self) -> GateSpec:
        if not (self.all_of or self.any_of or self.first_of):
            raise ValueError("a gate needs at least one of all_of, any_of, first_of")
        return self

    def check_ids(self) -> list[str]:
        return [*self.all_of, *self.any_of, *self.first_of]


class LevelSpec(Strict):
    level: int = Field(ge=1, le=4)
    name: str
    min_score: float = Field(ge=0, le=100)
    gates: list[GateSpec] = Field(default_factory=list)


class WaiverPolicy(Strict):
    """What a profile asks of the waivers (suppressions) a project writes."""

    # A waiver without an expiry date is listed but not applied (an accepted risk is temporary).
    require_expiry: bool = False


class CheckOverride(Strict):
    enabled: bool = True
    weight: float | None = Field(default=None, gt=0, le=100)
    severity: Severity | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class Profile(Strict):
    schema_version: Literal[1]
    name: str
    description: str = ""
    extends: str | None = None
    # Which check sources belong to this readiness model at all (ci-fast: static and deploy only).
    sources: list[Source] = Field(default_factory=lambda: list(Source))
    area_weights: dict[Area, float]
    levels: list[LevelSpec]
    checks: dict[str, CheckOverride] = Field(default_factory=dict)
    # Per gate id: the weakest evidence that meets it (e.g. `rate-limiting: verified` asks for a 429
    # seen live). A profile that extends another raises strengths here without copying the ladder.
    gate_strength: dict[str, EvidenceStrength] = Field(default_factory=dict)
    waivers: WaiverPolicy = Field(default_factory=WaiverPolicy)
    static: StaticSettings = Field(default_factory=StaticSettings)
    deploy: DeploySettings = Field(default_factory=DeploySettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    load: LoadSettings = Field(default_factory=LoadSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    resilience: ResilienceSettings = Field(default_factory=ResilienceSettings)
    # Where the profile was read from; set by the loader, not by the file.
    origin: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _levels_are_a_ladder(self) -> Profile:
        numbers = [spec.level for spec in self.levels]
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise ValueError("levels must be 1, 2, ... without gaps or repeats")
        bands = [spec.min_score for spec in sorted(self.levels, key=lambda s: s.level)]
        if bands != sorted(bands):
            raise ValueError("min_score must not decrease from one level to the next")
        if not any(weight > 0 for weight in self.area_weights.values()):
            raise ValueError("at least one area needs a positive weight")
        gate_ids = {gate.id for spec in self.levels for gate in spec.gates}
        unknown = sorted(set(self.gate_strength) - gate_ids)
        if unknown:
            raise ValueError(f"gate_strength names unknown gate(s): {', '.join(unknown)}")
        return self

    def min_strength(self, gate: GateSpec) -> EvidenceStrength:
        """The weakest evidence that meets `gate` under this profile."""
        return self.gate_strength.get(gate.id) or gate.min_strength or EvidenceStrength.IMPLEMENTED

    def level_name(self, level: int) -> str:
        for spec in self.levels:
            if spec.level == level:
                return spec.name
        return LEVEL_NAMES.get(level, f"Level {level}")


class Suppression(Strict):
    """An accepted risk: auditable, owned, and (ideally) temporary."""

    check: str
    # Which findings it accepts: a glob over the finding's path and one over its rule (a bandit
    # test id, a secret rule). Neither given: every finding of the check, or the check as a whole.
    path: str | None = None
    rule: str | None = None
    reason: str = Field(min_length=3)
    owner: str | None = None
    expires: dt.date | None = None

    def active(self, today: dt.date) -> bool:
        return self.expires is None or today <= self.expires


class ScopeConfig(Strict):
    """Which paths make up the service (see readyscore/scope.py): globs relative to the root."""

    include: list[str] = Field(default_factory=list, description="brought into scope even under examples/, docs/ ...")
    exclude: list[str] = Field(default_factory=list, description="left out of scope: still scanned for secrets, "
                                                                 "never judged for readiness")


class ProjectConfig(Strict):
    schema_version: Literal[1] = 1
    profile: str | None = None
    url: str | None = None
    fail_under: float | None = Field(default=None, ge=0, le=100)
    min_level: int | None = Field(default=None, ge=0, le=4)
    # Paths (globs, relative to the audited root) that no file-based check reads.
    exclude: list[str] = Field(default_factory=list)
    # What is the deployable service and what is tutorial, example or docs (readiness checks read
    # only the former; secrets are looked for everywhere).
    scope: ScopeConfig = Field(default_factory=ScopeConfig)
    suppressions: list[Suppression] = Field(default_factory=list)
    # Partial family settings, merged over the profile's.
    static: dict[str, Any] = Field(default_factory=dict)
    deploy: dict[str, Any] = Field(default_factory=dict)
    live: dict[str, Any] = Field(default_factory=dict)
    load: dict[str, Any] = Field(default_factory=dict)
    llm: dict[str, Any] = Field(default_factory=dict)
    resilience: dict[str, Any] = Field(default_factory=dict)
    origin: str = Field(default="", exclude=True)
    # The family sections as read (LineDicts): validation turns them into plain dicts, which
    # forget their lines, and the family settings are only validated later, against the profile.
    _read_sections: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _base_url(cls, url: str | None) -> str | None:
        return check_base_url(url) if url is not None else None


def _flag(name: str, **kwargs: Any) -> Any:
    """A field set from the command line: `flag` is how usage errors name it."""
    return Field(json_schema_extra={"flag": name}, **kwargs)


class ResilienceTarget(BaseModel):
    """How the audited service reaches readyscore's fake upstream (the resilience run).

    Either readyscore starts the service (`service_cmd`, with `upstream_env` set to the upstream's
    URL) or the service is already running and calls `listen_host:listen_port`.
    """

    model_config = ConfigDict(extra="forbid")

    upstream_env: str | None = None
    service_cmd: str | list[str] | None = None
    service_url: str | None = None  # where the started service answers; default: --url ({port} allowed)
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=0, ge=0, le=65535)
    service_env: dict[str, str] = Field(default_factory=dict)  # extra variables for the started service
    settings: dict[str, Any] = Field(default_factory=dict)  # overrides of the profile's resilience settings

    @property
    def starts_service(self) -> bool:
        return self.service_cmd is not None


class AuditOptions(BaseModel):
    """Everything the command line says about one audit, validated once, read by the CLI (gates,
    reports) and the engine and executors (what to audit and how). Nothing here comes from a file:
    the project config's url and gates are merged in by `with_project_defaults`.

    A new audit flag is a field here (with its `flag` name), an option of `readyscore audit` that
    sets it, and the code that reads it (see docs/architecture.md, "Adding a command-line flag").
    """

    model_config = ConfigDict(extra="forbid")

    # What is audited --------------------------------------------------------------------------
    root: Path | None = _flag("PATH", default=None)
    url: str | None = _flag("--url", default=None)
    # How reports name the target when the path would mislead (the demo's tree is in site-packages).
    target_label: str | None = None
    sources: set[Source] | None = _flag("--sources", default=None)  # narrows the profile's; None = all
    probes: list[str] = _flag("--probe", default_factory=list)  # id globs selecting live/llm probes
    checks_dirs: list[Path] = _flag("--checks-dir", default_factory=list)
    profile: str | None = _flag("--profile", default=None)  # None: the project config's, else "default"
    config_file: Path | None = _flag("--config", default=None)
    # How it is measured -----------------------------------------------------------------------
    check_timeout_s: float = _flag("--timeout", default=120.0, gt=0)
    deadline_s: float = _flag("--deadline", default=900.0, gt=0)
    concurrency: int = Field(default=8, ge=1)
    api_key_env: str = _flag("--api-key-env", default="READYSCORE_API_KEY", min_length=1)
    allow_load_on: list[str] = _flag("--allow-load-on", default_factory=list)
    processes: int = _flag("--processes", default=1, ge=1, le=64)
    sweep: bool = _flag("--sweep", default=False)
    # The resilience run: --upstream-env/--service-cmd or --upstream-listen (cli_resilience.py);
    # None: the resilience checks are not evaluated.
    resilience: ResilienceTarget | None = _flag("--upstream-env/--service-cmd/--upstream-listen", default=None)
    show_progress: bool = True
    # Gates: what fails the build (exit 1), kept apart from what is shown ------------------------
    fail_under: float | None = _flag("--fail-under", default=None, ge=0, le=100)
    min_level: int | None = _flag("--min-level", default=None, ge=0, le=4)
    # For file-only audits: the level the evidence supports once pending gates are verified.
    min_level_if_verified: int | None = _flag("--min-level-if-verified", default=None, ge=0, le=4)
    fail_on: Severity | None = _flag("--fail-on", default=None)
    baseline: Path | None = _flag("--baseline", default=None)
    fail_on_regression: bool = _flag("--fail-on-regression", default=False)
    fail_on_contradicted_claims: bool = _flag("--fail-on-contradicted-claims", default=False)
    history: Path | None = _flag("--history", default=None)
    # Where the reports go ---------------------------------------------------------------------
    output: Path = _flag("--output", default=Path("reports"))
    formats: list[str] = _flag("--format", default_factory=lambda: list(DEFAULT_FORMATS))
    quiet: bool = _flag("--quiet", default=False)

    @field_validator("url")
    @classmethod
    def _base_url(cls, url: str | None) -> str | None:
        return check_base_url(url).rstrip("/") if url is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> AuditOptions:
        if self.fail_on_regression and self.baseline is None:
            raise ValueError("--fail-on-regression needs --baseline OLD.json (the report to compare with)")
        return self

    @classmethod
    def flag_of(cls, field_name: str) -> str:
        extra = cls.model_fields[field_name].json_schema_extra if field_name in cls.model_fields else None
        return extra["flag"] if isinstance(extra, dict) and "flag" in extra else field_name

    def with_project_defaults(self, project: ProjectConfig) -> AuditOptions:
        """What the command line left open, filled from the project config (the flag wins)."""
        update: dict[str, Any] = {}
        for name in ("url", "fail_under", "min_level", "profile"):
            if getattr(self, name) is None and getattr(project, name) is not None:
                update[name] = getattr(project, name)
        if "url" in update:
            update["url"] = check_base_url(update["url"]).rstrip("/")
        return self.model_copy(update=update) if update else self


DEFAULT_FORMATS = ("terminal", "json", "html")


def check_base_url(url: str) -> str:
    """The URL when it is an http(s) URL with a host; else ValueError saying what is wrong."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise ValueError(f"{url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r}: give an http:// or https:// base URL with a host")
    return url


# --------------------------------------------------------------------------------------------
# Loading


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = LineDict(base)
    if isinstance(override, LineDict):
        merged.line = override.line
        merged.key_lines = {**getattr(base, "key_lines", {}), **override.key_lines}
    else:
        merged.line = getattr(base, "line", 0)
        merged.key_lines = dict(getattr(base, "key_lines", {}))
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def builtin_profile_names() -> list[str]:
    return sorted(p.stem for p in paths.builtin_profiles_dir().glob("*.yaml"))


def resolve_profile_path(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or os.sep in name_or_path or "/" in name_or_path:
        return candidate
    builtin = paths.builtin_profiles_dir() / f"{name_or_path}.yaml"
    if builtin.exists():
        return builtin
    known = ", ".join(builtin_profile_names())
    raise ConfigError(name_or_path, f"no such profile; built-in profiles are: {known} "
                                    "(or give the path of a YAML file)")


def _read_profile_data(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    data = require_mapping(path, load_yaml(path), "profile")
    parent = data.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(path, "must be the name or path of a profile", line=data.key_lines.get("extends"),
                          field="extends")
    parent_path = resolve_profile_path(parent)
    if not parent_path.is_absolute() and not parent_path.exists():
        parent_path = path.parent / parent_path
    if parent_path.resolve() in seen:
        raise ConfigError(path, "profiles extend each other in a loop", line=data.key_lines.get("extends"),
                          field="extends")
    base = _read_profile_data(parent_path, (*seen, path.resolve()))
    base = LineDict({k: v for k, v in base.items() if k != "extends"})
    return _deep_merge(base, data)


def load_profile(name_or_path: str) -> Profile:
    path = resolve_profile_path(name_or_path)
    data = _read_profile_data(path)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation(path, data, exc) from None
    profile.origin = str(path)
    return profile


def find_project_config(root: Path | None) -> Path | None:
    if root is None or not root.is_dir():
        return None
    for name in PROJECT_CONFIG_NAMES:
        if (root / name).is_file():
            return root / name
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            with pyproject.open("rb") as handle:
                if "readyscore" in tomllib.load(handle).get("tool", {}):
                    return pyproject
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
            return None  # a broken pyproject is the static checks' business, not a config error
    return None


def load_project_config(path: Path) -> ProjectConfig:
    if path.name == "pyproject.toml":
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)["tool"]["readyscore"]
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(path, f"invalid TOML: {exc}") from None
        prefix: tuple[str | int, ...] = ("tool", "readyscore")
    else:
        data = require_mapping(path, load_yaml(path), "project config")
        prefix = ()
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation(path, data, exc, prefix=prefix) from None
    config.origin = str(path)
    config._read_sections = {s: data[s] for s in SETTINGS_SECTIONS if isinstance(data.get(s), dict)}
    return config


def apply_project_settings(profile: Profile, project: ProjectConfig) -> Profile:
    """The profile with the project's partial family settings merged over its own."""
    updates: dict[str, Any] = {}
    for section in SETTINGS_SECTIONS:
        override = getattr(project, section)
        if not override:
            continue
        current = getattr(profile, section)
        merged = _deep_merge(current.model_dump(), override)
        try:
            updates[section] = type(current).model_validate(merged)
        except ValidationError as exc:
            read = project._read_sections.get(section, override)
            raise ConfigError.from_validation(project.origin, read, exc, prefix=(section,)) from None
    return profile.model_copy(update=updates) if updates else profile
