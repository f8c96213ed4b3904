"""The profiles' deployment gates, decided by whole deploy audits of fixture trees (and the demo presets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, load_profile
from readyscore.engine import audit
from readyscore.executors import registry
from readyscore.executors.deploy.kinds import (
    CiParams,
    ComposeParams,
    DockerfileParams,
    K8sParams,
    PresenceParams,
)
from readyscore.model import Source, Status
from readyscore.scoring import GateStatus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deploy"
PRESETS = Path(__file__).resolve().parents[2] / "readyscore" / "demo" / "presets"
L3_DEPLOY_GATES = ["containerized", "orchestrated", "liveness-probes", "readiness-probes", "resource-limits",
                   "monitoring", "alerting"]
L4_DEPLOY_GATES = ["multi-region", "waf-ddos", "autoscaling", "self-healing", "progressive-delivery", "slo"]


_LOADED: dict[str, object] = {}


def deploy_audit(root: Path, profile: str = "default"):
    if "catalog" not in _LOADED:
        _LOADED["catalog"] = load_catalog()
    options = AuditOptions(root=root, sources={Source.DEPLOY}, show_progress=False)
    return audit(_LOADED["catalog"], load_profile(profile), ProjectConfig(), options)


def gates(report) -> dict[str, object]:
    return {gate.id: gate for gate in report.gates}


@pytest.fixture(scope="module")
def good_report():
    return deploy_audit(FIXTURES / "good")


@pytest.fixture(scope="module")
def none_report():
    return deploy_audit(FIXTURES / "none")


def test_good_tree_meets_every_deployment_gate(good_report):
    outcome = gates(good_report)
    for gate_id in L3_DEPLOY_GATES + L4_DEPLOY_GATES:
        assert outcome[gate_id].status == GateStatus.MET, (gate_id, outcome[gate_id].reason)
    assert all(r.status != Status.ERROR for r in good_report.results if r.check_id.startswith("deploy-"))


def test_no_kubernetes_is_held_back_by_one_orchestration_result(none_report):
    outcome = gates(none_report)
    assert outcome["orchestrated"].status == GateStatus.UNMET
    assert outcome["orchestrated"].blocking == {"deploy-orchestrated": "fail"}
    failing = [r.check_id for r in none_report.results if r.check_id.startswith("deploy-k8s") and r.status == Status.FAIL]
    assert failing == []
    # The probe and resource gates have nothing to decide on: not evaluated, never met.
    assert outcome["liveness-probes"].status == GateStatus.NOT_EVALUATED
    assert none_report.level < 3


def test_the_deploy_section_lists_what_was_found(good_report):
    section = good_report.sections["deploy"]
    assert section["dockerfiles"] == ["Dockerfile"] and section["kubernetes_objects"]["Deployment"] == 1


def test_secrets_never_reach_the_report(tmp_path):
    report = deploy_audit(FIXTURES / "bad")
    assert "fixture-literal-0123456789abcdef" not in report.model_dump_json()


def test_every_profile_gate_names_an_existing_check(catalog):
    for name in ("default", "enterprise", "ci-fast", "startup"):
        for level in load_profile(name).levels:
            for gate in level.gates:
                assert all(check in catalog for check in gate.check_ids()), (name, gate.id)


def test_every_rule_of_every_deploy_kind_is_used_by_a_check(catalog):
    used: dict[str, set[str]] = {}
    for entry in catalog:
        if entry.spec.source == Source.DEPLOY:
            assert entry.spec.id.startswith("deploy-")
            used.setdefault(entry.spec.kind, set()).add(entry.params.rule)
    for kind, params in (("dockerfile", DockerfileParams), ("compose", ComposeParams), ("k8s_workload", K8sParams),
                         ("ci_pipeline", CiParams), ("deploy_evidence", PresenceParams)):
        assert registry.get(kind)
        rules = set(params.model_fields["rule"].annotation.__args__)
        assert used[kind] == rules, (kind, rules - used[kind])


def preset(level: int) -> Path:
    path = PRESETS / f"level{level}"
    # The presets are written by another part of the project; until a tree has its Dockerfile it is
    # still being written and there is nothing deployable to judge.
    if not (path / "Dockerfile").is_file():
        pytest.skip(f"demo preset level{level} has no deployment files yet")
    return path


def test_level3_preset_meets_the_level3_deploy_gates_and_level1_does_not():
    level3 = gates(deploy_audit(preset(3)))
    level1 = gates(deploy_audit(preset(1)))
    unmet = {g: level3[g].reason for g in L3_DEPLOY_GATES if level3[g].status != GateStatus.MET}
    assert not unmet
    assert any(level1[g].status != GateStatus.MET for g in L3_DEPLOY_GATES)


def test_level4_preset_meets_the_level4_deploy_gates():
    level4 = gates(deploy_audit(preset(4)))
    unmet = {g: level4[g].reason for g in L3_DEPLOY_GATES + L4_DEPLOY_GATES if level4[g].status != GateStatus.MET}
    assert not unmet


def test_enterprise_profile_asks_for_three_replicas():
    report = deploy_audit(FIXTURES / "good", "enterprise")
    replicas = next(r for r in report.results if r.check_id == "deploy-k8s-replicas")
    assert replicas.status == Status.FAIL and "at least 3" in replicas.evidence[0].message
    assert gates(report)["self-healing"].status == GateStatus.UNMET
