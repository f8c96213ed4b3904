"""Hostile repositories: the walk and a whole static + deploy audit over them.

Each audit runs in a child process with a hard timeout (the hang detector) and must end with a
complete report.json: no check crashed, none timed out, every check that could not read something
says so in words, and the files passed over are counted by reason.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pytest
from hostile_trees import build_hostile_tree, build_wide_tree

from readyscore.files import FileIndex
from readyscore.report import load_report

from robust_helpers import assert_no_traceback, assert_readable, readyscore

CRASH_WORDS = ("the check crashed", "timed out after", "Traceback")


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory) -> Path:
    return build_hostile_tree(tmp_path_factory.mktemp("hostile") / "repo")


def assert_clean_report(run, expect_complete: bool = True) -> dict:
    assert_no_traceback(run)
    assert run.code in (0, 1), f"exit {run.code}: {run.stderr[-3000:]}"
    report = load_report(run.output / "report.json")  # valid against the report's own models
    assert report.complete is expect_complete, report.incomplete_reason
    problems = [f"{r.check_id}: {r.message}" for r in report.results
                if any(word in r.message for word in CRASH_WORDS)]
    assert not problems, "checks crashed or hung:\n" + "\n".join(problems)
    for r in report.results:
        if r.status.value in ("error", "not_evaluated"):
            assert_readable(r.message)
    return run.report


def test_the_walk_survives_loops_links_and_odd_names(hostile_tree):
    started = time.monotonic()
    index = FileIndex(hostile_tree)
    assert time.monotonic() - started < 10
    names = {f.rel for f in index.files}
    assert "app.py" in names and "tests/test_app.py" in names
    assert not any(rel.startswith(("loop/", "sub/up/", "etc/")) for rel in names), "a symlink was followed"
    assert not {"loop", "self", "dangling.py", "etc", "passwd.py", "sub/up"} & names
    assert index.skipped["symlink"] == 6
    assert "<img src=x onerror=alert(1)>.py" in names


@pytest.mark.parametrize("rel, reason", [
    ("huge_module.py", "too large"),
    ("binary.py", "binary"),
    ("elf.py", "binary"),
    ("utf16.py", "binary"),
    ("broken.py", "invalid encoding"),
])
def test_unreadable_text_is_skipped_and_counted(hostile_tree, rel, reason):
    index = FileIndex(hostile_tree)
    started = time.monotonic()
    assert index.read_text(rel) is None
    assert time.monotonic() - started < 2
    assert index.skipped[reason] == 1 and rel in index.skipped_examples[reason]


def test_a_static_and_deploy_audit_of_the_hostile_tree_finishes_with_a_complete_report(hostile_tree, tmp_path):
    run = readyscore("audit", str(hostile_tree), "--sources", "static,deploy", "-q", "--format", "json,html",
                     "--timeout", "60", "--deadline", "100", output=tmp_path / "out", timeout=120)
    report = assert_clean_report(run)
    assert run.seconds < 100
    assert report["skipped_files"].get("symlink") == 6, report["skipped_files"]
    assert '"too large"' in json.dumps(report), "the 50 MB file is passed over and counted"
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html  # the file name is shown, as text


@pytest.fixture()
def fast_tmp(tmp_path):
    """A folder on tmpfs when there is one: creating 100,000 files on a busy disk measures the disk."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="readyscore-robustness-", dir=shm))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path


@pytest.mark.slow
def test_a_hundred_thousand_files_are_walked_within_bounds(fast_tmp):
    root = build_wide_tree(fast_tmp / "wide", 100_000)
    started = time.monotonic()
    index = FileIndex(root)
    walked = time.monotonic() - started
    assert len(index.files) == 100_000
    assert walked < 10, f"walking 100,000 files took {walked:.1f} s"
    started = time.monotonic()
    found = index.glob("README*", "**/runbook*", "docs/**", "*.py")
    assert len(found) == 1000 and time.monotonic() - started < 10


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("READYSCORE_SLOW_TESTS"),
                    reason="a whole audit of 100,000 files takes about a minute; set READYSCORE_SLOW_TESTS=1")
def test_a_hundred_thousand_files_are_audited_within_bounds(fast_tmp):
    root = build_wide_tree(fast_tmp / "wide", 100_000)
    run = readyscore("audit", str(root), "--sources", "static,deploy", "-q", "--format", "json",
                     "--timeout", "240", "--deadline", "280", output=fast_tmp / "out", timeout=300,
                     env={"XDG_CACHE_HOME": str(fast_tmp / "cache")})
    assert_clean_report(run)
    print(f"100,000 files audited in {run.seconds:.1f} s")


def _locked_out_command() -> list[str] | None:
    """How to run a child that cannot read a mode-000 folder: as a normal user nothing is needed;
    as root (who reads everything) drop the two capabilities that let it, with util-linux setpriv."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]


def test_a_folder_it_may_not_read_is_counted_not_fatal(tmp_path):
    prefix = _locked_out_command()
    if prefix is None:
        pytest.skip("running as root without setpriv: root reads mode-000 folders, so nothing is locked")
    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "README.md").write_text("# x\n")
    (root / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    locked = root / "private"
    locked.mkdir()
    (locked / "secrets.py").write_text("KEY = 'x'\n")
    (root / "unreadable.py").write_text("x = 1\n")
    os.chmod(root / "unreadable.py", 0)
    os.chmod(locked, 0)
    try:
        import subprocess
        import sys

        out = tmp_path / "out"
        proc = subprocess.run([*prefix, sys.executable, "-m", "readyscore", "audit", str(root), "--sources",
                               "static,deploy", "-q", "--format", "json", "--output", str(out)],
                              capture_output=True, text=True, timeout=90,
                              env={**os.environ, "COLUMNS": "200", "XDG_CACHE_HOME": str(tmp_path / "cache")})
    finally:
        os.chmod(locked, stat.S_IRWXU)
        os.chmod(root / "unreadable.py", stat.S_IRUSR | stat.S_IWUSR)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    report = load_report(out / "report.json")
    assert report.complete
    assert report.skipped_files.get("unreadable folder") == 1, report.skipped_files
    assert report.skipped_files.get("unreadable", 0) >= 1, report.skipped_files
    crashed = [r.check_id for r in report.results if "crashed" in r.message]
    assert not crashed


def test_file_names_that_are_not_utf8_are_shown_not_fatal(tmp_path):
    """Linux names are bytes; one that is not UTF-8 once cost the whole report (exit 3)."""
    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "README.md").write_text("# x\n")
    with open(os.fsencode(root) + b"/tests/test_\xff.py", "w") as handle:
        handle.write("def test_x():\n    assert True\n")
    run = readyscore("audit", str(root), "--sources", "static,deploy", "--format",
                     "terminal,json,html,sarif,junit,markdown", output=tmp_path / "out", timeout=90)
    report = assert_clean_report(run)
    tests = next(r for r in report["results"] if r["check_id"] == "repo-tests-present")
    assert tests["status"] == "pass" and any("test_\ufffd.py" in (e["path"] or "") for e in tests["evidence"])
