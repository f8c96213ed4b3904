"""Audit the real-repository corpus (bench/corpus) file-only and score readyscore against hand judgements.

For each snapshot: unpack it, run a real static + deploy audit (file-only, no --url), and compare with bench/corpus/judgements.yaml:

- secret findings: precision = findings judged real / all findings (an unjudged finding counts as
  false, so nothing passes unchecked);
- deployment findings (failed deploy-* checks' evidence): precision against the false ones listed;
- capability passes (static-cap-* passing): precision against the false passes listed;
- level: `level_if_verified` (falling back on `level`) against the level judged by hand, agreement
  meaning within one level;
- wall time of each audit; and how many findings cite an out-of-scope path (must be security only).

Usage: python bench/real_repos.py [--json OUT] [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from readyscore import engine  # noqa: E402
from readyscore.catalog import load_catalog  # noqa: E402
from readyscore.config import AuditOptions, ProjectConfig, load_profile  # noqa: E402
from readyscore.model import Source, Status  # noqa: E402

CORPUS = ROOT / "bench" / "corpus"
SECRET_CHECKS = ("static-secrets", "static-secrets-test-fixtures", "static-weak-defaults",
                 "deploy-compose-no-inline-secrets", "deploy-dockerfile-no-secrets", "deploy-k8s-secrets-by-reference")


def audit(root: Path, config: dict) -> tuple[object, float]:
    catalog = load_catalog()
    profile = load_profile("default")
    options = AuditOptions(root=root, sources={Source.STATIC, Source.DEPLOY}, check_timeout_s=300, deadline_s=600,
                           show_progress=False)
    started = time.perf_counter()
    report = engine.audit(catalog, profile, ProjectConfig(**config), options)
    return report, time.perf_counter() - started


def cite(evidence) -> str:
    return f"{evidence.path}:{evidence.line}" if evidence.line else str(evidence.path)


def score_repo(name: str, judged: dict, report) -> dict:
    results = {r.check_id: r for r in report.results}
    secrets = [cite(e) for cid in SECRET_CHECKS if cid in results and results[cid].status == Status.FAIL
               for e in results[cid].evidence if e.path]
    true_secrets = set(judged.get("secrets_true", []))
    deploy = [f"{r.check_id} {cite(e)}" for r in report.results
              if r.check_id.startswith("deploy-") and r.check_id not in SECRET_CHECKS and r.status == Status.FAIL
              for e in r.evidence if e.path]
    false_deploy = set(judged.get("deploy_false", []))
    caps = [r.check_id for r in report.results if r.check_id.startswith("static-cap-")
            and r.status in (Status.PASS, Status.PARTIAL)]
    false_caps = set(judged.get("capability_false", []))
    level = getattr(report, "level_if_verified", None)
    level = report.level if level is None else level
    scope = (report.sections or {}).get("scope", {})
    out_paths = {item["path"] for item in scope.get("left_out", [])}
    back_in = {item["path"] for item in scope.get("brought_back_in", [])}
    readiness_out = [c for c in deploy + [f"{r.check_id} {cite(e)}" for r in report.results
                                          if r.check_id.startswith("static-cap-") for e in r.evidence if e.path]
                     if c.split(" ", 1)[1].rsplit(":", 1)[0] not in back_in
                     and any(c.split(" ", 1)[1].startswith(p + "/") for p in out_paths)]
    return {
        "name": name,
        "secrets": len(secrets), "secrets_true": sum(s in true_secrets for s in secrets),
        "unjudged_secrets": [s for s in secrets if s not in true_secrets and s not in set(judged.get("secrets_false", []))],
        "deploy": len(deploy), "deploy_true": sum(d not in false_deploy for d in deploy),
        "caps": len(caps), "caps_true": sum(c not in false_caps for c in caps), "cap_passes": caps,
        "level": level, "judged_level": judged["level"], "agrees": abs(level - judged["level"]) <= 1,
        "readiness_findings_out_of_scope": readiness_out,
    }


def precision(hit: int, total: int) -> float:
    return 1.0 if total == 0 else hit / total


def run_corpus(names: list[str] | None = None, quiet: bool = False) -> dict:
    """Audit every snapshot (or `names`) and return {'rows': [...], 'totals': {...}}."""
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    judgements = yaml.safe_load((CORPUS / "judgements.yaml").read_text())
    rows = []
    for item in manifest["repositories"]:
        name = item["name"]
        if names and name not in names:
            continue
        judged = judgements[name]
        with tempfile.TemporaryDirectory() as tmp:
            with tarfile.open(CORPUS / f"{name}.tar.gz") as tar:
                tar.extractall(tmp, filter="data")
            report, seconds = audit(Path(tmp), judged.get("config") or {})
        row = score_repo(name, judged, report)
        row["seconds"] = round(seconds, 2)
        rows.append(row)
        if not quiet:
            print_row(row)
    return {"rows": rows, "totals": totals_of(rows)}


def print_row(row: dict) -> None:
    print(f"{row['name']:28} secrets {row['secrets_true']}/{row['secrets']} "
          f"p={precision(row['secrets_true'], row['secrets']):.2f}  deploy p={precision(row['deploy_true'], row['deploy']):.2f} "
          f"({row['deploy']})  caps p={precision(row['caps_true'], row['caps']):.2f} ({row['caps']})  "
          f"level {row['level']} vs {row['judged_level']} {'ok' if row['agrees'] else 'OFF'}  {row['seconds']:.2f}s")
    for s in row["unjudged_secrets"]:
        print(f"    unjudged secret finding: {s}")
    for c in row["readiness_findings_out_of_scope"]:
        print(f"    readiness finding in an out-of-scope path: {c}")


def totals_of(rows: list[dict]) -> dict:
    return {
        "secret_precision": precision(sum(r["secrets_true"] for r in rows), sum(r["secrets"] for r in rows)),
        "secret_findings": sum(r["secrets"] for r in rows),
        "deploy_precision": precision(sum(r["deploy_true"] for r in rows), sum(r["deploy"] for r in rows)),
        "capability_precision": precision(sum(r["caps_true"] for r in rows), sum(r["caps"] for r in rows)),
        "level_disagreements": sum(not r["agrees"] for r in rows),
        "readiness_findings_out_of_scope": sum(len(r["readiness_findings_out_of_scope"]) for r in rows),
        "repositories": len(rows), "seconds": round(sum(r["seconds"] for r in rows), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*")
    parser.add_argument("--json")
    args = parser.parse_args()
    os.environ.setdefault("READYSCORE_CACHE_DIR", tempfile.mkdtemp(prefix="rs-corpus-cache-"))
    outcome = run_corpus(args.names)
    rows, totals = outcome["rows"], outcome["totals"]
    print(f"TOTAL {totals['repositories']} repositories: secret precision {totals['secret_precision']:.3f} "
          f"({sum(r['secrets_true'] for r in rows)}/{sum(r['secrets'] for r in rows)}), deploy precision "
          f"{totals['deploy_precision']:.3f}, capability precision {totals['capability_precision']:.3f}, "
          f"level disagreements {totals['level_disagreements']}, readiness findings out of scope "
          f"{totals['readiness_findings_out_of_scope']}, wall {totals['seconds']:.1f}s")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "totals": totals}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
