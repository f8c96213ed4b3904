"""Framework mappings: the built-in files load and stay in step with the catalog; coverage is
computed per requirement from results; bad mapping files are rejected with file, line and field."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from readyscore.catalog import load_catalog
from readyscore.frameworks import (
    Framework,
    Requirement,
    RequirementStatus,
    coverage,
    load_framework,
    load_frameworks,
    report_section,
    requirement_status,
)
from readyscore.model import Status
from readyscore.yamlfile import ConfigError

OWASP_IDS = [f"LLM{n:02d}:2025" for n in range(1, 11)]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_builtin_frameworks_load():
    ids = {f.id for f in load_frameworks()}
    assert {"owasp-llm-2025", "aws-genai-lens"} <= ids


def test_every_mapped_check_exists_in_the_catalog(catalog):
    """The drift test: a renamed or deleted check cannot leave a framework pointing at nothing."""
    for framework in load_frameworks():
        for requirement in framework.requirements:
            missing = [c for c in requirement.checks if c not in catalog]
            assert not missing, f"{framework.id} {requirement.id} maps to unknown checks {missing}"


def test_owasp_lists_all_ten_risks_with_the_year():
    owasp = next(f for f in load_frameworks() if f.id == "owasp-llm-2025")
    assert [r.id for r in owasp.requirements] == OWASP_IDS
    uncovered = [r for r in owasp.requirements if not r.checks]
    assert all(r.note for r in uncovered), "an uncovered requirement says why"


def test_every_llm_check_maps_to_an_owasp_risk_that_lists_it(catalog):
    owasp = next(f for f in load_frameworks() if f.id == "owasp-llm-2025")
    llm_checks = [s for s in catalog.specs if s.id.startswith("llm-")]
    assert len(llm_checks) >= 9
    for spec in llm_checks:
        risks = [m for m in spec.maps_to if m in OWASP_IDS]
        assert risks, f"{spec.id} names no OWASP LLM 2025 risk"
        for risk in risks:
            assert spec.id in owasp.requirement(risk).checks, f"{risk} does not list {spec.id}"
        others = {r.id for f in load_frameworks() for r in f.requirements}
        assert all(m in others for m in spec.maps_to), f"{spec.id} maps to an id no framework defines"


def result(check_id, status, maps_to=()):
    return SimpleNamespace(check_id=check_id, status=status, maps_to=list(maps_to))


@pytest.mark.parametrize("primary, supporting, expected", [
    ([], [], RequirementStatus.NOT_COVERED),
    ([Status.PASS, Status.PASS], [], RequirementStatus.PASSED),
    ([Status.PASS, Status.WARN], [], RequirementStatus.WARNING),  # a warning is never a pass
    ([Status.PASS, Status.FAIL], [], RequirementStatus.FAILED),
    ([Status.PARTIAL, Status.NOT_EVALUATED], [], RequirementStatus.FAILED),
    ([Status.NOT_EVALUATED, Status.ERROR, None], [], RequirementStatus.NOT_EVALUATED),
    ([Status.NOT_APPLICABLE], [], RequirementStatus.NOT_APPLICABLE),
    ([Status.NOT_APPLICABLE, Status.PASS], [], RequirementStatus.PASSED),
    # A primary probe that errored or did not run: not evaluated, whatever else passed (LLM01 with
    # both injection probes errored and a name-matched safeguards check passing is not "passed").
    ([Status.ERROR, Status.ERROR], [Status.PASS], RequirementStatus.NOT_EVALUATED),
    ([Status.PASS, Status.NOT_EVALUATED], [], RequirementStatus.NOT_EVALUATED),
    ([Status.PASS, None], [], RequirementStatus.NOT_EVALUATED),
    # Supporting checks: a failure fails it, a warning warns, a pass alone never passes it.
    ([Status.PASS], [Status.FAIL], RequirementStatus.FAILED),
    ([Status.PASS], [Status.WARN], RequirementStatus.WARNING),
    ([Status.PASS], [Status.ERROR], RequirementStatus.PASSED),
    ([Status.NOT_EVALUATED], [Status.PASS], RequirementStatus.NOT_EVALUATED),
])
def test_requirement_status(primary, supporting, expected):
    assert requirement_status(primary, supporting) == expected


def test_coverage_unions_the_mapping_file_and_the_checks_own_maps_to():
    framework = Framework(schema_version=1, id="toy", title="Toy", requirements=[
        Requirement(id="R1", title="one thing", checks=["a"]),
        Requirement(id="R2", title="another thing"),
        Requirement(id="R3", title="third thing", checks=["missing-from-audit"]),
    ])
    results = [result("a", Status.PASS), result("b", Status.FAIL, ["R1"]), result("c", Status.WARN, ["R2"])]
    view = coverage(framework, results)
    rows = {r["id"]: r for r in view["requirements"]}
    assert rows["R1"]["status"] == "failed" and [c["id"] for c in rows["R1"]["checks"]] == ["a", "b"]
    assert [c["primary"] for c in rows["R1"]["checks"]] == [True, False]
    assert rows["R2"]["status"] == "warning" and rows["R2"]["warnings"] == 1 and rows["R2"]["covered"]
    assert rows["R3"]["status"] == "not_evaluated"
    assert rows["R3"]["checks"] == [{"id": "missing-from-audit", "status": "not_in_audit", "primary": True}]
    assert view["summary"] == {"total": 3, "covered": 3, "passed": 0, "failed": 1, "warning": 1,
                               "not_evaluated": 1, "not_applicable": 0, "not_covered": 0}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = "schema_version: 1\nid: toy\ntitle: Toy\nrequirements:\n  - id: R1\n    title: one thing\n"


@pytest.mark.parametrize("text, field, line", [
    (GOOD + "    colour: red\n", "requirements.0.colour", 7),
    (GOOD + "  - id: R1\n    title: again and again\n", None, None),
    (GOOD.replace("schema_version: 1", "schema_version: 2"), "schema_version", 1),
    (GOOD.replace("requirements:\n  - id: R1\n    title: one thing\n", "requirements: []\n"), "requirements", 4),
])
def test_bad_mapping_files_are_rejected_with_where(tmp_path, text, field, line):
    path = write(tmp_path, "toy.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_framework(path)
    assert caught.value.path == str(path)
    if field:
        assert caught.value.field == field and caught.value.line == line
    else:
        assert "listed twice" in str(caught.value)


def test_the_id_must_match_the_file_name(tmp_path):
    with pytest.raises(ConfigError, match="must match the file name"):
        load_framework(write(tmp_path, "other.yaml", GOOD))


def test_a_broken_mapping_file_never_breaks_an_audit(tmp_path):
    write(tmp_path, "toy.yaml", "schema_version: 1\nid: [unclosed\n")
    section = report_section([], tmp_path)
    assert section["frameworks"] == [] and "invalid YAML" in section["error"]
    write(tmp_path, "toy.yaml", GOOD)
    assert report_section([result("x", Status.PASS, ["R1"])], tmp_path)["frameworks"][0]["summary"]["passed"] == 1
