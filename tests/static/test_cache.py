"""The per-file result cache: round trips, survives damage, and is optional."""

from __future__ import annotations

import sqlite3

from readyscore.executors.static.cache import ResultCache, cache_dir, namespace


def test_round_trip_in_chunks_and_by_namespace(tmp_path):
    cache = ResultCache(tmp_path / "c.sqlite3")
    values = {f"h{i}": {"n": i} for i in range(12003)}
    cache.put_many("ns1", values)
    assert cache.get_many("ns1", list(values) + ["missing"]) == values
    assert cache.get_many("ns2", list(values)) == {}
    cache.close()


def test_a_damaged_cache_file_is_started_afresh(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = ResultCache(path)
    assert cache.get_many("ns", ["a"]) == {}
    cache.put_many("ns", {"a": 1})
    assert cache.get_many("ns", ["a"]) == {"a": 1}


def test_an_unwritable_cache_location_runs_without_cache(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = ResultCache(blocker / "sub" / "c.sqlite3")  # a folder cannot be made under a file
    cache.put_many("ns", {"a": 1})
    assert not cache.enabled and cache.error and cache.get_many("ns", ["a"]) == {}


def test_a_damaged_entry_is_a_miss(tmp_path):
    cache = ResultCache(tmp_path / "c.sqlite3")
    cache.put_many("ns", {"a": 1, "b": 2})
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:
        db.execute("UPDATE results SET value = '{broken' WHERE hash = 'a'")
    assert cache.get_many("ns", ["a", "b"]) == {"b": 2}


def test_disabled_cache_does_nothing(tmp_path):
    cache = ResultCache(None)
    cache.put_many("ns", {"a": 1})
    assert not cache.enabled and cache.get_many("ns", ["a"]) == {}


def test_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("READYSCORE_CACHE_DIR", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x"
    monkeypatch.delenv("READYSCORE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "readyscore"


def test_namespace_changes_with_any_part():
    assert namespace("bandit", "1.9.4", "cfg") != namespace("bandit", "1.9.5", "cfg")
    assert namespace("bandit", "1.9.4", "cfg") == namespace("bandit", "1.9.4", "cfg")


def test_concurrent_opens_of_a_fresh_cache_all_work(tmp_path):
    import threading
    caches = []

    def open_one():
        caches.append(ResultCache(tmp_path / "fresh.sqlite3"))
    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(cache.enabled for cache in caches), [cache.error for cache in caches]
