"""Running one audit for `readyscore audit` and `readyscore demo`: load what the options name, call
the engine, write the reports, and turn the gates into an exit code."""

from __future__ import annotations

import signal
import threading

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from readyscore.cli_common import (EXIT_GATE, EXIT_INTERRUPTED, EXIT_OK, check_output_dir, err, fail_usage,
                                   load_report_or_fail, write_reports)
from readyscore.config import AuditOptions


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


def run_audit(options: AuditOptions) -> int:
    """Shared by `audit` and `demo`: returns the exit code."""
    from readyscore import engine
    from readyscore.catalog import load_catalog
    from readyscore.config import (ProjectConfig, apply_project_settings, find_project_config, load_profile,
                                   load_project_config)

    old_report = load_report_or_fail(options.baseline) if options.baseline is not None else None  # fail early
    config_path = options.config_file or find_project_config(options.root)
    project = load_project_config(config_path) if config_path else ProjectConfig()
    options = options.with_project_defaults(project)
    if options.root is None and not options.url and not (options.resilience and options.resilience.starts_service):
        fail_usage("nothing to audit: give a PATH (source tree), --url (running service), or both "
                   "(or --service-cmd for the resilience run)")
    profile = apply_project_settings(load_profile(options.profile or "default"), project)
    catalog = load_catalog(options.checks_dirs)
    check_output_dir(options.output)

    cancel = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame):  # SIGTERM is a Ctrl-C from a CI runner: keep what was measured
        raise KeyboardInterrupt

    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        signal.signal(signal.SIGTERM, on_sigterm)
    try:
        with _ProgressBar(enabled=options.show_progress and err.is_terminal) as bar:
            report = engine.audit(catalog, profile, project, options, progress=bar.hooks(), cancel=cancel)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
    diff = _track_changes(report, old_report, options)

    shown = [f for f in options.formats if not (options.quiet and f == "terminal")]
    for file in write_reports(report, shown, options.output):
        err.print(f"wrote {file}")
    if not report.complete:
        err.print(f"[bold red]audit incomplete:[/] {escape(report.incomplete_reason or '')}")
        if report.incomplete_reason == "interrupted":
            return EXIT_INTERRUPTED
    return _gates(report, diff, options)


def _gates(report, diff, options: AuditOptions) -> int:
    """Exit 1 when any gate the options set is not met; every unmet gate says why."""
    code = EXIT_OK
    if options.fail_under is not None and (report.score is None or report.score < options.fail_under):
        err.print(f"[red]gate failed:[/] score {report.score if report.score is not None else '—'} "
                  f"is below --fail-under {options.fail_under:g}")
        code = EXIT_GATE
    if options.min_level is not None and report.level < options.min_level:
        err.print(f"[red]gate failed:[/] Level {report.level} is below --min-level {options.min_level}")
        code = EXIT_GATE
    floor = options.min_level_if_verified
    if floor is not None and (report.level_if_verified or 0) < floor:
        err.print(f"[red]gate failed:[/] the evidence supports Level {report.level_if_verified} once verified, "
                  f"below --min-level-if-verified {floor}")
        code = EXIT_GATE
    if options.fail_on is not None:
        blocking = failing_at_or_above(report, options.fail_on.value)
        if blocking:
            err.print(f"[red]gate failed:[/] {len(blocking)} failing check(s) of severity {options.fail_on.value} "
                      "or higher: " + escape(", ".join(blocking)))
            code = EXIT_GATE
    if options.fail_on_contradicted_claims:
        from readyscore.claims.gate import contradicted_claims_failure

        if (why := contradicted_claims_failure(report)) is not None:
            err.print(f"[red]gate failed:[/] {escape(why)}")
            code = EXIT_GATE
    if diff is not None:
        from readyscore.baseline import summary_lines

        for line in summary_lines(diff):
            err.print(escape(line))
        if options.fail_on_regression and diff.regressed:
            err.print("[red]gate failed:[/] regression since the baseline: " + escape("; ".join(diff.regressions)))
            code = EXIT_GATE
    return code


def _track_changes(report, old_report, options: AuditOptions):
    """Attach the diff against the baseline and the history trend to the report (both opt-in)."""
    from readyscore import baseline as baselines
    from readyscore.history import HistoryError, record

    diff = None
    if old_report is not None:
        diff = baselines.diff_reports(old_report, report, baseline_name=options.baseline.name)
        baselines.attach(report, diff)
    if options.history is not None:
        try:
            record(options.history, report)
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
