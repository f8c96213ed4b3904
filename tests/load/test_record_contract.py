"""The per-request record is one typed definition (readyscore/loadgen/record.py) that the Locust
processes write and executors/load/stats.py reads: what a real run writes stays inside it."""

from __future__ import annotations

import typing

import pytest
from loadtools import measure

from bench.timed_server import ServerBehaviour
from readyscore.executors.load import stats
from readyscore.loadgen.record import REQUIRED_FIELDS, RequestRecord

pytestmark = pytest.mark.slow

DECLARED = typing.get_type_hints(RequestRecord)


@pytest.mark.parametrize("behaviour", [
    ServerBehaviour(ttft_s=0.01, token_delay_s=0.001),  # streamed answers that succeed
    ServerBehaviour(status=500),  # every request refused: the failure fields
], ids=["ok", "refused"])
def test_every_field_a_real_run_writes_is_declared_and_the_reader_keeps_every_record(behaviour, tmp_path):
    run = measure(behaviour, tmp_path, users=2, seconds=1.5)
    assert run.records, "Locust wrote no record"
    for record in run.records:
        assert REQUIRED_FIELDS <= record.keys(), record
        undeclared = set(record) - set(DECLARED)
        assert not undeclared, f"the locustfile writes fields RequestRecord does not declare: {undeclared}"
    assert len(stats.valid_records(run.records)) == len(run.records)


def test_a_record_missing_a_required_field_is_not_read():
    good = {"id": "h-1-1", "stage": "normal", "stream": True, "t": 100.0, "ok": True, "end": 0.1}
    assert stats.valid_records([good]) == [good]
    for field in REQUIRED_FIELDS:
        assert stats.valid_records([{k: v for k, v in good.items() if k != field}]) == []
