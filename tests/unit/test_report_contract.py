"""report.json is the contract: its documented schema is kept in step with the model."""

from __future__ import annotations

import json
from pathlib import Path

from readyscore.report import REPORT_SCHEMA_VERSION, json_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "report.schema.json"


def _without_defaults(schema):
    """The schema without `"additionalProperties": true`, which is JSON Schema's default anyway:
    pydantic writes it for `dict[str, Any]` from 2.9 on and leaves it out before."""
    if isinstance(schema, dict):
        return {k: _without_defaults(v) for k, v in schema.items() if not (k == "additionalProperties" and v is True)}
    if isinstance(schema, list):
        return [_without_defaults(v) for v in schema]
    return schema


def test_the_committed_schema_matches_the_model():
    committed = _without_defaults(json.loads(SCHEMA_FILE.read_text()))
    assert committed == _without_defaults(json.loads(json.dumps(json_schema(), sort_keys=True))), (
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
