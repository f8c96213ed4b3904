"""Wall time of `readyscore audit TREE --profile ci-fast` against `bandit -r TREE`, cold and warm.

readyscore runs bandit over batches of files in parallel processes and caches each file's result
by content hash; this measures what that buys on a large real Python tree that is available
offline (by default an installed package's source from site-packages). Cold = an empty result
cache; warm = the same tree again with the cache the cold run left.

    python bench/static_vs_bandit.py [--tree DIR | --stdlib] [--repeat N]

`--stdlib` audits a copy of the running interpreter's standard library without its tests
(`test`, `tests`, `idle_test`, `site-packages` and `__pycache__` folders left out; 734 Python files
for CPython 3.11), made in a temporary folder, so anyone can reproduce the figure.

readyscore is measured as pip installs it, byte-compiled: the bench compiles readyscore's modules
first (as `pip install` does), since an editable checkout run with PYTHONDONTWRITEBYTECODE set would
otherwise compile its ~120 modules again at every start (about 0.5 s before bandit can begin).
bandit itself comes byte-compiled from its own installation.

Goals (issue 3, on a 2-core machine): cold at most 0.6x bandit's wall time, warm at most 0.1x.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path


def default_tree() -> Path:
    return Path(sysconfig.get_paths()["purelib"]) / "pygments"


STDLIB_LEFT_OUT = ("site-packages", "test", "tests", "idle_test", "__pycache__")


def copy_stdlib(into: Path) -> Path:
    """The interpreter's standard library without its tests, copied under `into`."""
    target = into / "stdlib"
    shutil.copytree(sysconfig.get_paths()["stdlib"], target, symlinks=True,
                    ignore=shutil.ignore_patterns(*STDLIB_LEFT_OUT))
    return target


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and everything it started)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):  # bandit and readyscore exit 1 on findings
        sys.exit(f"{command[:4]} failed ({completed.returncode}): {completed.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def byte_compile_readyscore() -> None:
    """What `pip install` does for an installed package: readyscore's modules as bytecode, so that
    no run pays for compiling them (see the module docstring)."""
    import readyscore  # noqa: PLC0415 - only to find the package

    # The demo's preset trees are services to audit, not readyscore's code: left as they are.
    presets = re.compile(r"[/\\]demo[/\\]presets[/\\]")
    if not compileall.compile_dir(str(Path(readyscore.__file__).parent), quiet=1, rx=presets):
        sys.exit("could not byte-compile readyscore's modules")


def readyscore_command(tree: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "readyscore", "audit", str(tree), "--profile", "ci-fast", "--format", "json",
            "--output", str(out)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=default_tree(), help="a large Python source tree")
    parser.add_argument("--stdlib", action="store_true",
                        help="audit a temporary copy of this Python's standard library without its tests")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the median is kept")
    args = parser.parse_args()

    byte_compile_readyscore()
    work = Path(tempfile.mkdtemp(prefix="readyscore-bench-"))
    try:
        tree = copy_stdlib(work) if args.stdlib else args.tree.resolve()
        py_files = sum(1 for _ in tree.rglob("*.py"))
        print(f"tree: {tree} ({py_files} Python files), {os.cpu_count()} cores, python {sys.version.split()[0]}")
        start_load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        # Interleaved, so that a change in the machine's load hits all three alike.
        bandit, colds, warms = [], [], []
        for run in range(args.repeat):
            bandit.append(timed([sys.executable, "-m", "bandit", "-r", str(tree), "-f", "json", "-q", "-o",
                                 str(work / "bandit.json")]))
            env = {**os.environ, "READYSCORE_CACHE_DIR": str(work / f"cache-{run}")}
            colds.append(timed(readyscore_command(tree, work / f"cold-{run}"), env))
            warms.append(timed(readyscore_command(tree, work / f"warm-{run}"), env))
        report = json.loads((work / "warm-0" / "report.json").read_text())
        section = report.get("sections", {}).get("static", {})
        scanned = section.get("bandit", {}).get("files_scanned")
        if not scanned:
            sys.exit(f"readyscore scanned no files with bandit: {section}")

        def median(runs: list[tuple[float, float]], index: int) -> float:
            return statistics.median(run[index] for run in runs)

        b, c, w = median(bandit, 0), median(colds, 0), median(warms, 0)
        bc, cc, wc = median(bandit, 1), median(colds, 1), median(warms, 1)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{'':27s}{'wall':>9s}{'ratio':>8s}{'CPU':>9s}")
        print(f"{'bandit -r TREE':27s}{b:8.2f}s{'':8s}{bc:8.2f}s")
        print(f"{'readyscore audit, cold':27s}{c:8.2f}s{c / b:7.2f}x{cc:8.2f}s   (goal <= 0.6x)")
        print(f"{'readyscore audit, warm':27s}{w:8.2f}s{w / b:7.2f}x{wc:8.2f}s   (goal <= 0.1x)")
        # Each run's cold audit against the bandit run just before it: a shared machine's load drifts
        # between runs, and a pair measured back to back shares most of it.
        paired = [cold[0] / ref[0] for ref, cold in zip(bandit, colds)]
        print("cold/bandit per run: " + ", ".join(f"{r:.2f}x" for r in paired)
              + f"; median {statistics.median(paired):.2f}x")
        replay = report.get("sections", {}).get("file_cache", {}).get("results")
        print(f"bandit files scanned by readyscore: {scanned}; warm run's results: {replay} "
              f"(replayed: the recorded cold run's results and sections); "
              f"load average at the start {start_load:.1f}, at the end {load:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
