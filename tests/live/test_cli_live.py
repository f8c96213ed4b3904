"""End to end through the command line: the key comes from the environment and stays out of every
file the audit writes and everything it prints."""

from __future__ import annotations

import os
import subprocess
import sys

from faultserver import API_KEY, FaultServer, Faults


def test_cli_audit_of_a_url_keeps_the_key_out_of_reports_and_output(tmp_path):
    env = {**os.environ, "MY_SERVICE_KEY": API_KEY, "NO_COLOR": "1"}
    with FaultServer(Faults(echo_auth=True, auth="any")) as server:
        run = subprocess.run(
            [sys.executable, "-m", "readyscore", "audit", "--url", server.url, "--sources", "live",
             "--api-key-env", "MY_SERVICE_KEY", "--probe", "live-auth-*", "--probe", "live-error-hygiene",
             "-o", str(tmp_path / "out"), "--format", "json,html,terminal"],
            env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), run.stderr
    written = [p for p in (tmp_path / "out").iterdir() if p.is_file()]
    assert written
    for text in [run.stdout, run.stderr, *(p.read_text(errors="replace") for p in written)]:
        assert API_KEY not in text
    report = (tmp_path / "out" / "report.json").read_text()
    assert '"live-auth-invalid-rejected"' in report and "any key is accepted" in report
