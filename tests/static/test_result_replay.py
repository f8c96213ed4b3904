"""Replaying the file checks' results (readyscore/result_replay.py) never changes a report.

Real audits (engine, full catalog, real bandit) of the level3 demo preset plus a hard-coded key:
the replayed report equals the measured one apart from timings; an edit of any kind (same size with
the mtime put back, a new file, a deleted file) is measured again and equals a cold audit of the
edited tree in a fresh cache; a damaged or foreign record or digest table is ignored; the records
hold no secret the report does not show.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from static_helpers import write_tree

from readyscore import engine
from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, load_profile
from readyscore.digests import RACY_NS, DigestTable, digest_bytes, prune
from readyscore.executors.static.cache import content_hash
from readyscore.model import Source

LEVEL3 = Path(__file__).resolve().parents[2] / "readyscore" / "demo" / "presets" / "level3"
KEY = "sk-proj-" + "Q7fT2mZ9xK4wR8vB1nC6yH3jL5pD0sGa"  # a provider-format key: found and redacted
SECRET_LINE = f'OPENAI_API_KEY = "{KEY}"\n'
# The same number of bytes, reading the key from the environment instead.
SAFE_LINE = 'OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]  #'
SAFE_LINE = SAFE_LINE + "-" * (len(SECRET_LINE) - len(SAFE_LINE) - 1) + "\n"
TIMINGS = ("started_at", "finished_at", "duration_s")
# How the per-file caches served a run: they differ between a cold and a warm measurement by design.
PER_RUN = {"analysis": ("seconds", "cache_hits"), "bandit": ("seconds", "cache_hits", "bandit_processes", "workers")}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog([])


def audit(catalog, root: Path, **static):
    profile = load_profile("default").model_copy(deep=True)
    for name, value in static.items():
        setattr(profile.static, name, value)
    options = AuditOptions(root=root, sources={Source.STATIC, Source.DEPLOY}, check_timeout_s=300, deadline_s=600,
                           show_progress=False)
    return engine.audit(catalog, profile, ProjectConfig(), options)


def comparable(report) -> dict:
    """report.json without what differs between two runs of the same measurement."""
    data = report.model_dump(mode="json")
    for key in TIMINGS:
        data.pop(key)
    for result in data["results"]:
        result.pop("duration_s")
    data["sections"].pop("file_cache", None)
    for part, keys in PER_RUN.items():
        for key in keys:
            data["sections"].get("static", {}).get(part, {}).pop(key, None)
    return data


def replay_state(report) -> str:
    return report.sections["file_cache"]["results"]


@pytest.fixture
def tree(tmp_path) -> Path:
    root = shutil.copytree(LEVEL3, tmp_path / "level3")
    assert len(SAFE_LINE) == len(SECRET_LINE)
    write_tree(root, {"app/provider.py": "import os\n" + SECRET_LINE})
    return root


def test_an_unchanged_tree_is_replayed_exactly_and_the_record_holds_no_secret(catalog, tree, cache_dir,
                                                                               monkeypatch):
    monkeypatch.setattr("readyscore.digests.RACY_NS", 0)  # the tree was copied a moment ago
    cold = audit(catalog, tree)
    assert replay_state(cold) == "recorded"
    warm = audit(catalog, tree)
    assert replay_state(warm) == "replayed"
    assert warm.sections["file_cache"]["files_hashed"] == 0  # nothing was read to know it is unchanged
    assert comparable(warm) == comparable(cold)
    assert warm.sections["static"] == cold.sections["static"]  # the recorded run's own account, as recorded
    secrets = {r.check_id: r for r in warm.results}["static-secrets"]
    assert secrets.status.value == "fail" and any("provider.py" in (e.path or "") for e in secrets.evidence)
    # The report masks the key; so does every cache file written for the replay.
    assert KEY not in json.dumps(warm.model_dump(mode="json"))
    for path in (cache_dir / "results-v1").iterdir():
        assert KEY not in path.read_text()


@pytest.mark.parametrize("edit", ["same size, mtime restored", "file added", "file deleted"])
def test_an_edited_tree_is_measured_again_as_a_cold_audit_would(catalog, tree, tmp_path, monkeypatch, edit):
    # Every digest trusted at once (no racy margin): the edit must be seen through the stat signature alone.
    monkeypatch.setattr("readyscore.digests.RACY_NS", 0)
    audit(catalog, tree)
    assert replay_state(audit(catalog, tree)) == "replayed"
    target = tree / "app" / "provider.py"
    if edit == "same size, mtime restored":
        before = target.stat()
        target.write_text("import os\n" + SAFE_LINE)
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns
    elif edit == "file added":
        write_tree(tree, {"deploy/extra-secret.env": f"OPENAI_API_KEY={KEY}\n"})
    else:
        target.unlink()
    warm = audit(catalog, tree)
    assert replay_state(warm) == "recorded"
    monkeypatch.setenv("READYSCORE_CACHE_DIR", str(tmp_path / "fresh-cache"))
    fresh = audit(catalog, tree)
    assert comparable(warm) == comparable(fresh)
    flagged = {e.path for e in {r.check_id: r for r in warm.results}["static-secrets"].evidence}
    assert ("app/provider.py" in flagged) == (edit == "file added")  # the verdict followed the edit
    assert ("deploy/extra-secret.env" in flagged) == (edit == "file added")


def test_damaged_or_foreign_records_are_ignored(catalog, tree, cache_dir, monkeypatch):
    monkeypatch.setattr("readyscore.digests.RACY_NS", 0)  # so the digest table is written at once
    cold = audit(catalog, tree)
    records = list((cache_dir / "results-v1").iterdir()) + list((cache_dir / "digests-v1").iterdir())
    assert len(records) == 2
    for path in records:
        path.write_bytes(b"\x00not json{")
    damaged = audit(catalog, tree)
    assert replay_state(damaged) == "recorded" and comparable(damaged) == comparable(cold)
    assert "ignored" in damaged.sections["file_cache"]["problem"]
    for path in records:  # well-formed, but of another version: never trusted
        data = json.loads(path.read_text())
        data["version"] = 999
        path.write_text(json.dumps(data))
    foreign = audit(catalog, tree)
    assert replay_state(foreign) == "recorded" and comparable(foreign) == comparable(cold)
    assert replay_state(audit(catalog, tree)) == "replayed"
    # The right key, the wrong shape in each part: ignored, never fatal.
    record_path = next((cache_dir / "results-v1").iterdir())
    good = json.loads(record_path.read_text())
    for part, bad in [("results", []), ("sections", "x"), ("skipped", {"skipped": [], "examples": 1, "once": 2}),
                      ("secrets", [["a.py", "x", 0, 1]]), ("results", {"static-secrets": {"status": "no"}})]:
        record_path.write_text(json.dumps({**good, part: bad}))
        shaped = audit(catalog, tree)
        assert replay_state(shaped) == "recorded" and comparable(shaped) == comparable(cold), part


def test_a_changed_setting_is_not_replayed(catalog, tree):
    audit(catalog, tree)
    changed = audit(catalog, tree, per_rule_cap=2)
    assert replay_state(changed) == "recorded"
    assert replay_state(audit(catalog, tree, replay=False)).startswith("not replayable: replay is off")
    assert replay_state(audit(catalog, tree, cache=False)).startswith("not replayable: the cache is off")


def test_digest_table_reads_only_changed_files(tmp_path):
    root = write_tree(tmp_path / "t", {"a.txt": "one", "b.txt": "two"})
    old = 1_600_000_000_000_000_000

    def stats():
        return {rel: (s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino, s.st_dev)
                for rel in ("a.txt", "b.txt") for s in [(root / rel).stat()]}

    table_path = tmp_path / "digests.json"
    table = DigestTable(table_path, root, racy_ns=0)  # trust every entry: what is tested is the signature
    found = table.digests(str(root), stats())
    assert found == {"a.txt": digest_bytes(b"one"), "b.txt": digest_bytes(b"two")} and table.hashed == 2
    assert digest_bytes(b"one") == content_hash(b"one")  # the per-file cache's key, too
    again = DigestTable(table_path, root, racy_ns=0)
    assert again.digests(str(root), stats()) == found and (again.reused, again.hashed) == (2, 0)
    # A same-size edit with its mtime put back still changes the ctime: read again.
    os.utime(root / "a.txt", ns=(old, old))
    mtime = (root / "a.txt").stat().st_mtime_ns
    DigestTable(table_path, root, racy_ns=0).digests(str(root), stats())
    (root / "a.txt").write_text("ONE")
    os.utime(root / "a.txt", ns=(old, old))
    assert (root / "a.txt").stat().st_mtime_ns == mtime
    third = DigestTable(table_path, root, racy_ns=0)
    assert third.digests(str(root), stats()) == {"a.txt": digest_bytes(b"ONE"), "b.txt": digest_bytes(b"two")}
    assert (third.reused, third.hashed) == (1, 1)


def test_racy_entries_are_used_but_never_kept(tmp_path):
    root = write_tree(tmp_path / "t", {"a.txt": "one"})  # written a moment ago
    stats = {"a.txt": tuple(getattr((root / "a.txt").stat(), f)
                            for f in ("st_size", "st_mtime_ns", "st_ctime_ns", "st_ino", "st_dev"))}
    table_path = tmp_path / "digests.json"
    assert DigestTable(table_path, root).digests(str(root), stats) == {"a.txt": digest_bytes(b"one")}
    assert not table_path.exists() or json.loads(table_path.read_text())["entries"] == {}
    assert RACY_NS >= 2_000_000_000


def test_a_digest_table_of_another_root_is_not_used(tmp_path):
    root = write_tree(tmp_path / "t", {"a.txt": "one"})
    table_path = tmp_path / "digests.json"
    table_path.write_text(json.dumps({"format": "readyscore-digests", "version": 1, "root": "/elsewhere",
                                      "entries": {"a.txt": [3, 0, 0, 0, 0, "0" * 40]}}))
    table = DigestTable(table_path, root)
    assert table.entries == {} and "another" in table.problem


def test_the_cache_keeps_only_the_most_recent_roots(tmp_path):
    folder = tmp_path / "results-v1"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.json").write_text("{}")
        os.utime(folder / f"{i}.json", ns=(i * 10**9, i * 10**9))
    (folder / "notes.txt").write_text("not ours")
    prune(folder, keep=3)
    assert sorted(p.name for p in folder.iterdir()) == ["2.json", "3.json", "4.json", "notes.txt"]
