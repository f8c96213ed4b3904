"""Per-process record files read back safely, and Locust kept out of the main process."""

from __future__ import annotations

import json
import subprocess
import sys

from readyscore.executors.load.runner import LocustRun, read_records
from readyscore.loadgen.recorder import Recorder


def test_records_from_several_processes_and_forwarded_copies_are_merged_once(tmp_path):
    local = Recorder(tmp_path)
    first = {"id": local.next_id(), "stage": "normal", "t": 1.0, "ok": True}
    second = {"id": local.next_id(), "stage": "normal", "t": 2.0, "ok": False}
    local.add(first)
    local.add(second)
    local.close()
    # The same record forwarded by a worker, plus one only the master saw.
    master = Recorder(tmp_path)
    master.add_lines([json.dumps(first), json.dumps({"id": "w-1", "stage": "normal", "t": 3.0})], "worker/../x")
    outcome = LocustRun()
    read_records(tmp_path, outcome)
    assert sorted(r["id"] for r in outcome.records) == sorted([first["id"], second["id"], "w-1"])
    assert len(outcome.process_meta) == 1 and outcome.process_meta[0]["wall_s"] >= 0
    assert all(p.parent == tmp_path for p in tmp_path.rglob("*.jsonl"))  # the worker name cannot escape


def test_damaged_record_files_are_skipped_line_by_line(tmp_path):
    (tmp_path / "records-a-1.jsonl").write_text('{"id": "a", "stage": "normal", "t": 1}\n{"id": "b", "sta')
    (tmp_path / "records-b-2.jsonl").write_bytes(b"\xff\xfe garbage\n[1, 2]\n" + b"x" * 300_000 + b"\n")
    outcome = LocustRun()
    read_records(tmp_path, outcome)
    assert [r["id"] for r in outcome.records] == ["a"]
    assert outcome.bad_lines == 4


def test_a_forwarding_worker_writes_nothing_locally_and_hands_everything_over(tmp_path):
    worker = Recorder(tmp_path, forward=True)
    worker.add({"id": worker.next_id(), "stage": "normal", "t": 1.0})
    worker.close()
    batch = worker.take_for_master()
    assert len(batch) == 2 and "meta" in json.loads(batch[1])
    assert not list(tmp_path.glob("*.jsonl")) and worker.take_for_master() == []


def test_the_main_process_never_imports_locust_or_gevent():
    code = ("import sys; from readyscore.executors import registry; registry.all_kinds(include_plugins=False); "
            "import readyscore.executors.load, readyscore.loadgen.sse; "
            "bad = [m for m in ('locust', 'gevent', 'geventhttpclient') if m in sys.modules]; "
            "assert not bad, bad")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
