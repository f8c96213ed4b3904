"""The indexes that make a warm re-audit fast answer exactly what the plain passes they replaced
answered, and a warm audit still sees a file that changed since the last one.

Each index is compared with the straightforward scan it stands for, over the service graph of a
real tree (the level3 demo preset, plus modules written to exercise prefixes, repeated names and
identifiers); a regression in an index would change verdicts only on large trees, so it is pinned
here on a small one.
"""

from __future__ import annotations

import ast
import gc
import re
import shutil
import threading
from pathlib import Path

import pytest
from static_helpers import write_tree

from readyscore.catalog import load_catalog, load_check_file
from readyscore.config import AuditOptions, load_profile
from readyscore.executors.base import AuditContext
from readyscore.executors.static import capability_findings as collect
from readyscore.executors.static.analysis import shared_analysis
from readyscore.executors.static.pyfacts import walk
from readyscore.executors.static.service_graph import MODULE, ServiceGraph
from readyscore.executors.static.sources import _PathRules, _vendored, is_skipped_code, is_test_path
from readyscore.files import FileIndex
from readyscore.gcpause import paused
from readyscore.model import Source
from readyscore.redact import _AUTH_HEADER, _BEARER, Redactor
from readyscore.yamlfile import ConfigError

LEVEL3 = Path(__file__).resolve().parents[2] / "readyscore" / "demo" / "presets" / "level3"
EXTRA = {
    "app/limits.py": "from slowapi import Limiter\nfrom slowapi.util import get_remote_address\n"
                     "limiter = Limiter(key_func=get_remote_address)\nslowapi_mode = 'x'\n",
    "app/audit_trail.py": "import logging\naudit_logger = logging.getLogger('audit')\n"
                          "def write_audit(event):\n    audit_logger.info(event)\n"
                          "def check_budget(user):\n    return True\n",
    "app/sub/__init__.py": "",
    "app/sub/get.py": "def get(x):\n    return x\ndef verify_token(token):\n    if not token:\n"
                      "        raise ValueError('no')\n    return token == 'x'\n",
}


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> ServiceGraph:
    root = shutil.copytree(LEVEL3, tmp_path_factory.mktemp("tree") / "level3")
    write_tree(root, EXTRA)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("READYSCORE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        profile = load_profile("default").model_copy(deep=True)
        profile.static.prefetch_bandit = False
        ctx = AuditContext(profile=profile, options=AuditOptions(root=root, sources={Source.STATIC}))
        return ServiceGraph.build(shared_analysis(ctx).python_code())


@pytest.fixture(scope="module")
def capability_params():
    return [entry.params for entry in load_catalog() if entry.spec.kind == "code_capability"]


def _scan_sites(graph: ServiceGraph, wanted: set[str]) -> list:
    return [site for site in graph.all_sites if collect._matches(site.names, wanted) is not None]


def test_sites_by_name_are_the_sites_a_full_scan_finds(graph, capability_params):
    names = {name for site in graph.all_sites for name in site.names}
    wanted_sets = [{mechanism_name} for params in capability_params for m in params.mechanisms
                   for mechanism_name in m.names]
    wanted_sets += [{"slowapi"}, {"slowapi.Limiter"}, {"fastapi"}, {"app"}, {"logging", "json"}, {"nothing.here"}]
    wanted_sets += [{name.rsplit(".", 1)[0]} for name in sorted(names)[:200]]
    assert any(_scan_sites(graph, wanted) for wanted in wanted_sets), "the tree must exercise some matches"
    for wanted in wanted_sets:
        assert graph.sites_named(wanted) == _scan_sites(graph, wanted), wanted


def test_a_prefix_is_not_a_name_that_merely_starts_the_same(graph):
    # "slowapi" is under "slowapi.Limiter..." but "slow" is not: the index keeps dotted boundaries.
    assert graph.sites_named({"slow"}) == _scan_sites(graph, {"slow"}) == []
    assert graph.sites_named({"slowapi"})


def _identifier_scan(graph, identifiers):
    pattern = re.compile("|".join(f"(?:{p})" for p in identifiers))
    found = []
    for module in graph.modules.values():
        for name, line in module.analysis.facts.get("idents", {}).items():
            if pattern.fullmatch(name):
                found.append((module.rel, name, line))
                break
    return found


def _import_scan(graph, imports):
    found = []
    for module in graph.modules.values():
        for name, line in module.analysis.facts.get("imports", {}).items():
            if any(p in set(imports) for p in collect._prefixes(name)):
                found.append((module.rel, name, line))
                break
    return found


def test_identifier_and_import_evidence_equal_the_scans(graph, capability_params):
    checked = 0
    for params in capability_params:
        if params.identifiers:
            got = [(e.path, e.message.removeprefix("names "), e.line)
                   for e in collect.identifier_evidence(graph, params.identifiers)]
            assert got == _identifier_scan(graph, params.identifiers)
            checked += bool(got)
        got = [(e.path, e.message.split()[1].rstrip(","), e.line) for e in collect.import_evidence(graph, params.imports)]
        assert got == _import_scan(graph, params.imports)
        checked += bool(got)
    assert checked, "some identifier or import evidence must be found on this tree"


def test_hand_written_names_match_as_each_function_was_matched(graph, capability_params):
    for params in capability_params:
        for rule in params.hand_written:
            pattern = re.compile("|".join(f"(?:{p})" for p in rule.names)) if rule.names else None
            expected = []
            for ref, _, _ in graph.functions():
                if pattern is None or ref.qual == MODULE:
                    expected.append(False)
                    continue
                short = ref.qual.rsplit(".", 1)[-1].lower()
                tail = f"{ref.module.rsplit('.', 1)[-1]}.{short}".lower()
                expected.append(bool(pattern.fullmatch(short) or pattern.fullmatch(tail)))
            assert collect._named(pattern, graph) == expected


def test_a_warm_audit_sees_a_file_changed_since_the_cold_one(static_audit, tmp_path):
    root = shutil.copytree(LEVEL3, tmp_path / "level3")
    write_tree(root, {"app/audit_probe.py": "def write_audit(event):\n    return event\n"})
    check = "static-cap-audit-log"
    cold = static_audit(root, [check], replay=False)[check]  # the per-file cache, not the replay
    warm = static_audit(root, [check], replay=False)[check]
    assert static_audit.last.sections["static"]["analysis"]["cache_hits"] > 0
    assert (warm.status, warm.message, warm.evidence) == (cold.status, cold.message, cold.evidence)
    assert any("audit_probe.py" in (e.path or "") and "stub" in e.message for e in warm.evidence)
    # The same name, now a recorder that writes: the cached facts of the old text must not answer.
    write_tree(root, {"app/audit_probe.py": "def write_audit(event):\n    with open('audit.log', 'a') as out:\n"
                                            "        out.write(event)\n"})
    changed = static_audit(root, [check], replay=False)[check]
    assert not any("audit_probe.py" in (e.path or "") and "stub" in e.message for e in changed.evidence)
    assert any("audit_probe.py" in (e.path or "") for e in changed.evidence)


def test_glob_answers_are_kept_per_index_and_handed_out_as_copies(tmp_path):
    write_tree(tmp_path, {"a/x.yaml": "a: 1\n", "b/y.yaml": "b: 2\n", "b/z.txt": "z\n"})
    index = FileIndex(tmp_path)
    first = index.glob("**/*.yaml")
    first.clear()  # a caller changing its list must not change the next answer
    assert [f.rel for f in index.glob("**/*.yaml")] == ["a/x.yaml", "b/y.yaml"]
    view = index.subset(lambda rel: rel.startswith("b/"))
    assert [f.rel for f in view.glob("**/*.yaml")] == ["b/y.yaml"]
    assert [f.rel for f in index.glob("**/*.yaml")] == ["a/x.yaml", "b/y.yaml"]
    assert [f.rel for f in index.glob("*.txt", "a/*")] == ["a/x.yaml", "b/z.txt"]


def test_path_rules_per_folder_equal_the_path_functions():
    settings = load_profile("default").static
    rules = _PathRules(settings)
    folders = ["", "tests", "vendor", "src", "fixtures", "build", "src/tests", "vendor/tests", "app/testdata"]
    names = ["test_x.py", "x_test.go", "conftest.py", "m.py", "a_pb2.py", "x.test.ts", "README.md", "Dockerfile"]
    for folder in folders:
        for name in names:
            rel = f"{folder}/{name}" if folder else name
            python = rel.endswith((".py", ".pyw"))
            assert rules.classify(rel, python) == (_vendored(rel, settings), is_skipped_code(rel, settings),
                                                   is_test_path(rel, settings)), rel


def test_walk_visits_every_node_but_expression_contexts():
    tree = ast.parse("import a\n@d(x)\nasync def f(p: int = g()) -> str:\n    return [y async for y in z if y]\n"
                     "class C(B):\n    v: int = 1\nx[1:2] = lambda q: q\n")
    contexts = (ast.Load, ast.Store, ast.Del)
    expected = [node for node in ast.walk(tree) if not isinstance(node, contexts)]
    assert sorted(map(id, walk([tree]))) == sorted(map(id, expected))


def test_redaction_runs_its_patterns_wherever_they_could_match():
    redactor = Redactor(["sk-secret-value-123"])
    samples = ["plain text", "Authorization: Bearer abcdefgh12345678", "x-api-key=abcdef123456",
               "header PROXY-AUTHORIZATION: 'abc def'", "curl -H 'authorization: basic Zm9vOmJhcg=='",
               "uses sk-secret-value-123 here", "Baſic abcdefgh12345678", "ünïcode api-key: zzzzzzzz",
               "BEARER abcdefghijkl", ""]
    for text in samples:
        plain = text
        for secret in ["sk-secret-value-123"]:
            plain = plain.replace(secret, "sk-s…-123")
        plain = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", plain)
        plain = _BEARER.sub(lambda m: f"{m.group(1)} [redacted]", plain) if text else text
        assert redactor.redact(text) == plain, text


def test_the_collector_pause_nests_and_always_resumes():
    assert gc.isenabled()
    errors = []

    def work():
        try:
            with paused():
                with paused():
                    assert not gc.isenabled()
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and gc.isenabled()
    with pytest.raises(RuntimeError), paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_broken_check_file_read_the_fast_way_still_names_its_line(tmp_path):
    path = tmp_path / "static-broken.yaml"
    good = next(entry.path for entry in load_catalog() if entry.spec.id == "static-cap-audit-log").read_text()
    broken = [good.replace("weight:", "weight: [unclosed\nother:", 1),  # invalid YAML
              good.replace("weight:", "weight: heavy\nunused:", 1),  # a field of the wrong type
              good.replace("id: static-cap-audit-log", "id: static-other", 1)]  # id and file name differ
    for text in broken:
        path.write_text(text.replace("static-cap-audit-log", "static-broken"))
        with pytest.raises(ConfigError) as fast:
            load_check_file(path, trusted=True)
        with pytest.raises(ConfigError) as careful:
            load_check_file(path, trusted=False)
        assert str(fast.value) == str(careful.value) and fast.value.line is not None


def test_the_built_in_catalog_reads_the_same_both_ways():
    fast = {entry.spec.id: (entry.spec, entry.params) for entry in load_catalog()}
    careful = {}
    for entry in load_catalog():
        checked = load_check_file(entry.path, trusted=False)
        careful[checked.spec.id] = (checked.spec, checked.params)
    assert fast == careful
