"""Audit the real-repository corpus (bench/corpus) file-only and score readyscore against hand judgements.

For each snapshot: unpack it, run a real static + deploy audit (file-only, no --url), and compare with bench/corpus/judgements.yaml:

- secret findings: precision = findings judged real / all findings (an unjudged finding counts as
  false, so nothing passes unchecked);
- deployment findings (evidence marked `finding: true` in the deploy-* checks other than the secret
  ones, each citing a file): precision = findings judged true / all findings; deployment passes
  (the evidence of passing deploy-* checks): precision = passes judged true / all passes. Every one is
  matched against `deploy_findings` / `deploy_passes` in judgements.yaml (check, path, real, why;
  the path may carry `:line`, name a file, or be a glob over files); an unjudged one counts as
  wrong and is listed, so nothing passes unchecked;
- capability passes (static-cap-* passing): precision against the false passes listed;
- level: `level_if_verified` (falling back on `level`) against the level judged by hand, agreement
  meaning within one level;
- wall time of each audit; and how many findings cite an out-of-scope path (must be security only).

Usage: python bench/real_repos.py [--json OUT] [NAME ...]
"""

from __future__ import annotations

import argparse
import fnmatch
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


def judge(items: list[tuple[str, str, int | None]], judgements: list[dict]) -> tuple[int, list[str], list[str]]:
    """(judged true, judged false, unjudged) over (check, path, line) items; the most specific judgement wins:
    `path:line`, then the file, then a glob."""
    true, false, unjudged = 0, [], []
    for check, path, line in items:
        mine = [j for j in judgements if j["check"] == check]
        found = (next((j for j in mine if line is not None and j["path"] == f"{path}:{line}"), None)
                 or next((j for j in mine if j["path"] == path), None)
                 or next((j for j in mine if fnmatch.fnmatchcase(path, j["path"])), None))
        label = f"{check} {path}:{line}" if line else f"{check} {path}"
        if found is None:
            unjudged.append(label)
        elif found["real"]:
            true += 1
        else:
            false.append(f"{label}  ({found['why']})")
    return true, false, unjudged


def deploy_items(report) -> tuple[list, list]:
    """Deployment findings (faults citing a file) and deployment passes (the evidence of a passing check)."""
    findings, passes = [], []
    for r in report.results:
        if not r.check_id.startswith("deploy-") or r.check_id in SECRET_CHECKS:
            continue
        for e in r.evidence:
            if e.path and e.finding:
                findings.append((r.check_id, e.path, e.line))
            elif e.path and r.status == Status.PASS:
                passes.append((r.check_id, e.path, e.line))
    return findings, passes


def score_repo(name: str, judged: dict, report) -> dict:
    results = {r.check_id: r for r in report.results}
    secrets = [cite(e) for cid in SECRET_CHECKS if cid in results and results[cid].status == Status.FAIL
               for e in results[cid].evidence if e.path]
    true_secrets = set(judged.get("secrets_true", []))
    deploy = [f"{r.check_id} {cite(e)}" for r in report.results
              if r.check_id.startswith("deploy-") and r.check_id not in SECRET_CHECKS and r.status == Status.FAIL
              for e in r.evidence if e.path and e.finding]
    findings, passes = deploy_items(report)
    deploy_true, deploy_false, deploy_unjudged = judge(findings, judged.get("deploy_findings") or [])
    pass_true, pass_false, pass_unjudged = judge(passes, judged.get("deploy_passes") or [])
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
    # The issue's "Done when": no finding (evidence marked finding: true) of a check outside the security
    # area cites a file scoped out as an example, tutorial, docs or test file.
    def scoped_out(path: str) -> bool:
        return path not in back_in and any(path.startswith(p + "/") for p in out_paths)
    nonsecurity_out = [f"{r.check_id} {cite(e)}" for r in report.results if str(r.area) != "security"
                       for e in r.evidence if e.finding and e.path and scoped_out(e.path)]
    return {
        "name": name,
        "nonsecurity_findings_out_of_scope": nonsecurity_out,
        "secrets": len(secrets), "secrets_true": sum(s in true_secrets for s in secrets),
        "unjudged_secrets": [s for s in secrets if s not in true_secrets and s not in set(judged.get("secrets_false", []))],
        "deploy": len(findings), "deploy_true": deploy_true, "deploy_false": deploy_false,
        "deploy_unjudged": deploy_unjudged,
        "deploy_passes": len(passes), "deploy_passes_true": pass_true, "deploy_passes_false": pass_false,
        "deploy_passes_unjudged": pass_unjudged,
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
          f"p={precision(row['secrets_true'], row['secrets']):.2f}  deploy findings "
          f"{row['deploy_true']}/{row['deploy']} p={precision(row['deploy_true'], row['deploy']):.2f}  deploy passes "
          f"{row['deploy_passes_true']}/{row['deploy_passes']} "
          f"p={precision(row['deploy_passes_true'], row['deploy_passes']):.2f}  caps p={precision(row['caps_true'], row['caps']):.2f} ({row['caps']})  "
          f"level {row['level']} vs {row['judged_level']} {'ok' if row['agrees'] else 'OFF'}  {row['seconds']:.2f}s")
    for key, label in (("unjudged_secrets", "unjudged secret finding"), ("deploy_false", "false deployment finding"),
                       ("deploy_passes_false", "false deployment pass"),
                       ("deploy_unjudged", "unjudged deployment finding"),
                       ("deploy_passes_unjudged", "unjudged deployment pass"),
                       ("nonsecurity_findings_out_of_scope", "non-security finding in an out-of-scope path"),
                       ("readiness_findings_out_of_scope", "readiness finding in an out-of-scope path")):
        for item in row[key]:
            print(f"    {label}: {item}")

def totals_of(rows: list[dict]) -> dict:
    return {
        "secret_precision": precision(sum(r["secrets_true"] for r in rows), sum(r["secrets"] for r in rows)),
        "secret_findings": sum(r["secrets"] for r in rows),
        "deploy_precision": precision(sum(r["deploy_true"] for r in rows), sum(r["deploy"] for r in rows)),
        "deploy_findings": sum(r["deploy"] for r in rows),
        "deploy_unjudged": sum(len(r["deploy_unjudged"]) for r in rows),
        "deploy_pass_precision": precision(sum(r["deploy_passes_true"] for r in rows),
                                           sum(r["deploy_passes"] for r in rows)),
        "deploy_passes": sum(r["deploy_passes"] for r in rows),
        "deploy_passes_unjudged": sum(len(r["deploy_passes_unjudged"]) for r in rows),
        "capability_precision": precision(sum(r["caps_true"] for r in rows), sum(r["caps"] for r in rows)),
        "level_disagreements": sum(not r["agrees"] for r in rows),
        "readiness_findings_out_of_scope": sum(len(r["readiness_findings_out_of_scope"]) for r in rows),
        "nonsecurity_findings_out_of_scope": sum(len(r["nonsecurity_findings_out_of_scope"]) for r in rows),
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
          f"({sum(r['secrets_true'] for r in rows)}/{sum(r['secrets'] for r in rows)}), deployment-finding precision "
          f"{totals['deploy_precision']:.3f} ({sum(r['deploy_true'] for r in rows)}/{totals['deploy_findings']}), "
          f"deployment-pass precision {totals['deploy_pass_precision']:.3f} "
          f"({sum(r['deploy_passes_true'] for r in rows)}/{totals['deploy_passes']}), capability precision {totals['capability_precision']:.3f}, "
          f"level disagreements {totals['level_disagreements']}, readiness findings out of scope "
          f"{totals['readiness_findings_out_of_scope']}, non-security findings out of scope "
          f"{totals['nonsecurity_findings_out_of_scope']}, wall {totals['seconds']:.1f}s")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "totals": totals}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
