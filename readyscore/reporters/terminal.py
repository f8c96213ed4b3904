"""The summary a person reads in ten seconds: score, level, what holds it back, what to fix first."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from readyscore.report import Report, estimate_line, verification_line, waiver_line
from readyscore.reporters.base import Reporter
from readyscore.scoring import AreaScore, AreaStatus

STATUS_STYLE = {
    "pass": "green", "fail": "red", "partial": "yellow", "warn": "yellow",
    "not_applicable": "dim", "not_evaluated": "dim", "error": "magenta",
}
GATE_STYLE = {"met": "green", "unmet": "red", "not_evaluated": "yellow", "pending": "cyan", "not_applicable": "dim"}


def _score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.0f}"


def _bar(score: float | None, width: int = 20) -> Text:
    if score is None:
        return Text("not evaluated", style="dim")
    filled = round(width * score / 100)
    style = "green" if score >= 70 else "yellow" if score >= 50 else "red"
    return Text("█" * filled, style=style) + Text("░" * (width - filled), style="dim") + Text(f" {score:5.1f}")


CLAIM_STYLE = {"contradicted": "red", "unproven": "yellow", "out_of_reach": "dim", "substantiated": "green"}
TOP_CONTRADICTED = 3


def claims_summary(report: Report, top: int = TOP_CONTRADICTED) -> Text | None:
    """The claims' counts and the first few contradicted ones (file:line, what contradicts them)."""
    if not report.claims:
        return None
    counts: dict[str, int] = {}
    for claim in report.claims:
        counts[claim.status.value] = counts.get(claim.status.value, 0) + 1
    text = Text("Claims against evidence: ", style="bold")
    text.append(" · ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in CLAIM_STYLE if s in counts))
    for claim in [c for c in report.claims if c.status.value == "contradicted"][:top]:
        # Text objects are never parsed as markup, so the file's words stay words.
        text.append(f"\n  ✗ {claim.path}:{claim.line} ", style="red")
        text.append(f"\u201c{claim.text[:90]}\u201d", style="bold")
        text.append(f" — {claim.reason[:160]}", style="dim")
    return text


def _coverage_style(coverage: float) -> str:
    return "dim" if coverage >= 0.8 else "yellow"


def _area_bar(area: AreaScore) -> Text:
    if area.status == AreaStatus.TOO_LITTLE_EVIDENCE:
        return Text("too little evidence", style="yellow")
    if area.status == AreaStatus.NOT_APPLICABLE:
        return Text("not applicable", style="dim")
    return _bar(area.score)


def summary(report: Report, top: int = 5) -> Group:
    parts = []
    headline = Text()
    headline.append(f"Score {_score_text(report.score)}/100", style="bold")
    headline.append("   ")
    headline.append(f"Level {report.level} · {report.level_name}", style="bold cyan")
    headline.append(f"   coverage {report.coverage:.0%}", style="dim" if report.coverage >= 0.8 else "yellow")
    if verification := verification_line(report):
        headline.append(f"\n{verification}", style="bold")
    if estimate := estimate_line(report):
        headline.append(f"\n{estimate}", style="dim")
    if waivers := waiver_line(report):
        headline.append(f"\n{waivers}", style="dim")
    if not report.complete:
        headline.append(f"\nINCOMPLETE: {report.incomplete_reason}", style="bold red")
    # What was audited heads the panel's body, not its title: a title longer than the panel is cut
    # mid-word, a body line wraps. A label (the demo's) says it in words instead of a path.
    target = " · ".join(t for t in (report.target.label or report.target.path, report.target.url) if t)
    body = Text(target or "no target", style="dim")
    body.append("\n")
    body.append_text(headline)
    parts.append(Panel(body, title="readyscore", subtitle=f"profile {escape(report.profile.name)}", expand=False))

    # The two columns count differently (100% beside 49/55 puzzled a first reader): say how.
    areas = Table(title="Areas", show_edge=False, pad_edge=False, caption_style="dim",
                  caption="coverage: share of the applicable checks' weight that was evaluated · "
                          "checks: evaluated of all the area's checks, not-applicable ones included")
    areas.add_column("area")
    areas.add_column("score")
    areas.add_column("coverage", justify="right")
    areas.add_column("checks", justify="right")
    for name, area in report.areas.items():
        if area.total:
            areas.add_row(name, _area_bar(area), Text(f"{area.coverage:.0%}", style=_coverage_style(area.coverage)),
                          f"{area.evaluated}/{area.total}" + (f" +{len(area.predicted_checks)} predicted"
                                                              if area.predicted_checks else ""))
    parts.append(areas)
    thin = [(name, area) for name, area in report.areas.items() if area.status == AreaStatus.TOO_LITTLE_EVIDENCE]
    if thin:
        parts.append(Text("Too little evidence, kept out of the score:\n" + "\n".join(
            f"  - {name}: {escape(area.reason)}; ran: {escape(', '.join(area.evaluated_checks))}"
            for name, area in thin), style="yellow"))

    if report.next_level is not None:
        rung = next((lvl for lvl in report.profile.levels if lvl["level"] == report.next_level), None)
        if rung and (report.score is None or report.score < rung["min_score"]):
            parts.append(Text(f"Level {report.next_level} needs a score of at least {rung['min_score']:g} "
                              f"(now {_score_text(report.score)})", style="yellow"))
        gates = [g for g in report.gates if g.id in report.held_back_by and g.level == report.next_level]
        if gates:
            table = Table(title=f"Held back from Level {report.next_level} by", show_edge=False)
            table.add_column("gate")
            table.add_column("status")
            table.add_column("why")
            for gate in gates:
                table.add_row(escape(gate.title), Text(gate.status.value, style=GATE_STYLE[gate.status.value]),
                              escape(gate.reason))
            parts.append(table)

    claims = claims_summary(report)
    if claims is not None:
        parts.append(claims)

    contradictions = [c for gate in report.gates for c in gate.contradictions]
    if contradictions:
        parts.append(Text("Code and behaviour disagree (the stronger evidence decides):\n"
                          + "\n".join(f"  - {c}" for c in contradictions), style="yellow"))

    if report.roadmap:
        marked = any(item.unlocks_next_level for item in report.roadmap[:top])
        table = Table(title="Next steps", show_edge=False,
                      caption="★ needed for the next level" if marked else None)
        table.add_column("check")
        table.add_column("status")
        table.add_column("points", justify="right")
        for item in report.roadmap[:top]:
            mark = " ★" if item.unlocks_next_level else ""
            table.add_row(escape(item.title) + mark, Text(item.status.value, style=STATUS_STYLE[item.status.value]),
                          "?" if item.points is None else f"+{item.points:.1f}")
        parts.append(table)
    counts = " · ".join(f"{n} {s.replace('_', ' ')}" for s, n in report.counts.items() if n)
    parts.append(Text(counts, style="dim"))
    return Group(*parts)


class TerminalReporter(Reporter):
    name = "terminal"
    filename = None

    def render(self, report: Report) -> str:
        buffer = io.StringIO()
        Console(file=buffer, width=110, color_system=None).print(summary(report))
        return buffer.getvalue()

    def show(self, report: Report, console: Console) -> None:
        console.print(summary(report))
