"""One self-contained HTML file (no CDN, works offline as a CI artifact), rendered with jinja2
autoescaping: everything from the target or the audited files is text, never markup."""

from __future__ import annotations

import secrets

from jinja2 import Environment, PackageLoader, select_autoescape

from readyscore.report import Report, estimate_line, verification_line, waiver_line
from readyscore.reporters.base import Reporter

STATUS_LABELS = {
    "pass": "pass", "fail": "fail", "partial": "partial", "warn": "warning",
    "not_applicable": "not applicable", "not_evaluated": "not evaluated", "error": "error",
}

STATUS_ORDER = ["fail", "error", "partial", "warn", "pass", "not_evaluated", "not_applicable"]


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("readyscore.reporters", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score"] = lambda value: "—" if value is None else f"{value:.0f}"
    env.filters["pct"] = lambda value: f"{100 * value:.0f}%"
    env.globals["STATUS_LABELS"] = STATUS_LABELS
    return env


class HtmlReporter(Reporter):
    name = "html"
    filename = "report.html"

    def render(self, report: Report) -> str:
        template = _environment().get_template("report.html.j2")
        sections = sorted(report.sections)
        # Worst first, so a reader meets what needs doing before what is fine.
        ordered = sorted(report.results, key=lambda r: (STATUS_ORDER.index(r.status.value), r.level, r.check_id))
        # A fresh nonce per file: only our own script may run (see the CSP in the template).
        return template.render(report=report, r=report, section_names=sections, ordered_results=ordered,
                               verification=verification_line(report), waivers=waiver_line(report),
                               estimate=estimate_line(report),
                               nonce=secrets.token_urlsafe(16))
