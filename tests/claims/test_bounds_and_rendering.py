"""Hostile documents: a 50 MB markdown file, a file named with markup, binary files, many files.
Reads stay within their caps, and claim text never renders as markup in any report."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

from readyscore.claims import finder
from readyscore.claims.mapping import load_claim_map
from readyscore.claims.records import ClaimStatus
from readyscore.files import FileIndex
from readyscore.report import REPORT_SCHEMA_VERSION
from readyscore.reporters.html import HtmlReporter
from readyscore.reporters.markdown import render_markdown
from readyscore.reporters.terminal import TerminalReporter
from readyscore.report import REPORT_SCHEMA_VERSION

from claims_helpers import LLM_SUMMARY, audit_tree

MARKUP_NAME = '<img src=x onerror=alert(1)>.md'
MARKUP_CLAIM = "- [x] <script>alert('claim')</script> JWT authentication [click](https://evil.example) @team"


def _write_big_markdown(path, size: int) -> None:
    line = b"Filler text about the weather, nothing claimed here at all.\n"
    with open(path, "wb") as handle:
        handle.write(b"# Checklist\n\n- [x] Rate limiting per key\n\n")
        for _ in range(size // len(line)):
            handle.write(line)
        handle.write(b"\n- [x] JWT authentication hidden past the cap\n")


def test_a_claim_in_a_50_mb_markdown_file_is_found_within_the_read_caps(tmp_path):
    big = tmp_path / "docs" / "CHECKLIST.md"
    big.parent.mkdir()
    _write_big_markdown(big, 50 * 1024 * 1024)
    started = time.perf_counter()
    found = finder.find_claims(FileIndex(tmp_path), load_claim_map())
    elapsed = time.perf_counter() - started
    assert found.bytes_read <= finder.MAX_FILE_BYTES
    assert found.truncated == ["docs/CHECKLIST.md"]
    refs = [c.refs for c in found.claims]
    assert ["rate-limiting"] in refs and ["authentication"] not in refs  # the tail is past the cap
    assert elapsed < 10, elapsed


def test_the_total_cap_and_file_cap_hold_across_many_documents(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):
        (docs / f"note{i:02}.md").write_text("## Security\n\n- Rate limiting per key\n" + "x" * 4000 + "\n")
    limits = finder.Limits(file_bytes=2048, total_bytes=10_000, files=100)
    found = finder.find_claims(FileIndex(tmp_path), load_claim_map(), limits)
    assert found.bytes_read <= 10_000 and found.skipped.get("over the total byte limit")
    limits = finder.Limits(files=5)
    found = finder.find_claims(FileIndex(tmp_path), load_claim_map(), limits)
    assert len(found.files_read) == 5 and found.skipped["over the file limit"] == 25


def test_binary_documents_are_skipped(tmp_path):
    (tmp_path / "README.md").write_bytes(b"production-ready\x00\x01\x02" * 100)
    found = finder.find_claims(FileIndex(tmp_path), load_claim_map())
    assert found.claims == [] and found.skipped == {"binary": 1}


def _hostile_report(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / MARKUP_NAME).write_text("# Security checklist\n\n" + MARKUP_CLAIM + "\n")
    report = audit_tree(tmp_path)
    [claim] = [c for c in report.claims if c.path == f"docs/{MARKUP_NAME}"]
    return report, claim


def test_a_file_named_with_markup_is_read_and_its_claim_rendered_as_text(tmp_path):
    report, claim = _hostile_report(tmp_path)
    assert claim.status in (ClaimStatus.UNPROVEN, ClaimStatus.CONTRADICTED) and "<script>" in claim.text
    html = HtmlReporter().render(report)
    assert "<script>alert('claim')" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.md" in html and "&lt;script&gt;" in html
    md = render_markdown(report)
    assert "<script>" not in md and "<img" not in md and "](https://evil" not in md and "@team" not in md
    assert "Claims against evidence" in md


def test_html_markdown_and_terminal_put_contradicted_claims_first(tmp_path):
    (tmp_path / "PRODUCTION_READINESS.md").write_bytes(LLM_SUMMARY.read_bytes())
    report = audit_tree(tmp_path)
    html = HtmlReporter().render(report)
    section = html[html.index('id="claims"'):]
    statuses = [chunk.split('"', 1)[0] for chunk in section.split('data-claim-status="')[1:]]
    order = ["contradicted", "unproven", "out_of_reach", "substantiated"]
    assert statuses and statuses == sorted(statuses, key=order.index)
    md = render_markdown(report)
    lines = md[md.index("### Claims against evidence"):].splitlines()
    rows = [line for line in lines[6:lines.index("", 6)]]
    assert "contradicted" in lines[2] and rows and "❌ contradicted" in rows[0]
    shown = [re.search(r"\| \S+ (contradicted|unproven|out of reach|substantiated) \|", row).group(1).replace(" ", "_")
             for row in rows]
    assert shown == sorted(shown, key=order.index)
    text = TerminalReporter().render(report)
    assert "Claims against evidence:" in text and "contradicted" in text and "PRODUCTION_READINESS.md:3" in text


def test_re_rendering_an_old_report_keeps_the_claims(tmp_path):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "README.md").write_bytes(LLM_SUMMARY.read_bytes())
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "readyscore", "audit", str(tmp_path / "tree"), "-q", "-f", "json",
                          "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    data = json.loads((out / "report.json").read_text())
    assert data["schema_version"] == REPORT_SCHEMA_VERSION
    assert set(data["claims"][0]) >= {"text", "path", "line", "kind", "status", "checks", "reason"}
    run = subprocess.run([sys.executable, "-m", "readyscore", "report", str(out / "report.json"), "--format", "html",
                          "-o", str(tmp_path / "again")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Claims against evidence" in (tmp_path / "again" / "report.html").read_text()
