"""The command line as a user meets it: real subprocesses, real files, real exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def readyscore(*args: str, cwd: Path | None = None, timeout: float = 120, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "readyscore", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture()
def tidy_repo(tmp_path: Path) -> Path:
    """A small service repository with good hygiene."""
    root = tmp_path / "service"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_app.py").write_text("def test_ok():\n    assert True\n")
    (root / "app.py").write_text("print('hello')\n")
    (root / "README.md").write_text("# service\n")
    (root / ".gitignore").write_text(".env\n")
    (root / "requirements.txt").write_text("fastapi==0.110.0\n")
    return root


def test_audit_writes_the_reports_and_exits_zero(tidy_repo, tmp_path):
    out = tmp_path / "out"
    proc = readyscore("audit", str(tidy_repo), "--output", str(out), "--sources", "static")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"].startswith("1.")
    assert report["target"]["path"] == str(tidy_repo)
    assert {"score", "level", "level_name", "coverage", "areas", "gates", "roadmap", "results",
            "suppressions", "started_at", "finished_at", "tool", "profile"} <= set(report)
    readme = next(r for r in report["results"] if r["check_id"] == "repo-readme")
    assert readme["status"] == "pass" and readme["evidence"][0]["path"] == "README.md"
    html = (out / "report.html").read_text()
    assert "readyscore report" in html and "repo-readme" in html
    assert "Score" in proc.stdout or "Level" in proc.stdout


def test_fail_under_and_min_level_exit_one_when_not_met(tidy_repo, tmp_path):
    args = ("audit", str(tidy_repo), "-o", str(tmp_path / "o"), "-q", "--sources", "static")
    assert readyscore(*args, "--fail-under", "99").returncode == 1
    assert readyscore(*args, "--min-level", "4").returncode == 1
    assert readyscore(*args, "--fail-under", "1", "--min-level", "0").returncode == 0


def test_fail_on_severity_gates_on_unsuppressed_failures(tidy_repo, tmp_path):
    args = ("audit", str(tidy_repo), "-o", str(tmp_path / "o"), "-q", "--sources", "static")
    before = readyscore(*args, "--fail-on", "high")
    assert "repo-no-env-file" not in before.stderr
    assert readyscore(*args, "--fail-on", "critical").returncode == 0
    (tidy_repo / ".env").write_text("TOKEN=x\n")  # repo-no-env-file is high severity
    failed = readyscore(*args, "--fail-on", "high")
    assert failed.returncode == 1 and "repo-no-env-file" in failed.stderr
    assert readyscore(*args, "--fail-on", "critical").returncode == 0  # below the threshold


@pytest.mark.parametrize("args, words", [
    (("audit", "/no/such/folder"), "no such file or folder"),
    (("audit",), "nothing to audit"),
    (("audit", ".", "--profile", "nonexistent"), "no such profile"),
    (("audit", ".", "--format", "pdf"), "unknown format pdf"),
    (("audit", ".", "--url", "ftp://example.invalid"), "http:// or https://"),
    (("audit", ".", "--sources", "telepathy"), "telepathy"),
    (("checks", "show", "repo-readmee"), "did you mean repo-readme"),
    (("checks", "list", "--area", "vibes"), "--area 'vibes'"),
    (("report", "/no/such/report.json"), "file not found"),
])
def test_user_mistakes_exit_two_with_a_message_and_no_traceback(args, words, tmp_path):
    proc = readyscore(*args, cwd=REPO)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert words in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_malformed_profile_exits_two_naming_file_line_and_field(tidy_repo, tmp_path):
    profile = tmp_path / "bad.yaml"
    profile.write_text("schema_version: 1\nname: bad\narea_weights:\n  security: lots\nlevels: []\n")
    proc = readyscore("audit", str(tidy_repo), "--profile", str(profile), "-o", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert f"{profile}:4: field 'area_weights.security'" in proc.stderr.replace("\n", "")


def test_an_unwritable_output_folder_exits_two(tidy_repo, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = readyscore("audit", str(tidy_repo), "-o", str(blocker / "out"))
    assert proc.returncode == 2 and "--output" in proc.stderr


def test_report_re_renders_without_re_auditing(tidy_repo, tmp_path):
    out = tmp_path / "o"
    assert readyscore("audit", str(tidy_repo), "-o", str(out), "-q", "-f", "json").returncode == 0
    assert not (out / "report.html").exists()
    proc = readyscore("report", str(out / "report.json"), "--format", "html")
    assert proc.returncode == 0, proc.stderr
    assert "repo-readme" in (out / "report.html").read_text()


def test_suppressions_apply_expire_and_are_listed(tidy_repo, tmp_path):
    (tidy_repo / ".env").write_text("SECRET=1\n")
    (tidy_repo / "readyscore.yaml").write_text(textwrap.dedent("""\
        suppressions:
          - check: repo-no-env-file
            reason: local fixture, never deployed
            owner: platform
            expires: 2999-01-01
          - check: repo-runbook
            reason: expired waiver
            expires: 2001-01-01
    """))
    out = tmp_path / "o"
    assert readyscore("audit", str(tidy_repo), "-o", str(out), "-q", "-f", "json").returncode == 0
    report = json.loads((out / "report.json").read_text())
    env_result = next(r for r in report["results"] if r["check_id"] == "repo-no-env-file")
    runbook = next(r for r in report["results"] if r["check_id"] == "repo-runbook")
    assert env_result["status"] == "fail" and "never deployed" in env_result["suppressed_by"]
    assert runbook["suppressed_by"] is None
    listed = {s["check"]: s for s in report["suppressions"]}
    assert listed["repo-no-env-file"]["active"] and not listed["repo-runbook"]["active"]
    assert report["without_waivers"]["score"] < report["score"]


def test_checks_and_profiles_commands_list_the_catalog():
    listing = readyscore("checks", "list", "--area", "security")
    assert listing.returncode == 0 and "repo-no-env-file" in listing.stdout and "repo-readme" not in listing.stdout
    shown = readyscore("checks", "show", "repo-no-env-file")
    assert shown.returncode == 0 and "rotate" in shown.stdout
    profiles = readyscore("profiles", "list")
    assert profiles.returncode == 0 and "ci-fast" in profiles.stdout
    assert "Level 2" in readyscore("profiles", "show", "default").stdout


def test_schema_command_prints_the_report_json_schema():
    proc = readyscore("schema")
    schema = json.loads(proc.stdout)
    assert "schema_version" in schema["properties"] and "results" in schema["required"]


SLOW_AUDIT = """
import os, pathlib, sys, time
from readyscore.executors.base import Executor, result
from readyscore.executors.registry import register
from readyscore.model import Status

@register
class Slow(Executor):
    kind = "test_slow"
    def run(self, spec, params, ctx):
        pathlib.Path(os.environ["SLOW_CHECK_STARTED"]).touch()  # tells the test the audit is under way
        ctx.sleep(60)
        return result(spec, Status.PASS, "slept")

sys.argv = ["readyscore", *sys.argv[1:]]
from readyscore.cli import main
main()
"""

SLOW_CHECK = """
id: test-slow
title: A check that takes a long time
area: reliability
level: 1
weight: 1
severity: low
source: static
kind: test_slow
rationale: test
remediation: test
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_audit_writes_a_report_marked_incomplete(tidy_repo, tmp_path, sig):
    script = tmp_path / "slow_audit.py"
    script.write_text(SLOW_AUDIT)
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "test-slow.yaml").write_text(SLOW_CHECK)
    out = tmp_path / "o"
    started = tmp_path / "started"
    proc = subprocess.Popen([sys.executable, str(script), "audit", str(tidy_repo), "--checks-dir", str(checks),
                             "-o", str(out), "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SLOW_CHECK_STARTED": str(started)})
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert started.exists(), "the slow check never started"
    time.sleep(1)  # let the quick checks finish so the report has something to keep
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    report = json.loads((out / "report.json").read_text())
    assert report["complete"] is False and report["incomplete_reason"] == "interrupted"
    slow = next(r for r in report["results"] if r["check_id"] == "test-slow")
    assert slow["status"] == "not_evaluated"
    readme = next(r for r in report["results"] if r["check_id"] == "repo-readme")
    assert readme["status"] == "pass"  # what finished before the interrupt is kept
    assert not list(out.glob(".*.tmp")), "a temporary report file was left behind"


def test_audit_of_readyscore_itself_writes_all_three_reports(tmp_path):
    out = tmp_path / "self"
    proc = readyscore("audit", str(REPO), "--profile", "ci-fast", "-o", str(out), timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    assert (out / "report.json").exists() and (out / "report.html").exists()
    assert "Level" in proc.stdout


def test_a_path_scoped_suppression_waives_only_findings_at_that_path(tidy_repo, tmp_path):
    (tidy_repo / "fixtures").mkdir()
    (tidy_repo / "fixtures" / ".env").write_text("FAKE=1\n")
    (tidy_repo / "readyscore.yaml").write_text(textwrap.dedent("""\
        suppressions:
          - check: repo-no-env-file
            path: fixtures/**
            reason: synthetic test data
    """))
    out = tmp_path / "o"
    assert readyscore("audit", str(tidy_repo), "-o", str(out), "-q", "-f", "json").returncode == 0
    report = json.loads((out / "report.json").read_text())
    result = next(r for r in report["results"] if r["check_id"] == "repo-no-env-file")
    # The raw verdict counts every finding; the waived finding stays, marked, and waives the check.
    assert result["status"] == "fail" and result["suppressed_by"] == "synthetic test data"
    assert [(e["path"], e["waived_by"]) for e in result["evidence"]] == [("fixtures/.env", "synthetic test data")]
    assert report["suppressions"][0]["whole_check"]

    (tidy_repo / ".env").write_text("REAL=1\n")  # outside the suppressed path: still a finding
    assert readyscore("audit", str(tidy_repo), "-o", str(out), "-q", "-f", "json").returncode == 0
    report = json.loads((out / "report.json").read_text())
    result = next(r for r in report["results"] if r["check_id"] == "repo-no-env-file")
    assert result["status"] == "fail" and not result["suppressed_by"]
    assert sorted((e["path"], bool(e["waived_by"])) for e in result["evidence"]) == [(".env", False),
                                                                                    ("fixtures/.env", True)]
    assert not report["suppressions"][0]["whole_check"]
