"""Capability evidence in Go, JavaScript/TypeScript, Rust and C++ services, as data.

A check's `stacks:` params name, per stack, the modules and the calls through them that prove a
capability. The strength rules are Python's: an import *and* a call resolved through it
(`gin.Default()` with gin imported) is implemented; a module that is only declared in go.mod,
package.json or Cargo.toml is partial; a name, a comment or a string is nothing.
"""

from __future__ import annotations

import json
import posixpath
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
                             description="calls resolved through an import that prove it wherever they are made: "
                                         "`net/http.ListenAndServe`, `express`, `axum::Router::new` (prefixes match)")
    wired: list[str] = Field(default_factory=list,
                             description="calls that prove it only on the request path (a request-path control or a "
                                         "middleware-shaped library): applied by a wiring call (`app.use(x)`, "
                                         "`r.Use(x)`, `.layer(x)` ...), made in a handler, or flowing there through a "
                                         "name (polywiring); constructed but applied nowhere is declared")
    route_files: list[str] = Field(default_factory=list, description="globs of framework route files (Next.js app/**/route.ts)")
    exports: list[str] = Field(default_factory=list, description="names a route file must export (GET, POST)")
    dependencies: list[str] = Field(default_factory=list, description="go.mod / package.json / Cargo.toml names that declare it")
    statuses: list[int] = Field(default_factory=list,
                                description="hand-written: one of these statuses answered in a branch of a test on the "
                                            "request path (401, 403 or 429; polywiring)")


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


def stack_evidence(modules: list[Any], stacks: dict[str, StackEvidence],
                   reach: RequestNames | None = None) -> tuple[list[Evidence], list[Evidence]]:
    """(implemented, declared) evidence from parsed non-Python files (analysis.FileAnalysis with
    'polyfacts'). A `wired` call that reaches the request path neither in its file nor through a name
    another file uses there is declared: constructed, applied nowhere."""
    reach = reach if reach is not None else RequestNames(modules)
    implemented: list[Evidence] = []
    declared: list[Evidence] = []
    for module in modules:
        facts = module.data.get("polyfacts") or {}
        spec = stacks.get(facts.get("stack", ""))
        if spec is None:
            continue
        imports = facts.get("imports", {})
        found, unapplied = None, None
        calls = facts.get("calls", {})
        # Imported names passed on the request path without a call (`fastify.register(rateLimit)`)
        # count for `wired` entries only.
        passed = [(name, line) for name, line in facts.get("wired", {}).items() if name not in calls]
        for call, line in list(calls.items()) + passed:
            anywhere = call in calls and _call_matches(call, spec.calls)
            if not anywhere and not _call_matches(call, spec.wired):
                continue
            # The call resolved through an import of the file; in C++ a qualified name
            # (`httplib::Server`) compiles only against an included header (often via another header).
            via = next((m for m in imports if _from_module(call, m) and _imported(m, spec.imports)), None)
            if via is None and not (facts.get("stack") == "cpp" and "::" in call):
                continue
            what = f"imports {via} and calls {_short(call)}" if via else f"uses {_short(call)}"
            if anywhere:
                found = Evidence(message=what, path=module.source.rel, line=line, strength=EvidenceStrength.IMPLEMENTED)
                break
            wired_line = facts.get("wired", {}).get(call)
            if wired_line is not None:
                found = Evidence(message=f"imports {via} and applies {_short(call)} on the request path",
                                 path=module.source.rel, line=wired_line, strength=EvidenceStrength.IMPLEMENTED)
                break
            exit_line, names = facts.get("exits", {}).get(call, [line, []])
            user = reach.user(module.source.rel, facts.get("stack", ""), names)
            if user is not None:
                found = Evidence(message=f"imports {via} and calls {_short(call)}, applied on the request path "
                                         f"through {user[0]} in {user[1]}:{user[2]}",
                                 path=module.source.rel, line=exit_line, strength=EvidenceStrength.IMPLEMENTED)
                break
            if unapplied is None:
                unapplied = Evidence(message=f"{_short(call)} ({via}) is constructed or called, but applied nowhere "
                                             "on the request path (no wiring call, handler or name used there "
                                             "reaches it)",
                                     path=module.source.rel, line=exit_line, strength=EvidenceStrength.DECLARED)
        answered = sorted(set(map(str, spec.statuses)) & set(facts.get("statuses", {})))
        if found is None and answered:
            found = Evidence(message=f"hand-written: answers {', '.join(answered)} after a test on the request path",
                             path=module.source.rel, line=facts["statuses"][answered[0]],
                             strength=EvidenceStrength.IMPLEMENTED)
        if found is not None:
            implemented.append(found)
        elif unapplied is not None:
            declared.append(unapplied)
        if spec.route_files and any(matches(module.source.rel, glob) for glob in spec.route_files):
            for name, line in facts.get("exports", {}).items():
                if name in spec.exports:
                    implemented.append(Evidence(message=f"route handler: exports {name}", path=module.source.rel,
                                                line=line, strength=EvidenceStrength.IMPLEMENTED))
                    break
    return implemented, declared


def _short(call: str) -> str:
    """`a::B::default().per_second(2).finish` -> `a::B::default()...`: evidence reads as the construction."""
    head = re.split(r"\(", call, maxsplit=1)[0]
    return head + "(...)" if head != call else call


class RequestNames:
    """Names each file uses on its request path that come from another file (polywiring's
    `request_names`), to follow a constructed mechanism one hop across files."""

    def __init__(self, modules: list[Any]):
        self.by_name: dict[str, list[tuple[str, str, str, str, int]]] = {}
        for module in modules:
            facts = module.data.get("polyfacts") or {}
            for kind, where, name, line in facts.get("request_names", []):
                self.by_name.setdefault(name, []).append((facts.get("stack", ""), kind, where, module.source.rel, line))

    def user(self, rel: str, stack: str, names: list[str]) -> tuple[str, str, int] | None:
        """(name, file, line) of another file's request-path use of one of `names` defined in `rel`."""
        for name in names:
            lookup = "default" if name == "default" else name
            for their_stack, kind, where, their_rel, line in self.by_name.get(lookup, []):
                if their_stack == stack and their_rel != rel and _defined_in(rel, kind, where):
                    return name, their_rel, line
        return None


def _defined_in(rel: str, kind: str, where: str) -> bool:
    """Whether an origin recorded by the using file (`where`) names the file `rel`."""
    folder = posixpath.dirname(rel)
    stem = posixpath.splitext(posixpath.basename(rel))[0]
    if kind == "node":  # "./limit" resolved against the importer: src/limit(.ts) or src/limit/index.ts
        target = posixpath.splitext(where)[0] if where.endswith((".js", ".ts", ".mjs", ".cjs")) else where
        return target == posixpath.splitext(rel)[0] or (stem == "index" and target == folder)
    if kind == "go-dir":  # the same package: the same folder
        return where == folder
    if kind == "go-pkg":  # .../internal/middleware imported, rel in internal/middleware/
        return bool(folder) and (where == folder or where.endswith("/" + folder)
                                 or where.rsplit("/", 1)[-1] == folder.rsplit("/", 1)[-1])
    if kind == "rust":  # crate::auth::require_key / auth::require_key: src/auth.rs or src/auth/mod.rs
        return where in ("crate", "super", "self") or where == stem or (
            stem in ("mod", "lib", "main") and where == posixpath.basename(folder))
    return False


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
