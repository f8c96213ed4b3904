"""The catalog and the profiles are validated when loaded; every error names file, line and field."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from readyscore import paths
from readyscore.catalog import load_catalog, load_check_file
from readyscore.config import (builtin_profile_names, find_project_config, load_profile,
                               load_project_config)
from readyscore.engine import plan_audit
from readyscore.config import AuditOptions
from readyscore.executors import registry
from readyscore.yamlfile import ConfigError

GOOD_CHECK = """\
id: my-check
title: A check of our own
area: security
level: 2
weight: 2
severity: high
source: static
kind: files_present
params:
  what: things
  patterns: ["*.thing"]
rationale: because
remediation: add a thing
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_a_good_check_loads_with_validated_params(tmp_path):
    entry = load_check_file(write(tmp_path, "my-check.yaml", GOOD_CHECK))
    assert entry.spec.id == "my-check"
    assert entry.params.patterns == ["*.thing"]


@pytest.mark.parametrize("change, line, field, words", [
    (("weight: 2", "weight: heavy"), 5, "weight", "valid number"),
    (("severity: high", "severity: scary"), 6, "severity", "'info'"),
    (("rationale: because", "rationale: because\ncolour: red"), 13, "colour", "Extra inputs"),
    (("kind: files_present", "kind: telepathy"), 8, "kind", "unknown executor kind 'telepathy'"),
    (('  patterns: ["*.thing"]', "  patterns: []"), 11, "params.patterns", "at least 1"),
    (("  what: things", "  what: things\n  colour: red"), 11, "params.colour", "Extra inputs"),
    (("id: my-check", "id: other-check"), 1, "id", "must match the file name"),
    (("level: 2", "level: 7"), 4, "level", "less than or equal to 4"),
])
def test_check_errors_name_the_file_the_line_and_the_field(tmp_path, change, line, field, words):
    path = write(tmp_path, "my-check.yaml", GOOD_CHECK.replace(*change))
    with pytest.raises(ConfigError) as info:
        load_check_file(path)
    error = info.value
    assert error.path == str(path)
    assert error.line == line, error.render()
    assert error.field == field
    assert words in error.render()


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "my-check.yaml", GOOD_CHECK.replace("weight: 2", "weight: [2"))
    with pytest.raises(ConfigError) as info:
        load_check_file(path)
    assert "invalid YAML" in str(info.value) and info.value.line is not None


def test_a_duplicate_id_across_folders_fails(tmp_path):
    write(tmp_path / "a", "security/my-check.yaml", GOOD_CHECK)
    write(tmp_path / "b", "other/my-check.yaml", GOOD_CHECK)
    with pytest.raises(ConfigError, match="duplicate check id 'my-check'"):
        load_catalog([tmp_path / "a", tmp_path / "b"], include_builtin=False)


def test_a_user_checks_dir_adds_checks_to_the_builtin_catalog(tmp_path):
    write(tmp_path, "my-check.yaml", GOOD_CHECK)
    catalog = load_catalog([tmp_path])
    assert "my-check" in catalog and "repo-readme" in catalog


def test_the_builtin_catalog_is_consistent():
    """Drift test: ids match file names (checked on load), every kind exists, every kind is used."""
    catalog = load_catalog()
    assert len(catalog) > 5
    used = {spec.kind for spec in catalog.specs}
    unused = set(registry.all_kinds(include_plugins=False)) - used
    assert not unused, f"executor kinds no check uses: {unused}"
    for entry in catalog:
        assert entry.path.parent.name == entry.spec.area.value, f"{entry.path} is not under its area's folder"


@pytest.mark.parametrize("name", builtin_profile_names())
def test_every_builtin_profile_loads_and_names_only_existing_checks(name):
    profile = load_profile(name)
    plan_audit(load_catalog(), profile, AuditOptions(root=Path(".")))
    assert {spec.level for spec in profile.levels} == {1, 2, 3, 4}


def test_builtin_profiles_include_the_four_the_docs_promise():
    assert {"default", "startup", "enterprise", "ci-fast"} <= set(builtin_profile_names())
    assert paths.builtin_profiles_dir().is_dir()


def test_profile_errors_name_the_line_and_field(tmp_path):
    path = write(tmp_path, "p.yaml", """\
        schema_version: 1
        name: mine
        area_weights:
          security: 10
          vibes: 3
        levels:
          - {level: 1, name: One, min_score: 30}
    """)
    with pytest.raises(ConfigError) as info:
        load_profile(str(path))
    assert info.value.line == 5 and info.value.field == "area_weights.vibes"


def test_a_profile_with_a_gap_in_its_levels_is_rejected(tmp_path):
    path = write(tmp_path, "p.yaml", """\
        schema_version: 1
        name: mine
        area_weights: {security: 1}
        levels:
          - {level: 1, name: One, min_score: 30}
          - {level: 3, name: Three, min_score: 70}
    """)
    with pytest.raises(ConfigError, match="without gaps"):
        load_profile(str(path))


def test_a_profile_extends_another_and_overrides_what_it_names(tmp_path):
    path = write(tmp_path, "p.yaml", """\
        schema_version: 1
        name: stricter
        extends: default
        area_weights: {security: 90, reliability: 10}
    """)
    profile = load_profile(str(path))
    assert profile.name == "stricter"
    assert profile.area_weights["security"] == 90
    assert len(profile.levels) == 4  # inherited from default


def test_a_gate_naming_an_unknown_check_fails_the_plan(tmp_path):
    path = write(tmp_path, "p.yaml", """\
        schema_version: 1
        name: typo
        extends: default
        levels:
          - level: 1
            name: One
            min_score: 30
            gates: [{id: g, title: G, all_of: [repo-readmee]}]
    """)
    with pytest.raises(ConfigError, match="unknown check.*repo-readmee"):
        plan_audit(load_catalog(), load_profile(str(path)), AuditOptions(root=tmp_path))


def test_unknown_profile_names_list_the_builtin_ones():
    with pytest.raises(ConfigError, match="built-in profiles are: .*default"):
        load_profile("nonexistent")


def test_project_config_in_yaml_and_in_pyproject(tmp_path):
    write(tmp_path / "a", "readyscore.yaml", """\
        profile: startup
        fail_under: 60
        suppressions:
          - check: repo-no-env-file
            reason: fixture for the docs
            owner: platform
            expires: 2030-01-01
    """)
    config = load_project_config(find_project_config(tmp_path / "a"))
    assert config.profile == "startup" and config.fail_under == 60
    assert config.suppressions[0].expires == dt.date(2030, 1, 1)

    write(tmp_path / "b", "pyproject.toml", '[tool.readyscore]\nprofile = "enterprise"\nfail_under = "high"\n')
    with pytest.raises(ConfigError) as info:
        load_project_config(find_project_config(tmp_path / "b"))
    assert info.value.field == "tool.readyscore.fail_under"


def test_a_suppression_needs_a_reason(tmp_path):
    write(tmp_path, "readyscore.yaml", "suppressions:\n  - check: repo-readme\n")
    with pytest.raises(ConfigError) as info:
        load_project_config(tmp_path / "readyscore.yaml")
    assert info.value.line == 2 and info.value.field == "suppressions.0.reason"


@pytest.mark.parametrize("name", ["default", "enterprise", "ci-fast"])
def test_every_check_level_equals_the_lowest_level_of_the_gates_that_name_it(name):
    """Levels agree: a check the ladder asks for at Level 3 says Level 3 in its YAML, so the
    roadmap, the reports and the gates tell one story. Checks no gate names are left alone."""
    catalog = load_catalog()
    lowest: dict[str, int] = {}
    for level in load_profile(name).levels:
        for gate in level.gates:
            for check_id in gate.check_ids():
                lowest[check_id] = min(lowest.get(check_id, level.level), level.level)
    drift = {c: (catalog.get(c).spec.level, lowest[c]) for c in lowest if catalog.get(c).spec.level != lowest[c]}
    assert drift == {}, f"check id: (YAML level, lowest gate level): {drift}"
