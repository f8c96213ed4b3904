"""The launcher's shortcut: bandit's tester answers "no # nosec comment covers this node" at once
when the file has no such comment, and otherwise exactly as bandit does. That the findings equal
plain `bandit -r` on a tree with and without markers is tested in test_bandit_shortcuts.py."""

from __future__ import annotations

import logging
import subprocess
import sys
import types

from bandit.core import tester

from readyscore.executors.static.bandit_launcher import asks_for_debug, mute_debug_logging, skip_empty_nosec_lookups
from readyscore.executors.static.bandit_run import LAUNCHER


def test_the_shortcut_applies_to_the_installed_bandit_and_answers_as_bandit_does():
    class Tester(tester.BanditTester):  # a subclass: bandit's own class stays untouched here
        pass

    assert skip_empty_nosec_lookups(Tester)
    context = {"linerange": [3, 4, 5], "lineno": 3}
    for table in ({}, {4: {"B602"}}, {5: set()}, {9: {"B101"}}):
        original = tester.BanditTester(None, False, table, None)._get_nosecs_from_contexts(context)
        shortcut = Tester(None, False, table, None)._get_nosecs_from_contexts(context)
        assert shortcut == original, table
    assert Tester(None, False, {}, None)._get_nosecs_from_contexts(context) is None
    assert Tester(None, False, {4: {"B602"}}, None)._get_nosecs_from_contexts(context) == {"B602"}


def test_a_tester_of_another_shape_is_left_alone():
    class Renamed:
        def __init__(self, testset, debug, nosec_lines, metrics):
            self.nosec_lines = nosec_lines

        def _nosecs(self, context, test_result=None):
            return "bandit's own"

    class OtherSignature(Renamed):
        def _get_nosecs_from_contexts(self, context, result, extra):
            return "bandit's own"

    for cls in (Renamed, OtherSignature):
        before = dict(vars(cls))
        assert not skip_empty_nosec_lookups(cls)
        assert dict(vars(cls)) == before


def test_the_launcher_is_bandits_command_line(tmp_path):
    (tmp_path / "app.py").write_text("import hashlib\nhashlib.md5(b'x')\n")
    out = subprocess.run([sys.executable, "-P", str(LAUNCHER), "--version"], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout
    assert "bandit" in out
    report = subprocess.run([sys.executable, "-P", str(LAUNCHER), "-f", "json", "-q", "--exit-zero", "./app.py"],
                            capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert '"test_id": "B324"' in report


def test_debug_logging_is_muted_only_when_no_debug_output_is_asked_for():
    assert [asks_for_debug(a) for a in (["-f", "json", "-q", "./d.py"], ["-d"], ["-qd"], ["--debug"],
                                        ["-s", "B101", "--ignore-nosec"])] == [False, True, True, True, False]
    for arguments, muted in ((["-q", "./app.py"], True), (["-q", "-d", "./app.py"], False)):
        logger = logging.Logger(f"bandit.test.{muted}")
        records = []
        logger.addHandler(type("H", (logging.Handler,), {"emit": lambda self, r: records.append(r)})())
        logger.setLevel(logging.DEBUG)
        module = types.SimpleNamespace(LOG=logger)
        assert mute_debug_logging([module], arguments) is muted
        logger.debug("a debug line")
        logger.info("an info line")
        assert [r.getMessage() for r in records] == (["an info line"] if muted else ["a debug line", "an info line"])
