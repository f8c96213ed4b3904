"""The boundaries docs/architecture.md promises, enforced on the source: every import of every module
of the package is read with `ast` (also the ones inside functions), and each layer may only look
the way the data flows. Plus: no comment or docstring cites a file the repository does not have."""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "readyscore"
DEMO_PRESETS = PACKAGE / "demo" / "presets"  # example services the audit reads, not readyscore's code


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, top_level_only: bool = False) -> set[str]:
    """Every module this file imports, as absolute dotted names (`from a import b` gives a and a.b);
    with `top_level_only`, only those executed when the module is imported (not inside functions)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in (tree.body if top_level_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if DEMO_PRESETS not in p.parents}
IMPORTS = {name: imports_of(path) for name, path in MODULES.items()}


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


CLI = ("readyscore.cli", "readyscore.cli_common", "readyscore.cli_audit", "readyscore.cli_browse")
HTTP = ("httpx", "readyscore.net", "http.client", "http.server", "urllib.request", "socket", "requests",
        "geventhttpclient")
FILES = ("readyscore.files", "readyscore.yamlfile", "readyscore.paths", "os", "pathlib", "shutil", "tempfile",
         "io", "glob")
LOCUST = ("locust", "gevent", "geventhttpclient")

# (layer, what it may never import, why)
BOUNDARIES = [
    (("readyscore.scoring",),
     ("readyscore.executors", "readyscore.reporters", "readyscore.engine", "readyscore.report",
      "readyscore.catalog", *CLI, *HTTP, *FILES),
     "scoring is one pure function over results and a profile: no executor, reporter, HTTP or file code"),
    (("readyscore.reporters",),
     ("readyscore.executors", "readyscore.engine", "readyscore.catalog", *CLI, *HTTP),
     "reporters only render a report: no executor, engine or network"),
    (("readyscore.executors",),
     (*CLI, "readyscore.scoring", "readyscore.reporters", "readyscore.engine", "readyscore.report"),
     "executors measure: they know nothing of the command line, of weights or of rendering"),
    (("readyscore.engine",), (*CLI, "readyscore.reporters"),
     "the engine returns a Report; the command line decides what to write"),
    (("readyscore.config", "readyscore.model", "readyscore.settings", "readyscore.yamlfile"),
     ("readyscore.engine", "readyscore.executors", "readyscore.scoring", "readyscore.report",
      "readyscore.reporters", "readyscore.catalog", *CLI),
     "configuration and the model come first in the flow and look at nothing after them"),
    (("readyscore.catalog",),
     ("readyscore.engine", "readyscore.scoring", "readyscore.report", "readyscore.reporters", *CLI),
     "the catalog reads check files (validating params through the executor registry), nothing more"),
    (("readyscore.cli_common",), ("readyscore.cli", "readyscore.cli_audit", "readyscore.cli_browse"),
     "the command line's shared helpers import no command module, so the command modules form no cycle"),
    (("readyscore.cli_browse", "readyscore.cli_audit"), ("readyscore.cli",),
     "command modules are registered by readyscore.cli and never import it back"),
]


@pytest.mark.parametrize("layers,forbidden,why", BOUNDARIES, ids=[b[0][0] for b in BOUNDARIES])
def test_each_layer_imports_only_what_the_data_flow_allows(layers, forbidden, why):
    broken = {name: sorted(i for i in IMPORTS[name] if within(i, forbidden))
              for name in MODULES if within(name, layers)}
    broken = {name: found for name, found in broken.items() if found}
    assert not broken, f"{why}; found: {broken}"


def test_scoring_opens_no_file():
    tree = ast.parse(MODULES["readyscore.scoring"].read_text(encoding="utf-8"))
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert "open" not in calls and "print" not in calls


def test_only_the_locustfile_imports_locust_or_gevent():
    """Locust monkey-patches the process that imports it: only the Locust subprocess's own module may."""
    importers = {name for name, found in IMPORTS.items() if any(within(i, LOCUST) for i in found)}
    assert importers == {"readyscore.loadgen.locustfile"}
    users = {name for name, found in IMPORTS.items() if "readyscore.loadgen.locustfile" in found}
    assert not users, f"the locustfile is run by Locust, never imported: {users}"


def test_loadgen_imports_nothing_heavy():
    """What the Locust processes import besides locust itself: the standard library, orjson, loadgen."""
    allowed_third_party = {"orjson"}
    heavy = {}
    for name in MODULES:
        if not within(name, ("readyscore.loadgen",)) or name == "readyscore.loadgen.locustfile":
            continue
        for imported in IMPORTS[name]:
            top = imported.split(".")[0]
            if top in sys.stdlib_module_names or top in allowed_third_party or top == "__future__":
                continue
            if within(imported, ("readyscore.loadgen",)) or imported == "readyscore":
                continue
            heavy.setdefault(name, []).append(imported)
    assert not heavy, heavy


def test_the_boundary_test_sees_a_violation():
    """The twin: the checker above flags an import that crosses a boundary."""
    forbidden = BOUNDARIES[0][1]
    assert within("readyscore.executors.live.openai", forbidden) and within("httpx", forbidden)
    assert not within("readyscore.model", forbidden)
    source = "from ..executors import registry\nimport httpx\n"
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:
            found.add("readyscore." + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    assert {i for i in found if within(i, forbidden)} == {"readyscore.executors", "httpx"}


def _top_level_imports(name: str) -> set[str]:
    """Imports executed when the module is imported (not those inside functions), among our modules."""
    return {m for m in imports_of(MODULES[name], top_level_only=True) if m in MODULES}


def test_no_two_modules_import_each_other_at_import_time():
    graph = {name: _top_level_imports(name) - {name} for name in MODULES}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if nxt.startswith(node + "."):
                continue  # a package importing its own submodules is not a cycle
            if state.get(nxt) == 1 and not node.startswith(nxt + "."):
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


# --------------------------------------------------------------------------------------------
# Comments cite files that exist

CITATION = re.compile(r"(?<![\w.-])((?:[\w.-]+/)+[\w.-]+\.(?:md|yaml|json|py)|[A-Z][A-Z_-]+\.md)\b")


def _comments_and_docstrings(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    found = [(tok.start[0], tok.string) for tok in tokenize.generate_tokens(io.StringIO(text).readline)
             if tok.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found.append((getattr(node, "lineno", 1), doc))
    return found


def _exists(cited: str, source: Path) -> bool:
    # From the repository root, the package (`executors/load/stats.py`), or a folder above the file.
    candidates = [REPO / cited, PACKAGE / cited, REPO / "tests" / cited,
                  *(p / cited for p in source.parents if REPO in p.parents)]
    return any(c.exists() for c in candidates)


def test_no_comment_cites_a_missing_file():
    files = [p for folder in ("readyscore", "bench", "tests", ".ci") for p in (REPO / folder).rglob("*.py")
             if "fixtures" not in p.parts]
    missing = []
    for path in files:
        for line, text in _comments_and_docstrings(path):
            for cited in CITATION.findall(text):
                if not _exists(cited, path):
                    missing.append(f"{path.relative_to(REPO)}:{line}: {cited}")
    assert not missing, missing


def test_the_citation_check_sees_a_missing_file():
    assert CITATION.findall("see DESIGN.md and docs/architecture.md, not design.md") == \
        ["DESIGN.md", "docs/architecture.md"]
    assert not _exists("DESIGN.md", PACKAGE / "scoring.py")
    assert _exists("docs/load.md", PACKAGE / "loadgen" / "sse.py")
