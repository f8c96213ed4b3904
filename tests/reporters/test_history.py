"""The opt-in history file and the trend chart the HTML report draws from it."""

from __future__ import annotations

import json
import os
import re

import pytest
from report_factory import BAD_TREE, GOOD_TREE, audit_files

from readyscore import history
from readyscore.history import HistoryError, ci_commit, read_history, record
from readyscore.reporters import get_reporter


def test_each_audit_appends_one_line_and_the_trend_holds_them_oldest_first(tmp_path):
    path = tmp_path / "ci" / "readyscore-history.jsonl"
    bad, good = audit_files(tmp_path, BAD_TREE, "bad"), audit_files(tmp_path, GOOD_TREE, "good")
    record(path, bad, commit="abc1234def")
    section = record(path, good, commit=None)
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["commit"] == "abc1234def"
    assert [p["score"] for p in section["points"]] == [bad.score, good.score]
    assert good.sections["trend"] == section and section["total"] == 2
    # Only numbers and names: nothing from the target or the audited files.
    assert set(json.loads(lines[1])) <= {"v", "finished_at", "score", "level", "level_name", "coverage",
                                         "profile", "complete", "counts", "commit"}


def test_damaged_lines_are_skipped_and_counted_not_fatal(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text('not json\n{"score": "high"}\n\n\x00\x01\n')
    report = audit_files(tmp_path, GOOD_TREE)
    section = record(path, report)
    assert section["skipped_lines"] == 3 and len(section["points"]) == 1


def test_only_the_tail_of_a_huge_file_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(history, "MAX_READ_BYTES", 4096)
    path = tmp_path / "history.jsonl"
    report = audit_files(tmp_path, GOOD_TREE)
    for _ in range(100):
        record(path, report)
    assert path.stat().st_size > 4096 * 3
    entries, skipped = read_history(path)
    assert 0 < len(entries) < 100 and skipped == 0  # the line cut by the seek is dropped, not counted


def test_the_chart_keeps_the_last_points_only(tmp_path, monkeypatch):
    monkeypatch.setattr(history, "MAX_POINTS", 5)
    path = tmp_path / "history.jsonl"
    report = audit_files(tmp_path, GOOD_TREE)
    for _ in range(8):
        section = record(path, report)
    assert len(section["points"]) == 5 and section["total"] == 8


def test_an_unwritable_history_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match="cannot (read|write) the history file"):
        record(blocker / "history.jsonl", audit_files(tmp_path, GOOD_TREE))


def test_the_commit_comes_from_the_ci_system_and_only_if_it_looks_like_one():
    assert ci_commit({"GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567"}) == "0123456789ab"
    assert ci_commit({"CI_COMMIT_SHA": "DEADBEEF1"}) == "deadbeef1"
    assert ci_commit({"GITHUB_SHA": "$(rm -rf /)"}) is None and ci_commit({}) is None


def test_the_html_report_charts_the_trend_only_when_there_is_one(tmp_path):
    path = tmp_path / "history.jsonl"
    bad, good = audit_files(tmp_path, BAD_TREE, "bad"), audit_files(tmp_path, GOOD_TREE, "good")
    html = get_reporter("html").render(good)
    assert 'id="trend-chart"' not in html  # no history: no chart
    record(path, bad)
    record(path, good)
    html = get_reporter("html").render(good)
    assert 'id="trend-chart"' in html
    assert len(re.findall(r'<circle class="trend-point"', html)) == 2
    assert "L3 Production-Ready ≥ 70" in html  # the level bands are drawn behind the line
    path_d = re.search(r'<path d="(M[^"]+)"', html).group(1)
    assert path_d.count("L") == 1  # one segment from the first audit to the second


def test_history_survives_a_concurrent_writer_appending_whole_lines(tmp_path):
    path = tmp_path / "history.jsonl"
    report = audit_files(tmp_path, GOOD_TREE)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    record(path, report)
    os.write(fd, b'{"finished_at": "2026-01-01T00:00:00Z", "level": 1, "level_name": "Functional", '
                 b'"coverage": 0.5, "profile": "default"}\n')
    os.close(fd)
    entries, skipped = read_history(path)
    assert len(entries) == 2 and skipped == 0
