"""What the multi-language parser (ast-grep-py) costs: import time and parse speed, beside Python's
own `ast` over Python files measured in the same run.

    python bench/parser_cost.py [--repeat N]

Reads the code files of the real-repository corpus (bench/corpus/*.tar.gz): Go, TypeScript/JS,
Rust and C++ go through `polyglot.analyse` (parse, secret bindings, capability facts); the corpus's
Python files go through `ast.parse` plus readyscore's Python facts, as the reference.

Why ast-grep-py and not tree-sitter + tree-sitter-language-pack: both install from wheels, but the
language pack (1.x) fetches its compiled grammars from the network on first use, which fails
offline and in CI here; ast-grep-py ships its grammars (JS/TS/TSX, Go, Rust, Java, C/C++, Python
...) inside the wheel.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from readyscore.executors.static import polyglot  # noqa: E402
from readyscore.executors.static.pyfacts import Aliases, Nodes, extract_facts  # noqa: E402


def corpus_files() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    other, python = [], []
    for archive in sorted((ROOT / "bench" / "corpus").glob("*.tar.gz")):
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if not member.isfile():
                    continue
                text = tar.extractfile(member).read().decode("utf-8", "replace")
                if member.name.endswith(".py"):
                    python.append((member.name, text))
                elif polyglot.language_of(member.name):
                    other.append((member.name, text))
    return other, python


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(5)]
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    other, python = corpus_files()
    polyglot.analyse("const x = 1;\n", "warm.ts")  # the first call loads the library
    other_bytes = sum(len(t.encode()) for _, t in other)
    py_bytes = sum(len(t.encode()) for _, t in python)

    def run_other() -> float:
        started = time.perf_counter()
        for rel, text in other:
            polyglot.analyse(text, rel)
        return time.perf_counter() - started

    def run_python() -> float:
        started = time.perf_counter()
        for rel, text in python:
            try:
                tree = ast.parse(text)
            except SyntaxError:
                continue
            nodes = Nodes(tree)
            extract_facts(tree, Aliases(nodes), nodes)
        return time.perf_counter() - started

    other_s = min(run_other() for _ in range(args.repeat))
    python_s = min(run_python() for _ in range(args.repeat))
    print(f"import ast_grep_py: {import_seconds('ast_grep_py') * 1000:.1f} ms (median of 5 fresh interpreters); "
          f"import ast: {import_seconds('ast') * 1000:.1f} ms")
    print(f"ast-grep (parse + bindings + facts): {len(other)} files, {other_bytes / 1e6:.2f} MB in {other_s:.3f} s "
          f"= {other_bytes / 1e6 / other_s:.2f} MB/s")
    print(f"python ast (parse + facts), reference: {len(python)} files, {py_bytes / 1e6:.2f} MB in {python_s:.3f} s "
          f"= {py_bytes / 1e6 / python_s:.2f} MB/s")
    print(f"ratio (ast-grep MB/s / python ast MB/s): {(other_bytes / other_s) / (py_bytes / python_s):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
