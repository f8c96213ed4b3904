"""What every command-line module shares: the consoles, the exit codes, usage errors, the parsing of
list options and the writing of reports. It imports no command module, so no command module
imports another (cli.py registers the browsing apps of cli_browse.py; nothing points back)."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

from rich.console import Console

from readyscore.config import DEFAULT_FORMATS

EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

out = Console()
err = Console(stderr=True, soft_wrap=True)  # messages stay whole lines: paths and fields copy-paste


class UsageError(Exception):
    """A user's mistake on the command line: printed without a traceback, exit 2."""


def fail_usage(message: str) -> NoReturn:
    raise UsageError(message)


class SourceChoice(StrEnum):
    static = "static"
    deploy = "deploy"
    live = "live"
    load = "load"
    resilience = "resilience"


class SeverityChoice(StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


def split_list(values: list[str] | None) -> list[str]:
    """A repeatable option's values, each of which may itself be comma-separated:
    `--format json --format html` and `--format json,html` mean the same."""
    return [item.strip() for value in values or [] for item in value.split(",") if item.strip()]


def parse_formats(values: list[str] | None) -> list[str]:
    from readyscore.reporters import available_formats

    if not values:
        return list(DEFAULT_FORMATS)
    formats = list(dict.fromkeys(split_list(values)))  # a format named twice is written once
    unknown = [f for f in formats if f not in available_formats()]
    if unknown or not formats:
        fail_usage(f"--format: unknown format {', '.join(unknown) or '(none)'}; "
                   f"choose from {', '.join(available_formats())} (repeat or comma-separate)")
    return formats


def parse_sources(values: list[str] | None) -> set[SourceChoice] | None:
    if not values:
        return None
    names = split_list(values)
    valid = [c.value for c in SourceChoice]
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        fail_usage(f"--sources: unknown source {', '.join(unknown) or '(none)'}; choose from {', '.join(valid)}")
    return {SourceChoice(n) for n in names}


def check_output_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail_usage(f"--output {directory}: cannot create the folder ({exc.strerror})")
    if not os.access(directory, os.W_OK):
        fail_usage(f"--output {directory}: the folder is not writable")


def write_reports(report, formats: list[str], output: Path, console: Console = out) -> list[Path]:
    from readyscore.report import write_atomic
    from readyscore.reporters import get_reporter

    written = []
    for name in formats:
        reporter = get_reporter(name)
        if reporter.filename is None:
            reporter.show(report, console)
            continue
        path = output / reporter.filename
        write_atomic(path, reporter.render(report))
        written.append(path)
    return written


def load_report_or_fail(path: Path):
    from readyscore.report import ReportLoadError, load_report

    try:
        return load_report(path)
    except ReportLoadError as exc:
        fail_usage(str(exc))
