from __future__ import annotations

from readyscore.report import Report
from readyscore.reporters.base import Reporter


class JsonReporter(Reporter):
    name = "json"
    filename = "report.json"

    def render(self, report: Report) -> str:
        return report.model_dump_json(indent=2) + "\n"
