"""frameworks/claims.yaml is data, kept in step with the catalog and profiles, and validated strictly."""

from __future__ import annotations

import pytest

from readyscore import frameworks
from readyscore.catalog import load_catalog
from readyscore.claims.mapping import load_claim_map
from readyscore.config import builtin_profile_names, load_profile
from readyscore.yamlfile import ConfigError


def test_every_check_and_gate_the_mapping_names_exists():
    mapping = load_claim_map()
    checks = {spec.id for spec in load_catalog().specs}
    gates = {g.id for level in load_profile("default").levels for g in level.gates}
    assert mapping.unknown_references(checks, gates) == []


@pytest.mark.parametrize("profile", builtin_profile_names())
def test_a_capability_whose_gate_a_profile_lacks_is_unproven_not_a_crash(profile):
    from readyscore.claims.judge import Evidence, judge_capability

    gates = [g for level in load_profile(profile).levels for g in level.gates]
    mapping = load_claim_map()
    for capability in mapping.capabilities:
        evidence = Evidence(results={}, gates=[g for g in gates if g.id not in capability.gates], score=None, bands={})
        verdict = judge_capability(capability, [], evidence)
        assert verdict.status.value == "unproven", (capability.id, verdict)
        if capability.gates:
            assert "the profile has no gate" in verdict.reason


def test_the_mapping_is_not_mistaken_for_a_framework():
    assert "claims" not in {f.id for f in frameworks.load_frameworks()}


@pytest.mark.parametrize(("body", "field"), [
    ("capabilities:\n  - {id: a, title: aa, patterns: ['(('], checks: [x]}\n", "capabilities.0.patterns"),
    ("capabilities:\n  - {id: a, title: aa, patterns: [x]}\n", "capabilities.0"),
    ("capabilities:\n  - {id: a, title: aa, patterns: [x], checks: [y], colour: red}\n", "capabilities.0.colour"),
    ("statements:\n  - {id: a, title: aa, patterns: [x], level: 7}\n", "statements.0.level"),
])
def test_a_broken_mapping_is_a_clear_error_with_file_line_and_field(tmp_path, body, field):
    path = tmp_path / "claims.yaml"
    path.write_text("schema_version: 1\nid: claims\ntitle: t\nfiles: ['README*']\n" + body)
    with pytest.raises(ConfigError) as caught:
        load_claim_map(path)
    assert caught.value.field == field and caught.value.line == 6 and str(path) in str(caught.value)
