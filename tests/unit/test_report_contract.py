"""report.json is the contract: its documented schema is kept in step with the model."""

from __future__ import annotations

import json
from pathlib import Path

from readyscore.report import REPORT_SCHEMA_VERSION, json_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "report.schema.json"


def test_the_committed_schema_matches_the_model():
    committed = json.loads(SCHEMA_FILE.read_text())
    assert committed == json.loads(json.dumps(json_schema(), sort_keys=True)), (
        "docs/report.schema.json is out of date: regenerate it with "
        "`readyscore schema > docs/report.schema.json` and bump REPORT_SCHEMA_VERSION if a field "
        "was renamed or removed")


def test_the_fields_the_issues_name_are_in_the_contract():
    schema = json_schema()
    top = set(schema["properties"])
    assert {"schema_version", "tool", "target", "profile", "started_at", "finished_at", "score", "level",
            "level_name", "coverage", "areas", "gates", "roadmap", "suppressions", "results"} <= top
    result = set(schema["$defs"]["CheckResult"]["properties"])
    assert {"check_id", "title", "area", "level", "source", "severity", "status", "score", "evidence",
            "remediation"} <= result
    evidence = set(schema["$defs"]["Evidence"]["properties"])
    assert {"path", "line", "url", "message"} <= evidence
    assert REPORT_SCHEMA_VERSION.count(".") == 1
