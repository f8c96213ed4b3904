"""Score calibration on real trees (issue 20): how far one check can move the overall score (its
swing), and the repository of the issue (full Kubernetes deployment, alerts, SLOs, two regions, no
response cache, no WAF) audited from its files.

The swing table is printed (run with -s to see it); the full-audit swings and the file-only vs full
stability are checked with the demo ladder in test_ladder.py, which already runs the full audits."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from readyscore.calibration import band, swings
from readyscore.config import load_profile
from readyscore.report import Report, load_report

ROOT = Path(__file__).resolve().parents[2]
PRESETS = ROOT / "readyscore" / "demo" / "presets"
FIXTURES = ROOT / "tests" / "fixtures"

_spec = importlib.util.spec_from_file_location("no_cache_tree", FIXTURES / "calibration" / "no_cache_tree.py")
no_cache_tree = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(no_cache_tree)
# Repositories: service code and deployment files. Their largest single-check swing stays within
# MAX_SWING, a third of the narrowest score band (Level 3's 70-85).
REPOSITORIES = {**{p: PRESETS / p for p in ("level1", "level2", "level3", "level4")}, "k8s-no-cache": None}
MAX_SWING = 8.0
# Deployment fragments (tests/fixtures/deploy/*): manifests without a service, so a third of the
# model or less is evaluated and each check weighs more. Bounded too, more loosely.
FRAGMENTS = {f"deploy/{p.name}": p for p in sorted((FIXTURES / "deploy").iterdir()) if p.is_dir()}
MAX_FRAGMENT_SWING = 15.0


def file_only(tree: Path, out: Path) -> Report:
    proc = subprocess.run([sys.executable, "-m", "readyscore", "audit", str(tree), "-o", str(out), "-q", "-f", "json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return load_report(out / "report.json")


@pytest.fixture(scope="module")
def profile():
    return load_profile("default")


@pytest.fixture(scope="module")
def no_cache(tmp_path_factory) -> Path:
    """The repository of issue 20, built from the level4 preset (tests/fixtures/calibration)."""
    return no_cache_tree.build(tmp_path_factory.mktemp("tree") / "k8s-no-cache")


@pytest.fixture(scope="module")
def audited(tmp_path_factory, no_cache) -> dict[str, Report]:
    trees = {**REPOSITORIES, "k8s-no-cache": no_cache, **FRAGMENTS}
    return {name: file_only(tree, tmp_path_factory.mktemp(name.replace("/", "-"))) for name, tree in trees.items()}


def test_no_single_check_swings_the_overall_score_by_more_than_the_bound(audited, profile):
    table = ["", "largest single-check swing of the overall score (file-only audits)",
             f"{'tree':22} {'coverage':>8} {'score':>6} {'swing':>6}  check (score if failed -> passed)"]
    too_big = []
    for name, report in audited.items():
        top = swings(report, profile)[0]
        table.append(f"{name:22} {report.coverage:8.0%} {report.score:6.1f} {top.points:6.2f}  "
                     f"{top.check_id} ({top.if_failed:.1f} -> {top.if_passed:.1f})")
        bound = MAX_SWING if name in REPOSITORIES else MAX_FRAGMENT_SWING
        if top.points > bound:
            too_big.append(f"{name}: {top.check_id} swings {top.points:.2f} > {bound}")
    print("\n".join(table))
    assert not too_big, "\n".join(table + too_big)


def test_the_response_cache_never_outweighs_level4_gates_or_security_controls(audited, profile):
    """Wherever the cache check is scored, its swing is at most that of every scored Level 4 gate
    check (medium severity or more) and every security check that a Level 2 gate names."""
    gate_checks = {level: {c for g in spec.gates for c in g.check_ids()} for level in (2, 4)
                   for spec in profile.levels if spec.level == level}
    for name, report in audited.items():
        by_id = {s.check_id: s.points for s in swings(report, profile)}
        cache = by_id.get("static-cap-caching")
        if cache is None:
            continue
        heavier = [(r.check_id, by_id[r.check_id]) for r in report.results if r.check_id in by_id and (
            (r.check_id in gate_checks[4] and r.severity.rank >= 2)
            or (r.area.value == "security" and r.check_id in gate_checks[2]))]
        lighter = [(c, p) for c, p in heavier if p < cache - 1e-9]
        assert not lighter, (name, cache, lighter)


def test_the_issue_repository_scores_near_its_full_evidence_level_and_leads_with_level4_gaps(audited, profile):
    report = audited["k8s-no-cache"]
    # Full evidence is Level 3: everything but the WAF/DDoS gate of Level 4 holds.
    assert report.result("deploy-waf-ddos").status == "fail"
    assert abs(band(report.score, profile) - 3) <= 1, report.score
    # The missing cache is one heuristic in an area the files barely evaluate (the cache and the
    # blocking-call check, 1.5 of its 11.5 weight: the load test carries the rest).
    performance = report.areas["performance"]
    assert performance.status == "too_little_evidence"
    assert sorted(performance.evaluated_checks) == ["static-blocking-in-async", "static-cap-caching"]
    assert report.result("static-cap-caching").status == "fail"
    fixes = [item for item in report.roadmap if item.action == "fix"]
    assert fixes[0].check_id == "deploy-waf-ddos" and fixes[0].level == 4 and fixes[0].points > 0
    cache = next(item for item in fixes if item.check_id == "static-cap-caching")
    assert cache.points == 0.0
    # Before the cache: Level 4 gaps, and checks the strength rule holds at partial (requirements
    # pinned without a lock file are declared evidence: docs/scoring.md), each a fix of its own.
    assert all(item.level == 4 or report.result(item.check_id).measured_status == "pass"
               for item in fixes[:fixes.index(cache)]), [i.check_id for i in fixes]
    # Its monitoring is read whole: the code's metrics, queried by its alert rules, count as collected
    # without a scrape config in the repository.
    metrics = report.result("deploy-metrics-collected")
    assert metrics.status == "pass" and metrics.score < 1.0 and "tealeaf_" in metrics.evidence[0].message


def test_adding_the_cache_does_not_move_the_file_only_score(audited, no_cache, tmp_path):
    import shutil

    tree = shutil.copytree(no_cache, tmp_path / "with-cache")
    shutil.copy(PRESETS / "level4" / "app" / "moderation.py", tree / "app" / "moderation.py")  # a TTL cache
    with_cache = file_only(tree, tmp_path / "out")
    assert with_cache.result("static-cap-caching").status == "pass"
    assert with_cache.score == audited["k8s-no-cache"].score


def test_the_issue_repository_file_only_estimates_its_full_audit(audited, no_cache, profile, tmp_path):
    """Full evidence: the same tree with the level4 demo service live on loopback (the preset it was
    made from). Level 3, held back by the WAF/DDoS gate (and the fallback gate, pending); the file-only score within 8 points
    and never in a higher band; the full roadmap leads with the WAF and the cache weighs less."""
    import os

    from readyscore.demo.runner import DemoServer

    out = tmp_path / "full"
    with DemoServer(preset="level4") as server:
        proc = subprocess.run(
            [sys.executable, "-m", "readyscore", "audit", str(no_cache), "--url", server.url, "--api-key-env",
             "READYSCORE_TEST_AUDIT_KEY", "-o", str(out), "-q", "-f", "json", "--deadline", "300"],
            capture_output=True, text=True, timeout=400,
            env={**os.environ, "READYSCORE_TEST_AUDIT_KEY": server.api_key or ""})
    assert proc.returncode in (0, 1), proc.stderr
    full, files = load_report(out / "report.json"), audited["k8s-no-cache"]
    print(f"\nk8s-no-cache: file-only {files.score:.1f} · full {full.score:.1f} (Level {full.level})")
    # Held back by the WAF/DDoS gate, and by the fallback gate that only the upstream-fault phase
    # (not run here) can settle: no file shows a marked fallback being served.
    pending = {g.id for g in full.gates if g.status == "pending"}
    assert pending == {"upstream-fallback"}, pending
    assert full.level == 3 and [g for g in full.held_back_by if g not in pending] == ["waf-ddos"], \
        (full.level, full.held_back_by)
    assert abs(band(files.score, profile) - full.level) <= 1
    assert abs(files.score - full.score) <= 8 and band(files.score, profile) <= band(full.score, profile)
    assert full.roadmap[0].check_id == "deploy-waf-ddos"
    cache = next(item for item in full.roadmap if item.check_id == "static-cap-caching")
    assert cache.points < full.roadmap[0].points
