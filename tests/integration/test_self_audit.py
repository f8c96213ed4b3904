"""readyscore audited by itself comes out clean (the security tool must be safe itself): the same
command .ci/run runs, so a change that adds a high-severity finding to readyscore's own code fails
here, on a developer's machine, and not only in CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readyscore_has_no_high_severity_finding_of_its_own(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "readyscore", "audit", str(ROOT), "--profile", "ci-fast",
                           "--fail-on", "high", "-q", "-f", "json", "-o", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    report = json.loads((tmp_path / "report.json").read_text())
    failing = [(r["check_id"], [f"{e.get('path')}:{e.get('line')}" for e in r["evidence"][:3]])
               for r in report["results"] if r["status"] == "fail" and r["severity"] in ("high", "critical")]
    assert proc.returncode == 0, (proc.stderr[-500:], failing)
