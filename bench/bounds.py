"""How much time and memory an audit of a large repository takes, beside a floor measured in the
same run on the same tree.

    python bench/bounds.py                       # 20,000 files, static + deploy, cold then warm cache
    python bench/bounds.py --files 5000 --max-seconds 120 --max-mib 400   # exit 1 past a bound
    python bench/bounds.py --repeat 3 --max-warm-seconds 3   # the warm re-audit three times, median kept

After the warm re-audits (an unchanged tree: its static and deploy results are replayed), one
Python module is edited and the tree audited once more: the warm cost of a real change, where every
check runs again over the per-file caches.

The tree is generated (a mix of small Python modules, YAML manifests, Markdown, JSON and text in
nested folders). Each measured command runs in a child process; its peak memory is the `ru_maxrss`
that `wait4` reports for it (the largest resident set of the child and the children it waited
for, such as bandit's processes) and its time is the wall clock. The reference is the least any
auditor must do: walk the same tree with `os.walk` and read every file once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULE = '''"""Module {i}: a small handler, as a service repository has hundreds of."""
import json
import logging
import os

log = logging.getLogger(__name__)
TIMEOUT_S = float(os.environ.get("TIMEOUT_S", "{i}"))


def handle_{i}(payload: dict) -> str:
    if not isinstance(payload, dict):
        raise ValueError("payload must be a mapping")
    log.info("handling %s", payload.get("id"))
    return json.dumps({{"id": payload.get("id"), "n": {i}}})


class Service{i}:
    def __init__(self, client):
        self.client = client

    def call(self, prompt: str) -> str:
        return self.client.complete(prompt, max_tokens=64, timeout=TIMEOUT_S)
'''
MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: svc-{i}}}}}
  template:
    metadata: {{labels: {{app: svc-{i}}}}}
    spec:
      containers:
        - name: app
          image: registry.example/svc:{i}
          resources: {{limits: {{cpu: 500m, memory: 256Mi}}}}
"""


def build_tree(root: Path, files: int) -> dict[str, int]:
    """`files` files: 25% Python, 10% YAML, 15% Markdown, 10% JSON, 40% text, 200 per folder."""
    kinds: dict[str, int] = {}
    for i in range(files):
        folder = root / f"pkg{i // 2000:02d}" / f"mod{(i // 200) % 10:02d}"
        if i % 200 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        slot = i % 20
        if slot < 5:
            name, text = f"m{i}.py", MODULE.format(i=i)
        elif slot < 7:
            name, text = f"deploy{i}.yaml", MANIFEST.format(i=i)
        elif slot < 10:
            name, text = f"notes{i}.md", f"# Notes {i}\n\nSome prose about component {i}.\n" * 4
        elif slot < 12:
            name, text = f"data{i}.json", json.dumps({"id": i, "values": list(range(20))})
        else:
            name, text = f"row{i}.txt", f"{i},value,{i * 3}\n" * 8
        (folder / name).write_text(text)
        suffix = name.rsplit(".", 1)[1]
        kinds[suffix] = kinds.get(suffix, 0) + 1
    (root / "README.md").write_text("# generated service\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_smoke.py").write_text("def test_smoke():\n    assert True\n")
    return kinds


REFERENCE = """
import os, sys
total = 0
for folder, dirs, files in os.walk(sys.argv[1]):
    for name in files:
        with open(os.path.join(folder, name), 'rb') as handle:
            total += len(handle.read())
print(total)
"""


def measure(command: list[str], env: dict[str, str] | None = None, timeout: float = 1800) -> dict:
    """Wall time, peak RSS (MiB) and exit code of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env={**os.environ, **(env or {})})
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            child.kill()
            pid, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    peak_mib = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {"seconds": round(seconds, 2), "peak_mib": round(peak_mib, 1), "exit": child.returncode,
            "stderr_tail": stderr[-800:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--sources", default="static,deploy")
    parser.add_argument("--dir", type=Path, default=None, help="where to build the tree (default: a temp folder)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--max-seconds", type=float, default=None, help="exit 1 when the cold audit is slower")
    parser.add_argument("--max-mib", type=float, default=None, help="exit 1 when the cold audit's peak is higher")
    parser.add_argument("--repeat", type=int, default=1, help="warm re-audits; the median is reported")
    parser.add_argument("--max-warm-seconds", type=float, default=None,
                        help="exit 1 when the median warm re-audit is slower (issue 17: 3 s)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="readyscore-bounds-", dir=args.dir))
    try:
        started = time.perf_counter()
        kinds = build_tree(work / "tree", args.files)
        built = time.perf_counter() - started
        print(f"tree: {args.files} files ({', '.join(f'{n} .{k}' for k, n in sorted(kinds.items()))}) "
              f"built in {built:.1f} s at {work / 'tree'}", flush=True)
        audit = [sys.executable, "-m", "readyscore", "audit", str(work / "tree"), "--sources", args.sources, "-q",
                 "--format", "json", "--output", str(work / "report"), "--timeout", "1500", "--deadline", "1700"]
        cache = {"XDG_CACHE_HOME": str(work / "cache")}  # a fresh content-hash cache: the first run is cold
        load_before = os.getloadavg()[0]
        rows = {
            "reference: os.walk + read every file": measure([sys.executable, "-c", REFERENCE, str(work / "tree")]),
            "readyscore audit (cold cache)": measure(audit, cache),
        }
        warm_runs = [measure(audit, cache) for _ in range(max(1, args.repeat))]
        # The median run by time (the middle one: its memory and exit belong to the same run).
        rows["readyscore audit (warm cache)"] = sorted(warm_runs, key=lambda row: row["seconds"])[len(warm_runs) // 2]
        edited = work / "tree" / "pkg00" / "mod00" / "m0.py"
        edited.write_text(edited.read_text() + "\nEDITED = True\n")
        rows["readyscore audit (warm, one file edited)"] = measure(audit, cache)
        load_after = os.getloadavg()[0]
        report = json.loads((work / "report" / "report.json").read_text()) if (work / "report" / "report.json").exists() else {}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    width = max(len(name) for name in rows)
    print(f"\n{'':{width}}  {'wall s':>8}  {'peak MiB':>9}  exit")
    for name, row in rows.items():
        print(f"{name:{width}}  {row['seconds']:>8.2f}  {row['peak_mib']:>9.1f}  {row['exit']}")
    reference = rows["reference: os.walk + read every file"]
    cold = rows["readyscore audit (cold cache)"]
    print(f"\ncold audit / reference: {cold['seconds'] / max(reference['seconds'], 0.01):.0f}x the time, "
          f"{cold['peak_mib'] / max(reference['peak_mib'], 0.1):.1f}x the memory; "
          f"{os.cpu_count()} CPUs; report complete: {report.get('complete')}; "
          f"checks: {len(report.get('results', []))}")
    warm = rows["readyscore audit (warm cache)"]
    times = ", ".join(f"{row['seconds']:.2f}" for row in warm_runs)
    print(f"warm re-audit: median {warm['seconds']:.2f} s of {len(warm_runs)} run(s) ({times}); goal <= 3 s; "
          f"load average {load_before:.1f} before, {load_after:.1f} after")
    print(f"warm re-audit after editing one module: {rows['readyscore audit (warm, one file edited)']['seconds']:.2f} s "
          "(every check runs again, over the per-file caches)")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bounds.json").write_text(json.dumps(
        {"files": args.files, "sources": args.sources, "cpus": os.cpu_count(), "kinds": kinds, "rows": rows,
         "warm_runs": [row["seconds"] for row in warm_runs], "load": [load_before, load_after],
         "complete": report.get("complete")}, indent=2))
    failed = [row for row in rows.values() if row["exit"] not in (0, 1)]
    for row in failed:
        print(f"a run failed:\n{row['stderr_tail']}", file=sys.stderr)
    over = ((args.max_seconds is not None and cold["seconds"] > args.max_seconds)
            or (args.max_mib is not None and cold["peak_mib"] > args.max_mib)
            or (args.max_warm_seconds is not None and warm["seconds"] > args.max_warm_seconds))
    if over:
        print(f"over the bound: {cold['seconds']} s (max {args.max_seconds}), {cold['peak_mib']} MiB "
              f"(max {args.max_mib}), warm {warm['seconds']} s (max {args.max_warm_seconds})", file=sys.stderr)
    return 1 if failed or over else 0


if __name__ == "__main__":
    sys.exit(main())
