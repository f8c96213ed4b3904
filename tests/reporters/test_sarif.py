"""SARIF 2.1.0 output: valid against the OASIS schema, and shaped the way GitHub code scanning
accepts it (every result has a repository-relative file location; rules carry help and severity)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from report_factory import BAD_TREE, GOOD_TREE, audit_files, hostile_report, with_result

from readyscore.model import Evidence, Status
from readyscore.reporters import get_reporter

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json")
                    .read_text())


def sarif(report) -> dict:
    return json.loads(get_reporter("sarif").render(report))


def assert_valid(log: dict) -> None:
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def assert_github_accepts(log: dict) -> None:
    """What code scanning rejects on upload: no location, no artifact location, an http(s) URI."""
    run = log["runs"][0]
    rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert result["message"]["text"]
        assert 1 <= len(result["locations"]) <= 10
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri and "://" not in uri and not uri.startswith("/") and ".." not in uri.split("/")


@pytest.fixture()
def bad(tmp_path):
    return audit_files(tmp_path, BAD_TREE)


def test_a_failing_audit_is_valid_sarif_that_code_scanning_accepts(bad):
    log = sarif(bad)
    assert_valid(log)
    assert_github_accepts(log)
    assert log["version"] == "2.1.0" and log["runs"][0]["tool"]["driver"]["name"] == "readyscore"


def test_every_check_is_a_rule_with_title_help_and_severity(bad):
    rules = {rule["id"]: rule for rule in sarif(bad)["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {c.check_id for c in bad.results}
    env = rules["fx-no-env"]
    assert env["shortDescription"]["text"] == "No .env file is committed"
    assert "rotate its secrets" in env["help"]["text"]
    assert "genai.owasp.org" in env["help"]["markdown"] and env["helpUri"].startswith("https://genai.owasp.org")
    assert env["defaultConfiguration"]["level"] == "error"  # severity high
    assert env["properties"]["security-severity"] == "8.0" and "security" in env["properties"]["tags"]
    assert "LLM02:2025" in env["properties"]["tags"]
    # Not a security check: no security-severity, so GitHub does not file it as a vulnerability.
    assert "security-severity" not in rules["fx-dockerfile"]["properties"]
    assert rules["fx-dockerfile"]["defaultConfiguration"]["level"] == "warning"  # severity medium


def test_file_evidence_becomes_a_located_result(bad):
    results = sarif(bad)["runs"][0]["results"]
    env = [r for r in results if r["ruleId"] == "fx-no-env"]
    assert len(env) == 1 and env[0]["level"] == "error" and env[0]["kind"] == "fail"
    location = env[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": ".env", "uriBaseId": "SRCROOT"}
    assert env[0]["partialFingerprints"]["readyscore/v1"]
    root = sarif(bad)["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert root.startswith("file:///") and root.endswith("/service/")


def test_partial_credit_is_a_warning_at_the_weaker_evidence(bad):
    tests = [r for r in sarif(bad)["runs"][0]["results"] if r["ruleId"] == "fx-tests"]
    assert [t["level"] for t in tests] == ["warning"]
    assert tests[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tests/helpers.py"


def test_a_finding_without_a_file_is_anchored_on_the_project_config(bad):
    docker = [r for r in sarif(bad)["runs"][0]["results"] if r["ruleId"] == "fx-dockerfile"]
    assert len(docker) == 1
    assert docker[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "readyscore.yaml"}
    assert "region" not in docker[0]["locations"][0]["physicalLocation"]


def test_a_live_finding_names_the_url_but_never_uses_it_as_a_location(bad):
    report = with_result(bad, "fx-live-health", status=Status.FAIL, message="GET /healthz answered 503",
                         evidence=[Evidence(message="503", url="http://127.0.0.1:8000/healthz", method="GET",
                                            status=503)])
    log = sarif(report)
    assert_valid(log)
    assert_github_accepts(log)
    live = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "fx-live-health")
    assert live["properties"]["url"] == "http://127.0.0.1:8000/healthz"
    assert "http://127.0.0.1:8000/healthz" in live["message"]["text"]


def test_lines_become_regions_and_hostile_paths_are_not_locations(bad):
    report = with_result(bad, "fx-dockerfile", status=Status.FAIL, evidence=[
        Evidence(message="here", path="src/app.py", line=12),
        Evidence(message="escape", path="../../etc/passwd"),
        Evidence(message="absolute", path="/etc/shadow"),
        Evidence(message="spaces", path="docs/my file.md"),
    ])
    log = sarif(report)
    assert_valid(log)
    assert_github_accepts(log)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"] if r["ruleId"] == "fx-dockerfile"]
    assert uris == ["src/app.py", "docs/my%20file.md"]
    located = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "fx-dockerfile")
    assert located["locations"][0]["physicalLocation"]["region"] == {"startLine": 12}


def test_passing_checks_give_no_result_and_errors_are_notifications_not_findings(tmp_path):
    good = audit_files(tmp_path, GOOD_TREE)
    log = sarif(good)
    assert_valid(log)
    assert log["runs"][0]["results"] == []
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(good.results)

    broken = with_result(good, "fx-readme", status=Status.ERROR, message="executor crashed: boom")
    log = sarif(broken)
    assert_valid(log)
    assert log["runs"][0]["results"] == []
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes if "descriptor" in n] == ["fx-readme"]


def test_a_waived_finding_is_reported_as_suppressed(bad):
    report = with_result(bad, "fx-no-env", suppressed_by="accepted: local fixture (owner platform)")
    env = next(r for r in sarif(report)["runs"][0]["results"] if r["ruleId"] == "fx-no-env")
    assert env["suppressions"][0]["kind"] == "external"
    assert "local fixture" in env["suppressions"][0]["justification"]


def test_markup_and_control_characters_stay_valid_json_and_sarif(bad):
    log = sarif(hostile_report(bad))
    assert_valid(log)
    assert_github_accepts(log)


def test_schema_validation_really_rejects_a_broken_log(bad):
    log = sarif(bad)
    del log["runs"][0]["tool"]["driver"]["name"]
    with pytest.raises(AssertionError):
        assert_valid(log)


def test_a_url_only_or_hand_edited_report_still_renders_valid_sarif(bad):
    from readyscore.report import Target

    for target in (Target(url="http://127.0.0.1:8000"), Target(path="relative/checkout")):
        log = sarif(bad.model_copy(update={"target": target}))
        assert_valid(log)
        assert_github_accepts(log)
        assert "originalUriBaseIds" not in log["runs"][0]
        env = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "fx-no-env")
        assert env["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": ".env"}
