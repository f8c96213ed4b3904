"""Third-party executors arrive through the `readyscore.executors` entry-point group."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN = '''
from readyscore.executors.base import Executor, result
from readyscore.model import Status


class LicenseFile(Executor):
    kind = "acme_license_file"

    def run(self, spec, params, ctx):
        found = ctx.files.exists("LICENSE")
        return result(spec, Status.PASS if found else Status.FAIL, "LICENSE " + ("found" if found else "missing"))
'''

CHECK = """\
id: acme-license
title: A license file is present
area: compliance
level: 1
weight: 1
severity: low
source: static
kind: acme_license_file
rationale: lawyers
remediation: add LICENSE
"""


def install_fake_distribution(site: Path) -> None:
    """A real (if minimal) installed distribution: importlib.metadata finds it on sys.path."""
    (site / "acme_readyscore.py").write_text(textwrap.dedent(PLUGIN))
    dist = site / "acme_readyscore-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-readyscore\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[readyscore.executors]\nlicense = acme_readyscore:LicenseFile\n")


def test_an_entry_point_executor_runs_a_yaml_check(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    install_fake_distribution(site)
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "acme-license.yaml").write_text(CHECK)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "LICENSE").write_text("MIT\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "readyscore", "audit", str(tree), "--checks-dir", str(checks),
                           "-o", str(tmp_path / "out"), "-q", "-f", "json"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    result = next(r for r in report["results"] if r["check_id"] == "acme-license")
    assert result["status"] == "pass" and result["message"] == "LICENSE found"


def test_a_check_naming_a_kind_nobody_provides_fails_at_load(tmp_path):
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "acme-license.yaml").write_text(CHECK)
    proc = subprocess.run([sys.executable, "-m", "readyscore", "checks", "list", "--checks-dir", str(checks)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "acme-license.yaml:8: field 'kind': unknown executor kind 'acme_license_file'" in proc.stderr.replace("\n", "")
