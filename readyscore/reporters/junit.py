"""JUnit XML: every check a test case, so GitLab, Jenkins, Azure DevOps and CircleCI show the audit
in the test view they already have.

One <testsuite> per area; classname "readyscore.<area>" (Jenkins shows it as package and class).
fail and partial -> <failure>; error -> <error>; not evaluated, not applicable and waived findings
-> <skipped> with the reason; pass and warn pass (a warning never blocks; its text goes to
<system-out>).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from readyscore.model import Status
from readyscore.report import CheckResult, Report
from readyscore.reporters.base import Reporter

# XML 1.0 forbids most control characters; a target's answer may contain any byte.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MAX_ATTR = 500
MAX_BODY = 8000


def _clean(text: str, limit: int) -> str:
    text = _NOT_XML.sub("\ufffd", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _details(check: CheckResult) -> str:
    lines = [check.message or check.title, ""]
    for e in check.evidence:
        where = " ".join(part for part in (
            f"{e.path}:{e.line}" if e.path and e.line else e.path,
            " ".join(p for p in (e.method, e.url) if p) or None,
            f"-> {e.status}" if e.status else None) if part)
        lines.append(f"- {where}: {e.message}" if where else f"- {e.message}")
        if e.snippet:
            lines.append("    " + e.snippet.replace("\n", "\n    "))
    lines += ["", f"fix: {check.remediation.strip()}",
              f"level {check.level} · {check.area.value} · {check.source.value} · severity {check.severity.value}"]
    return _clean("\n".join(lines), MAX_BODY)


def _testcase(check: CheckResult) -> tuple[ET.Element, str]:
    """The <testcase> and its outcome: passed, failure, error or skipped."""
    case = ET.Element("testcase", {
        "classname": f"readyscore.{check.area.value}",
        "name": _clean(f"{check.check_id}: {check.title}", MAX_ATTR),
        "time": f"{check.duration_s:.3f}",
    })
    message = _clean(check.message or check.title, MAX_ATTR)
    if check.suppressed_by and check.status in (Status.FAIL, Status.PARTIAL, Status.ERROR, Status.WARN):
        ET.SubElement(case, "skipped", {"message": _clean(f"waived: {check.suppressed_by}", MAX_ATTR)})
        return case, "skipped"
    if check.status in (Status.FAIL, Status.PARTIAL):
        failure = ET.SubElement(case, "failure", {"message": message, "type": check.status.value})
        failure.text = _details(check)
        return case, "failure"
    if check.status == Status.ERROR:
        error = ET.SubElement(case, "error", {"message": message, "type": "error"})
        error.text = _details(check)
        return case, "error"
    if check.status in (Status.NOT_EVALUATED, Status.NOT_APPLICABLE):
        label = check.status.value.replace("_", " ")
        ET.SubElement(case, "skipped", {"message": _clean(f"{label}: {check.message}", MAX_ATTR)})
        return case, "skipped"
    if check.status == Status.WARN:
        # A warning is information: it neither fails the build nor counts as a pass.
        ET.SubElement(case, "skipped", {"message": _clean(f"warning (information, not a pass): {check.message}",
                                                          MAX_ATTR)})
        ET.SubElement(case, "system-out").text = _details(check)
        return case, "skipped"
    return case, "passed"


def _audit_properties(report: Report) -> list[tuple[str, str]]:
    """The audit's verdict on every suite: score and level with and without waivers, and the
    level the gathered evidence would support once pending gates are verified."""
    def text(value) -> str:
        return "" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))

    return [("score", text(report.score)), ("level", text(report.level)),
            ("level_if_verified", text(report.level_if_verified)),
            ("score_without_waivers", text(report.without_waivers.score)),
            ("level_without_waivers", text(report.without_waivers.level))]


def render_junit(report: Report) -> ET.ElementTree:
    by_area: dict[str, list[CheckResult]] = defaultdict(list)
    for check in sorted(report.results, key=lambda c: (c.area.value, c.level, c.check_id)):
        by_area[check.area.value].append(check)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    root = ET.Element("testsuites", {"name": "readyscore"})
    timestamp = report.started_at.replace(tzinfo=None).isoformat(timespec="seconds")
    for area, checks in by_area.items():
        counts = {"failure": 0, "error": 0, "skipped": 0}
        suite = ET.SubElement(root, "testsuite", {"name": f"readyscore.{area}", "timestamp": timestamp})
        properties = ET.SubElement(suite, "properties")
        score = report.areas.get(area).score if report.areas.get(area) else None
        for name, value in (("area", area), ("area_score", "" if score is None else f"{score:.1f}"),
                            *_audit_properties(report)):
            ET.SubElement(properties, "property", {"name": name, "value": value})
        for check in checks:
            case, outcome = _testcase(check)
            suite.append(case)
            if outcome in counts:
                counts[outcome] += 1
        suite.set("tests", str(len(checks)))
        suite.set("failures", str(counts["failure"]))
        suite.set("errors", str(counts["error"]))
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", f"{sum(c.duration_s for c in checks):.3f}")
        totals["tests"] += len(checks)
        totals["failures"] += counts["failure"]
        totals["errors"] += counts["error"]
        totals["skipped"] += counts["skipped"]
    # The totals Jenkins' schema (xunit plugin, junit-10.xsd) allows on <testsuites>; skipped
    # counts live on each <testsuite>.
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    root.set("time", f"{report.duration_s:.3f}")
    return ET.ElementTree(root)


class JunitReporter(Reporter):
    name = "junit"
    filename = "junit.xml"

    def render(self, report: Report) -> str:
        tree = render_junit(report)
        ET.indent(tree, space="  ")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree.getroot(), encoding="unicode") + "\n"
