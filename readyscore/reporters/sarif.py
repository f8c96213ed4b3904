"""SARIF 2.1.0, shaped for GitHub code scanning (and any other SARIF viewer).

- Every check of the report is a rule: id, title, the rationale as full description, the
  remediation as help, severity as the default level and (for security checks) GitHub's
  `security-severity`.
- Only findings become results: fail, partial and warn. Passing checks are left out, which is
  how code scanning closes an alert once the problem is fixed. Checks that could not run are tool
  notifications, never results: they are not findings about the code.
- Code scanning rejects a result without a file location, and a location with an http(s) URI.
  A finding with file evidence gets one result per file (at most 10, as GitHub allows); a finding
  about the running service has no file, so it is anchored on the project config
  (`readyscore.yaml`, the file that names the audited URL) and the URL goes in the message and
  the result's properties.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from readyscore.model import Area, Severity, Status
from readyscore.report import CheckResult, Report
from readyscore.reporters.base import Reporter

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/readyscore/readyscore"
# Where a finding without a file is shown: the project config, which names the audited service.
ANCHOR_FILE = "readyscore.yaml"
MAX_LOCATIONS = 10  # GitHub shows at most 10 locations per result
MAX_TEXT = 2000  # a message is a line in an alert list, not a log

FINDING_STATUSES = (Status.FAIL, Status.PARTIAL, Status.WARN)
LEVEL_BY_SEVERITY = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
                     Severity.LOW: "note", Severity.INFO: "note"}
# GitHub's bands: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "2.0"}


def _text(value: str, limit: int = MAX_TEXT) -> str:
    value = " ".join(value.split()) if "\n" not in value else value.strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


def result_level(check: CheckResult) -> str:
    """fail: by severity; partial credit and warnings are at most a warning."""
    level = LEVEL_BY_SEVERITY[check.severity]
    if check.status != Status.FAIL and level == "error":
        return "warning"
    return level


def _rule(check: CheckResult) -> dict[str, Any]:
    help_text = check.remediation.strip() or "See the check's rationale."
    refs = [f"- [{r.title}]({r.url})" if r.url else f"- {r.title}" for r in check.references]
    markdown = help_text + ("\n\n**References**\n" + "\n".join(refs) if refs else "")
    properties: dict[str, Any] = {
        "tags": ["readyscore", check.area.value, check.source.value, *check.maps_to],
        "precision": "high" if check.source.value in ("live", "load") else "medium",
        "problem.severity": "recommendation" if LEVEL_BY_SEVERITY[check.severity] == "note"
        else LEVEL_BY_SEVERITY[check.severity],
        "readiness-level": check.level,
        "weight": check.weight,
    }
    if check.area == Area.SECURITY and check.severity in SECURITY_SEVERITY:
        properties["tags"].insert(0, "security")
        properties["security-severity"] = SECURITY_SEVERITY[check.severity]
    properties["tags"] = list(dict.fromkeys(properties["tags"]))  # SARIF wants unique tags
    rule: dict[str, Any] = {
        "id": check.check_id,
        "name": "".join(part.capitalize() for part in check.check_id.replace(".", "-").split("-")),
        "shortDescription": {"text": _text(check.title, 200)},
        "fullDescription": {"text": _text(check.rationale or check.title)},
        "help": {"text": _text(help_text), "markdown": _text(markdown, 4000)},
        "defaultConfiguration": {"level": LEVEL_BY_SEVERITY[check.severity]},
        "properties": properties,
    }
    url = next((r.url for r in check.references if r.url), None)
    if url:
        rule["helpUri"] = url
    return rule


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _location(uri: str, line: int | None, base_id: str | None, message: str | None = None) -> dict[str, Any]:
    artifact: dict[str, Any] = {"uri": quote(uri, safe="/")}  # a URI reference: spaces etc. encoded
    if base_id:
        artifact["uriBaseId"] = base_id
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line and line > 0:
        physical["region"] = {"startLine": line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if message:
        location["message"] = {"text": _text(message, 500)}
    return location


def _safe_relative(path: str) -> str | None:
    """A repository-relative POSIX path, or None for anything that is not one (URLs, absolute paths)."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    parts = path.split("/")
    if not path or path.startswith("/") or ":" in parts[0] or ".." in parts:
        return None
    return path


def _results_for(check: CheckResult, base_id: str | None, target_url: str | None) -> list[dict[str, Any]]:
    message = check.message or check.title
    located = [e for e in check.evidence if e.path and _safe_relative(e.path)]
    elsewhere = [e for e in check.evidence if not (e.path and _safe_relative(e.path))]
    common: dict[str, Any] = {
        "ruleId": check.check_id,
        "level": result_level(check),
        "kind": "fail",
        "properties": {"status": check.status.value, "score": check.score, "source": check.source.value,
                       "area": check.area.value},
    }
    if check.suppressed_by:
        common["suppressions"] = [{"kind": "external", "justification": _text(check.suppressed_by, 500)}]
    results = []
    for evidence in located[:MAX_LOCATIONS]:
        rel = _safe_relative(evidence.path or "")
        text = f"{check.title}: {message}" + (f" ({evidence.message})" if evidence.message else "")
        waived = {"suppressions": [{"kind": "external", "justification": _text(evidence.waived_by, 500)}]} \
            if evidence.waived_by else {}
        results.append({
            **common, **waived,
            "message": {"text": _text(text)},
            "locations": [_location(rel, evidence.line, base_id)],
            "partialFingerprints": {"readyscore/v1": _fingerprint(check.check_id, rel, evidence.message)},
        })
    if results:
        return results
    # No file to point at: the running service, or a file that should exist and does not.
    urls = [e.url for e in elsewhere if e.url]
    where = f" [{urls[0]}]" if urls else (f" [{target_url}]" if check.source.value in ("live", "load")
                                          and target_url else "")
    details = "; ".join(e.message for e in elsewhere[:3] if e.message)
    text = f"{check.title}: {message}{where}" + (f" — {details}" if details else "")
    result = {
        **common,
        "message": {"text": _text(text)},
        # The anchor is repository-relative on purpose: no uriBaseId, so it resolves at the root.
        "locations": [_location(ANCHOR_FILE, None, None, "the project config names the audited service")],
        "partialFingerprints": {"readyscore/v1": _fingerprint(check.check_id, ANCHOR_FILE)},
    }
    if urls or (target_url and check.source.value in ("live", "load")):
        result["properties"]["url"] = urls[0] if urls else target_url
    return [result]


def _notifications(report: Report) -> list[dict[str, Any]]:
    notes = []
    for check in report.results:
        if check.status == Status.ERROR:
            notes.append({"level": "error", "message": {"text": _text(f"{check.check_id}: {check.message}")},
                          "descriptor": {"id": check.check_id}})
    for warning in report.warnings:
        notes.append({"level": "warning", "message": {"text": _text(warning)}})
    return notes


def render_sarif(report: Report) -> dict[str, Any]:
    checks = sorted(report.results, key=lambda c: c.check_id)
    base_id = "SRCROOT" if report.target.path and Path(report.target.path).is_absolute() else None
    results = [r for check in checks if check.status in FINDING_STATUSES
               for r in _results_for(check, base_id, report.target.url)]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "readyscore",
            "version": report.tool.version,
            "semanticVersion": report.tool.version,
            "informationUri": INFORMATION_URI,
            "rules": [_rule(check) for check in checks],
        }},
        "automationDetails": {"id": f"readyscore/{report.profile.name}/"},
        "invocations": [{
            "executionSuccessful": report.complete,
            "startTimeUtc": report.started_at.isoformat().replace("+00:00", "Z"),
            "endTimeUtc": report.finished_at.isoformat().replace("+00:00", "Z"),
            "toolExecutionNotifications": _notifications(report),
        }],
        "results": results,
        "properties": {
            "score": report.score, "level": report.level, "levelName": report.level_name,
            "levelIfVerified": report.level_if_verified,
            "scoreWithoutWaivers": report.without_waivers.score, "levelWithoutWaivers": report.without_waivers.level,
            "coverage": report.coverage, "profile": report.profile.name, "complete": report.complete,
        },
    }
    if report.target.path and Path(report.target.path).is_absolute():
        # Evidence paths are relative to the audited tree; this says where that tree was.
        root_uri = Path(report.target.path).as_uri().rstrip("/") + "/"
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": root_uri}}
    if not report.complete and report.incomplete_reason:
        run["invocations"][0]["exitCodeDescription"] = _text(report.incomplete_reason, 500)
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


class SarifReporter(Reporter):
    name = "sarif"
    filename = "report.sarif"

    def render(self, report: Report) -> str:
        return json.dumps(render_sarif(report), indent=2, ensure_ascii=False) + "\n"
