"""Which calls of a Go, JavaScript/TypeScript or Rust file reach the request path (issue 17: "an import
plus a *wired* call is implemented").

A limiter that is constructed but never applied (`const limiter = rateLimit({...})` with no
`app.use(limiter)`) protects nothing: it is declared, not implemented. This module decides, per
file and from its syntax tree alone (so the answer is cached with the file's other facts), which
calls resolved through an import sit on the request path (the framework shapes, per language, are
in polyshapes.py):

- **seeds** (on the request path by their place): the arguments of a wiring call (Express / Koa /
  Hono / Fastify `app.use(x)`, `router.get('/p', x, handler)`, `fastify.register(x)`,
  `addHook`, Nest `@UseGuards(...)`; Go `r.Use(x)`, `HandleFunc`, `GET`/`POST`, `Group`, `With`,
  `ListenAndServe(addr, x)`, `http.Server{Handler: x}`; Rust `.layer(x)`, `.route_layer(x)`,
  `.wrap(x)`, `.route(p, x)`, `.service(x)`, `.to(x)`), handler-shaped functions (Go
  `(http.ResponseWriter, *http.Request)`, `*gin.Context`, `echo.Context`, `*fiber.Ctx`; Node
  `(req, res)`, `(request: Request)`; Rust extractors `Json<…>`, `State<…>`, `HttpRequest` …;
  actix `#[get(...)]`), and a Next.js route file's exported `GET`/`POST`/… and `middleware`.
  A *middleware*-shaped function (it takes or calls `next`) is not a seed: it is on the path only
  when something registers it;
- **flow within the file**: a definition (a function, a variable, a struct field or object key
  given a value) whose name is used on the request path is on it too, and so on to a fixed point:
  `const limiter = rateLimit()` then `app.use(limiter)`; `s.limiter = rate.NewLimiter()` then
  `s.limiter.Allow()` in a handler; `let conf = GovernorConfigBuilder…` then
  `.layer(GovernorLayer { config: conf })`.

For the calls that do not reach it in their own file, the facts keep the names that would carry
them there (`exits`: the definitions that hold the call, and those that use them), and each file
lists the names it uses on its request path that come from another file of the service
(`request_names`), so polycaps can follow one hop across files: `export const limiter = ...` in
limit.ts and `import { limiter } from "./limit"; app.use(limiter)` in app.ts.

Not followed: names passed through function parameters or containers built at run time,
dependency-injection frameworks, re-exports through a barrel file, more than one hop across
files, dynamic registration (`app[method](...)`).
"""

from __future__ import annotations

import bisect
import posixpath
from typing import Any

from readyscore.executors.static.polyshapes import (
    FILE_READERS,
    IF_KINDS,
    NUMBER_KINDS,
    STATUS_NAMES,
    FileWiring,
    named_children as _named,
    span as _span,
)

MAX_EXIT_NAMES = 12
MAX_EXIT_OCCURRENCES = 4  # of one call (fmt.Sprintf is made hundreds of times): enough to find its holders
GO_BUILTINS = frozenset({"nil", "true", "false", "err", "ok", "len", "cap", "make", "new", "append", "panic", "string",
                         "int", "int64", "float64", "bool", "byte", "error", "ctx", "req", "resp", "res"})


# --- reaching the request path --------------------------------------------------------------------------------

def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _inside(spans: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    i = bisect.bisect_right(starts, start) - 1
    return i >= 0 and spans[i][1] >= end


def _request_path(w: FileWiring) -> tuple[list[tuple[int, int]], set[str]]:
    """The spans on the request path and the names used there, to a fixed point."""
    on_path = list(w.seeds)
    used: set[str] = set()
    for start, end in w.seeds:
        used |= w.names_in(start, end)
    pending = list(w.defs)
    changed = True
    while changed:
        changed = False
        rest = []
        for name, start, end in pending:
            if name in used:
                on_path.append((start, end))
                used |= w.names_in(start, end)
                changed = True
            else:
                rest.append((name, start, end))
        pending = rest
    return on_path, used


def _exit_names(w: FileWiring, start: int, end: int) -> list[str]:
    """Names that, used on a request path elsewhere, would carry the call there: the definitions
    that hold it, then the definitions that use those (two steps)."""
    holders = frozenset(name for name, s, e in w.defs if s <= start and end <= e)
    if holders in w._exits:  # calls in the same function share the answer
        return w._exits[holders]
    names = set(holders)
    users = w.users()
    frontier = set(holders)
    for _ in range(2):
        more = {user for name in frontier for user in users.get(name, ())} - names
        if not more:
            break
        names |= more
        frontier = more
    w._exits[holders] = sorted(names)[:MAX_EXIT_NAMES]
    return w._exits[holders]


def _foreign_names(w: FileWiring, spans: list[tuple[int, int]], origins: dict[str, tuple[str, str]],
                   crates: set[str]) -> list[list]:
    """[origin kind, where, name, line] for names used on the request path that come from another file."""
    defined = {name for name, _, _ in w.defs}
    if w.stack == "go":  # parameters and the file's own names are not another file's
        defined |= {n.text() for p in w.of("parameter_declaration") for n in _named(p) if n.kind() == "identifier"}
    found: dict[tuple[str, str, str], int] = {}
    starts = [s for s, _ in spans]

    def add(kind: str, where: str, name: str, node: Any) -> None:
        found.setdefault((kind, where, name), node.range().start.line + 1)

    for ident, name, s, e in w.identifiers():
        if not _inside(spans, starts, s, e):
            continue
        if w.stack == "node" and name in origins and (local := _node_local(w.rel, origins[name][0])):
            add("node", local, origins[name][1], ident)
        elif w.stack == "go" and len(name) > 1 and name not in defined and name not in GO_BUILTINS \
                and ident.kind() == "identifier" and ident.parent() is not None \
                and ident.parent().kind() != "selector_expression":
            add("go-dir", posixpath.dirname(w.rel), name, ident)
        elif w.stack == "rust" and name in origins and origins[name][0].startswith(("crate", "super", "self")):
            add("rust", origins[name][0].rsplit("::", 1)[-1], name, ident)
    qualified = {"node": "member_expression", "go": "selector_expression", "rust": "scoped_identifier"}[w.stack]
    for node in w.of(qualified):
        s, e = _span(node)
        if not _inside(spans, starts, s, e):
            continue
        parts = _named(node)
        if len(parts) != 2 or parts[0].kind() not in ("identifier", "package_identifier"):
            continue
        first, last = parts[0].text(), parts[1].text()
        if w.stack == "go" and first in origins:
            add("go-pkg", origins[first][0], last, node)
        elif w.stack == "node" and first in origins and origins[first][1] == "*" \
                and (local := _node_local(w.rel, origins[first][0])):
            add("node", local, last, node)
        elif w.stack == "rust" and first[:1].islower() and first not in crates and (
                first not in origins or origins[first][0].startswith(("crate", "super", "self"))):
            add("rust", first, last, node)
    return [[kind, where, name, line] for (kind, where, name), line in sorted(found.items())][:400]


def _node_local(rel: str, module: str) -> str | None:
    """The project path (without extension) a Node import names, or None for a package: a relative
    import, or SvelteKit's `$lib` alias for the `src/lib` beside the importing file's `src`."""
    if module.startswith("."):
        return posixpath.normpath(posixpath.join(posixpath.dirname(rel), module))
    if module == "$lib" or module.startswith("$lib/"):
        parts = rel.split("/")
        if "src" in parts[:-1]:
            src = len(parts) - 1 - parts[:-1][::-1].index("src")
            return posixpath.normpath(posixpath.join(*parts[:src], "lib", module[5:]))
    return None


def _references(w: FileWiring, spans: list[tuple[int, int]], origins: dict[str, tuple[str, str]]) -> dict[str, int]:
    """Imported names passed, not called, on the request path: `fastify.register(rateLimit, {...})`,
    `r.Use(middleware.Logger)`, `.layer(from_fn(auth))`: module-qualified as the calls are."""
    starts = [s for s, _ in spans]
    found: dict[str, int] = {}
    sep = "::" if w.stack == "rust" else "."
    for ident, name, s, e in w.identifiers():
        if name not in origins or w.stack == "go" or ident.kind() != "identifier":
            continue
        parent = ident.parent()
        if parent is not None and parent.kind() in ("import_specifier", "import_clause", "namespace_import",
                                                    "scoped_identifier", "use_declaration", "scoped_use_list",
                                                    "use_list", "member_expression"):
            continue
        if _inside(spans, starts, s, e):
            module, imported = origins[name]
            found.setdefault(module if imported in ("default", "*") else f"{module}{sep}{imported}",
                             ident.range().start.line + 1)
    if w.stack == "go":
        for node in w.of("selector_expression"):
            parts = _named(node)
            if len(parts) == 2 and parts[0].kind() == "identifier" and parts[0].text() in origins:
                s, e = _span(node)
                if _inside(spans, starts, s, e):
                    found.setdefault(f"{origins[parts[0].text()][0]}.{parts[1].text()}", node.range().start.line + 1)
    return found


def wiring_facts(root: Any, stack: str, rel: str, resolved_calls: list[tuple[str, Any]],
                 origins: dict[str, tuple[str, str]], modules: dict[str, int], language: str = "") -> dict[str, Any]:
    """{'wired': {call: line}, 'exits': {call: [line, [names]]}, 'request_names': [[kind, where, name, line]]}.

    `resolved_calls` are the calls resolved through an import, with their nodes; `origins` maps a
    local name to (module or package path, imported name / "default" / "*")."""
    reader = FILE_READERS.get(stack)
    if reader is None:
        return {}
    w = FileWiring(root, stack, rel, language or stack)
    reader(w)
    spans, _ = _request_path(w)
    merged = _merge(spans)
    starts = [s for s, _ in merged]
    wired: dict[str, int] = {}
    exits: dict[str, list] = {}
    seen: dict[str, int] = {}
    for call, node in resolved_calls:
        start, end = _span(node)
        line = node.range().start.line + 1
        if _inside(merged, starts, start, end):
            wired.setdefault(call, line)
        elif call not in wired and seen.get(call, 0) < MAX_EXIT_OCCURRENCES:
            seen[call] = seen.get(call, 0) + 1
            entry = exits.setdefault(call, [line, []])
            entry[1] = sorted(set(entry[1]) | set(_exit_names(w, start, end)))[:MAX_EXIT_NAMES]
    for call in wired:
        exits.pop(call, None)
    for name, line in _references(w, merged, origins).items():
        wired.setdefault(name, line)
    return {"wired": wired, "exits": exits, "request_names": _foreign_names(w, merged, origins, {m.split("::")[0] for m in modules}),
            "statuses": _answered_statuses(w, merged, starts)}


ANSWERED_STATUSES = frozenset({401, 403, 429})


def _find_any(node: Any, kinds: tuple[str, ...]) -> list[Any]:
    """Nodes of any of `kinds` under `node` (the kinds this grammar lacks are skipped)."""
    try:
        return node.find_all(any=[{"kind": kind} for kind in kinds])
    except RuntimeError:  # a kind this grammar lacks: one kind at a time
        found = []
        for kind in kinds:
            try:
                found.extend(node.find_all(kind=kind))
            except RuntimeError:
                pass
        return found


def _answered_statuses(w: FileWiring, merged: list[tuple[int, int]], starts: list[int]) -> dict[str, int]:
    """{status: line} for 401, 403 and 429 answered in a branch of a test on the request path: a
    status literal or a named constant (`StatusCode::TOO_MANY_REQUESTS`) in the branch a condition
    guards, as a hand-written limiter answers (chat-ui's `if (nEvents > limit) error(429, ...)`).
    A string that mentions "429" is no status."""
    found: dict[str, int] = {}
    for node in w.of(IF_KINDS[w.stack]):
        start, end = _span(node)
        branch = node.field("consequence")
        if branch is None or not _inside(merged, starts, start, end):
            continue
        line = node.range().start.line + 1
        for number in branch.find_all(kind=NUMBER_KINDS[w.stack]):
            if number.text().isdigit() and int(number.text()) in ANSWERED_STATUSES:
                found.setdefault(number.text(), line)
        for ident in _find_any(branch, ("identifier", "field_identifier", "property_identifier")):
            status = STATUS_NAMES.get(ident.text())
            if status is not None:
                found.setdefault(str(status), line)
    return found
