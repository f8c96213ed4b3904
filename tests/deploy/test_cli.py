"""The deploy family through the real command line: report written, exit codes, settings from readyscore.yaml."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deploy"


def readyscore(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "readyscore", *args], capture_output=True, text=True, timeout=120)


def test_deploy_audit_of_the_bad_tree_writes_cited_findings_and_no_secret(tmp_path):
    run = readyscore("audit", str(FIXTURES / "bad"), "--sources", "deploy", "-f", "json", "-o", str(tmp_path))
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "report.json").read_text()
    assert "fixture-literal-0123456789abcdef" not in text + run.stdout + run.stderr
    results = {r["check_id"]: r for r in json.loads(text)["results"]}
    user = results["deploy-dockerfile-non-root"]
    assert user["status"] == "fail" and (user["evidence"][0]["path"], user["evidence"][0]["line"]) == ("Dockerfile", 8)


def test_deploy_settings_come_from_the_project_config(tmp_path):
    tree = tmp_path / "svc"
    (tree / "k8s").mkdir(parents=True)
    (tree / "k8s" / "d.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
                                         "spec: {template: {spec: {containers: [{name: c, image: 'a:1'}]}}}\n")
    (tree / "k8s" / "big.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n"
                                           + "".join(f"  k{i}: v\n" for i in range(80)))
    (tree / "readyscore.yaml").write_text("schema_version: 1\ndeploy:\n  max_yaml_nodes: 100\n")
    run = readyscore("audit", str(tree), "--sources", "deploy", "-f", "json", "-o", str(tmp_path / "o"))
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    section = report["sections"]["deploy"]
    assert section["kubernetes_objects"] == {"Deployment": 1}  # the 160-node ConfigMap is over the budget
    assert [item["path"] for item in section["not_evaluated"]] == ["k8s/big.yaml"]

    (tree / "readyscore.yaml").write_text("schema_version: 1\ndeploy:\n  max_yaml_nodes: 100\n  max_files: 0\n")
    run = readyscore("audit", str(tree), "--sources", "deploy", "-o", str(tmp_path / "o2"))
    assert run.returncode == 2 and "readyscore.yaml:4" in run.stderr and "max_files" in run.stderr
