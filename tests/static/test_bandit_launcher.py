"""The launcher's shortcuts: bandit's tester answers "no # nosec comment covers this node" at once
when the file has no such comment, and otherwise exactly as bandit does; debug logging is muted
unless asked for; bandit's visitor walks past the nodes that have no test. That the findings equal
plain `bandit -r` on a tree with and without markers is tested here for the launcher alone and in
test_bandit_shortcuts.py for the audit."""

from __future__ import annotations

import ast
import json
import logging
import subprocess
import sys
import types

import pytest
from bandit.core import config as bandit_config
from bandit.core import metrics, node_visitor, test_set, tester

from readyscore.executors.static.bandit_launcher import (
    CHECKED_VISITOR_SOURCES,
    asks_for_debug,
    mute_debug_logging,
    skip_empty_nosec_lookups,
    skip_testless_nodes,
    visitor_source_digest,
)
from readyscore.executors.static.bandit_run import LAUNCHER

# Something for most of bandit's tests: calls, strings, imports, a function, a class, nested code.
VARIED_SOURCE = """\
import hashlib, pickle, subprocess
from xml.etree import ElementTree as ET
import yaml

PASSWORD = "hunter2"
HOST = "0.0.0.0"


class Store:
    secret_key = "s3cr3t"

    def load(self, blob, path):
        assert blob, "empty"
        try:
            data = pickle.loads(blob)
        except Exception:
            pass
        subprocess.call(f"cat {path}", shell=True)
        return yaml.load(data), ET.parse(path)


async def handler(request, token="abc123"):
    def inner(q):
        return eval(q)  # nosec B307
    query = "SELECT * FROM t WHERE id = %s" % request.args["id"]
    return inner(query), hashlib.md5(b"x").hexdigest(), [x for x in range(3) if x]
"""


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


def _visit(visitor_class: type, source: str, nosec_lines: dict) -> tuple[list, dict, list]:
    """Run a visitor of `visitor_class` over `source` as bandit's manager does: (its findings as
    dicts, its scores, each node's parent and sibling as positions in the walk)."""
    config = bandit_config.BanditConfig()
    visitor = visitor_class("app.py", source.encode(), None, test_set.BanditTestSet(config, profile={}), False,
                            nosec_lines, metrics.Metrics())
    tree = ast.parse(source)
    visitor.generic_visit(tree)
    order = list(ast.walk(tree))
    position = {id(node): index for index, node in enumerate(order)}
    links = [(position.get(id(getattr(node, "_bandit_parent", None))), position.get(id(getattr(node, "_bandit_sibling", None))))
             for node in order]
    return [issue.as_dict(with_code=False) for issue in visitor.tester.results], visitor.scores, links


def test_walking_past_testless_nodes_finds_the_same_as_bandit_with_the_same_links():
    class Visitor(node_visitor.BanditNodeVisitor):  # a subclass: bandit's own class stays untouched here
        pass

    if visitor_source_digest(node_visitor.BanditNodeVisitor) not in CHECKED_VISITOR_SOURCES:
        pytest.skip("the installed bandit's visitor is not the text the shortcut was read against: it is off")
    assert skip_testless_nodes(Visitor, ["-f", "json", "./app.py"])
    assert "generic_visit" in vars(Visitor)
    for nosec_lines in ({}, {24: {"B307"}}):
        original = _visit(node_visitor.BanditNodeVisitor, VARIED_SOURCE, nosec_lines)
        shortcut = _visit(Visitor, VARIED_SOURCE, nosec_lines)
        found = {issue["test_id"] for issue in original[0]}
        assert {"B105", "B301", "B324", "B506", "B602", "B608", "B104", "B110", "B101"} <= found, found
        assert shortcut[0] == original[0]
        assert shortcut[1] == original[1]
        assert shortcut[2] == original[2]


def test_a_visitor_of_another_text_or_debug_output_leaves_the_walk_alone():
    class Changed(node_visitor.BanditNodeVisitor):
        def visit(self, node):  # a bandit whose dispatch differs from the one read
            return super().visit(node)

    class Same(node_visitor.BanditNodeVisitor):
        pass

    assert visitor_source_digest(Changed) != visitor_source_digest(node_visitor.BanditNodeVisitor)
    before = dict(vars(Changed))
    assert not skip_testless_nodes(Changed, ["-f", "json", "./app.py"])
    assert dict(vars(Changed)) == before
    assert not skip_testless_nodes(Same, ["-d", "./app.py"])  # -d logs every node: each must be visited
    assert "generic_visit" not in vars(Same)


def test_the_launcher_reports_what_plain_bandit_reports(tmp_path):
    (tmp_path / "app.py").write_text(VARIED_SOURCE)
    (tmp_path / "quiet.py").write_text("import subprocess\nsubprocess.call('ls', shell=True)  # nosec\n")

    def report(*command: str) -> dict:
        out = subprocess.run([*command, "-r", ".", "-f", "json", "-q", "--exit-zero"], capture_output=True,
                             text=True, check=True, cwd=tmp_path).stdout
        data = json.loads(out)
        return {key: data[key] for key in ("results", "errors", "metrics")}

    plain = report(sys.executable, "-P", "-m", "bandit")
    assert len(plain["results"]) >= 9 and plain["metrics"]["_totals"]["nosec"] >= 1, plain
    assert report(sys.executable, "-P", str(LAUNCHER)) == plain
