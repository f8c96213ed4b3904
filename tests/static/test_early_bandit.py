"""A cold audit starts bandit before it hashes the tree for a replay; nothing else changes.

The engine asks each check that will run to start its shared work (Executor.prefetch) as soon as
it knows the checks will run: before `result_replay.prepare` when no record of the tree exists,
otherwise only once the replay missed. Real audits (engine, full catalog, real bandit) of the level3
demo preset: when bandit starts, that a replayed or bandit-less audit starts none, that the replay
key does not depend on what the background work read first, and that an error while preparing
stops the background work.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from static_helpers import write_tree

from readyscore import engine, result_replay
from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, load_profile
from readyscore.executors.static import bandit_checks
from readyscore.executors.static.sources import shared_sources
from readyscore.model import Source

LEVEL3 = Path(__file__).resolve().parents[2] / "readyscore" / "demo" / "presets" / "level3"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog([])


@pytest.fixture
def tree(tmp_path) -> Path:
    root = shutil.copytree(LEVEL3, tmp_path / "level3")
    # A file the static reader passes over ("invalid encoding"): a skip that a read records.
    write_tree(root, {"app/latin1.py": "x = 'caf\xe9'\n".encode("latin-1")})
    return root


def audit(catalog, root: Path, sources=(Source.STATIC, Source.DEPLOY), cancel=None, **static):
    profile = load_profile("default").model_copy(deep=True)
    for name, value in static.items():
        setattr(profile.static, name, value)
    options = AuditOptions(root=root, sources=set(sources), check_timeout_s=300, deadline_s=600,
                           show_progress=False)
    return engine.audit(catalog, profile, ProjectConfig(), options, cancel=cancel)


@pytest.fixture
def events(monkeypatch) -> list[str]:
    """'bandit' when a bandit check starts the shared run in the background, 'prepare' when the
    replay look-up hashes the tree."""
    log: list[str] = []
    start, prepare = bandit_checks.start_bandit_in_background, result_replay.prepare

    def logged_start(ctx):
        log.append("bandit")
        start(ctx)

    def logged_prepare(*args, **kwargs):
        log.append("prepare")
        return prepare(*args, **kwargs)
    monkeypatch.setattr(bandit_checks, "start_bandit_in_background", logged_start)
    monkeypatch.setattr(result_replay, "prepare", logged_prepare)
    return log


def comparable(report) -> dict:
    data = report.model_dump(mode="json")
    for key in ("started_at", "finished_at", "duration_s"):
        data.pop(key)
    for result in data["results"]:
        result.pop("duration_s")
    for part in data["sections"].get("static", {}).values():
        part.pop("seconds", None)
    data["sections"]["file_cache"].pop("seconds", None)
    return data


def test_a_cold_audit_starts_bandit_before_preparing_the_replay_and_reports_the_same(catalog, tree, events,
                                                                                       tmp_path, monkeypatch):
    early = audit(catalog, tree)
    assert events.index("bandit") < events.index("prepare")  # each bandit check asks; the first one starts it
    assert early.sections["static"]["bandit"]["files_scanned"] > 0
    # The same audit with bandit started only when a check asks for it, in an empty cache.
    monkeypatch.setenv("READYSCORE_CACHE_DIR", str(tmp_path / "other-cache"))
    late = audit(catalog, tree, prefetch_bandit=False)
    assert comparable(early) == comparable(late)


def test_with_a_record_bandit_starts_only_after_the_replay_missed(catalog, tree, events):
    audit(catalog, tree)
    write_tree(tree, {"app/extra.py": "import subprocess\nsubprocess.call('ls', shell=True)\n"})  # a miss
    events.clear()
    edited = audit(catalog, tree)
    assert edited.sections["file_cache"]["results"] == "recorded"
    assert "bandit" in events and events.index("prepare") < events.index("bandit")


def test_a_replayed_audit_starts_no_bandit(catalog, tree, events, monkeypatch):
    monkeypatch.setattr("readyscore.digests.RACY_NS", 0)  # the tree was copied a moment ago
    audit(catalog, tree)
    events.clear()
    warm = audit(catalog, tree)
    assert warm.sections["file_cache"]["results"] == "replayed"
    assert events == ["prepare"]  # no bandit start at all


def test_no_bandit_check_to_run_starts_no_bandit(catalog, tree, events):
    audit(catalog, tree, sources=(Source.DEPLOY,))
    assert "bandit" not in events
    report = audit(catalog, tree, prefetch_bandit=False)  # the setting still turns the prefetch off
    assert "bandit" not in events
    assert report.sections["static"]["bandit"]["files_scanned"] > 0  # the checks ran bandit themselves


def test_the_replay_key_does_not_depend_on_what_background_work_read_first(catalog, tree, monkeypatch):
    # The background work reads every file before the replay look-up (in the worst order), so the
    # latin-1 file's skip is recorded before `prepare` runs; the key must still be the walk's.
    monkeypatch.setattr("readyscore.digests.RACY_NS", 0)
    monkeypatch.setattr(bandit_checks, "start_bandit_in_background", lambda ctx: shared_sources(ctx))
    cold = audit(catalog, tree)
    assert cold.skipped_files, "the latin-1 file should be passed over"
    assert audit(catalog, tree).sections["file_cache"]["results"] == "replayed"


def test_an_error_while_preparing_stops_the_background_work(catalog, tree, monkeypatch):
    started = threading.Event()
    monkeypatch.setattr(bandit_checks, "start_bandit_in_background", lambda ctx: started.set())

    def broken(*args, **kwargs):
        raise RuntimeError("disk gone")
    monkeypatch.setattr(result_replay, "prepare", broken)
    cancel = threading.Event()
    with pytest.raises(RuntimeError):
        audit(catalog, tree, cancel=cancel)
    assert started.is_set() and cancel.is_set()
