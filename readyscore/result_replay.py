"""Replay the file checks' results when nothing they read has changed since the last audit.

A static + deploy audit is a function of the tree's files, the plan (checks, params, profile,
project config, options) and readyscore's own code. When every one of them is what it was at the
last complete audit of the same root, running the checks again can only reproduce their results;
the results recorded then are replayed instead, with everything the checks left behind on the
audit context, so the report is the one the checks would write:

- each check's Result (stored as the report shows it: message and evidence already redacted, so the
  record holds no secret the report would not show);
- the report sections the checks wrote (`ctx.sections`: scope, static, deploy ...);
- the file index's skip counters (files the checks found binary, too large, unreadable);
- the secrets the static analysis registered with the redactor, stored as positions (file, line,
  columns) and read back from the unchanged files, never stored as values.

The key holds the content digest of every file of the walk (readyscore/digests.py: a file is read
again only when its stat changed), what the walk passed over, the plan with every check's
effective spec and params, the profile, the project config, the options that reach the checks,
the versions of Python and of the libraries that measure, and a digest of readyscore's own source,
catalog, profiles and frameworks. Anything else (a live or load source, a third-party executor,
`static.cache: false`) makes the audit not replayable, and it runs as before.

A record is written only for a complete audit in which no check ended in `error` (a timeout or a
crash says nothing about the tree). One record per audited root, plain JSON with a format and
version key, written atomically under readyscore's cache folder; a damaged, foreign or mismatched
record is ignored and the checks run.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from readyscore import paths
from readyscore.digests import DigestTable, atomic_write_text, prune, table_name
from readyscore.model import Result, Source, Status

if TYPE_CHECKING:
    from readyscore.engine import Plan, RunOutcome
    from readyscore.executors.base import AuditContext

FORMAT = "readyscore-file-results"
VERSION = 1
SECTION = "file_cache"
FILE_SOURCES = frozenset({Source.STATIC, Source.DEPLOY})
# Options that only say how the report is shown or gated, never what a check measures.
RENDER_ONLY_OPTIONS = frozenset({"show_progress", "fail_under", "min_level", "min_level_if_verified", "fail_on",
                                 "baseline", "fail_on_regression", "fail_on_contradicted_claims", "history",
                                 "output", "formats", "quiet", "target_label"})
MEASURING_LIBRARIES = ("bandit", "ast-grep-py", "PyYAML", "pydantic", "tomli")


def cache_folder() -> Path:
    from readyscore.executors.static.cache import cache_dir  # noqa: PLC0415 - the one cache folder

    return cache_dir()


def canonical(value: Any) -> Any:
    """Plain JSON data that is the same for equal values in every process (sets sorted)."""
    if isinstance(value, BaseModel):
        return canonical(value.model_dump())
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)  # paths, dates


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """readyscore's own source, built-in catalog, profiles and frameworks, and what measures."""
    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent
    folders = [package, paths.builtin_checks_dir(), paths.builtin_profiles_dir(), paths.builtin_frameworks_dir()]
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo") or not path.is_file():
                continue
            digest.update(str(path.relative_to(folder)).encode("utf-8", "surrogatepass") + b"\0")
            digest.update(path.read_bytes())
    versions = []
    for name in MEASURING_LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=absent")
    digest.update(json.dumps([sys.version, versions]).encode())
    return digest.hexdigest()


def not_replayable(plan: Plan, ctx: AuditContext) -> str | None:
    """Why this audit's results cannot be replayed, or None."""
    if ctx.root is None:
        return "no source tree"
    if not ctx.profile.static.cache:
        return "the cache is off (static.cache: false)"
    if not ctx.profile.static.replay:
        return "replay is off (static.replay: false)"
    runnable = plan.runnable
    if not runnable:
        return "no check runs"
    other = sorted({c.spec.source.value for c in runnable if c.spec.source not in FILE_SOURCES})
    if other:
        return f"the audit measures more than files ({', '.join(other)})"
    foreign = sorted({type(c.executor).__module__ for c in runnable
                      if not type(c.executor).__module__.startswith("readyscore.")})
    if foreign:
        return f"third-party executors ({', '.join(foreign)}) may read more than the tree"
    return None


def cannot_replay(plan: Plan, ctx: AuditContext) -> bool:
    """True when this audit certainly runs its checks: it is not replayable, or no record of this
    root exists. Cheap (one stat, no tree hashing), so the engine can start shared work such as
    bandit before `prepare` hashes the tree. False does not mean a replay: `prepare` decides."""
    if not_replayable(plan, ctx) is not None:
        return True
    return not (cache_folder() / "results-v1" / table_name(Path(ctx.root).resolve())).is_file()


@dataclass
class Replay:
    """One audit's look-up and, when it misses, its record."""

    path: Path
    key: str
    table: DigestTable
    seconds: float
    replayed: dict[str, Result] | None = None
    stored: dict[str, Any] | None = field(default=None, repr=False)

    def section(self, outcome: str) -> dict[str, Any]:
        return {"results": outcome, "files_hashed": self.table.hashed, "files_reused": self.table.reused,
                "seconds": round(self.seconds, 3), "problem": self.table.problem}


def walk_state(ctx: AuditContext) -> dict | None:
    """What the tree walk passed over, before any check has read a file: the replay key's view of
    the walk. Taken before the engine starts background work that reads files (whose skips, such
    as a file not in UTF-8, would otherwise enter the key depending on timing)."""
    return ctx.files.skip_state() if ctx.root is not None else None


def prepare(plan: Plan, ctx: AuditContext, walk: dict | None = None) -> Replay | None:
    """The replay key of this audit and, when a record matches it, the results to replay. None when
    the audit is not replayable (the reason goes to the report's file_cache section). `walk`: the
    walk's skip state taken by `walk_state` before background reads began (default: taken now)."""
    why = not_replayable(plan, ctx)
    if why is not None:
        if ctx.root is not None:
            ctx.sections[SECTION] = {"results": f"not replayable: {why}"}
        return None
    started = time.monotonic()
    folder = cache_folder()
    index = ctx.files
    name = table_name(Path(index.root).resolve())
    table = DigestTable(folder / "digests-v1" / name, Path(index.root).resolve())
    digests = table.digests(index._root_text, index.stats)
    tree = hashlib.blake2b(digest_size=20)
    for entry in index.files:
        tree.update(f"{entry.rel}\0{entry.size}\0{digests.get(entry.rel)}\n".encode("utf-8", "surrogatepass"))
    key_parts = {
        "version": VERSION,
        "code": code_fingerprint(),
        "root": str(index.root),
        "tree": tree.hexdigest(),
        "walk": walk if walk is not None else index.skip_state(),
        "plan": [[c.spec, c.params, c.skip_reason, f"{type(c.executor).__module__}.{type(c.executor).__qualname__}"
                  if c.executor is not None else None] for c in plan.checks],
        "profile": ctx.profile,
        "project": ctx.project,
        "options": {k: v for k, v in ctx.options.model_dump().items() if k not in RENDER_ONLY_OPTIONS},
    }
    key = hashlib.blake2b(json.dumps(canonical(key_parts), sort_keys=True).encode(), digest_size=20).hexdigest()
    replay = Replay(path=folder / "results-v1" / name, key=key, table=table, seconds=0.0)
    replay.replayed = _load(replay, plan, ctx)
    replay.seconds = time.monotonic() - started
    ctx.sections[SECTION] = replay.section("replayed" if replay.replayed is not None else "recorded")
    return replay


def _load(replay: Replay, plan: Plan, ctx: AuditContext) -> dict[str, Result] | None:
    try:
        with open(replay.path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None  # none yet, or damaged: the checks run
    if not (isinstance(record, dict) and record.get("format") == FORMAT and record.get("version") == VERSION
            and record.get("key") == replay.key):
        return None
    try:
        results = {cid: Result.model_validate(value).model_copy(update={"duration_s": 0.0})
                   for cid, value in record["results"].items()}
        sections = record["sections"]
        skip_state = record["skipped"]
        secrets = [(str(rel), int(line), int(start), int(end)) for rel, line, start, end in record["secrets"]]
        secret_limit = int(record["secret_read_limit"])
        if not isinstance(sections, dict) or set(results) != {c.spec.id for c in plan.runnable}:
            return None
        _check_skip_state(skip_state)
    except (AttributeError, KeyError, TypeError, ValueError, ValidationError):
        return None  # a record of the right key but the wrong shape: never trusted, never fatal
    index = ctx.files
    for rel, line, start, end in secrets:
        if rel not in index.stats:
            return None  # only files of this tree are read back
        text = index.read_text(rel, limit=secret_limit)
        lines = text.split("\n") if text is not None else []
        if not 0 < line <= len(lines):
            return None  # cannot happen for an unchanged file; never replay without its secrets
        ctx.redactor.add(lines[line - 1].rstrip("\r")[start:end])
    index.restore_skip_state(skip_state)
    ctx.sections.update({k: v for k, v in sections.items() if k != SECTION})
    return results


def _check_skip_state(state: Any) -> None:
    """ValueError unless `state` has the shape FileIndex.skip_state() gives."""
    ok = (isinstance(state, dict) and isinstance(state.get("skipped"), dict)
          and all(isinstance(k, str) and type(v) is int for k, v in state["skipped"].items())
          and isinstance(state.get("examples"), dict)
          and all(isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
                  for k, v in state["examples"].items())
          and isinstance(state.get("once"), list)
          and all(isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in state["once"]))
    if not ok:
        raise ValueError("not a skip state")


def record(replay: Replay, plan: Plan, outcome: RunOutcome, ctx: AuditContext,
           as_reported: Callable[[Result], Result]) -> None:
    """Keep this audit's file results for the next one, when they are worth replaying."""
    why = _not_recordable(plan, outcome, ctx)
    if why is None:
        try:
            body = _record_body(replay, plan, outcome, ctx, as_reported)
            atomic_write_text(replay.path, json.dumps(body, separators=(",", ":")))
            prune(replay.path.parent)
        except _NotExact as exc:
            why = str(exc)
        except (OSError, TypeError, ValueError) as exc:
            why = f"{type(exc).__name__}: {exc}"
    if why is not None:
        ctx.sections[SECTION]["results"] = f"not recorded: {why}"


class _NotExact(Exception):
    """Something the checks produced would not come back identical from the record."""


def _not_recordable(plan: Plan, outcome: RunOutcome, ctx: AuditContext) -> str | None:
    if not outcome.complete or ctx.cancel.is_set():
        return "the audit did not complete"
    errors = sorted(c.spec.id for c in plan.runnable if outcome.results[c.spec.id].status == Status.ERROR)
    if errors:
        return f"check(s) ended in error: {', '.join(errors[:5])}"
    return None


def _record_body(replay: Replay, plan: Plan, outcome: RunOutcome, ctx: AuditContext,
                 as_reported: Callable[[Result], Result]) -> dict[str, Any]:
    results = {}
    for check in plan.runnable:
        shown = as_reported(outcome.results[check.spec.id])
        value = shown.model_dump(mode="json")
        if Result.model_validate(json.loads(json.dumps(value))) != shown:
            raise _NotExact(f"{check.spec.id}'s result does not survive JSON")
        results[check.spec.id] = value
    sections = {k: v for k, v in ctx.sections.items() if k != SECTION}
    text = json.dumps(sections, sort_keys=True)
    if json.dumps(json.loads(text), sort_keys=True) != text:
        raise _NotExact("a report section does not survive JSON")
    analysis = ctx.computed("static.analysis")
    secrets = []
    if analysis is not None:
        for file in analysis.files:
            secrets.extend([file.source.rel, s["line"], s["start"], s["end"]]
                           for s in file.secrets if s["kind"] == "secret")
    return {"format": FORMAT, "version": VERSION, "key": replay.key,
            "recorded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "results": results, "sections": json.loads(text), "skipped": ctx.files.skip_state(),
            "secrets": secrets, "secret_read_limit": ctx.profile.static.max_file_bytes}
