"""Capability evidence in Go, JavaScript/TypeScript, Rust and C++ services, as data.

A check's `stacks:` params name, per stack, the modules and the calls through them that prove a
capability. The strength rules are Python's: an import *and* a call resolved through it
(`gin.Default()` with gin imported) is implemented; a module that is only declared in go.mod,
package.json or Cargo.toml is partial; a name, a comment or a string is nothing.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from readyscore.files import FileIndex, matches
from readyscore.model import Evidence, EvidenceStrength

STACKS = ("node", "go", "rust", "java", "cpp")


class StackEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    imports: list[str] = Field(default_factory=list, description="modules whose import (with a call through it) proves it")
    calls: list[str] = Field(default_factory=list,
                             description="calls resolved through an import: `net/http.ListenAndServe`, `express`, "
                                         "`axum::Router::new` (prefixes match)")
    route_files: list[str] = Field(default_factory=list, description="globs of framework route files (Next.js app/**/route.ts)")
    exports: list[str] = Field(default_factory=list, description="names a route file must export (GET, POST)")
    dependencies: list[str] = Field(default_factory=list, description="go.mod / package.json / Cargo.toml names that declare it")


def _call_matches(call: str, wanted: list[str]) -> str | None:
    for name in wanted:
        if call == name or call.startswith((name + ".", name + "::", name + "/")):
            return name
    return None


def _imported(module: str, wanted: list[str]) -> bool:
    return any(module == i or module.startswith((i + "/", i + "::")) for i in wanted)


def _from_module(call: str, module: str) -> bool:
    """`net/http.ListenAndServe` comes from net/http; `express` from express; `axum::Router::new` from axum."""
    return call == module or call.startswith((module + ".", module + "::")) or module.startswith(call.split("::")[0] + "::")


def stack_evidence(modules: list[Any], stacks: dict[str, StackEvidence]) -> list[Evidence]:
    """Implemented evidence from parsed non-Python files (analysis.FileAnalysis with 'polyfacts')."""
    found: list[Evidence] = []
    for module in modules:
        facts = module.data.get("polyfacts") or {}
        spec = stacks.get(facts.get("stack", ""))
        if spec is None:
            continue
        imports = facts.get("imports", {})
        for call, line in facts.get("calls", {}).items():
            if not _call_matches(call, spec.calls):
                continue
            # The call resolved through an import of the file; in C++ a qualified name
            # (`httplib::Server`) compiles only against an included header (often via another header).
            via = next((m for m in imports if _from_module(call, m) and _imported(m, spec.imports)), None)
            if via is None and not (facts.get("stack") == "cpp" and "::" in call):
                continue
            what = f"imports {via} and calls {call}" if via else f"uses {call}"
            found.append(Evidence(message=what, path=module.source.rel, line=line, strength=EvidenceStrength.IMPLEMENTED))
            break
        if spec.route_files and any(matches(module.source.rel, glob) for glob in spec.route_files):
            for name, line in facts.get("exports", {}).items():
                if name in spec.exports:
                    found.append(Evidence(message=f"route handler: exports {name}", path=module.source.rel, line=line,
                                          strength=EvidenceStrength.IMPLEMENTED))
                    break
    return found


# A direct requirement: `// indirect` ones are a dependency's dependencies, not the service's choice.
_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?([a-z0-9.-]+\.[a-z]+/[^\s]+)\s+v[^\s]*[ \t]*$", re.MULTILINE)


def declared_modules(files: FileIndex) -> dict[str, tuple[str, int | None]]:
    """Module name -> (manifest, line) from go.mod, package.json and Cargo.toml."""
    found: dict[str, tuple[str, int | None]] = {}

    def add(name: str, rel: str, text: str) -> None:
        if name not in found:
            index = text.find(name)
            found[name] = (rel, text.count("\n", 0, index) + 1 if index >= 0 else None)

    for entry in files.files:
        name = entry.rel.rsplit("/", 1)[-1]
        if name not in ("go.mod", "package.json", "Cargo.toml"):
            continue
        text = files.read_text(entry.rel, limit=1024 * 1024)
        if not text:
            continue
        if name == "go.mod":
            for module in _GO_REQUIRE.findall(text):
                add(module, entry.rel, text)
        elif name == "package.json":
            try:
                data = json.loads(text)
            except ValueError:
                continue
            for key in ("dependencies", "devDependencies", "peerDependencies"):
                section = data.get(key) if isinstance(data, dict) else None
                for module in section if isinstance(section, dict) else {}:
                    add(module, entry.rel, text)
        else:
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                continue
            for key in ("dependencies", "dev-dependencies"):
                for module in data.get(key) or {}:
                    add(module, entry.rel, text)
            for module in ((data.get("workspace") or {}).get("dependencies") or {}):
                add(module, entry.rel, text)
    return found


def declared_evidence(declared: dict[str, tuple[str, int | None]], stacks: dict[str, StackEvidence]) -> list[Evidence]:
    out = []
    for spec in stacks.values():
        for name in spec.dependencies:
            hit = next((m for m in declared if m == name or m.startswith(name + "/")), None)
            if hit:
                rel, line = declared[hit]
                out.append(Evidence(message=f"declares {hit}", path=rel, line=line, strength=EvidenceStrength.DECLARED))
    return out
