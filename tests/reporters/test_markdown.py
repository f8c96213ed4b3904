"""The pull-request comment: short, complete at a glance, and inert (no markup or pings of others)."""

from __future__ import annotations

import re

from report_factory import BAD_TREE, GOOD_TREE, audit_files

from readyscore.baseline import attach, diff_reports
from readyscore.reporters import get_reporter
from readyscore.reporters.markdown import MARKER, MAX_CHARS, TOP_ROADMAP, md
from readyscore.scoring import RoadmapItem


def render(report) -> str:
    return get_reporter("markdown").render(report)


def test_the_comment_leads_with_score_level_coverage_and_the_path_to_the_next_level(tmp_path):
    bad = audit_files(tmp_path, BAD_TREE)
    text = render(bad)
    assert text.startswith(MARKER)
    assert f"## readyscore: {bad.score:.0f}/100 · Level 1 Functional" in text
    assert f"{bad.coverage:.0%}" in text
    assert "**Held back from Level 2** by:" in text
    assert "### Path to Level 2" in text
    assert "| 1 | ★ No .env file is committed `fx-no-env` | security | ❌ fail | +33.9 |"  # weight x coverage: reliability counts 5/7 of its 40 in text
    assert "Since the baseline" not in text  # no baseline given: no such section


def test_with_a_baseline_it_shows_the_change_newly_failing_and_fixed(tmp_path):
    good, bad = audit_files(tmp_path, GOOD_TREE, "good"), audit_files(tmp_path, BAD_TREE, "bad")
    attach(bad, diff_reports(good, bad, "main.json"))
    text = render(bad)
    assert "### Since the baseline (main.json," in text
    assert "(-77.4)" in text and "**Regression:**" in text
    assert "❌ **Newly failing** (3)" in text and "- `fx-no-env` No .env file is committed · high" in text

    attach(good, diff_reports(bad, good, "main.json"))
    text = render(good)
    assert "✅ **Fixed** (3)" in text and "**Regression:**" not in text and "(+77.4)" in text


def test_a_long_roadmap_is_cut_to_the_top_items_and_the_comment_stays_small(tmp_path):
    bad = audit_files(tmp_path, BAD_TREE)
    item = bad.roadmap[0]
    many = [item.model_copy(update={"check_id": f"c-{i}", "title": f"check {i} " + "x" * 500})
            for i in range(3000)]
    text = render(bad.model_copy(update={"roadmap": many}))
    assert len(text) < MAX_CHARS
    assert len(re.findall(r"^\| \d+ \|", text, re.MULTILINE)) == TOP_ROADMAP
    assert f"{3000 - TOP_ROADMAP} more in the full report" in text


def test_text_from_checks_and_targets_cannot_inject_markup_links_or_mentions(tmp_path):
    bad = audit_files(tmp_path, BAD_TREE)
    hostile = "<script>x()</script> [click](http://evil.example) @octocat | *bold* `code`\nnext line"
    roadmap = [RoadmapItem(**{**bad.roadmap[0].model_dump(), "title": hostile})]
    gates = [g.model_copy(update={"title": hostile, "reason": hostile}) for g in bad.gates]
    text = render(bad.model_copy(update={"roadmap": roadmap, "gates": gates, "complete": False,
                                         "incomplete_reason": hostile}))
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert not re.search(r"(?<!\\)\]\(", text) and "http://evil" not in text  # no live link, no autolink
    assert "@octocat" not in text and "&#64;octocat" in text
    row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert row.count("|") - row.count("\\|") == 6  # the pipe in the title did not add a column
    assert "\\*bold\\*" in text and "\\`code\\`" in text


def test_md_escapes_but_keeps_plain_words_readable():
    assert md("Level 3 (Production-Ready)") == "Level 3 (Production-Ready)"
    assert md("a_b") == "a\\_b"
    assert md("x" * 500, limit=10) == "x" * 9 + "…"
