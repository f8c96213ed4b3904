"""A summary sized for a pull-request comment: score, level, what changed since the baseline, and
the top of the path to the next level.

Text from the audited files and the target is escaped: no markdown or HTML of theirs renders, no
@mention pings anyone, no link appears that we did not write. The whole comment stays far below
GitHub's 65,536-character limit.
"""

from __future__ import annotations

import re

from readyscore.baseline import ReportDiff, attached, headline
from readyscore.report import Report, estimate_line, verification_line, waiver_line
from readyscore.reporters.base import Reporter
from readyscore.scoring import AreaStatus

# A hidden marker so a CI job can find and update its own comment instead of adding a new one.
MARKER = "<!-- readyscore-report -->"
MAX_CHARS = 60_000
TOP_ROADMAP = 5
MAX_CHANGES = 10
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")  # what can start markup inside a line
STATUS_ICON = {"pass": "✅", "fail": "❌", "partial": "🟡", "warn": "⚠️", "error": "💥",
               "not_evaluated": "❔", "not_applicable": "➖"}


def md(text: str | None, limit: int = 300) -> str:
    """Literal text inside markdown: one line, markup escaped, HTML and @mentions defused."""
    text = " ".join((text or "").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # No pings, no autolinks: a zero-width space keeps a URL from becoming a link we did not write.
    return text.replace("@", "&#64;").replace("://", ":/\u200b/").replace("www.", "www\u200b.")


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _baseline(diff: ReportDiff) -> list[str]:
    lines = ["", f"### Since the baseline ({md(diff.baseline, 80)}, {diff.baseline_finished_at:%Y-%m-%d})",
             "", md(headline(diff), 200)]
    if diff.regressions:
        lines += ["", "**Regression:** " + "; ".join(md(r, 300) for r in diff.regressions)]
    for title, icon, changes in (("Newly failing", "❌", diff.newly_failing), ("Fixed", "✅", diff.fixed),
                                 ("Failing in checks new since the baseline", "🆕", diff.new_checks_failing)):
        if not changes:
            continue
        lines += ["", f"{icon} **{title}** ({len(changes)})"]
        lines += [f"- `{c.check_id}` {md(c.title, 120)} · {c.severity.value}" for c in changes[:MAX_CHANGES]]
        if len(changes) > MAX_CHANGES:
            lines.append(f"- … and {len(changes) - MAX_CHANGES} more")
    if not (diff.newly_failing or diff.fixed or diff.new_checks_failing):
        lines += ["", "No check moved between failing and passing."]
    return lines


CLAIM_ICON = {"contradicted": "❌", "unproven": "❔", "out_of_reach": "➖", "substantiated": "✅"}
TOP_CLAIMS = 8


def _claims(report: Report) -> list[str]:
    """Claims against evidence: counts, then the first claims, contradicted first (as stored)."""
    if not report.claims:
        return []
    counts = {}
    for claim in report.claims:
        counts[claim.status.value] = counts.get(claim.status.value, 0) + 1
    summary = " · ".join(f"{CLAIM_ICON.get(s, '')} {counts[s]} {s.replace('_', ' ')}" for s in CLAIM_ICON if s in counts)
    lines = ["", "### Claims against evidence", "", summary, "", "| claim | where | status | why |",
             "| --- | --- | --- | --- |"]
    for claim in report.claims[:TOP_CLAIMS]:
        lines.append(f"| {md(claim.text, 120)} | {md(claim.path, 80)}:{claim.line} "
                     f"| {CLAIM_ICON.get(claim.status.value, '')} {claim.status.value.replace('_', ' ')} "
                     f"| {md(claim.reason, 220)} |")
    if len(report.claims) > TOP_CLAIMS:
        lines.append(f"\n{len(report.claims) - TOP_CLAIMS} more claims in the full report.")
    return lines


def _area_bar(score: float, width: int = 10) -> str:
    filled = round(width * score / 100)
    return "█" * filled + "░" * (width - filled)


def _areas(report: Report) -> list[str]:
    lines = ["", "Coverage: share of the applicable checks' weight that was evaluated. Checks: evaluated of all "
                 "the area's checks, not-applicable ones included.",
             "", "| area | score | coverage | checks |", "| --- | --- | --- | --- |"]
    for name, area in report.areas.items():
        if not area.total:
            continue
        if area.status == AreaStatus.TOO_LITTLE_EVIDENCE:
            shown = f"too little evidence (ran: {md(', '.join(area.evaluated_checks), 120)})"
        elif area.status == AreaStatus.NOT_APPLICABLE:
            shown = "not applicable"
        elif area.score is None:
            shown = "not evaluated"
        else:
            shown = f"`{_area_bar(area.score)}` {area.score:.0f}"
        predicted = f" +{len(area.predicted_checks)} predicted" if area.predicted_checks else ""
        lines.append(f"| {name} | {shown} | {area.coverage:.0%} | {area.evaluated}/{area.total}{predicted} |")
    return lines


def render_markdown(report: Report) -> str:
    diff = attached(report)
    delta = f" ({diff.score_delta:+.1f})" if diff and diff.score_delta is not None else ""
    counts = " · ".join(f"{STATUS_ICON.get(s, '')} {n} {s.replace('_', ' ')}"
                        for s, n in report.counts.items() if n and s in STATUS_ICON)
    lines = [MARKER, f"## readyscore: {_score(report.score)}/100 · Level {report.level} {md(report.level_name, 40)}",
             "", "| score | level | coverage | checks |", "| --- | --- | --- | --- |",
             f"| **{_score(report.score)}**/100{delta} | **{report.level}** · {md(report.level_name, 40)} "
             f"| {report.coverage:.0%} | {counts} |"]
    if not report.complete:
        lines += ["", f"> **Incomplete audit:** {md(report.incomplete_reason, 200)}. The score covers only what finished."]
    if verification := verification_line(report):
        lines += ["", f"**{md(verification, 300)}**"]
    if estimate := estimate_line(report):
        lines += ["", md(estimate, 300) + "."]
    if waivers := waiver_line(report):
        lines += ["", md(waivers[0].upper() + waivers[1:], 300) + "."]
    if report.next_level is not None and report.held_back_by:
        gates = [g for g in report.gates if g.id in report.held_back_by and g.level == report.next_level]
        if gates:
            lines += ["", f"**Held back from Level {report.next_level}** by: "
                      + "; ".join(f"{md(g.title, 120)} ({md(g.reason, 160)})" for g in gates[:6])]
    if diff is not None:
        lines += _baseline(diff)
    lines += _claims(report)
    lines += _areas(report)
    if report.roadmap:
        target = f"Level {report.next_level}" if report.next_level is not None else "a higher score"
        lines += ["", f"### Path to {target}", "", "| # | check | area | status | points |",
                  "| --- | --- | --- | --- | --- |"]
        for index, item in enumerate(report.roadmap[:TOP_ROADMAP], start=1):
            star = "★ " if item.unlocks_next_level else ""
            points = "?" if item.points is None else f"+{item.points:.1f}"
            lines.append(f"| {index} | {star}{md(item.title, 120)} `{item.check_id}` | {item.area.value} "
                         f"| {STATUS_ICON.get(item.status.value, '')} {item.status.value.replace('_', ' ')} | {points} |")
        if len(report.roadmap) > TOP_ROADMAP:
            lines.append(f"\n{len(report.roadmap) - TOP_ROADMAP} more in the full report. ★ unlocks the next level.")
    lines += ["", f"<sub>readyscore {md(report.tool.version, 20)} · profile {md(report.profile.name, 60)} · "
              f"{report.finished_at:%Y-%m-%d %H:%M} UTC</sub>"]
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_CHARS:  # only a pathological report gets here; never break the comment API
        text = text[: MAX_CHARS - 40].rsplit("\n", 1)[0] + "\n\n… (truncated)\n"
    return text


class MarkdownReporter(Reporter):
    name = "markdown"
    filename = "report.md"

    def render(self, report: Report) -> str:
        return render_markdown(report)
