"""CPU cost of the capability wiring facts, against parsing the same files in the same run.

The static checks parse each Python file once; from the tree come the secret literals, the
hazards, the names (pyfacts) and, since issue 15, the wiring facts (wiring_facts.py: calls,
decorators, dependencies, routes, headers, what each function body can do) and, once per audit,
the service graph. This prints the CPU time of each step over a real tree (default: the installed
pygments package) and its ratio to `ast.parse` of the same files, best of N runs:

    python bench/wiring_facts_cost.py [--tree DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import ast
import json
import sysconfig
import time
from pathlib import Path

from readyscore.executors.static.analysis import FileAnalysis
from readyscore.executors.static.hazards import find_hazards
from readyscore.executors.static.pyfacts import Aliases, Nodes, extract_facts
from readyscore.executors.static.service_graph import ServiceGraph
from readyscore.executors.static.sources import SourceFile
from readyscore.executors.static.wiring_facts import extract_wiring


def best(repeat: int, step) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        started = time.process_time()
        value = step()
        times.append(time.process_time() - started)
    return min(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=Path(sysconfig.get_paths()["purelib"]) / "pygments")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = {str(p.relative_to(args.tree)): p.read_text(encoding="utf-8", errors="replace")
             for p in sorted(args.tree.rglob("*.py"))}
    parse_s, trees = best(args.repeat, lambda: {rel: ast.parse(text) for rel, text in texts.items()})
    prepared = {rel: (tree, Nodes(tree)) for rel, tree in trees.items()}
    prepared = {rel: (tree, nodes, Aliases(nodes)) for rel, (tree, nodes) in prepared.items()}
    names_s, _ = best(args.repeat, lambda: [extract_facts(t, a, n) for t, n, a in prepared.values()])
    hazards_s, _ = best(args.repeat, lambda: [find_hazards(t, a, n, rel) for rel, (t, n, a) in prepared.items()])
    wiring_s, wiring = best(args.repeat, lambda: {rel: extract_wiring(t, a, n) for rel, (t, n, a) in prepared.items()})
    files = [FileAnalysis(SourceFile(rel=rel, text="", digest="", is_python=True, is_code=True, is_test=False),
                          {"facts": {"wiring": facts}}) for rel, facts in wiring.items()]
    graph_s, graph = best(args.repeat, lambda: ServiceGraph.build(files))
    size = sum(len(json.dumps(facts)) for facts in wiring.values())
    print(f"tree {args.tree} ({len(texts)} Python files), CPU seconds, best of {args.repeat}")
    for label, seconds in (("ast.parse (reference)", parse_s), ("names and imports (pyfacts)", names_s),
                           ("hazards", hazards_s), ("wiring facts", wiring_s), ("service graph (once per audit)", graph_s)):
        print(f"  {label:32} {seconds:6.2f} s  {seconds / parse_s:5.2f}x parse")
    print(f"  wiring facts in the cache: {size / 1e6:.2f} MB of JSON; graph: {len(graph.all_sites)} sites")


if __name__ == "__main__":
    main()
