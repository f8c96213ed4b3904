"""The command line: thin, over the library API (engine, catalog, config, reporters).

Exit codes: 0 all good; 1 a --fail-under / --min-level gate is not met; 2 a usage or
configuration error; 3 an internal error; 130 interrupted (the report is still written).

Each command turns its options into validated objects (an `AuditOptions` for an audit) and hands
them on; the browsing commands live in cli_browse.py, the audit run in cli_audit.py, what they
share in cli_common.py. See docs/architecture.md.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from pydantic import ValidationError
from rich.markup import escape

from readyscore import __version__, cli_resilience
from readyscore.cli_browse import checks_app, frameworks_app, profiles_app
from readyscore.cli_common import (EXIT_GATE, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, SeverityChoice,
                                   UsageError, check_output_dir, err, fail_usage, load_report_or_fail, out,
                                   parse_formats, parse_sources, split_list, write_reports)
from readyscore.config import AuditOptions
from readyscore.yamlfile import ConfigError

app = typer.Typer(
    name="readyscore",
    help="How production-ready is your LLM service? Evidence-backed score (0-100) and readiness level (1-4).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(checks_app, name="checks")
app.add_typer(profiles_app, name="profiles")
app.add_typer(frameworks_app, name="frameworks")


def _version(value: bool) -> None:
    if value:
        out.print(f"readyscore {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    pass


def audit_options(**fields: Any) -> AuditOptions:
    """The options of one audit, validated once; a bad value is a usage error naming its flag."""
    try:
        return AuditOptions(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = first["loc"][0] if first["loc"] else None
        message = str(first["msg"]).removeprefix("Value error, ")
        fail_usage(f"{AuditOptions.flag_of(str(name))}: {message}" if name is not None else message)


SOURCES_HELP = "Only these sources (repeat or comma-separate): static, deploy, live, load, resilience."
FORMAT_HELP = "Report formats (repeat or comma-separate): terminal, json, html (and any installed format)."


@app.command()
def audit(
    path: Annotated[Optional[str], typer.Argument(help="The service's source tree (static and deploy checks).")] = None,
    url: Annotated[Optional[str], typer.Option("--url", help="Base URL of the running service (live and load checks).")] = None,
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile name or YAML path (default: the project config's, else 'default').")] = None,
    sources: Annotated[Optional[list[str]], typer.Option("--sources", help=SOURCES_HELP)] = None,
    checks_dir: Annotated[Optional[list[Path]], typer.Option("--checks-dir", help="Extra folder of check YAML files (repeatable).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for report.json / report.html.")] = Path("reports"),
    format: Annotated[Optional[list[str]], typer.Option("--format", "-f", help=FORMAT_HELP + " Default: terminal,json,html.")] = None,
    fail_under: Annotated[Optional[float], typer.Option("--fail-under", min=0, max=100, help="Exit 1 when the score is below N.")] = None,
    min_level: Annotated[Optional[int], typer.Option("--min-level", min=0, max=4, help="Exit 1 when the level is below L.")] = None,
    min_level_if_verified: Annotated[Optional[int], typer.Option("--min-level-if-verified", min=0, max=4, help="Exit 1 when level_if_verified (the level once pending gates are confirmed, e.g. by --url) is below L: for file-only audits in CI.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="Project config to use instead of PATH/readyscore.yaml.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds one check may take.")] = 120.0,
    deadline: Annotated[float, typer.Option("--deadline", min=1, help="Seconds the whole audit may take.")] = 900.0,
    api_key_env: Annotated[str, typer.Option("--api-key-env", help="Environment variable holding the target's API key (never pass keys as arguments).")] = "READYSCORE_API_KEY",
    probe: Annotated[Optional[list[str]], typer.Option("--probe", help="Only live probes whose id matches this glob (repeat or comma-separate).")] = None,
    allow_load_on: Annotated[Optional[list[str]], typer.Option("--allow-load-on", help="A non-loopback host you are allowed to load test (repeatable).")] = None,
    processes: Annotated[int, typer.Option("--processes", min=1, max=64, help="Locust worker processes for the load test.")] = 1,
    sweep: Annotated[bool, typer.Option("--sweep", help="Run a stepped load ramp to estimate the saturation point.")] = False,
    fail_on: Annotated[Optional[SeverityChoice], typer.Option("--fail-on", help="Exit 1 when any unsuppressed check of this severity or higher fails.")] = None,
    baseline: Annotated[Optional[Path], typer.Option("--baseline", help="An earlier report.json: show the score and level change and the checks newly failing or fixed.")] = None,
    fail_on_regression: Annotated[bool, typer.Option("--fail-on-regression", help="Exit 1 when the level or score dropped, or a check that passed in --baseline fails now.")] = False,
    history: Annotated[Optional[Path], typer.Option("--history", help="Append this audit to a JSON Lines history file; the HTML report charts the trend.")] = None,
    fail_on_contradicted_claims: Annotated[bool, typer.Option("--fail-on-contradicted-claims", help="Exit 1 when a readiness claim in the repository's own documents is contradicted by the evidence.")] = False,
    # Resilience under upstream faults (readyscore/cli_resilience.py turns these into a target).
    upstream_env: Annotated[Optional[str], typer.Option("--upstream-env", help=cli_resilience.UPSTREAM_ENV_HELP)] = None,
    service_cmd: Annotated[Optional[str], typer.Option("--service-cmd", help=cli_resilience.SERVICE_CMD_HELP)] = None,
    service_url: Annotated[Optional[str], typer.Option("--service-url", help=cli_resilience.SERVICE_URL_HELP)] = None,
    upstream_listen: Annotated[Optional[str], typer.Option("--upstream-listen", help=cli_resilience.UPSTREAM_LISTEN_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no terminal summary.")] = False,
) -> None:
    """Audit a service: its source tree (PATH), its running instance (--url), or both.

    Writes report.json (the contract) and report.html to --output, prints a summary, and exits 1
    when --fail-under or --min-level is not met.
    """
    from readyscore.cli_audit import run_audit
    from readyscore.engine import resolve_root

    options = audit_options(
        root=resolve_root(path), url=url, profile=profile, sources=parse_sources(sources),
        probes=split_list(probe), checks_dirs=list(checks_dir or []), config_file=config,
        check_timeout_s=timeout, deadline_s=deadline, api_key_env=api_key_env,
        allow_load_on=split_list(allow_load_on), processes=processes, sweep=sweep,
        fail_under=fail_under, min_level=min_level, min_level_if_verified=min_level_if_verified, fail_on=fail_on.value if fail_on else None,
        baseline=baseline, fail_on_regression=fail_on_regression, history=history,
        fail_on_contradicted_claims=fail_on_contradicted_claims,
        output=output, formats=parse_formats(format), quiet=quiet, show_progress=not quiet,
        resilience=cli_resilience.resilience_target(upstream_env, service_cmd, service_url, upstream_listen, url),
    )
    raise typer.Exit(run_audit(options))


class PresetChoice(StrEnum):
    level1 = "level1"
    level2 = "level2"
    level3 = "level3"
    level4 = "level4"


@app.command()
def demo(
    preset: Annotated[PresetChoice, typer.Option("--preset", help="How hardened the example service is: level1 (works, nothing more) to level4 (enterprise evidence).")] = PresetChoice.level3,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the demo's reports.")] = Path("reports/demo"),
    format: Annotated[Optional[list[str]], typer.Option("--format", "-f", help=FORMAT_HELP + " Default: terminal,json,html.")] = None,
    sources: Annotated[Optional[list[str]], typer.Option("--sources", help=SOURCES_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no terminal summary.")] = False,
) -> None:
    """See the whole tool work in one command, with no service of your own.

    Starts the bundled example LLM service on a free loopback port, audits its source tree and the
    running service (static, deploy, live probes and a short load test), runs the resilience
    phase against a second instance in upstream mode (readyscore plays its model provider),
    writes the reports, and stops everything again, also on Ctrl-C or failure.
    """
    from readyscore.cli_audit import run_audit
    from readyscore.demo.resilience import demo_resilience_target
    from readyscore.demo.runner import DemoServer

    tree = Path(__file__).resolve().parent / "demo" / "presets" / preset.value
    key_env = "READYSCORE_DEMO_AUDIT_KEY"
    options = audit_options(root=tree, sources=parse_sources(sources), output=output, formats=parse_formats(format),
                            quiet=quiet, show_progress=not quiet, deadline_s=300.0, api_key_env=key_env)
    check_output_dir(output)
    err.print(f"starting the example service (preset {preset.value}) on loopback…")
    with DemoServer(preset=preset.value) as server:
        os.environ[key_env] = server.api_key or ""
        try:
            # The tree lies in site-packages: the reports name what it is, the JSON keeps the path.
            code = run_audit(options.model_copy(update={
                "url": server.url,
                "target_label": f"the bundled example service, preset {preset.value}",
                # A second instance in upstream mode, against readyscore's fake provider.
                "resilience": demo_resilience_target(preset.value, server.api_key)}))
        finally:
            os.environ.pop(key_env, None)
    html = output / "report.html"
    if html.exists():
        err.print(f"open the report: [bold]{html.resolve()}[/]")
    raise typer.Exit(code)


@app.command()
def report(
    report_json: Annotated[Path, typer.Argument(help="A report.json written by an earlier audit.")],
    format: Annotated[Optional[list[str]], typer.Option("--format", "-f", help=FORMAT_HELP + " Default: html.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder to write to (default: beside the JSON).")] = None,
) -> None:
    """Re-render a report.json in other formats, without re-auditing."""
    formats = parse_formats(format or ["html"])
    loaded = load_report_or_fail(report_json)
    directory = output or report_json.parent
    check_output_dir(directory)
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

    before, after = load_report_or_fail(old), load_report_or_fail(new)
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

    if url is not None:
        url = audit_options(url=url).url  # the same rules as `audit --url`
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


def _flow_paragraphs(doc: str) -> str:
    """A docstring as help text: paragraphs kept, the source's line breaks inside one joined.

    typer 0.29 keeps a docstring's single line breaks, so on a terminal narrower than the source lines
    `--help` broke every sentence twice; typer 0.18 joins them itself. Flowing them here reads the
    same on both, wrapped at the terminal's width."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in paragraph.splitlines()) for paragraph in paragraphs)


def _flow_help(typer_app: typer.Typer) -> None:
    """Every command's docstring flowed (an explicit help= is left as written)."""
    for info in typer_app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = _flow_paragraphs(info.callback.__doc__)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _flow_help(group.typer_instance)


_flow_help(app)


def _click_exception_types() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """(usage errors, help-on-no-arguments, aborts) of every click typer may raise from.

    typer up to 0.2x parses with click itself; newer typer vendors its own copy (typer._click),
    whose exceptions are not click's. Both are collected by class, so a usage error from either
    is reported as one, whichever typer is installed.
    """
    usage: list[type] = []
    no_args: list[type] = []
    aborts: list[type] = [typer.Abort]
    for name in ("click.exceptions", "typer._click.exceptions"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        usage.append(module.ClickException)
        for found, attribute in ((aborts, "Abort"), (no_args, "NoArgsIsHelpError")):
            if hasattr(module, attribute):  # typer's copy keeps its Abort in typer.exceptions
                found.append(getattr(module, attribute))
    return tuple(usage), tuple(no_args), tuple(aborts)


def _usage_line(exc: Exception) -> str:
    """click's message on one line, plus where the help is: `Invalid value for '--min-level': ...`."""
    # typer's own validation prefixes pydantic's "Value error, "; the user needs only what follows.
    message = " ".join(exc.format_message().replace("Value error, ", "").split())
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and getattr(ctx, "command_path", None):
        message += f" (see: {ctx.command_path} --help)"
    return message


def main() -> None:
    """Entry point: turns user mistakes into one readable line and exit 2, never a traceback."""
    usage_errors, no_args_errors, aborts = _click_exception_types()
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
    except Exception as exc:
        if isinstance(exc, aborts):
            err.print("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        if isinstance(exc, no_args_errors):  # `readyscore` or `readyscore checks` alone: the help
            exc.show()
            sys.exit(EXIT_USAGE)
        if isinstance(exc, usage_errors):
            err.print(f"[bold red]error:[/] {escape(_usage_line(exc))}", soft_wrap=True)
            sys.exit(EXIT_USAGE)
        import traceback

        traceback.print_exc()
        err.print(f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))} "
                  "(this is a bug in readyscore; please report it with the traceback above)")
        sys.exit(EXIT_INTERNAL)
