"""The command line: thin, over the library API (engine, catalog, config, reporters).

Exit codes: 0 all good; 1 a --fail-under / --min-level gate is not met; 2 a usage or
configuration error; 3 an internal error; 130 interrupted (the report is still written).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from readyscore import __version__
from readyscore.yamlfile import ConfigError

EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    name="readyscore",
    help="How production-ready is your LLM service? Evidence-backed score (0-100) and readiness level (1-4).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
checks_app = typer.Typer(help="Browse the check catalog.", no_args_is_help=True)
profiles_app = typer.Typer(help="Browse the readiness profiles.", no_args_is_help=True)
app.add_typer(checks_app, name="checks")
app.add_typer(profiles_app, name="profiles")
frameworks_app = typer.Typer(help="Browse the framework mappings (OWASP LLM Top 10, AWS GenAI Lens).",
                             no_args_is_help=True)
app.add_typer(frameworks_app, name="frameworks")

out = Console()
err = Console(stderr=True, soft_wrap=True)  # messages stay whole lines: paths and fields copy-paste


class UsageError(Exception):
    """A user's mistake on the command line: printed without a traceback, exit 2."""


def fail_usage(message: str) -> None:
    raise UsageError(message)


def _version(value: bool) -> None:
    if value:
        out.print(f"readyscore {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    pass


class SourceChoice(StrEnum):
    static = "static"
    deploy = "deploy"
    live = "live"
    load = "load"


class SeverityChoice(StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


def _parse_formats(value: str) -> list[str]:
    from readyscore.reporters import available_formats

    formats = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in available_formats()]
    if unknown or not formats:
        fail_usage(f"--format: unknown format {', '.join(unknown) or '(none)'}; "
                   f"choose from {', '.join(available_formats())} (comma-separated)")
    return formats


def _check_output_dir(directory: Path) -> None:
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


class _ProgressBar:
    """Rich progress on stderr; silent when stderr is not a terminal (CI logs stay readable)."""

    def __init__(self, enabled: bool):
        self.progress = Progress(TextColumn("[bold]auditing"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=err, transient=True, disable=not enabled)
        self.task = None

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def hooks(self):
        from readyscore.engine import Progress as EngineProgress

        def start(total: int) -> None:
            self.task = self.progress.add_task("", total=total)

        def done(check, result) -> None:
            self.progress.update(self.task, advance=1, description=escape(check.spec.id))

        return EngineProgress(on_start=start, on_done=done)


def run_audit(path: str | None, url: str | None, profile_name: str | None, sources: list[SourceChoice] | None,
              checks_dirs: list[Path], output: Path, formats: list[str], fail_under: float | None,
              min_level: int | None, timeout: float, deadline: float, api_key_env: str, probes: list[str],
              allow_load_on: list[str], processes: int, sweep: bool, quiet: bool,
              config_file: Path | None = None, extra_warnings: list[str] | None = None,
              fail_on: str | None = None, baseline: Path | None = None, fail_on_regression: bool = False,
              history: Path | None = None) -> int:
    """Shared by `audit` and `demo`: returns the exit code."""
    from readyscore import engine
    from readyscore.catalog import load_catalog
    from readyscore.config import (AuditOptions, ProjectConfig, apply_project_settings, find_project_config,
                                   load_profile, load_project_config)
    from readyscore.model import Source

    root = engine.resolve_root(path) if path is not None else None
    if root is None and not url:
        fail_usage("nothing to audit: give a PATH (source tree), --url (running service), or both")
    if fail_on_regression and baseline is None:
        fail_usage("--fail-on-regression needs --baseline OLD.json (the report to compare with)")
    old_report = _load_report_or_fail(baseline) if baseline is not None else None  # fail before auditing
    config_path = config_file or find_project_config(root)
    project = load_project_config(config_path) if config_path else ProjectConfig()
    profile = load_profile(profile_name or project.profile or "default")
    profile = apply_project_settings(profile, project)
    url = url or project.url
    if url and not url.startswith(("http://", "https://")):
        fail_usage(f"--url {url!r}: give an http:// or https:// base URL")
    fail_under = fail_under if fail_under is not None else project.fail_under
    min_level = min_level if min_level is not None else project.min_level
    catalog = load_catalog(checks_dirs)
    _check_output_dir(output)

    options = AuditOptions(
        root=root, url=url.rstrip("/") if url else None,
        sources={Source(s.value) for s in sources} if sources else None,
        checks_dirs=checks_dirs, check_timeout_s=timeout, deadline_s=deadline, api_key_env=api_key_env,
        probes=probes, allow_load_on=allow_load_on, processes=processes, sweep=sweep,
        show_progress=not quiet,
    )
    cancel = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame):  # SIGTERM is a Ctrl-C from a CI runner: keep what was measured
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_sigterm)
    try:
        with _ProgressBar(enabled=not quiet and err.is_terminal) as bar:
            report = engine.audit(catalog, profile, project, options, progress=bar.hooks(), cancel=cancel)
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    report.warnings.extend(extra_warnings or [])
    diff = _track_changes(report, old_report, baseline, history)

    shown = [f for f in formats if not (quiet and f == "terminal")]
    written = write_reports(report, shown, output)
    for file in written:
        err.print(f"wrote {file}")
    if not report.complete:
        err.print(f"[bold red]audit incomplete:[/] {escape(report.incomplete_reason or '')}")
        if report.incomplete_reason == "interrupted":
            return EXIT_INTERRUPTED

    code = EXIT_OK
    if fail_under is not None and (report.score is None or report.score < fail_under):
        err.print(f"[red]gate failed:[/] score {report.score if report.score is not None else '—'} "
                  f"is below --fail-under {fail_under:g}")
        code = EXIT_GATE
    if min_level is not None and report.level < min_level:
        err.print(f"[red]gate failed:[/] Level {report.level} is below --min-level {min_level}")
        code = EXIT_GATE
    if fail_on is not None:
        blocking = failing_at_or_above(report, fail_on)
        if blocking:
            err.print(f"[red]gate failed:[/] {len(blocking)} failing check(s) of severity {fail_on} or higher: "
                      + escape(", ".join(blocking)))
            code = EXIT_GATE
    if diff is not None:
        from readyscore.baseline import summary_lines

        for line in summary_lines(diff):
            err.print(escape(line))
        if fail_on_regression and diff.regressed:
            err.print("[red]gate failed:[/] regression since the baseline: " + escape("; ".join(diff.regressions)))
            code = EXIT_GATE
    return code


def _load_report_or_fail(path: Path):
    from readyscore.report import ReportLoadError, load_report

    try:
        return load_report(path)
    except ReportLoadError as exc:
        fail_usage(str(exc))


def _track_changes(report, old_report, baseline: Path | None, history: Path | None):
    """Attach the diff against the baseline and the history trend to the report (both opt-in)."""
    from readyscore import baseline as baselines
    from readyscore.history import HistoryError, record

    diff = None
    if old_report is not None:
        diff = baselines.diff_reports(old_report, report, baseline_name=baseline.name)
        baselines.attach(report, diff)
    if history is not None:
        try:
            record(history, report)
        except HistoryError as exc:  # tracking is a convenience: never lose the audit over it
            report.warnings.append(str(exc))
            err.print(f"[yellow]history not updated:[/] {escape(str(exc))}")
    return diff


def failing_at_or_above(report, severity: str) -> list[str]:
    """Ids of unsuppressed failing checks whose severity is at least `severity`."""
    from readyscore.model import Severity, Status

    floor = Severity(severity).rank
    return [r.check_id for r in report.results
            if r.status == Status.FAIL and not r.suppressed_by and r.severity.rank >= floor]


def _parse_sources(values: list[str]) -> list[SourceChoice]:
    names = [s.strip() for item in values for s in item.split(",") if s.strip()]
    valid = {c.value for c in SourceChoice}
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        fail_usage(f"--sources: unknown source {', '.join(unknown) or '(none)'}; choose from {', '.join(valid)}")
    return [SourceChoice(n) for n in names]


SOURCES_HELP = "Only these sources (repeat or comma-separate): static, deploy, live, load."


@app.command()
def audit(
    path: Annotated[Optional[str], typer.Argument(help="The service's source tree (static and deploy checks).")] = None,
    url: Annotated[Optional[str], typer.Option("--url", help="Base URL of the running service (live and load checks).")] = None,
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile name or YAML path (default: the project config's, else 'default').")] = None,
    sources: Annotated[Optional[list[str]], typer.Option("--sources", help=SOURCES_HELP)] = None,
    checks_dir: Annotated[Optional[list[Path]], typer.Option("--checks-dir", help="Extra folder of check YAML files (repeatable).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for report.json / report.html.")] = Path("reports"),
    format: Annotated[str, typer.Option("--format", "-f", help="Comma-separated: terminal, json, html (and any installed format).")] = "terminal,json,html",
    fail_under: Annotated[Optional[float], typer.Option("--fail-under", min=0, max=100, help="Exit 1 when the score is below N.")] = None,
    min_level: Annotated[Optional[int], typer.Option("--min-level", min=0, max=4, help="Exit 1 when the level is below L.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="Project config to use instead of PATH/readyscore.yaml.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds one check may take.")] = 120.0,
    deadline: Annotated[float, typer.Option("--deadline", min=1, help="Seconds the whole audit may take.")] = 900.0,
    api_key_env: Annotated[str, typer.Option("--api-key-env", help="Environment variable holding the target's API key (never pass keys as arguments).")] = "READYSCORE_API_KEY",
    probe: Annotated[Optional[list[str]], typer.Option("--probe", help="Only live probes whose id matches this glob (repeatable).")] = None,
    allow_load_on: Annotated[Optional[list[str]], typer.Option("--allow-load-on", help="A non-loopback host you are allowed to load test (repeatable).")] = None,
    processes: Annotated[int, typer.Option("--processes", min=1, max=64, help="Locust worker processes for the load test.")] = 1,
    sweep: Annotated[bool, typer.Option("--sweep", help="Run a stepped load ramp to estimate the saturation point.")] = False,
    fail_on: Annotated[Optional[SeverityChoice], typer.Option("--fail-on", help="Exit 1 when any unsuppressed check of this severity or higher fails.")] = None,
    baseline: Annotated[Optional[Path], typer.Option("--baseline", help="An earlier report.json: show the score and level change and the checks newly failing or fixed.")] = None,
    fail_on_regression: Annotated[bool, typer.Option("--fail-on-regression", help="Exit 1 when the level or score dropped, or a check that passed in --baseline fails now.")] = False,
    history: Annotated[Optional[Path], typer.Option("--history", help="Append this audit to a JSON Lines history file; the HTML report charts the trend.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no terminal summary.")] = False,
) -> None:
    """Audit a service: its source tree (PATH), its running instance (--url), or both.

    Writes report.json (the contract) and report.html to --output, prints a summary, and exits 1
    when --fail-under or --min-level is not met.
    """
    chosen = _parse_sources(sources) if sources else None
    code = run_audit(path, url, profile, chosen, list(checks_dir or []), output, _parse_formats(format),
                     fail_under, min_level, timeout, deadline, api_key_env, list(probe or []),
                     list(allow_load_on or []), processes, sweep, quiet, config,
                     fail_on=fail_on.value if fail_on else None, baseline=baseline,
                     fail_on_regression=fail_on_regression, history=history)
    raise typer.Exit(code)


class PresetChoice(StrEnum):
    level1 = "level1"
    level2 = "level2"
    level3 = "level3"
    level4 = "level4"


@app.command()
def demo(
    preset: Annotated[PresetChoice, typer.Option("--preset", help="How hardened the example service is: level1 (works, nothing more) to level4 (enterprise evidence).")] = PresetChoice.level3,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the demo's reports.")] = Path("reports/demo"),
    format: Annotated[str, typer.Option("--format", "-f", help="Comma-separated report formats.")] = "terminal,json,html",
    sources: Annotated[Optional[list[str]], typer.Option("--sources", help=SOURCES_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no terminal summary.")] = False,
) -> None:
    """See the whole tool work in one command, with no service of your own.

    Starts the bundled example LLM service on a free loopback port, audits its source tree and the
    running service (static, deploy, live probes and a short load test), writes the reports, and
    stops the service again, also on Ctrl-C or failure.
    """
    from readyscore.demo.runner import DemoServer

    tree = Path(__file__).resolve().parent / "demo" / "presets" / preset.value

    formats = _parse_formats(format)
    chosen = _parse_sources(sources) if sources else None
    _check_output_dir(output)
    err.print(f"starting the example service (preset {preset.value}) on loopback…")
    with DemoServer(preset=preset.value) as server:
        key_env = "READYSCORE_DEMO_AUDIT_KEY"
        os.environ[key_env] = server.api_key or ""
        try:
            code = run_audit(str(tree), server.url, None, chosen, [], output, formats,
                             None, None, timeout=120.0, deadline=300.0, api_key_env=key_env, probes=[],
                             allow_load_on=[], processes=1, sweep=False, quiet=quiet)
        finally:
            os.environ.pop(key_env, None)
    html = output / "report.html"
    if html.exists():
        err.print(f"open the report: [bold]{html.resolve()}[/]")
    raise typer.Exit(code)


@app.command()
def report(
    report_json: Annotated[Path, typer.Argument(help="A report.json written by an earlier audit.")],
    format: Annotated[str, typer.Option("--format", "-f", help="Comma-separated formats to render.")] = "html",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder to write to (default: beside the JSON).")] = None,
) -> None:
    """Re-render a report.json in other formats, without re-auditing."""
    from readyscore.report import ReportLoadError, load_report

    try:
        loaded = load_report(report_json)
    except ReportLoadError as exc:
        fail_usage(str(exc))
    formats = _parse_formats(format)
    directory = output or report_json.parent
    _check_output_dir(directory)
    for file in write_reports(loaded, formats, directory):
        err.print(f"wrote {file}")


class DiffFormat(StrEnum):
    terminal = "terminal"
    markdown = "markdown"
    json = "json"


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The baseline report.json (before).")],
    new: Annotated[Path, typer.Argument(help="The report.json to compare (after).")],
    format: Annotated[DiffFormat, typer.Option("--format", "-f", help="terminal, markdown (a PR comment) or json.")] = DiffFormat.terminal,
    fail_on_regression: Annotated[bool, typer.Option("--fail-on-regression", help="Exit 1 when the level or score dropped, or a check that passed before fails now.")] = False,
) -> None:
    """Compare two reports: score and level change, checks newly failing and fixed."""
    from readyscore.baseline import attach, diff_reports, summary_lines

    before, after = _load_report_or_fail(old), _load_report_or_fail(new)
    changes = diff_reports(before, after, baseline_name=old.name)
    if format == DiffFormat.json:
        out.print_json(changes.model_dump_json())
    elif format == DiffFormat.markdown:
        from readyscore.reporters.markdown import render_markdown

        attach(after, changes)
        sys.stdout.write(render_markdown(after))
    else:
        for line in summary_lines(changes, limit=50):
            out.print(escape(line))
    if changes.regressed:
        err.print("[red]regression:[/] " + escape("; ".join(changes.regressions)))
        if fail_on_regression:
            raise typer.Exit(EXIT_GATE)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="The repository to write readyscore.yaml into.")] = Path("."),
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile to name in the config (default: default).")] = None,
    url: Annotated[Optional[str], typer.Option("--url", help="Base URL of the running service, for the live and load checks.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing project config.")] = False,
    stdout: Annotated[bool, typer.Option("--stdout", help="Print the config instead of writing it.")] = False,
) -> None:
    """Write a commented readyscore.yaml for the repository, from what is in it."""
    from readyscore.init_config import InitError, detect, render_config, write_config

    if url and not url.startswith(("http://", "https://")):
        fail_usage(f"--url {url!r}: give an http:// or https:// base URL")
    if profile:
        from readyscore.config import load_profile

        load_profile(profile)  # an unknown profile is a usage error now, not at the first audit
    if stdout:
        if not path.is_dir():
            fail_usage(f"{path}: not a folder")
        sys.stdout.write(render_config(detect(path), profile, url))
        return
    try:
        written = write_config(path, profile, url, force)
    except InitError as exc:
        fail_usage(str(exc))
    err.print(f"wrote {written}; next: readyscore audit {path}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of report.json."""
    import json

    from readyscore.report import json_schema

    out.print_json(json.dumps(json_schema()))


# The browsing commands live in their own module; importing it registers them on the sub-apps.
from readyscore import cli_browse  # noqa: E402,F401


def main() -> None:
    """Entry point: turns user mistakes into one readable line and exit 2, never a traceback."""
    try:
        code = app(standalone_mode=False)  # click returns the exit code instead of exiting
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (ConfigError, UsageError) as exc:
        # soft_wrap: one line however narrow the terminal, so `file:line: field` stays greppable.
        err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # click's own usage errors
        import click

        if isinstance(exc, click.exceptions.Abort):
            err.print("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(EXIT_USAGE)
        import traceback

        traceback.print_exc()
        err.print(f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))} "
                  "(this is a bug in readyscore; please report it with the traceback above)")
        sys.exit(EXIT_INTERNAL)
