"""bandit's shortcuts (`--ignore-nosec` on files without a `# nosec` marker, `-s B613` on ASCII files
when the repository has no bandit config of its own, and the low-severity-only tests skipped when no
check counts low severity) save work and never change a result: the findings readyscore counts are
those of plain `bandit -r` over the same tree, `# nosec` markers and bidirectional control
characters included."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from static_helpers import explain, write_tree

from readyscore.executors.static.bandit_config import BanditConfig
from readyscore.catalog import Catalog, CatalogEntry
from readyscore.executors.static.bandit_checks import BanditParams
from readyscore.executors.static.bandit_run import (
    IGNORE_NOSEC,
    LOW_ONLY_TESTS,
    SKIP_TROJANSOURCE,
    batches_by_shortcut,
    shortcuts,
)
from readyscore.executors.static.sources import SourceFile

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: what B613 (trojansource) looks for
TREE = {
    # No marker, ASCII: both shortcuts; its findings must all be there.
    "service/plain.py": "import subprocess\nimport hashlib\n\n\ndef run(cmd):\n"
                        "    subprocess.call(cmd, shell=True)\n    return hashlib.md5(cmd.encode())\n",
    # A marker that silences one finding and not the other: read without --ignore-nosec.
    "service/marked.py": "import subprocess\nimport hashlib\n\n\ndef run(cmd):\n"
                         "    subprocess.call(cmd, shell=True)  # nosec B602\n    return hashlib.md5(cmd.encode())\n",
    # A bare marker on a line bandit would flag.
    "service/bare.py": "import hashlib\nDIGEST = hashlib.md5(b'x')  #nosec\n",
    # Bidirectional control characters: never skips B613.
    "service/trojan.py": f"def check(role):\n    if role != 'user{RLO} ':\n        return True\n    return False\n",
    # Non-ASCII without bidi characters: B613 still runs (and finds nothing).
    "service/accents.py": "import hashlib\nNAME = 'caf\u00e9'\nDIGEST = hashlib.md5(NAME.encode())\n",
    # Low severity only: an assert (B101), a process started without a shell (B603), try/except/pass (B110).
    "service/low.py": "import subprocess\n\n\ndef run(args):\n    assert args\n    try:\n"
                      "        subprocess.run(['/bin/ls', *args])\n    except Exception:\n        pass\n",
}
CHECKS = ["static-bandit-high", "static-bandit-medium", "static-model-downloads-pinned"]


def source(rel: str, text: str) -> SourceFile:
    return SourceFile(rel=rel, text=text, digest=rel, is_python=True, is_code=True, is_test=False)


def test_each_file_gets_only_the_shortcuts_that_cannot_change_its_result():
    no_config = BanditConfig()
    assert shortcuts(source("a.py", "x = 1\n"), no_config) == (IGNORE_NOSEC, *SKIP_TROJANSOURCE)
    assert shortcuts(source("a.py", "x = 1  # nosec\n"), no_config) == SKIP_TROJANSOURCE
    assert shortcuts(source("a.py", "x = 1  #nosec B101\n"), no_config) == SKIP_TROJANSOURCE
    assert shortcuts(source("a.py", "nanoseconds = 1  # nosecurity\n"), no_config) == SKIP_TROJANSOURCE
    assert shortcuts(source("a.py", "nanoseconds = 1\n"), no_config) == (IGNORE_NOSEC, *SKIP_TROJANSOURCE)
    assert shortcuts(source("a.py", f"x = '{RLO}'\n"), no_config) == (IGNORE_NOSEC,)
    assert shortcuts(source("a.py", "x = '\u00e9'\n"), no_config) == (IGNORE_NOSEC,)
    # The repository's own config may name tests; a command-line -s could override it.
    with_config = BanditConfig(args=["-c", "bandit.yaml"], source="bandit.yaml")
    assert shortcuts(source("a.py", "x = 1\n"), with_config) == (IGNORE_NOSEC,)


def test_the_low_only_tests_are_skipped_in_the_one_skip_list_bandit_keeps():
    no_config, low = BanditConfig(), ",".join(LOW_ONLY_TESTS)
    assert shortcuts(source("a.py", "x = 1\n"), no_config, skip_low=LOW_ONLY_TESTS) == (IGNORE_NOSEC, "-s", f"B613,{low}")
    assert shortcuts(source("a.py", "x = '\u00e9'\n"), no_config, skip_low=LOW_ONLY_TESTS) == (IGNORE_NOSEC, "-s", low)
    with_config = BanditConfig(args=["-c", "bandit.yaml"], source="bandit.yaml")
    assert shortcuts(source("a.py", "x = 1\n"), with_config, skip_low=LOW_ONLY_TESTS) == (IGNORE_NOSEC,)


def test_batches_keep_files_with_different_shortcuts_apart():
    files = [source(f"p{i}.py", "x = 1\n" * i) for i in range(1, 40)] + [source("m.py", "x = 1  # nosec\n")]
    batches = batches_by_shortcut(files, BanditConfig(), workers=2, max_files=200)
    assert sorted(f.rel for batch, _ in batches for f in batch) == sorted(f.rel for f in files)
    for batch, extra in batches:
        assert all(shortcuts(f, BanditConfig()) == extra for f in batch)
    assert [extra for batch, extra in batches if any(f.rel == "m.py" for f in batch)] == [SKIP_TROJANSOURCE]


def test_a_few_files_with_other_shortcuts_share_one_batch_and_the_heaviest_batch_goes_first():
    # 60 plain files and 17 non-ASCII ones (the standard library has 17): before, the 17 took three
    # bandit processes of their own (one per 8 files), each paying bandit's start-up.
    plain = [source(f"p{i}.py", "x = 1\n" * (500 + i)) for i in range(60)]
    accented = [source(f"a{i}.py", "x = '\u00e9'\n" * 10) for i in range(17)]
    batches = batches_by_shortcut(plain + accented, BanditConfig(), workers=2, max_files=200)
    assert sorted(f.rel for batch, _ in batches for f in batch) == sorted(f.rel for f in plain + accented)
    extras = [extra for _, extra in batches]
    assert extras.count((IGNORE_NOSEC,)) == 1  # the accented files: one batch, B613 not skipped
    assert extras.count((IGNORE_NOSEC, *SKIP_TROJANSOURCE)) == 4  # two per worker for the rest
    weights = [sum(len(f.text) for f in batch) for batch, _ in batches]
    assert weights == sorted(weights, reverse=True)


def plain_bandit(root) -> set[tuple[str, int, str]]:
    """The reference: bandit's own command line over the tree, no shortcut."""
    out = subprocess.run([sys.executable, "-P", "-m", "bandit", "-r", ".", "-f", "json", "-q", "--exit-zero"],
                         cwd=root, capture_output=True, check=True).stdout
    report = json.loads(out)
    assert not report["errors"], report["errors"]
    return {(r["filename"].removeprefix("./"), r["line_number"], r["test_id"]) for r in report["results"]}


def test_findings_equal_plain_bandits(static_audit, tmp_path):
    root = write_tree(tmp_path / "t", TREE)
    reference = plain_bandit(root)
    # The twins are real: the marker silences B602 in marked.py only, B613 fires on trojan.py.
    assert ("service/plain.py", 6, "B602") in reference and ("service/marked.py", 6, "B602") not in reference
    assert ("service/marked.py", 7, "B324") in reference and ("service/bare.py", 2, "B324") not in reference
    assert ("service/trojan.py", 2, "B613") in reference
    results = static_audit(root, CHECKS, min_confidence="low")
    section = static_audit.last.sections["static"]["bandit"]
    assert section["files_scanned"] == len(TREE) and section["bandit_processes"] >= 2, section
    assert section["low_severity_only_tests_skipped"] == list(LOW_ONLY_TESTS), section  # no check counts low
    high = {(e.path, e.line, e.rule) for e in results["static-bandit-high"].evidence}
    medium = {(e.path, e.line, e.rule) for e in results["static-bandit-medium"].evidence}
    # bandit's high and medium findings, as plain bandit reports them (low severity is in no check).
    by_severity = json.loads(subprocess.run(
        [sys.executable, "-P", "-m", "bandit", "-r", ".", "-f", "json", "-q", "--exit-zero"],
        cwd=root, capture_output=True, check=True).stdout)["results"]
    wanted = {s: {(r["filename"].removeprefix("./"), r["line_number"], r["test_id"]) for r in by_severity
                  if r["issue_severity"] == s} for s in ("HIGH", "MEDIUM")}
    assert high == wanted["HIGH"], explain(results)
    assert medium == wanted["MEDIUM"], explain(results)


@pytest.mark.parametrize("config", [{".bandit": "[bandit]\nskips = B602\n"}, {"bandit.yaml": "skips: [B602]\n"}])
def test_a_repository_config_is_not_overridden_by_a_shortcut(static_audit, tmp_path, config):
    # bandit takes a command-line -s instead of an ini file's skips (B602 would come back): with a
    # config of the repository's own, no test is skipped on the command line.
    root = write_tree(tmp_path / "t", {**TREE, **config})
    results = static_audit(root, ["static-bandit-high"])
    found = {(e.path, e.rule) for e in results["static-bandit-high"].evidence}
    assert ("service/plain.py", "B324") in found and ("service/trojan.py", "B613") in found, explain(results)
    assert not any(rule == "B602" for _, rule in found), explain(results)


def _low_severity_check(catalog) -> CatalogEntry:
    """A check of the user's own (as from --checks-dir) that counts low-severity findings."""
    medium = catalog.get("static-bandit-medium")
    spec = medium.spec.model_copy(update={"id": "custom-bandit-low"})
    return CatalogEntry(spec=spec, params=BanditParams(severities=["low"]), path=medium.path)


def test_a_check_that_counts_low_severity_gets_every_low_finding_even_after_an_audit_that_skipped_them(
        full_catalog, tmp_path, monkeypatch):
    from static_helpers import by_id, profile

    from readyscore import engine
    from readyscore.config import AuditOptions, ProjectConfig
    from readyscore.model import Source

    monkeypatch.setenv("READYSCORE_CACHE_DIR", str(tmp_path / "cache"))  # one cache for both audits
    root = write_tree(tmp_path / "t", TREE)
    reference = plain_bandit(root)
    low_in_reference = {(p, line, rule) for p, line, rule in reference if rule in LOW_ONLY_TESTS}
    assert {rule for _, _, rule in low_in_reference} >= {"B101", "B603", "B110"}, reference
    options = AuditOptions(root=root, sources={Source.STATIC}, check_timeout_s=120, deadline_s=300,
                           show_progress=False)
    # First the built-in checks alone: the low-only tests are skipped, and that result is cached.
    first = engine.audit(Catalog([full_catalog.get(c) for c in CHECKS]), profile(), ProjectConfig(), options)
    assert first.sections["static"]["bandit"]["low_severity_only_tests_skipped"] == list(LOW_ONLY_TESTS)
    # Then with a check that counts low severity: bandit runs the low-only tests (no cached result
    # without them is read), and the check sees what plain bandit finds.
    entries = [full_catalog.get(c) for c in CHECKS] + [_low_severity_check(full_catalog)]
    second = engine.audit(Catalog(entries), profile(min_confidence="low"), ProjectConfig(), options)
    section = second.sections["static"]["bandit"]
    assert section["low_severity_only_tests_skipped"] == [] and section["cache_hits"] == 0, section
    found = {(e.path, e.line, e.rule) for e in by_id(second)["custom-bandit-low"].evidence}
    assert low_in_reference <= found, (low_in_reference - found)
