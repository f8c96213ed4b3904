"""Repository hygiene: which files a production-ready repository has, and which it must not have."""

from __future__ import annotations

import re

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from readyscore.executors.base import MAX_FINDINGS, AuditContext, Executor, result
from readyscore.executors.registry import register
from readyscore.executors.static.secret_rules import URL_CREDENTIALS, is_secret_name, says_it_is_a_stand_in
from readyscore.files import matches
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status

MAX_EVIDENCE = 10


def _compiles(value: str) -> str:
    re.compile(value)
    return value


Regex = Annotated[str, AfterValidator(_compiles)]  # a regex that must compile when the check is loaded


class FilesPresentParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patterns: list[str] = Field(min_length=1, description="globs; any match is evidence")
    what: str = Field(description="what the files are, for messages ('a test suite')")
    # Optional: a regex one of the matched files must contain (e.g. '[tool.pytest' in pyproject).
    contains: Regex | None = None
    # Globs that are weaker evidence: a match only earns partial credit.
    weaker_patterns: list[str] = Field(default_factory=list)
    min_count: int = Field(default=1, ge=1)



@register
class FilesPresent(Executor[FilesPresentParams]):
    kind = "files_present"
    Params = FilesPresentParams
    description = "Passes when the tree has files matching the patterns (optionally containing a regex)."

    def run(self, spec: CheckSpec, params: FilesPresentParams, ctx: AuditContext) -> Result:
        files = ctx.files
        found = [f.rel for f in files.glob(*params.patterns)]
        if params.contains:
            pattern = re.compile(params.contains, re.MULTILINE)
            found = [rel for rel in found if (text := files.read_text(rel)) and pattern.search(text)]
        if len(found) >= params.min_count:
            evidence = [Evidence(message=f"{params.what}: found", path=rel, strength=EvidenceStrength.IMPLEMENTED)
                        for rel in found[:MAX_EVIDENCE]]
            more = f" (and {len(found) - MAX_EVIDENCE} more)" if len(found) > MAX_EVIDENCE else ""
            return result(spec, Status.PASS, f"{params.what}: {len(found)} file(s){more}",
                          evidence=evidence, strength=EvidenceStrength.IMPLEMENTED)
        weaker = [f.rel for f in files.glob(*params.weaker_patterns)] if params.weaker_patterns else []
        if weaker:
            return result(spec, Status.PARTIAL, f"{params.what}: only weaker evidence found",
                          evidence=[Evidence(message="weaker evidence", path=rel, strength=EvidenceStrength.DECLARED)
                                    for rel in weaker[:MAX_EVIDENCE]],
                          strength=EvidenceStrength.DECLARED)
        wanted = ", ".join(params.patterns[:6])
        return result(spec, Status.FAIL, f"no {params.what} found (looked for {wanted})")


class FilesAbsentParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patterns: list[str] = Field(min_length=1)
    allow: list[str] = Field(default_factory=list, description="globs that are fine (e.g. .env.example)")
    what: str
    # A KEY=value file all of whose keys match this regex is fine too: Next.js, Vite and CRA put
    # NEXT_PUBLIC_*/VITE_*/REACT_APP_* variables into the browser bundle, so they are public by design
    # and `.env.development` is meant to be committed. One other key (or an unreadable file) counts.
    allow_when_every_key: Regex | None = None
    # A KEY=value file that holds no credential (no key such as API_KEY, *_TOKEN or *_PASSWORD with a
    # value that is one, no URL with a password) is configuration or a template: envoyproxy/ai-gateway's
    # `.env.otel.console` presets, TensorZero's `ci/dummy-env-file.env` (`dummy_anthropic_key` ...).
    # Files matching `always` (`.env`, `.env.local`: where an app's secrets go) count whatever they hold.
    allow_without_credentials: bool = False
    always: list[str] = Field(default_factory=list, description="globs that count whatever they hold")


@register
class FilesAbsent(Executor[FilesAbsentParams]):
    kind = "files_absent"
    Params = FilesAbsentParams
    description = "Fails for every file matching the patterns (minus allowed ones); each file is a waivable finding."

    def run(self, spec: CheckSpec, params: FilesAbsentParams, ctx: AuditContext) -> Result:
        offending = [entry.rel for entry in ctx.files.glob(*params.patterns)
                     if not any(matches(entry.rel, pattern) for pattern in params.allow)
                     and not _content_allows(ctx, entry.rel, params)]
        if not offending:
            return result(spec, Status.PASS, f"no {params.what}", findings=0)
        return result(spec, Status.FAIL, f"{len(offending)} {params.what} committed",
                      evidence=[Evidence(message=f"{params.what} committed", path=rel, finding=True, rule=spec.id)
                                for rel in offending[:MAX_FINDINGS]], findings=len(offending))


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=")


def _assignments(ctx: AuditContext, rel: str) -> list[tuple[str, str]] | None:
    """(key, value) of every line of a KEY=value file; None when it cannot be read, holds no
    assignment, or holds a line that is none (then nothing about it can be vouched for)."""
    text = ctx.files.read_text(rel)
    if text is None:
        return None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    pairs = [(m.group(1), line[m.end():].strip()) for line in lines if (m := _ENV_LINE.match(line))]
    return pairs if pairs and len(pairs) == len(lines) else None


def _content_allows(ctx: AuditContext, rel: str, params: FilesAbsentParams) -> bool:
    """What the KEY=value file holds makes it fine (the file is read once, and only when a rule asks):
    every key matches `allow_when_every_key` (and there is at least one); or, with
    `allow_without_credentials` and outside `always`, every credential-named key is empty, a
    reference or a value that says it stands in for one (`dummy_anthropic_key`, `<your-key>`) and no
    value is a URL with a password. Any other value counts, a short or weak one (`abc`, `changeme`)."""
    by_keys = params.allow_when_every_key is not None
    by_credentials = params.allow_without_credentials and not any(matches(rel, p) for p in params.always)
    if not (by_keys or by_credentials):
        return False
    pairs = _assignments(ctx, rel)
    if pairs is None:
        return False
    if by_keys and all(re.fullmatch(params.allow_when_every_key, key) for key, _ in pairs):
        return True
    return by_credentials and not any(
        (is_secret_name(key) and not says_it_is_a_stand_in(value)) or URL_CREDENTIALS.search(value)
        for key, value in pairs)


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
LOCK_FILES = ("poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "requirements.lock", "conda-lock.yml",
              "package-lock.json", "yarn.lock", "pnpm-lock.yaml")


def requirement_pins(text: str) -> tuple[int, int, list[str]]:
    """(pinned, total, unpinned names) over a requirements file's requirement lines."""
    pinned = total = 0
    unpinned: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(("-", "--")) or "://" in line:
            continue
        match = _REQUIREMENT.match(line)
        if not match:
            continue
        total += 1
        spec = match.group(3).split(";", 1)[0]
        if "==" in spec or "===" in spec:
            pinned += 1
        else:
            unpinned.append(match.group(1))
    return pinned, total, unpinned


class PinningParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requirement_patterns: list[str] = Field(default_factory=lambda: ["requirements*.txt", "requirements/*.txt"])
    manifest_patterns: list[str] = Field(default_factory=lambda: ["pyproject.toml", "setup.py", "setup.cfg",
                                                                     "Pipfile", "package.json"])


@register
class DependencyPinning(Executor[PinningParams]):
    kind = "dependency_pinning"
    Params = PinningParams
    description = "A lock file, or requirements pinned with ==, so builds are reproducible (LLM03:2025)."

    def run(self, spec: CheckSpec, params: PinningParams, ctx: AuditContext) -> Result:
        files = ctx.files
        locks = [f.rel for f in files.glob(*LOCK_FILES)]
        if locks:
            return result(spec, Status.PASS, f"lock file present: {', '.join(locks[:3])}",
                          evidence=[Evidence(message="lock file", path=rel) for rel in locks[:MAX_EVIDENCE]],
                          strength=EvidenceStrength.IMPLEMENTED)
        pinned = total = 0
        evidence: list[Evidence] = []
        for entry in files.glob(*params.requirement_patterns):
            text = files.read_text(entry.rel)
            if text is None:
                continue
            p, t, unpinned = requirement_pins(text)
            pinned, total = pinned + p, total + t
            if unpinned:
                evidence.append(Evidence(message=f"not pinned with ==: {', '.join(unpinned[:8])}", path=entry.rel))
            elif t:
                evidence.append(Evidence(message=f"all {t} requirements pinned", path=entry.rel))
        if total:
            share = pinned / total
            status = Status.PASS if pinned == total else (Status.PARTIAL if pinned else Status.FAIL)
            return result(spec, status, f"{pinned} of {total} requirements pinned, no lock file", score=share,
                          evidence=evidence, strength=EvidenceStrength.DECLARED)
        manifests = [f.rel for f in files.glob(*params.manifest_patterns)]
        if manifests:
            return result(spec, Status.FAIL, "dependencies are declared without a lock file or pins",
                          evidence=[Evidence(message="manifest without lock file", path=rel) for rel in manifests[:5]])
        return result(spec, Status.FAIL, "no dependency manifest or lock file found")
