"""JUnit XML: one test case per check, outcomes mapped the way GitLab and Jenkins read them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_factory import BAD_TREE, GOOD_TREE, audit_files, hostile_report, with_result

from readyscore.model import Status
from readyscore.reporters import get_reporter


JENKINS_XSD = Path(__file__).resolve().parents[1] / "fixtures" / "junit" / "jenkins-junit-10.xsd"


def junit(report) -> ET.Element:
    return ET.fromstring(get_reporter("junit").render(report).encode())


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name").split(":")[0]: case for case in root.iter("testcase")}


def outcome(case: ET.Element) -> str:
    children = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
    return children[0] if children else "passed"


@pytest.fixture()
def bad(tmp_path):
    return audit_files(tmp_path, BAD_TREE)


def test_each_check_is_a_test_case_classed_by_area(bad):
    root = junit(bad)
    by_id = cases(root)
    assert set(by_id) == {c.check_id for c in bad.results}
    assert by_id["fx-no-env"].get("classname") == "readyscore.security"
    assert by_id["fx-readme"].get("classname") == "readyscore.reliability"
    assert by_id["fx-readme"].get("name") == "fx-readme: The repository has a README"
    assert {s.get("name") for s in root.iter("testsuite")} == {"readyscore.security", "readyscore.reliability",
                                                              "readyscore.deployment"}


def test_statuses_map_to_failure_error_and_skipped(bad):
    report = with_result(bad, "fx-readme", status=Status.ERROR, message="executor crashed")
    by_id = cases(junit(report))
    assert outcome(by_id["fx-no-env"]) == "failure"
    assert by_id["fx-no-env"].find("failure").get("type") == "fail"
    assert ".env" in by_id["fx-no-env"].find("failure").text and "rotate" in by_id["fx-no-env"].find("failure").text
    assert outcome(by_id["fx-tests"]) == "failure"  # partial credit does not pass a gate
    assert by_id["fx-tests"].find("failure").get("type") == "partial"
    assert outcome(by_id["fx-readme"]) == "error"
    assert outcome(by_id["fx-live-health"]) == "skipped"
    assert "not evaluated" in by_id["fx-live-health"].find("skipped").get("message")


def test_the_counts_add_up_in_every_suite_and_in_total(bad):
    root = junit(with_result(bad, "fx-readme", status=Status.ERROR, message="boom"))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "3", "1")
    assert sum(int(suite.get("skipped")) for suite in root.iter("testsuite")) == 1
    for suite in root.iter("testsuite"):
        found = [outcome(c) for c in suite.iter("testcase")]
        assert int(suite.get("tests")) == len(found)
        assert int(suite.get("failures")) == found.count("failure")
        assert int(suite.get("errors")) == found.count("error")
        assert int(suite.get("skipped")) == found.count("skipped")


def test_a_clean_audit_has_no_failure_and_a_warning_is_information_not_a_pass(tmp_path):
    good = audit_files(tmp_path, GOOD_TREE)
    root = junit(with_result(good, "fx-dockerfile", status=Status.WARN, message="base image not pinned"))
    assert root.get("failures") == "0" and root.get("errors") == "0"
    docker = cases(root)["fx-dockerfile"]
    assert outcome(docker) == "skipped" and "not pinned" in docker.find("system-out").text


def test_a_waived_failure_is_skipped_with_its_reason(bad):
    root = junit(with_result(bad, "fx-no-env", suppressed_by="local fixture, owner platform"))
    env = cases(root)["fx-no-env"]
    assert outcome(env) == "skipped" and "waived: local fixture" in env.find("skipped").get("message")


def test_markup_and_control_characters_from_a_target_stay_well_formed(bad):
    report = hostile_report(bad)
    report = with_result(report, "fx-tests", status=Status.FAIL, message="body: \x00\x1b[31mred\x07 ]]> <x>")
    text = get_reporter("junit").render(report)
    root = ET.fromstring(text.encode())  # parses: nothing broke out of the XML
    tests = cases(root)["fx-tests"].find("failure")
    assert "]]> <x>" in tests.get("message") and "\x00" not in text and "\x1b" not in text
    docker = cases(root)["fx-dockerfile"].find("failure")
    assert '<img src=x onerror="window.__pwned=1">' in docker.text  # kept as text, escaped in the file
    assert "<img" not in text.split("<failure", 1)[0]


def test_every_outcome_validates_against_the_jenkins_junit_schema(bad):
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is not installed (pip install -e '.[test]')")
    schema = xmlschema.XMLSchema(str(JENKINS_XSD))
    report = with_result(bad, "fx-readme", status=Status.ERROR, message="boom")
    report = with_result(report, "fx-tests", status=Status.PASS, message="fine")
    report = with_result(hostile_report(report), "fx-no-env", suppressed_by="waived")
    text = get_reporter("junit").render(report)
    errors = [f"{e.path}: {e.reason}" for e in schema.iter_errors(text)]
    assert errors == []
    root = ET.fromstring(text.encode())
    assert {outcome(case) for case in root.iter("testcase")} == {"failure", "error", "skipped", "passed"}
    # The schema check is real: an attribute Jenkins does not know is refused.
    root.set("skipped", "1")
    assert not schema.is_valid(ET.tostring(root, encoding="unicode"))
