"""bandit through its command line: findings by severity and rule, the safe twin clean, the repo's
own bandit config honoured, density with a per-rule cap, and a cache that makes re-runs free."""

from __future__ import annotations

import shutil

import pytest
from static_helpers import FIXTURES, explain, write_tree

from readyscore.executors.static.bandit_run import make_batches
from readyscore.executors.static.sources import SourceFile

BANDIT_CHECKS = ["static-bandit-high", "static-bandit-medium", "static-model-downloads-pinned"]


def copy_fixture(name, tmp_path):
    return shutil.copytree(FIXTURES / "bandit" / name, tmp_path / name)


def test_findings_by_severity_and_rule(static_audit):
    results = static_audit(FIXTURES / "bandit" / "risky", BANDIT_CHECKS)
    high, medium, pinned = (results[c] for c in BANDIT_CHECKS)
    assert high.status.value == "fail", explain(results)
    assert [(e.path, e.line, e.message.split()[0]) for e in high.evidence] == [
        ("service/tools.py", 9, "B602"), ("service/tools.py", 13, "B324")]
    # B615 has a check of its own, so it is not counted again as a medium finding.
    assert [(e.line, e.message.split()[0]) for e in medium.evidence] == [(21, "B108")]
    assert [(e.line, e.message.split()[0]) for e in pinned.evidence] == [(17, "B615")]
    assert pinned.severity.value == "medium" and "LLM03:2025" in pinned.maps_to
    assert 0 < high.score < 1 and high.metrics["per_rule"] == {"B602": 1, "B324": 1}


def test_safe_twin_passes(static_audit):
    results = static_audit(FIXTURES / "bandit" / "safe", BANDIT_CHECKS)
    assert {c: r.status.value for c, r in results.items()} == {c: "pass" for c in BANDIT_CHECKS}, explain(results)


def test_rerun_is_served_from_the_cache(static_audit, tmp_path, cache_dir):
    root = copy_fixture("risky", tmp_path)
    write_tree(root, {"service/more.py": "import pickle\n", "service/other.py": "x = 1\n"})
    first = static_audit(root, ["static-bandit-high"], replay=False)  # the per-file cache, not the replay
    cold = static_audit.last.sections["static"]["bandit"]
    assert cold["cache_hits"] == 0 and cold["bandit_processes"] >= 1
    assert any(cache_dir.iterdir()), "the cache lives under READYSCORE_CACHE_DIR"
    second = static_audit(root, ["static-bandit-high"], replay=False)
    warm = static_audit.last.sections["static"]["bandit"]
    assert warm["cache_hits"] == 3 and warm["bandit_processes"] == 0
    assert second["static-bandit-high"].evidence == first["static-bandit-high"].evidence
    (root / "service/other.py").write_text("import subprocess\nsubprocess.call(input(), shell=True)\n")
    third = static_audit(root, ["static-bandit-high"], replay=False)
    changed = static_audit.last.sections["static"]["bandit"]
    assert changed["cache_hits"] == 2 and changed["bandit_processes"] == 1
    assert ("service/other.py", 2) in {(e.path, e.line) for e in third["static-bandit-high"].evidence}


@pytest.mark.parametrize("config", [
    {"pyproject.toml": '[tool.bandit]\nskips = ["B602", "B324"]\nexclude_dirs = ["legacy"]\n'},
    {".bandit": "[bandit]\nskips = B602,B324\nexclude = ./legacy\n"},
    {"bandit.yaml": "skips: [B602, B324]\nexclude_dirs: [legacy]\n"},
], ids=["pyproject", "ini", "yaml"])
def test_the_repositorys_bandit_config_is_honoured(static_audit, tmp_path, config):
    root = copy_fixture("risky", tmp_path)
    write_tree(root, {**config, "legacy/old.py": "import subprocess\nsubprocess.call(input(), shell=True)\n"})
    results = static_audit(root, ["static-bandit-high"])
    section = static_audit.last.sections["static"]["bandit"]
    assert results["static-bandit-high"].status.value == "pass", explain(results)
    assert section["bandit_config"] and section["excluded_by_bandit_config"] == 1


def test_a_broken_bandit_config_is_reported_and_bandit_still_runs(static_audit, tmp_path):
    root = copy_fixture("risky", tmp_path)
    write_tree(root, {"bandit.yaml": "skips: [B602\n"})
    results = static_audit(root, ["static-bandit-high"])
    assert results["static-bandit-high"].status.value == "fail"
    assert "not valid YAML" in static_audit.last.sections["static"]["bandit"]["bandit_config_problem"]


def test_tests_and_vendored_code_are_not_scanned(static_audit, tmp_path):
    risky = (FIXTURES / "bandit" / "risky" / "service" / "tools.py").read_text()
    root = write_tree(tmp_path / "t", {"tests/test_tools.py": risky, "vendor/lib.py": risky, "app.py": "x = 1\n"})
    results = static_audit(root, ["static-bandit-high"])
    assert results["static-bandit-high"].status.value == "pass"
    assert results["static-bandit-high"].metrics["files_scanned"] == 1


def test_one_noisy_rule_is_capped_and_size_dilutes_density(static_audit, tmp_path):
    noisy = "import hashlib\n" + "".join(f"h{i} = hashlib.md5(b'{i}')\n" for i in range(12))
    small = write_tree(tmp_path / "small", {"app.py": noisy})
    results = static_audit(small, ["static-bandit-high"], per_rule_cap=3)
    small_result = results["static-bandit-high"]
    assert small_result.metrics["findings"] == 12 and small_result.metrics["counted_after_rule_cap"] == 3
    clean = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(1500))
    large = write_tree(tmp_path / "large", {"app.py": noisy, "more.py": clean})
    large_result = static_audit(large, ["static-bandit-high"], per_rule_cap=3)["static-bandit-high"]
    assert large_result.status.value == "fail"
    assert small_result.score < 0.01 < 0.15 < large_result.score


def test_confidence_floor_is_a_setting(static_audit, tmp_path):
    # B108 (hard-coded /tmp) is medium confidence: gone with a high floor.
    results = static_audit(FIXTURES / "bandit" / "risky", ["static-bandit-medium"], min_confidence="high")
    assert results["static-bandit-medium"].status.value == "pass"
    assert results["static-bandit-medium"].metrics["below_confidence_floor"] == 1


def test_batches_cover_every_file_once_and_balance():
    files = [SourceFile(rel=f"f{i}.py", text="x" * (i * 100), digest=str(i), is_python=True, is_code=True,
                        is_test=False) for i in range(101)]
    batches = make_batches(files, workers=2, max_files=30)
    flat = [f.rel for batch in batches for f in batch]
    assert sorted(flat) == sorted(f.rel for f in files)
    assert len(batches) >= 4 and all(len(b) <= 30 for b in batches)
    sizes = [sum(len(f.text) for f in b) for b in batches]
    assert max(sizes) < 1.5 * min(sizes)


def test_files_in_the_tree_cannot_shadow_the_standard_library(static_audit, tmp_path):
    # bandit runs with the audited tree as its working directory; a module named like a standard
    # one there must neither run nor break bandit.
    marker = tmp_path / "ran"
    root = write_tree(tmp_path / "t", {
        "token.py": f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n",
        "app.py": "import hashlib\nhashlib.md5(b'x')\n",
    })
    results = static_audit(root, ["static-bandit-high"])
    assert not marker.exists()
    assert results["static-bandit-high"].status.value == "fail", explain(results)
    assert results["static-bandit-high"].metrics["files_scanned"] == 2
