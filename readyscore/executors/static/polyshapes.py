"""Where a Go, JavaScript/TypeScript or Rust file puts things on the request path: the framework
shapes (polywiring decides what reaches them).

Per language, a reader finds the *seeds* (the arguments of wiring calls such as `app.use(x)`,
`r.Use(x)`, `.layer(x)`; handler-shaped functions; Next.js route exports) and the *definitions*
(a name and the value or body it stands for: variables, functions, struct fields, object keys).
The shapes are code, not YAML: they are how frameworks are built, not what a check asks for; the
libraries that prove a capability stay in the checks' `stacks:` params.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

NAME_KINDS = frozenset({"identifier", "property_identifier", "shorthand_property_identifier", "field_identifier",
                        "type_identifier"})

# --- wiring calls: their arguments are on the request path ------------------------------------------------
NODE_WIRE_METHODS = frozenset({"use", "register", "addHook", "createServer", "route", "all", "useGlobalGuards",
                               "useGlobalPipes", "useGlobalInterceptors", "useGlobalFilters"})
NODE_VERBS = frozenset({"get", "post", "put", "patch", "delete", "del", "options", "head"})
NODE_WIRE_FUNCTIONS = frozenset({"UseGuards", "UsePipes", "UseInterceptors", "createServer"})
GO_WIRE_METHODS = frozenset({"Use", "With", "Handle", "HandleFunc", "Group", "Route", "Mount", "GET", "POST", "PUT",
                             "PATCH", "DELETE", "HEAD", "OPTIONS", "Any", "Get", "Post", "Put", "Patch", "Delete",
                             "Head", "Options", "Method", "MethodFunc", "ListenAndServe", "ListenAndServeTLS",
                             "Serve", "ServeTLS", "Pre", "Add", "Match", "NotFound"})
RUST_WIRE_METHODS = frozenset({"layer", "route_layer", "wrap", "wrap_fn", "route", "service", "to", "nest",
                               "nest_service", "merge", "fallback", "default_service", "app_data", "configure"})

# --- handler-shaped functions --------------------------------------------------------------------------------
GO_HANDLER_PARAMS = re.compile(r"\.ResponseWriter\b|\*\s*(?:http\.)?Request\b|\bgin\.Context\b|\becho\.Context\b|"
                               r"\bfiber\.Ctx\b")
GO_MIDDLEWARE_SHAPE = re.compile(r"\bnext\b|\.Next\(\)")
RUST_HANDLER_PARAMS = re.compile(r"(?<![\w])(?:web::)?(?:Json|Form|Query|Path|State|Extension|TypedHeader|ConnectInfo|"
                                 r"Data)\s*<|\bHttpRequest\b|\bMultipart\b")
RUST_MIDDLEWARE_SHAPE = re.compile(r"\bNext\b|\bnext\s*:")
RUST_ROUTE_ATTRIBUTE = re.compile(r"^#\[\s*(?:actix_web::)?(?:get|post|put|patch|delete|head|options|route)\s*\(")
NODE_REQUEST_TYPES = re.compile(r":\s*(?:Next)?Request\b|:\s*FastifyRequest\b|:\s*Context\b|:\s*IncomingMessage\b")
# Files whose exports a framework serves requests with: Next.js route handlers, middleware and
# pages/api; SvelteKit's `+server.ts` endpoints, `+page.server.ts` loads and form actions, and
# `hooks.server.ts`'s `handle`, which runs on every request (huggingface/chat-ui).
ROUTE_FILE = re.compile(r"(?:^|/)(?:route|middleware)\.(?:[cm]?[jt]sx?)$|(?:^|/)pages/api/"
                        r"|(?:^|/)(?:\+server|\+page\.server|\+layout\.server|hooks\.server)\.[jt]s$")
ROUTE_EXPORTS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "middleware", "default",
                           "load", "actions", "handle"})


# Every node kind a language's reader looks at, found in one traversal (FileWiring.of).
READ_KINDS = {
    "node": ("call_expression", "function_declaration", "generator_function_declaration", "method_definition",
             "arrow_function", "function_expression", "variable_declarator", "pair", "assignment_expression",
             "public_field_definition", "field_definition", "export_statement", "member_expression", "if_statement"),
    "go": ("call_expression", "keyed_element", "function_declaration", "method_declaration", "short_var_declaration",
           "assignment_statement", "var_spec", "const_spec", "parameter_declaration", "selector_expression",
           "if_statement"),
    "rust": ("call_expression", "function_item", "let_declaration", "const_item", "static_item", "field_initializer",
             "assignment_expression", "scoped_identifier", "if_expression"),
}
# A conditional, and the literal or named status codes a branch of it answers with (polywiring's
# hand-written controls: chat-ui's `if (nEvents > limit) { error(429, ...) }`).
IF_KINDS = {"node": "if_statement", "go": "if_statement", "rust": "if_expression"}
NUMBER_KINDS = {"node": "number", "go": "int_literal", "rust": "integer_literal"}
STATUS_NAMES = {"TOO_MANY_REQUESTS": 429, "StatusTooManyRequests": 429, "UNAUTHORIZED": 401, "StatusUnauthorized": 401,
                "FORBIDDEN": 403, "StatusForbidden": 403}

FUNCTION_KINDS = {
    "node": ("function_declaration", "generator_function_declaration", "method_definition", "arrow_function",
             "function_expression"),
    "go": ("function_declaration", "method_declaration", "func_literal"),
    "rust": ("function_item", "closure_expression"),
}


def _find(root: Any, kind: str) -> list[Any]:
    try:
        return root.find_all(kind=kind)
    except RuntimeError:  # a kind this grammar does not have
        return []


def span(node: Any) -> tuple[int, int]:
    r = node.range()
    return r.start.index, r.end.index


def named_children(node: Any) -> list[Any]:
    return [c for c in node.children() if c.is_named() and c.kind() != "comment"]


def _last_name(node: Any) -> str | None:
    """`limiter` for `limiter`, `this.limiter`, `s.limiter`, `self.limiter`."""
    if node is None:
        return None
    kind = node.kind()
    if kind in NAME_KINDS:
        return node.text()
    if kind in ("member_expression", "selector_expression", "field_expression", "scoped_identifier"):
        parts = named_children(node)
        return parts[-1].text() if parts and parts[-1].kind() in NAME_KINDS else None
    if kind in ("expression_list", "literal_element"):
        parts = named_children(node)
        return _last_name(parts[0]) if len(parts) == 1 else None
    return None


_VALID_KINDS: dict[str, tuple[str, ...]] = {}


def _valid_kinds(root: Any, language: str, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """The kinds this grammar has (JavaScript has no `public_field_definition`), checked once per language."""
    if language not in _VALID_KINDS:
        valid = []
        for kind in kinds:
            try:
                root.find(kind=kind)
                valid.append(kind)
            except RuntimeError:
                pass
        _VALID_KINDS[language] = tuple(valid)
    return _VALID_KINDS[language]


class FileWiring:
    def __init__(self, root: Any, stack: str, rel: str, language: str):
        self.root, self.stack, self.rel, self.language = root, stack, rel, language
        self.seeds: list[tuple[int, int]] = []
        self.defs: list[tuple[str, int, int]] = []  # (name, start, end) of what the name stands for
        try:  # one traversal for every name kind
            nodes = root.find_all(any=[{"kind": kind} for kind in sorted(NAME_KINDS)])
        except RuntimeError:  # a kind this grammar lacks: one traversal per kind
            nodes = [n for kind in NAME_KINDS for n in _find(root, kind)]
        names = sorted((n.range().start.index, n.text()) for n in nodes)
        self.name_starts = [start for start, _ in names]
        self.name_texts = [text for _, text in names]
        self._exits: dict[tuple, list[str]] = {}
        self._def_names: dict[tuple[int, int], set[str]] = {}
        self._users: dict[str, set[str]] | None = None
        self._identifiers: list[tuple[Any, str, int, int]] | None = None
        self._by_kind: dict[str, list[Any]] | None = None

    def of(self, kind: str) -> list[Any]:
        """Nodes of `kind`: the kinds a language's reader asks for come from one traversal."""
        if self._by_kind is None:
            kinds = _valid_kinds(self.root, self.language, READ_KINDS.get(self.stack, ()))
            self._by_kind = {kind: [] for kind in kinds}
            if kinds:
                for node in self.root.find_all(any=[{"kind": k} for k in kinds]):
                    self._by_kind[node.kind()].append(node)
        if kind not in self._by_kind:
            self._by_kind[kind] = _find(self.root, kind)
        return self._by_kind[kind]

    def identifiers(self) -> list[tuple[Any, str, int, int]]:
        """(node, text, start, end) of every plain identifier (one traversal, shared)."""
        if self._identifiers is None:
            try:
                nodes = self.root.find_all(any=[{"kind": "identifier"}, {"kind": "shorthand_property_identifier"}])
            except RuntimeError:
                nodes = _find(self.root, "identifier")
            self._identifiers = [(n, n.text(), *span(n)) for n in nodes]
        return self._identifiers

    def users(self) -> dict[str, set[str]]:
        """name -> the definitions whose value or body uses it (built once, when first asked)."""
        if self._users is None:
            self._users = {}
            for name, start, end in self.defs:
                for used in self.def_names(start, end):
                    self._users.setdefault(used, set()).add(name)
        return self._users

    def def_names(self, start: int, end: int) -> set[str]:
        key = (start, end)
        if key not in self._def_names:
            self._def_names[key] = self.names_in(start, end)
        return self._def_names[key]

    def names_in(self, start: int, end: int) -> set[str]:
        lo = bisect.bisect_left(self.name_starts, start)
        hi = bisect.bisect_left(self.name_starts, end)
        return set(self.name_texts[lo:hi])

    def seed(self, node: Any) -> None:
        self.seeds.append(span(node))

    def define(self, name: str | None, node: Any) -> None:
        if name and node is not None:
            self.defs.append((name, *span(node)))


# --- per language: seeds and definitions ---------------------------------------------------------------------

def _call_args(call: Any) -> list[Any]:
    args = call.field("arguments")
    return named_children(args) if args is not None else []


def _node_file(w: FileWiring) -> None:
    for call in w.of("call_expression"):
        callee = call.field("function")
        if callee is None:
            continue
        args = _call_args(call)
        if callee.kind() == "member_expression":
            prop = callee.field("property")
            method = prop.text() if prop is not None else ""
            receiver = callee.field("object")
            on_route = receiver is not None and receiver.kind() == "call_expression" and \
                re.search(r"\.route\s*\(", receiver.text() or "") is not None
            path_first = bool(args) and args[0].kind() in ("string", "template_string") and \
                args[0].text()[1:2] in ("/", "*")
            if method in NODE_WIRE_METHODS or (method in NODE_VERBS and (path_first or on_route)):
                for arg in args:
                    w.seed(arg)
        elif callee.kind() == "identifier" and callee.text() in NODE_WIRE_FUNCTIONS:
            for arg in args:
                w.seed(arg)
    route_file = ROUTE_FILE.search(w.rel) is not None
    for kind in FUNCTION_KINDS["node"]:
        for fn in w.of(kind):
            params = fn.field("parameters")
            if params is not None and _node_handler_shaped(params):
                w.seed(fn)
            name = fn.field("name")
            if name is not None and kind != "arrow_function":
                w.define(name.text(), fn)
                if route_file and name.text() in ROUTE_EXPORTS and fn.parent() is not None \
                        and fn.parent().kind() == "export_statement":
                    w.seed(fn)
    for decl in w.of("variable_declarator"):
        name, value = decl.field("name"), decl.field("value")
        if name is not None and name.kind() == "identifier" and value is not None:
            w.define(name.text(), value)
            if route_file and name.text() in ROUTE_EXPORTS and "export" in (_ancestor_text(decl, 2) or ""):
                w.seed(value)
    for pair in w.of("pair"):
        w.define(_last_name(pair.field("key")), pair.field("value"))
    for assign in w.of("assignment_expression"):
        w.define(_last_name(assign.field("left")), assign.field("right"))
    for field in w.of("public_field_definition") + w.of("field_definition"):
        w.define(_last_name(field.field("name") or field.field("property")), field.field("value"))
    for statement in w.of("export_statement"):
        value = statement.field("value") or statement.field("declaration")
        if value is not None and any(c.text() == "default" for c in statement.children()):
            w.define("default", value)
            if route_file:
                w.seed(value)


def _ancestor_text(node: Any, up: int) -> str | None:
    for _ in range(up):
        node = node.parent() if node is not None else None
    return node.text()[:16] if node is not None else None


def _node_handler_shaped(params: Any) -> bool:
    items = named_children(params)
    names = []
    for item in items:
        pattern = item.field("pattern") if item.kind() in ("required_parameter", "optional_parameter") else item
        names.append(pattern.text() if pattern is not None else "")
    if "next" in names:
        return False
    if len(names) == 2 and names[0] in ("req", "request") and names[1] in ("res", "reply", "response"):
        return True
    return len(names) == 1 and NODE_REQUEST_TYPES.search(params.text()) is not None


def _go_file(w: FileWiring) -> None:
    for call in w.of("call_expression"):
        callee = call.field("function")
        if callee is not None and callee.kind() == "selector_expression":
            field = callee.field("field")
            if field is not None and field.text() in GO_WIRE_METHODS:
                for arg in _call_args(call):
                    w.seed(arg)
    for element in w.of("keyed_element"):
        parts = named_children(element)
        if len(parts) == 2:
            key = _last_name(parts[0])
            w.define(key, parts[1])
            if key == "Handler":  # http.Server{Handler: x}
                w.seed(parts[1])
    for kind in ("function_declaration", "method_declaration"):
        for fn in w.of(kind):
            name, params, body = fn.field("name"), fn.field("parameters"), fn.field("body")
            w.define(name.text() if name is not None else None, fn)
            if params is not None and GO_HANDLER_PARAMS.search(params.text()) and not (
                    GO_MIDDLEWARE_SHAPE.search(params.text()) or (body is not None and GO_MIDDLEWARE_SHAPE.search(body.text()))):
                w.seed(fn)
    for kind in ("short_var_declaration", "assignment_statement"):
        for assign in w.of(kind):
            left, right = assign.field("left"), assign.field("right")
            if left is None or right is None:
                continue
            for target in named_children(left) if left.kind() == "expression_list" else [left]:
                w.define(_last_name(target), right)
    for kind in ("var_spec", "const_spec"):
        for spec in w.of(kind):
            value = spec.field("value")
            if value is None:
                continue
            for child in named_children(spec):
                if child.kind() == "identifier":
                    w.define(child.text(), value)


def _rust_file(w: FileWiring) -> None:
    for call in w.of("call_expression"):
        callee = call.field("function")
        if callee is not None and callee.kind() == "field_expression":
            field = callee.field("field")
            if field is not None and field.text() in RUST_WIRE_METHODS:
                for arg in _call_args(call):
                    w.seed(arg)
    for fn in w.of("function_item"):
        name, params = fn.field("name"), fn.field("parameters")
        w.define(name.text() if name is not None else None, fn)
        shaped = params is not None and RUST_HANDLER_PARAMS.search(params.text()) and \
            not RUST_MIDDLEWARE_SHAPE.search(params.text())
        attribute = fn.prev()
        routed = attribute is not None and attribute.kind() == "attribute_item" and \
            RUST_ROUTE_ATTRIBUTE.match(attribute.text()) is not None
        if shaped or routed:
            w.seed(fn)
    for let in w.of("let_declaration"):
        pattern = let.field("pattern")
        value = let.field("value")
        if pattern is not None and value is not None:
            for name in ([pattern] if pattern.kind() == "identifier" else _find(pattern, "identifier")):
                w.define(name.text(), value)
    for kind in ("const_item", "static_item"):
        for item in w.of(kind):
            w.define(_last_name(item.field("name")), item.field("value"))
    for field in w.of("field_initializer"):
        w.define(_last_name(field.field("field")), field.field("value"))
    for assign in w.of("assignment_expression"):
        w.define(_last_name(assign.field("left")), assign.field("right"))


FILE_READERS = {"node": _node_file, "go": _go_file, "rust": _rust_file}
