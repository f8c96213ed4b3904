"""A deployment file that cannot be read is not evidence of absence."""

from __future__ import annotations

import json
import subprocess
import sys

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))


def audit(tree, tmp_path) -> dict[str, dict]:
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "readyscore", "audit", str(tree), "--sources", "deploy", "-o", str(out),
                           "-q", "-f", "json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return {r["check_id"]: r for r in json.loads((out / "report.json").read_text())["results"]}


def test_an_unreadable_compose_file_leaves_the_compose_checks_not_evaluated(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "docker-compose.yml").write_text(ALIAS_BOMB)
    results = audit(tree, tmp_path)
    secrets = results["deploy-compose-no-inline-secrets"]
    assert secrets["status"] == "not_evaluated"
    assert "docker-compose.yml" in secrets["message"]
    assert secrets["evidence"][0]["path"] == "docker-compose.yml"


def test_without_any_compose_file_the_compose_checks_are_not_applicable(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.py").write_text("print('hi')\n")
    assert audit(tree, tmp_path)["deploy-compose-no-inline-secrets"]["status"] == "not_applicable"
