"""`readyscore checks|profiles|frameworks list|show`: browsing the catalog, the profiles and the
framework mappings. This module owns the three sub-apps; readyscore.cli adds them to the root app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from readyscore.cli_common import SourceChoice, err, fail_usage, out

checks_app = typer.Typer(help="Browse the check catalog.", no_args_is_help=True)
profiles_app = typer.Typer(help="Browse the readiness profiles.", no_args_is_help=True)
frameworks_app = typer.Typer(help="Browse the framework mappings (OWASP LLM Top 10, AWS GenAI Lens).",
                             no_args_is_help=True)


@checks_app.command("list")
def checks_list(
    area: Annotated[Optional[str], typer.Option("--area", help="Only this area.")] = None,
    source: Annotated[Optional[SourceChoice], typer.Option("--source", help="Only this source.")] = None,
    checks_dir: Annotated[Optional[list[Path]], typer.Option("--checks-dir", help="Extra folder of check YAML files.")] = None,
) -> None:
    """List the checks: id, level, area, source, severity, title."""
    from readyscore.catalog import load_catalog
    from readyscore.model import Area

    if area is not None and area not in {a.value for a in Area}:
        fail_usage(f"--area {area!r}: choose from {', '.join(a.value for a in Area)}")
    catalog = load_catalog(list(checks_dir or []))
    table = Table(show_edge=False)
    for column in ("id", "L", "area", "source", "severity", "title"):
        table.add_column(column)
    specs = sorted(catalog.specs, key=lambda s: (s.area.value, s.level, s.id))
    shown = 0
    for spec in specs:
        if (area and spec.area.value != area) or (source and spec.source.value != source.value):
            continue
        shown += 1
        table.add_row(spec.id, str(spec.level), spec.area.value, spec.source.value, spec.severity.value,
                      escape(spec.title))
    out.print(table)
    err.print(f"{shown} of {len(specs)} checks")


@checks_app.command("show")
def checks_show(check_id: Annotated[str, typer.Argument(help="A check id, as `checks list` shows it.")],
                checks_dir: Annotated[Optional[list[Path]], typer.Option("--checks-dir")] = None) -> None:
    """Show one check: what it measures, why it matters, how to fix it, references."""
    from readyscore.catalog import load_catalog

    catalog = load_catalog(list(checks_dir or []))
    entry = catalog.get(check_id)
    if entry is None:
        import difflib

        close = difflib.get_close_matches(check_id, [s.id for s in catalog.specs], n=3)
        fail_usage(f"no check {check_id!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))
    spec = entry.spec
    out.print(f"[bold]{escape(spec.title)}[/]  [dim]{spec.id}[/]")
    out.print(f"Level {spec.level} · {spec.area.value} · {spec.source.value} · severity {spec.severity.value} · "
              f"weight {spec.weight:g} · kind {spec.kind}")
    out.print(f"\n[bold]Why[/]\n{escape(spec.rationale.strip())}")
    out.print(f"\n[bold]Fix[/]\n{escape(spec.remediation.strip())}")
    if spec.maps_to:
        out.print(f"\n[bold]Maps to[/] {escape(', '.join(spec.maps_to))}")
    if spec.references:
        out.print("\n[bold]References[/]")
        for ref in spec.references:
            out.print(f"- {escape(ref.title)}" + (f" <{escape(ref.url)}>" if ref.url else ""))
    if spec.params:
        import yaml

        out.print("\n[bold]Params[/]")
        out.print(escape(yaml.safe_dump(spec.params, sort_keys=False).rstrip()))
    out.print(f"\n[dim]{entry.path}[/]")


@profiles_app.command("list")
def profiles_list() -> None:
    """List the built-in profiles."""
    from readyscore.config import builtin_profile_names, load_profile

    table = Table(show_edge=False)
    table.add_column("profile")
    table.add_column("sources")
    table.add_column("description")
    for name in builtin_profile_names():
        profile = load_profile(name)
        table.add_row(name, ",".join(s.value for s in profile.sources), escape(" ".join(profile.description.split())))
    out.print(table)


@profiles_app.command("show")
def profiles_show(name: Annotated[str, typer.Argument(help="Profile name or YAML path.")]) -> None:
    """Show a profile: area weights, levels with their bands and gates, overrides."""
    from readyscore.config import load_profile

    profile = load_profile(name)
    out.print(f"[bold]{escape(profile.name)}[/] [dim]{escape(profile.origin)}[/]")
    out.print(escape(" ".join(profile.description.split())))
    out.print("\n[bold]Area weights[/]")
    for area, weight in sorted(profile.area_weights.items(), key=lambda kv: -kv[1]):
        out.print(f"  {area.value:<14} {weight:g}")
    out.print("\n[bold]Levels[/]")
    for level in sorted(profile.levels, key=lambda s: s.level):
        out.print(f"  Level {level.level} {escape(level.name)} (score ≥ {level.min_score:g})")
        for gate in level.gates:
            parts = [f"{k}: {', '.join(getattr(gate, k))}" for k in ("all_of", "any_of", "first_of") if getattr(gate, k)]
            out.print(f"    - {escape(gate.title)} [dim]({escape('; '.join(parts))})[/]")
    if profile.checks:
        out.print("\n[bold]Check overrides[/]")
        for check_id, override in profile.checks.items():
            out.print(f"  {check_id}: {escape(str(override.model_dump(exclude_defaults=True)))}")


@frameworks_app.command("list")
def frameworks_list() -> None:
    """List the framework mappings: id, title, requirements and how many a check covers."""
    from readyscore.frameworks import catalog_mappings, coverage, load_frameworks

    table = Table(show_edge=False)
    for column in ("framework", "version", "requirements", "covered", "title"):
        table.add_column(column)
    mapped = catalog_mappings()
    for framework in load_frameworks():
        covered = coverage(framework, mapped)["summary"]["covered"]
        table.add_row(framework.id, escape(framework.version), str(len(framework.requirements)), str(covered),
                      escape(framework.title))
    out.print(table)


@frameworks_app.command("show")
def frameworks_show(
    framework_id: Annotated[str, typer.Argument(help="A framework id, as `frameworks list` shows it.")],
    report_json: Annotated[Optional[Path], typer.Option("--report", help="Show each requirement's status in this report.json.")] = None,
) -> None:
    """Show a framework's requirements and the checks mapped to each (with their status in a report)."""
    from readyscore.frameworks import catalog_mappings, coverage, find_framework, load_frameworks

    framework = find_framework(framework_id)
    if framework is None:
        fail_usage(f"no framework {framework_id!r}; known: {', '.join(f.id for f in load_frameworks())}")
    results = catalog_mappings()
    if report_json is not None:
        from readyscore.report import ReportLoadError, load_report

        try:
            results = load_report(report_json).results
        except ReportLoadError as exc:
            fail_usage(str(exc))
    view = coverage(framework, results)
    out.print(f"[bold]{escape(framework.title)} {escape(framework.version)}[/]  [dim]{framework.id}[/]")
    table = Table(show_edge=False)
    for column in ("requirement", "title", "status" if report_json else "covered", "checks"):
        table.add_column(column)
    for row in view["requirements"]:
        checks = ", ".join(f"{c['id']} ({c['status']})" if report_json else c["id"] for c in row["checks"])
        state = row["status"].replace("_", " ") if report_json else ("yes" if row["covered"] else "no")
        table.add_row(escape(row["id"]), escape(row["title"]), state, escape(checks or row["note"] or "—"))
    out.print(table)
