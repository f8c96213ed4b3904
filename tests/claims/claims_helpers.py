"""Shared by the claims tests: a file-only audit of a real tree through the real engine."""

from __future__ import annotations

from pathlib import Path

from readyscore import engine
from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, load_profile
from readyscore.report import Report

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "claims"
PRESETS = REPO / "readyscore" / "demo" / "presets"
LLM_SUMMARY = FIXTURES / "001_146b64552a4ac5ad.txt"  # "fully production-ready" with auth, rate limiting, TLS to add
GATEWAY_CHECKLIST = FIXTURES / "004_20969056725bd680.txt"  # ticks items its pre-deployment list leaves open


def audit_tree(root: Path) -> Report:
    return engine.audit(load_catalog([]), load_profile("default"), ProjectConfig(),
                        AuditOptions(root=root, show_progress=False, concurrency=4))


def claim_at(report: Report, path: str, line: int, kind: str | None = None):
    found = [c for c in report.claims if c.path == path and c.line == line and (kind is None or c.kind == kind)]
    assert found, f"no claim at {path}:{line} in {[(c.path, c.line, c.kind.value) for c in report.claims]}"
    return found[0]
