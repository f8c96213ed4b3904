"""Unreadable, binary, undecodable, unparsable, huge and looping input: skipped and counted, never
a crash or a hang."""

from __future__ import annotations

import os

import pytest
from static_helpers import explain, write_tree

ALL_KINDS = ["static-bandit-high", "static-secrets", "static-debug-mode", "static-cap-auth"]


@pytest.fixture
def messy_tree(tmp_path):
    root = write_tree(tmp_path / "messy", {
        "app.py": "from fastapi.security import HTTPBearer\nauth = HTTPBearer()\napp_debug = False\n",
        "broken.py": "def f(:\n    return 1\n",
        "binary.py": b"\x00\x01\x02ELF\x00" * 100,
        "latin1.py": "name = 'caf\xe9'\n".encode("latin-1"),
        "huge.py": "x = 1\n" * 400_000,  # 2.4 MB: over the default 1 MB cap
        "deep.py": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
        "notes.bin": os.urandom(4096),
    })
    (root / "loop").mkdir()
    os.symlink("..", root / "loop" / "again")  # a folder loop through a symlink
    os.symlink(root / "nowhere.py", root / "dangling.py")
    return root


def test_bad_input_is_skipped_counted_and_the_audit_completes(static_audit, messy_tree):
    results = static_audit(messy_tree, ALL_KINDS)
    assert {r.status.value for r in results.values()} <= {"pass", "fail", "partial"}, explain(results)
    # The good file was still read: its HTTPBearer, wired to no route, is declared (partial) evidence.
    assert results["static-cap-auth"].status.value == "partial"
    assert "fastapi.security" in results["static-cap-auth"].message
    # Five of six Python files could not be read: the hazard check cannot say "none" (partial) and names them.
    debug = results["static-debug-mode"]
    assert debug.status.value == "partial", debug.message
    unread = {"binary.py", "broken.py", "deep.py", "huge.py", "latin1.py"}
    assert unread <= {e.path for e in debug.evidence if e.message.startswith("could not read")}
    assert all(name in debug.message for name in unread)
    assert set(debug.metrics["unread_files"]) == unread
    report = static_audit.last
    static = report.sections["static"]
    skipped = {**report.skipped_files, **static["analysis"]["skipped"]}
    text = " ".join(skipped)
    for reason in ("symlink", "binary", "invalid encoding", "too large", "does not parse"):
        assert reason in text, skipped
    assert static["bandit"]["files_bandit_could_not_scan"] >= 1  # broken.py (and deep.py) reach bandit


def test_unreadable_file_is_counted(static_audit, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    root = write_tree(tmp_path / "t", {"app.py": "x = 1\n", "secret.py": "y = 2\n"})
    (root / "secret.py").chmod(0)
    results = static_audit(root, ["static-secrets"])
    assert results["static-secrets"].status.value == "pass"
    assert "unreadable" in " ".join(static_audit.last.skipped_files)
