"""An opt-in history of audits (`audit --history FILE`): one JSON line per audit, and the trend the
HTML report charts from it.

JSON Lines because a CI job appends one line per run and caches or commits the file; a line is
never rewritten. Only numbers and names go in: score, level, coverage, counts, profile, the commit
the CI system names — nothing from the target, so nothing to leak. The file is read defensively:
only its last MAX_READ_BYTES, and a damaged line is skipped and counted, never fatal.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from readyscore.report import Report

SECTION = "trend"
HISTORY_VERSION = 1
MAX_READ_BYTES = 2 * 1024 * 1024
MAX_POINTS = 60  # what a chart 720 pixels wide can show legibly
# Where CI systems put the commit being built: GitHub, GitLab, Jenkins, Azure, CircleCI, Buildkite.
COMMIT_VARIABLES = ("GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT", "BUILD_SOURCEVERSION", "CIRCLE_SHA1",
                    "BUILDKITE_COMMIT")
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")


class HistoryError(Exception):
    """The history file cannot be read or written (a usage error: wrong path, no permission)."""


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")  # a newer readyscore may add fields; older lines stay readable

    v: int = HISTORY_VERSION
    finished_at: dt.datetime
    score: float | None = Field(default=None, ge=0, le=100)
    level: int = Field(ge=0, le=4)
    level_name: str = Field(max_length=80)
    coverage: float = Field(ge=0, le=1)
    profile: str = Field(max_length=200)
    complete: bool = True
    counts: dict[str, int] = Field(default_factory=dict)
    commit: str | None = Field(default=None, max_length=64)


def ci_commit(environ: dict[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    for name in COMMIT_VARIABLES:
        value = (environ.get(name) or "").strip().lower()
        if _COMMIT.match(value):
            return value[:12]
    return None


def entry_for(report: Report, commit: str | None = None) -> HistoryEntry:
    return HistoryEntry(finished_at=report.finished_at, score=report.score, level=report.level,
                        level_name=report.level_name, coverage=report.coverage, profile=report.profile.name,
                        complete=report.complete, counts={k: v for k, v in report.counts.items() if v},
                        commit=commit)


def read_history(path: Path) -> tuple[list[HistoryEntry], int]:
    """The entries in file order, and how many lines were skipped as damaged."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - MAX_READ_BYTES))
            data = handle.read(MAX_READ_BYTES)
    except FileNotFoundError:
        return [], 0
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read the history file ({exc.strerror})") from None
    lines = data.split(b"\n")
    if size > MAX_READ_BYTES:
        lines = lines[1:]  # the first line was cut by the seek
    entries, skipped = [], 0
    for raw in lines:
        if not raw.strip():
            continue
        try:
            entries.append(HistoryEntry.model_validate(json.loads(raw)))
        except (ValueError, ValidationError, UnicodeDecodeError):
            skipped += 1
    return entries, skipped


def append_entry(path: Path, entry: HistoryEntry) -> None:
    line = entry.model_dump_json(exclude_none=True) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One write in append mode: concurrent CI jobs interleave whole lines, never halves.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise HistoryError(f"{path}: cannot write the history file ({exc.strerror})") from None


def trend(entries: list[HistoryEntry], skipped: int = 0) -> dict:
    """The report section the HTML trend chart draws: the last MAX_POINTS audits, oldest first."""
    shown = sorted(entries, key=lambda e: e.finished_at)[-MAX_POINTS:]
    return {
        "points": [e.model_dump(mode="json", exclude={"v"}) for e in shown],
        "total": len(entries),
        "skipped_lines": skipped,
        "profiles": sorted({e.profile for e in shown}),
    }


def record(path: Path, report: Report, commit: str | None = None) -> dict:
    """Append this audit to the history and attach the trend (including it) to the report."""
    entries, skipped = read_history(path)
    entry = entry_for(report, commit if commit is not None else ci_commit())
    append_entry(path, entry)
    section = trend([*entries, entry], skipped)
    report.sections[SECTION] = section
    return section
