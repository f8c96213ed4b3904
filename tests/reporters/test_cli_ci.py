"""The CI commands as a pipeline runs them: real subprocesses, real files, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_factory import BAD_TREE, CHECKS_DIR, GOOD_TREE, PROFILE, write_tree
from typer.testing import CliRunner

from readyscore.cli import app


def readyscore(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "readyscore", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})})


def audit(root: Path, out: Path, *extra: str, env: dict | None = None):
    return readyscore("audit", str(root), "-o", str(out), "-q", "--sources", "static", "--profile", str(PROFILE),
                      "--checks-dir", str(CHECKS_DIR), *extra, env=env)


@pytest.fixture(scope="module")
def good_json(tmp_path_factory) -> Path:
    """The baseline: an audit of the good tree (one per module; every test only reads it)."""
    folder = tmp_path_factory.mktemp("baseline")
    proc = audit(write_tree(folder / "svc", GOOD_TREE), folder / "out", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    return folder / "out" / "report.json"


def test_report_re_renders_an_old_json_as_sarif_junit_and_markdown(good_json, tmp_path):
    proc = readyscore("report", str(good_json), "--format", "sarif,junit,markdown", "-o", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "r" / "report.sarif").read_text())["version"] == "2.1.0"
    assert ET.parse(tmp_path / "r" / "junit.xml").getroot().tag == "testsuites"
    assert (tmp_path / "r" / "report.md").read_text().startswith("<!-- readyscore-report -->")


def test_audit_against_a_baseline_gates_on_regression_and_passes_when_nothing_got_worse(good_json, tmp_path):
    root = write_tree(tmp_path / "svc", GOOD_TREE)
    same = audit(root, tmp_path / "same", "-f", "json,markdown", "--baseline", str(good_json), "--fail-on-regression")
    assert same.returncode == 0, same.stderr
    assert "since report.json" in same.stderr
    assert "Since the baseline (report.json" in (tmp_path / "same" / "report.md").read_text()

    (root / ".env").write_text("TOKEN=x\n")  # fx-no-env passed in the baseline, fails now
    worse = audit(root, tmp_path / "worse", "-f", "json,html", "--baseline", str(good_json), "--fail-on-regression")
    assert worse.returncode == 1
    assert "regression since the baseline" in worse.stderr and "fx-no-env" in worse.stderr
    report = json.loads((tmp_path / "worse" / "report.json").read_text())
    # The built-in catalog runs too (its own .env check may join); ours must be named.
    assert "fx-no-env" in [c["check_id"] for c in report["sections"]["baseline"]["newly_failing"]]
    assert 'id="baseline-headline"' in (tmp_path / "worse" / "report.html").read_text()

    shown_only = audit(root, tmp_path / "shown", "-f", "json", "--baseline", str(good_json))
    assert shown_only.returncode == 0  # without --fail-on-regression the change is shown, not gated


def test_regression_gate_usage_errors_exit_two_before_auditing(tmp_path):
    root = write_tree(tmp_path / "svc", GOOD_TREE)
    alone = audit(root, tmp_path / "o", "--fail-on-regression")
    assert alone.returncode == 2 and "--baseline" in alone.stderr
    missing = audit(root, tmp_path / "o", "--baseline", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "file not found" in missing.stderr
    assert not (tmp_path / "o" / "report.json").exists()


def test_diff_prints_the_change_and_gates_only_when_asked(good_json, tmp_path):
    bad_out = tmp_path / "bad"
    audit(write_tree(tmp_path / "bad-svc", BAD_TREE), bad_out, "-f", "json")
    new = bad_out / "report.json"

    gated = readyscore("diff", str(good_json), str(new), "--fail-on-regression")
    assert gated.returncode == 1
    assert "newly failing (" in gated.stdout and "fx-no-env" in gated.stdout and "regression" in gated.stderr
    assert readyscore("diff", str(good_json), str(tmp_path / "nope.json")).returncode == 2

    # The rest in-process: the same command, without another interpreter start each time.
    runner = CliRunner()
    shown = runner.invoke(app, ["diff", str(good_json), str(new)])
    assert shown.exit_code == 0 and "fx-no-env" in shown.stdout  # shown, not gated
    assert runner.invoke(app, ["diff", str(new), str(good_json), "--fail-on-regression"]).exit_code == 0  # fixed
    same = runner.invoke(app, ["diff", str(good_json), str(good_json), "--fail-on-regression"])
    assert same.exit_code == 0 and "regression" not in same.output
    as_json = json.loads(runner.invoke(app, ["diff", str(good_json), str(new), "-f", "json"]).stdout)
    assert as_json["level_before"] > as_json["level_after"] and as_json["regressions"]
    as_md = runner.invoke(app, ["diff", str(good_json), str(new), "-f", "markdown"]).stdout
    assert "❌ **Newly failing** (" in as_md and "`fx-no-env`" in as_md


def test_history_builds_a_trend_across_audits(tmp_path):
    root = write_tree(tmp_path / "svc", BAD_TREE)
    history = tmp_path / "cache" / "history.jsonl"
    assert audit(root, tmp_path / "one", "-f", "json", "--history", str(history),
                 env={"GITHUB_SHA": "a" * 40}).returncode == 0
    (root / ".env").unlink()  # security counts with --sources static (deployment has too little evidence)
    assert audit(root, tmp_path / "two", "-f", "json,html", "--history", str(history)).returncode == 0
    lines = [json.loads(line) for line in history.read_text().splitlines()]
    assert len(lines) == 2 and lines[0]["commit"] == "a" * 12 and lines[1]["score"] > lines[0]["score"]
    html = (tmp_path / "two" / "report.html").read_text()
    assert html.count('class="trend-point"') == 2


def test_an_unwritable_history_warns_but_keeps_the_audit(tmp_path):
    root = write_tree(tmp_path / "svc", GOOD_TREE)
    (tmp_path / "blocker").write_text("a file, not a folder")
    proc = audit(root, tmp_path / "o", "-f", "json", "--history", str(tmp_path / "blocker" / "h.jsonl"))
    assert proc.returncode == 0 and "history not updated" in proc.stderr
    assert "history file" in " ".join(json.loads((tmp_path / "o" / "report.json").read_text())["warnings"])
