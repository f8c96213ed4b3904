"""How well a file-only audit's score estimates the full audit's, and how far one check can move
either: the figures behind docs/scoring.md ("Area and overall score").

    python bench/score_stability.py                  # presets level1..4 and the calibration fixtures
    python bench/score_stability.py --only level3    # one tree
    python bench/score_stability.py --reports DIR    # keep the report.json files in DIR
    python bench/score_stability.py --calibrated-scale   # also: the same audits on a calibrated scale

For each tree: a file-only audit (static + deploy) and a full audit of the same tree with the demo
service live on loopback (`--url`; live probes and a short Locust load test), as `readyscore demo`
runs it. Demo presets are audited against their own preset's service; a calibration fixture against
the preset it was made from. Prints the stability table (file-only minus full, and the score bands)
and the swing table (the largest change of the overall score when one scored check flips between
fail and pass, everything else as measured), and how often the file-only audit's predictions (live
checks counted at the result their file evidence predicts) match what the full audit measured. Exit 1 when a difference exceeds --max-diff or a
file-only score lands in a higher band than the full one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from readyscore.calibration import band, swings  # noqa: E402
from readyscore.config import load_profile  # noqa: E402
from readyscore.demo.runner import DemoServer  # noqa: E402
from readyscore.report import load_report  # noqa: E402

PRESETS = ROOT / "readyscore" / "demo" / "presets"
FIXTURES = ROOT / "tests" / "fixtures" / "calibration"
# tree name -> (tree, the preset whose service stands in for it live)
TREES = {
    "level1": (PRESETS / "level1", "level1"),
    "level2": (PRESETS / "level2", "level2"),
    "level3": (PRESETS / "level3", "level3"),
    "level4": (PRESETS / "level4", "level4"),
    "k8s-no-cache": (None, "level4"),  # built from the level4 preset: tests/fixtures/calibration/no_cache_tree.py
}
KEY_ENV = "READYSCORE_BENCH_AUDIT_KEY"


def audit(tree: Path, out: Path, url: str | None = None, env: dict[str, str] | None = None) -> Path:
    cmd = [sys.executable, "-m", "readyscore", "audit", str(tree), "-o", str(out), "-q", "-f", "json",
           "--timeout", "120", "--deadline", "300"]
    if url:
        cmd += ["--url", url, "--api-key-env", KEY_ENV]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})
    if proc.returncode not in (0, 1):
        raise SystemExit(f"audit of {tree} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return out / "report.json"


def full_audit(tree: Path, preset: str, out: Path) -> Path:
    with DemoServer(preset=preset) as server:
        return audit(tree, out, server.url, {KEY_ENV: server.api_key or ""})


def _no_cache_tree(dest: Path) -> Path:
    """The repository of issue 20, built from the level4 preset by the test fixture's own builder."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("no_cache_tree", FIXTURES / "no_cache_tree.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(dest)


def prediction_accuracy(file_only, full) -> tuple[int, int, list[str]]:
    """(predictions the full audit could check, how many it confirmed, the ones it did not). A check
    the full audit did not score (warned, not applicable, not evaluated) confirms nothing either way."""
    measured = {r.check_id: r for r in full.results}
    checked = right = 0
    wrong = []
    for prediction in file_only.predictions:
        result = measured.get(prediction.check_id)
        if result is None or not result.status.scored:
            continue
        checked += 1
        if result.status == prediction.status:
            right += 1
        else:
            wrong.append(f"{prediction.check_id} ({prediction.status.value} → {result.status.value})")
    return checked, right, wrong


def calibration_knots(profile) -> list[tuple[float, float]]:
    """A what-if for issue 20, not readyscore's scoring: knots that put a service whose evidence
    covers Levels 1..N of the catalog exactly (their share of the catalog's check weight, area
    weights aside) at the bottom of Level N's score band; 0 stays 0 and 100 stays 100."""
    from readyscore.catalog import load_catalog

    weights: dict[int, float] = {}
    for entry in load_catalog():
        weights[entry.spec.level] = weights.get(entry.spec.level, 0.0) + entry.spec.weight
    total = sum(weights.values())
    knots, covered = [(0.0, 0.0)], 0.0
    top = max(spec.level for spec in profile.levels)
    for spec in sorted(profile.levels, key=lambda s: s.level):
        covered += weights.get(spec.level, 0.0)
        if spec.level < top:
            knots.append((100 * covered / total, spec.min_score))
    return knots + [(100.0, 100.0)]


def calibrated(score: float, knots: list[tuple[float, float]]) -> float:
    for (x0, y0), (x1, y1) in zip(knots, knots[1:]):
        if score <= x1:
            return y0 + (score - x0) * (y1 - y0) / (x1 - x0) if x1 > x0 else y1
    return knots[-1][1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=sorted(TREES), help="audit only this tree (repeatable)")
    parser.add_argument("--reports", type=Path, help="folder to keep the report.json files in")
    parser.add_argument("--max-diff", type=float, default=8.0, help="largest allowed |file-only - full| (points)")
    parser.add_argument("--calibrated-scale", action="store_true",
                        help="also print the figures on a calibrated scale (a what-if, see calibration_knots)")
    args = parser.parse_args()

    profile = load_profile("default")
    base = args.reports or Path(tempfile.mkdtemp(prefix="readyscore-stability-"))
    rows, swing_rows, prediction_rows, failed = [], [], [], False
    reports: dict[str, tuple] = {}
    for name in args.only or list(TREES):
        tree, preset = TREES[name]
        if tree is None:
            tree = _no_cache_tree(base / name / "tree")
        print(f"auditing {name}: file-only, then full against the {preset} service …", file=sys.stderr, flush=True)
        file_only = load_report(audit(tree, base / name / "file-only"))
        full = load_report(full_audit(tree, preset, base / name / "full"))
        diff = (file_only.score or 0.0) - (full.score or 0.0)
        bands = (band(file_only.score, profile), band(full.score, profile))
        ok = abs(diff) <= args.max_diff and bands[0] <= bands[1]
        failed |= not ok
        rows.append((name, file_only.score, bands[0], file_only.coverage, full.score, bands[1], full.coverage,
                     diff, ok))
        prediction_rows.append((name, *prediction_accuracy(file_only, full)))
        reports[name] = (file_only, full)
        for kind, report in (("file-only", file_only), ("full", full)):
            top = swings(report, profile)[0]
            swing_rows.append((name, kind, top.points, top.check_id, top.if_failed, top.if_passed))

    print("\n| tree | file-only score (band, coverage) | full score (band, coverage) | file-only - full | within |")
    print("| --- | --- | --- | --- | --- |")
    for name, fs, fb, fc, us, ub, uc, diff, ok in rows:
        print(f"| {name} | {fs:.1f} (L{fb}, {fc:.0%}) | {us:.1f} (L{ub}, {uc:.0%}) | {diff:+.1f} | "
              f"{'yes' if ok else 'NO'} |")
    print("\n| tree | audit | largest swing | check | score if it failed → passed |")
    print("| --- | --- | --- | --- | --- |")
    for name, kind, points, check_id, low, high in swing_rows:
        print(f"| {name} | {kind} | {points:.2f} | {check_id} | {low:.1f} → {high:.1f} |")
    print("\n| tree | predictions checked | right | wrong (predicted → measured) |")
    print("| --- | --- | --- | --- |")
    for name, checked, right, wrong in prediction_rows:
        print(f"| {name} | {checked} | {right} | {', '.join(wrong) or '—'} |")
    if args.calibrated_scale:
        print_calibrated(reports, profile)
    if args.reports:
        print(f"\nreports kept in {base}", file=sys.stderr)
    return 1 if failed else 0


def print_calibrated(reports: dict[str, tuple], profile) -> None:
    """The same audits re-scored on the calibrated scale: each score and each single-check swing
    mapped through the knots (a monotone map, so the largest swing may come from another check)."""
    knots = calibration_knots(profile)
    print("\nCalibrated scale (what-if), knots " + ", ".join(f"{x:.1f}->{y:.0f}" for x, y in knots))
    print("\n| tree | file-only (band) | full (band) | file-only - full | largest full swing | check |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (file_only, full) in reports.items():
        fs, us = calibrated(file_only.score or 0.0, knots), calibrated(full.score or 0.0, knots)
        moved = [(calibrated(s.if_passed or 0.0, knots) - calibrated(s.if_failed or 0.0, knots), s.check_id)
                 for s in swings(full, profile)]
        points, check_id = max(moved) if moved else (0.0, "-")
        print(f"| {name} | {fs:.1f} (L{band(fs, profile)}) | {us:.1f} (L{band(us, profile)}) | {fs - us:+.1f} | "
              f"{points:.2f} | {check_id} |")


if __name__ == "__main__":
    raise SystemExit(main())
