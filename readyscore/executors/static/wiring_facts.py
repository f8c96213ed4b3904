"""Wiring facts of one Python module: what a capability check needs to tell a wired control from a name.

One pass over a parsed module records, per function (and for the module's own top-level code, as
the pseudo-function "<module>"): what it calls, references, is decorated with and depends on
(`Depends(...)`), whether it is a route or a middleware, which request headers it reads and
whether it tests them, the HTTP error statuses it can answer with, and what its body can do
(`guard`: raise, answer an error status, or return a verdict it computed; `transform`: return something
other than its argument or a constant; `record`: call or write something). Classes record their
bases, the names their field annotations use, and whether a field carries a constraint.

Names are stored as written (`limiter.limit`, `app.security.require_api_key`, `.db.log_request`);
the per-audit collector (service_graph.py) resolves them across modules through `names`, the
module's import table (relative imports keep their leading dots: the cache is keyed by content,
not by path). The shape is language-neutral on purpose: an extractor for another language fills
the same dictionary and the rest of the pipeline is unchanged.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from readyscore.executors.static.pyfacts import (
    MAX_TOKEN_NAMES,
    Aliases,
    Nodes,
    caps_tokens,
    dotted,
    unwrap_client_number,
    walk,
)

ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "route", "api_route", "websocket", "head", "options"}
MIDDLEWARE_DECORATORS = {"middleware", "before_request", "before_app_request", "on_request"}
# Calls that register a handler: their function arguments serve requests.
ROUTE_REGISTRATIONS = {"add_api_route", "add_url_rule", "add_route", "Route", "WebSocketRoute", "path", "re_path",
                       "add_get", "add_post", "add_put", "add_delete", "add_api_websocket_route", "APIRoute"}
# A class-based view's handlers: Flask's MethodView and View, flask-restx/flask-restful Resources,
# Django and DRF views, Starlette's HTTPEndpoint. A class is a view when a route decorator sits on it
# (`@ns.route("/x") class R(Resource)`) or it is registered (`api.add_resource(R, "/x")`,
# `view_func=R.as_view("r")`, `path("x/", R.as_view())`, `Route("/x", R)`).
VIEW_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "dispatch_request")
CLASS_REGISTRATIONS = {"add_resource"}  # the class comes first, its URLs after
MIDDLEWARE_REGISTRATIONS = {"add_middleware", "Middleware", "before_request", "before_app_request", "use"}
DEPENDS = {"Depends", "Security"}
RESPONSE_CALLS = {"HTTPException", "abort", "JSONResponse", "Response", "PlainTextResponse", "HTMLResponse",
                  "make_response", "HTTPError", "HttpResponse", "JsonResponse", "StreamingResponse",
                  "RequestValidationError", "HTTPTooManyRequests", "TooManyRequests", "Forbidden", "Unauthorized"}
LOG_CALLS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "print", "log", "msg"}
STATUS_NAME = re.compile(r"HTTP_(\d{3})")
CONSTRAINT_KEYWORDS = {"max_length", "min_length", "le", "lt", "ge", "gt", "pattern", "regex", "max_items",
                       "min_items", "multiple_of", "max_digits", "decimal_places"}
CONSTRAINED_TYPES = {"constr", "conint", "confloat", "conlist", "conset", "conbytes", "condecimal", "StringConstraints",
                     "Literal", "EmailStr", "HttpUrl", "AnyUrl", "PositiveInt", "NonNegativeInt", "PositiveFloat"}
VALIDATOR_DECORATORS = {"field_validator", "validator", "model_validator", "root_validator"}
MAX_LIST = 300  # per function and kind: a generated module must not bloat the cache
_NAMES = (ast.Name, ast.Attribute)
_TESTS = (ast.Compare, ast.If, ast.IfExp, ast.Assert, ast.While, ast.BoolOp)
_ASSIGNS = (ast.Assign, ast.AugAssign, ast.AnnAssign)
_EFFECTS = (ast.Yield, ast.YieldFrom, ast.Await)
_READS = (ast.Call, ast.Subscript)
_TOKEN_CARRIERS = (ast.Call, ast.Dict, ast.AnnAssign)
# Calls whose max_tokens sizes text rather than a generation: a chunker's or splitter's pieces, a
# truncation (DocsGPT's `ChunkerCreator.create_chunker(max_tokens=cfg.chunking.max_tokens)`).
_TEXT_SIZING_CALL = re.compile(r"chunk|split|truncat|tokeniz|trim")


def chain(node: ast.AST) -> str | None:
    """`a.b(x).c` -> "a.b.c": a dotted name through calls and subscripts (`TOKENS.labels(k).inc`)."""
    parts = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
        else:
            return None


def keyword_names(call: ast.Call) -> list[str]:
    """The keyword arguments a call or decorator passes by name, sorted (`**kwargs` has none)."""
    return sorted({k.arg for k in call.keywords if k.arg})


def _tail(node: ast.AST) -> str:
    name = chain(node) or ""
    return name.rsplit(".", 1)[-1]


def _names_in(node: ast.AST | None) -> list[str]:
    """Every dotted name an annotation or expression mentions (`list[Message] | None` -> Message)."""
    if node is None:
        return []
    found = []
    for sub in walk([node]):
        if isinstance(sub, (ast.Name, ast.Attribute)):
            name = dotted(sub)
            if name:
                found.append(name)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):  # "Message" forward references
            if sub.value.isidentifier():
                found.append(sub.value)
    return found


def _statuses(node: ast.AST) -> set[int]:
    found = set()
    for sub in walk([node]):
        if isinstance(sub, ast.Constant) and type(sub.value) is int and 400 <= sub.value <= 599:
            found.add(sub.value)
        elif isinstance(sub, (ast.Name, ast.Attribute)):
            match = STATUS_NAME.search(sub.id if isinstance(sub, ast.Name) else sub.attr)
            if match and 400 <= int(match.group(1)) <= 599:
                found.add(int(match.group(1)))
    return found


def _header_read(node: ast.AST) -> str | None:
    """`x.headers.get("h")`, `x.headers["h"]`, `x.META["HTTP_H"]`: the header read, lower case."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr in ("headers", "META")
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return _header_name(node.args[0].value)
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
            and node.value.attr in ("headers", "META") and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)):
        return _header_name(node.slice.value)
    return None


def _header_name(raw: str) -> str:
    name = raw.lower()
    return name[5:].replace("_", "-") if name.startswith("http_") else name


class _FunctionFacts:
    def __init__(self, func: ast.FunctionDef | ast.AsyncFunctionDef | None, statements: list[ast.AST],
                 lists: dict[str, ast.AST] | None = None):
        self.func = func
        self.lists = lists or {}  # module-level names bound to lists of Depends(...): _dependency_lists
        self.nodes = walk(statements)
        self.params = ({a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]}
                       if func else set())

    def facts(self) -> dict[str, Any]:
        calls, depends, reads = [], [], set()
        refs: dict[str, int] = {}
        statuses: set[int] = set()
        compares = raises = effects = returns_computed = False
        roots: list[list[Any]] = []
        middleware: list[list[Any]] = []
        # What this function decides on: calls in an `if`/`while`/`assert` test, and names tested
        # there that a call was assigned to (`flagged = check_input(x)`, then `if flagged:`).
        tested_calls: set[str] = set()
        tested_names: set[str] = set()
        assigned_calls: dict[str, str] = {}
        # Dispatch on the exact node type (the parser makes no subclasses of them): the hottest
        # loop of a cold audit's facts pass, where a chain of isinstance tests cost twice as much.
        for node in self.nodes:
            kind = node.__class__
            if kind is ast.Call:
                name = chain(node.func)
                if name and len(calls) < MAX_LIST:
                    calls.append([name, node.lineno, keyword_names(node)])
                tail = name.rsplit(".", 1)[-1] if name else ""
                if tail in DEPENDS:
                    target = node.args[0] if node.args else next((k.value for k in node.keywords
                                                                  if k.arg == "dependency"), None)
                    target_name = chain(target) if target is not None else None
                    if target_name:
                        depends.append([target_name, node.lineno])
                if tail not in LOG_CALLS:
                    effects = True
                if tail in RESPONSE_CALLS or any(k.arg in ("status_code", "status") for k in node.keywords):
                    statuses |= _statuses(node)
                self._registrations(node, tail, roots, middleware, self.lists)
                if (isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                    reads.add(node.args[0].value.lower())
            elif kind in _NAMES:
                if node.ctx.__class__ is not ast.Load:
                    continue
                if kind is ast.Name:
                    if len(refs) < MAX_LIST and node.id not in refs:
                        refs[node.id] = node.lineno
                    continue
                reads.add(node.attr.lower())
                if len(refs) < MAX_LIST:
                    name = dotted(node)
                    if name and name not in refs:
                        refs[name] = node.lineno
            elif kind is ast.Subscript:
                if node.ctx.__class__ is ast.Load and isinstance(node.slice, ast.Constant) \
                        and isinstance(node.slice.value, str):
                    reads.add(node.slice.value.lower())
            elif kind in _TESTS:
                compares = True
                if kind is not ast.Compare and kind is not ast.BoolOp:
                    _decided_on(node.test, tested_calls, tested_names)
            elif kind is ast.comprehension and node.ifs:  # [c for c in found if c.flagged]
                compares = True
            elif kind is ast.Raise:
                exc = node.exc
                if exc is not None and _tail(exc) not in ("NotImplementedError", "NotImplemented"):
                    raises = True
                    statuses |= _statuses(exc)
            elif kind is ast.Return:
                if node.value is not None and not self._trivial(node.value):
                    returns_computed = True
                if node.value is not None and isinstance(node.value, (ast.Tuple, ast.Call)):
                    statuses |= _statuses(node.value)
            elif kind in _ASSIGNS:
                targets = node.targets if kind is ast.Assign else [node.target]
                value = node.value.value if node.value.__class__ is ast.Await else node.value
                if value.__class__ is ast.Call:  # `flagged = check(x)`, `text, decision = guard(x)`
                    target = targets[0]
                    for name in target.elts if target.__class__ is ast.Tuple else [target]:
                        if name.__class__ is ast.Name:
                            assigned_calls[name.id] = _tail(value.func)
                if any(isinstance(t, (ast.Subscript, ast.Attribute)) for t in targets):
                    effects = True
                    if any(isinstance(t, ast.Attribute) and t.attr == "status_code" for t in targets):
                        statuses |= _statuses(node.value) if node.value is not None else set()
            elif kind in _EFFECTS:
                effects = True
        if self.func is not None:
            for default in [*self.func.args.defaults, *self.func.args.kw_defaults]:
                if default is None:
                    continue
                for node in walk([default]):
                    if isinstance(node, ast.Call):
                        name = chain(node.func)
                        if name:
                            calls.append([name, node.lineno, keyword_names(node)])
                            if name.rsplit(".", 1)[-1] in DEPENDS and node.args and chain(node.args[0]):
                                depends.append([chain(node.args[0]), node.lineno])
        headers = self._headers()
        # A guard can change the outcome: it refuses (raise, an error status) or returns a verdict it
        # computed (a comparison, a provider's answer). A constant or the argument as given is a stub.
        guard = raises or bool(statuses) or returns_computed
        tested_calls |= {assigned_calls[name] for name in tested_names if name in assigned_calls}
        tested_calls.discard("")
        return {"calls": calls, "refs": sorted(refs.items()), "depends": depends, "reads": sorted(reads)[:MAX_LIST],
                "statuses": sorted(statuses), "tests": compares, "guard": guard, "transform": returns_computed,
                "refuses": raises or bool(statuses), "record": effects or raises, "roots": roots,
                "middleware_added": middleware, **headers,
                **({"tested_calls": sorted(tested_calls)[:MAX_LIST]} if tested_calls else {})}

    def _trivial(self, value: ast.AST) -> bool:
        """A return that cannot depend on what the function checked: a constant (`[]`, `{"ok": True}`
        included) or an argument as given."""
        if isinstance(value, ast.Constant):
            return True
        if isinstance(value, ast.Name):
            return value.id in self.params
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            return all(self._constant(e) for e in value.elts)
        if isinstance(value, ast.Dict):
            return all(k is not None and self._constant(k) for k in value.keys) and all(
                self._constant(v) for v in value.values)
        return False

    def _constant(self, value: ast.AST) -> bool:
        if isinstance(value, ast.Constant):
            return True
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            return all(self._constant(e) for e in value.elts)
        if isinstance(value, ast.Dict):
            return all(k is not None and self._constant(k) for k in value.keys) and all(
                self._constant(v) for v in value.values)
        return False

    @staticmethod
    def _registrations(node: ast.Call, tail: str, roots: list, middleware: list,
                       lists: dict[str, ast.AST] | None = None) -> None:
        def refs_of(values):
            # `R.as_view("r")` stands for the view class R.
            values = [v.func.value if isinstance(v, ast.Call) and _tail(v.func) == "as_view"
                      and isinstance(v.func, ast.Attribute) else v for v in values]
            return [chain(v) for v in values if isinstance(v, (ast.Name, ast.Attribute)) and chain(v)]

        if tail in CLASS_REGISTRATIONS:
            roots.extend([t, "route", node.lineno] for t in refs_of(node.args[:1]))
        if tail in ROUTE_REGISTRATIONS:
            targets = refs_of(node.args[1:] if len(node.args) > 1 else [])
            targets += refs_of([k.value for k in node.keywords if k.arg in ("endpoint", "view_func", "handler", "view")])
            roots.extend([t, "route", node.lineno] for t in targets)
        if tail in MIDDLEWARE_REGISTRATIONS:
            for target in refs_of(node.args[:1]):
                middleware.append([target, node.lineno])
            roots.extend([t, "middleware", node.lineno]
                         for t in refs_of([k.value for k in node.keywords if k.arg == "dispatch"]))
            if tail != "add_middleware" and tail != "Middleware":
                roots.extend([t, "middleware", node.lineno] for t in refs_of(node.args[:1]))
        # app.middleware("http")(observe): the decorator applied by hand.
        if isinstance(node.func, ast.Call) and _tail(node.func.func) in MIDDLEWARE_DECORATORS | ROUTE_DECORATORS:
            kind = "route" if _tail(node.func.func) in ROUTE_DECORATORS else "middleware"
            roots.extend([t, kind, node.lineno] for t in refs_of(node.args[:1]))
        # FastAPI(dependencies=[Depends(check)]), include_router(r, dependencies=[...]): every route depends on them.
        for keyword in node.keywords:
            if keyword.arg == "dependencies":
                for sub in walk([_listed(keyword.value, lists)]):
                    if isinstance(sub, ast.Call) and _tail(sub.func) in DEPENDS and sub.args and chain(sub.args[0]):
                        roots.append([chain(sub.args[0]), "dependency", sub.lineno])

    def _headers(self) -> dict[str, Any]:
        """Request headers read, and whether their value is tested (auth) or only passed on (forwarding)."""
        tainted: dict[str, str] = {}
        if self.func is not None:
            for arg, default in _param_defaults(self.func):
                if default is not None and _tail(default.func if isinstance(default, ast.Call) else default) == "Header":
                    alias = next((k.value.value for k in getattr(default, "keywords", [])
                                  if k.arg == "alias" and isinstance(k.value, ast.Constant)), None)
                    tainted[arg] = _header_name(alias or arg.replace("_", "-"))
        read: set[str] = set(tainted.values())
        for node in self.nodes:
            if node.__class__ in _READS:  # the only node types a header read can be
                header = _header_read(node)
                if header:
                    read.add(header)
        if not read:
            return {"headers_read": [], "headers_tested": [], "headers_passed": []}
        assigns = [n for n in self.nodes if isinstance(n, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and n.value]
        for _ in range(3):  # a short fixed point: auth = headers.get(...); token = auth.split()[1]
            for node in assigns:
                source = self._header_in(node.value, tainted)
                if source:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        for name in walk([target]):
                            if isinstance(name, ast.Name):
                                tainted.setdefault(name.id, source)
        tested, passed = set(), []
        for node in self.nodes:
            test = None
            if isinstance(node, (ast.If, ast.IfExp, ast.While, ast.Assert)):
                test = node.test
            elif isinstance(node, (ast.Compare, ast.BoolOp)):
                test = node
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                test = node.operand
            if test is not None:
                source = self._header_in(test, tainted)
                if source:
                    tested.add(source)
            if isinstance(node, ast.Call) and not any(k.arg == "headers" for k in node.keywords):
                name = chain(node.func)
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    source = self._header_in(arg, tainted)
                    if source and name and len(passed) < MAX_LIST:
                        passed.append([name, source])
        return {"headers_read": sorted(read), "headers_tested": sorted(tested), "headers_passed": passed}

    @staticmethod
    def _header_in(node: ast.AST, tainted: dict[str, str]) -> str | None:
        for sub in walk([node]):
            header = _header_read(sub)
            if header:
                return header
            if isinstance(sub, ast.Name) and sub.id in tainted:
                return tainted[sub.id]
        return None


def _param_defaults(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, ast.AST | None]]:
    positional = [*func.args.posonlyargs, *func.args.args]
    defaults = [None] * (len(positional) - len(func.args.defaults)) + list(func.args.defaults)
    pairs = [(a.arg, d) for a, d in zip(positional, defaults)]
    pairs += [(a.arg, d) for a, d in zip(func.args.kwonlyargs, func.args.kw_defaults)]
    # Annotated[str, Header()] carries the marker in the annotation.
    for arg in [*positional, *func.args.kwonlyargs]:
        if isinstance(arg.annotation, ast.Subscript) and _tail(arg.annotation.value) == "Annotated":
            for sub in walk([arg.annotation.slice]):
                if isinstance(sub, ast.Call):
                    pairs.append((arg.arg, sub))
    return pairs


def _decided_on(test: ast.AST, calls: set[str], names: set[str]) -> None:
    """The calls and names a test decides on: `check(x)`, `flagged`, `decision.blocked`, `not
    ok`, `a and b`, `verdict == "block"`. Only the shapes a verdict takes in a test are followed,
    not every node below: this runs for every `if` of a cold audit."""
    kind = test.__class__
    if kind is ast.Call:
        calls.add(_tail(test.func))
    elif kind is ast.Name:
        names.add(test.id)
    elif kind is ast.Attribute:
        _decided_on(test.value, calls, names)
    elif kind is ast.UnaryOp:
        _decided_on(test.operand, calls, names)
    elif kind is ast.BoolOp:
        for value in test.values:
            _decided_on(value, calls, names)
    elif kind is ast.Compare:
        _decided_on(test.left, calls, names)
        for value in test.comparators:
            _decided_on(value, calls, names)
    elif kind is ast.Await:
        _decided_on(test.value, calls, names)


def _listed(value: ast.AST, lists: dict[str, ast.AST] | None) -> ast.AST:
    """`dependencies=check_key`, with `check_key = [Depends(verify_api_key)]` at module level
    (text-generation-webui): the list the name stands for."""
    return (lists or {}).get(value.id, value) if isinstance(value, ast.Name) else value


def _dependency_lists(tree: ast.Module) -> dict[str, ast.AST]:
    """Module-level names bound to a list or tuple that holds a `Depends(...)`."""
    found: dict[str, ast.AST] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name) and isinstance(statement.value, (ast.List, ast.Tuple)) \
                and any(isinstance(e, ast.Call) and _tail(e.func) in DEPENDS for e in statement.value.elts):
            found[statement.targets[0].id] = statement.value
    return found


def _function(func: ast.FunctionDef | ast.AsyncFunctionDef, lists: dict[str, ast.AST] | None = None) -> dict[str, Any]:
    walker = _FunctionFacts(func, func.body, lists)
    facts = walker.facts()
    decorators, route, middleware = [], False, False
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = chain(target)
        if name:  # with its keyword arguments: `@retry(wait=...)` backs off, a bare `@retry` does not
            keywords = keyword_names(decorator) if isinstance(decorator, ast.Call) else []
            decorators.append([name, decorator.lineno, keywords])
        tail = _tail(target)
        route |= tail in ROUTE_DECORATORS
        middleware |= tail in MIDDLEWARE_DECORATORS
        if isinstance(decorator, ast.Call):  # @app.get("/", dependencies=[Depends(check)])
            _FunctionFacts._registrations(decorator, "", facts["roots"], facts["middleware_added"], lists)
            for sub in walk([decorator, *(_listed(k.value, lists) for k in decorator.keywords
                                          if k.arg == "dependencies" and isinstance(k.value, ast.Name))]):
                if isinstance(sub, ast.Call) and _tail(sub.func) in DEPENDS and sub.args and chain(sub.args[0]):
                    facts["depends"].append([chain(sub.args[0]), sub.lineno])
    # An app factory (`def create_app(): ... @app.get(...) def index(): ...`) hosts its routes: nested
    # handlers are walked as part of it, so the factory stands for them on the request path.
    nested = [node for node in walker.nodes if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for node in nested:
        tails = {_tail(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}
        route |= bool(tails & ROUTE_DECORATORS)
        middleware |= bool(tails & MIDDLEWARE_DECORATORS)
    params = []
    for arg in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]:
        if arg.annotation is not None:
            params.append([arg.arg, _names_in(arg.annotation)])
        for sub in walk([arg.annotation]) if arg.annotation is not None else ():
            if isinstance(sub, ast.Call) and _tail(sub.func) in DEPENDS and sub.args and chain(sub.args[0]):
                facts["depends"].append([chain(sub.args[0]), sub.lineno])
    # Nested functions (a factory's handler) are walked with it: their parameters are their callers' too.
    chosen_by_caller = _caller_params(func).union(*map(_caller_params, nested))
    derived = _max_tokens_facts(walker.nodes, chosen_by_caller, chosen_by_caller if route else frozenset())
    return {"line": func.lineno, "route": route, "middleware": middleware, "decorators": decorators,
            "params": params, "derived": derived, **facts}


def _caller_params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """The parameters whose value the caller chooses (a route handler's: the request's data): all
    but `self`/`cls`, those a dependency fills (`settings: Settings = Depends(get_settings)` is the
    server's) and those whose default bounds them (`max_tokens: int = Query(256, le=1024)`)."""
    return frozenset(name for name, default in _param_defaults(func) if name not in ("self", "cls") and not (
        isinstance(default, ast.Call) and (_tail(default.func) in DEPENDS
                                           or any(k.arg in ("le", "lt") for k in default.keywords))))


def _max_tokens_facts(nodes: list[ast.AST], params: frozenset[str] = frozenset(),
                      request_objects: frozenset[str] = frozenset()) -> list[str]:
    """"max-tokens-cap": the service bounds max_tokens itself; "max-tokens-passthrough": it sends on
    a number it did not choose: the client's (`max_tokens=body.get("max_tokens")`,
    `max_tokens=request.max_tokens` in a route handler that takes `request`) or its caller's (a
    parameter: `def generate(max_tokens=16): ... max_tokens=max_tokens`), which is no cap; the cap,
    if any, is where a constant or a setting is passed in."""
    found = set()
    client_values: set[str] | None = None  # a second pass over the nodes, only when a value is passed on
    for node in nodes:
        if node.__class__ not in _TOKEN_CARRIERS:
            continue
        values = []
        if isinstance(node, ast.Call):
            if _TEXT_SIZING_CALL.search((dotted(node.func) or "").lower()):
                continue
            values = [k.value for k in node.keywords if k.arg and k.arg.lower() in MAX_TOKEN_NAMES]
        elif isinstance(node, ast.Dict):
            values = [v for k, v in zip(node.keys, node.values)
                      if isinstance(k, ast.Constant) and str(k.value).lower() in MAX_TOKEN_NAMES]
        elif isinstance(node, ast.AnnAssign):
            if (isinstance(node.target, ast.Name) and node.target.id.lower() in MAX_TOKEN_NAMES
                    and isinstance(node.value, ast.Call) and (dotted(node.value.func) or "").endswith("Field")):
                found.add("max-tokens-cap" if any(k.arg in ("le", "lt") for k in node.value.keywords)
                          else "max-tokens-passthrough")
        for value in values:
            if client_values is None:
                client_values = _client_valued(nodes, params, request_objects)
            found.add("max-tokens-passthrough" if _client_number(value, client_values) else "max-tokens-cap")
    return sorted(found)


def _client_number(value: ast.AST, client: set[str]) -> bool:
    """Whether `value` is a number the service did not choose: the client's value read from the
    request (`.get(...)`, a subscript, None), a name or attribute in `client`, through conversions
    and defaults (`int(x)`, `x or 512`) and either branch of a conditional
    (`-1 if max_tokens is None else max_tokens`)."""
    inner = unwrap_client_number(value)
    if isinstance(inner, ast.IfExp):
        return _client_number(inner.body, client) or _client_number(inner.orelse, client)
    if not caps_tokens(inner):
        return True
    return isinstance(inner, (ast.Name, ast.Attribute)) and dotted(inner) in client


def _sign_test(limit: ast.AST) -> bool:
    """`n > 0`, `n >= 1`: whether the client asked for any tokens at all, not an upper bound."""
    return (isinstance(limit, ast.Constant) and type(limit.value) in (int, float) and limit.value <= 1)


def _client_valued(nodes: list[ast.AST], params: frozenset[str] = frozenset(),
                   request_objects: frozenset[str] = frozenset()) -> set[str]:
    """Names and attributes that only ever hold a number the service did not choose and that are
    never bounded from above (`if n > LIMIT:`, `n = min(n, LIMIT)`): the caller's parameters, the
    attributes of a route handler's request objects (`request.max_tokens`), and local names assigned
    only from those or from the request (`n = body.get("max_tokens")`). Passing one on caps nothing.
    A lower bound (`if n <= 0: raise`) is validation, not a cap; a default (`request.max_tokens =
    request.max_tokens or 512`) is no cap either."""
    assigned: dict[str, list[ast.AST]] = {}
    bounded: set[str] = set()
    attributes: set[str] = set()  # request attributes read
    defaults = _default_assignments(nodes)
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], (ast.Name, ast.Attribute)):
            target = dotted(node.targets[0])
            if target and id(node) not in defaults:
                assigned.setdefault(target, []).append(node.value)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, sides, sides[1:]):
                if isinstance(op, (ast.Gt, ast.GtE)) and isinstance(left, (ast.Name, ast.Attribute)) \
                        and not _sign_test(right):
                    bounded.add(dotted(left) or "")
                elif isinstance(op, (ast.Lt, ast.LtE)) and isinstance(right, (ast.Name, ast.Attribute)) \
                        and not _sign_test(left):
                    bounded.add(dotted(right) or "")
        elif isinstance(node, ast.Attribute) and request_objects:
            name = dotted(node)
            if name and name.split(".", 1)[0] in request_objects:
                attributes.add(name)
    given = (set(params) | attributes) - bounded
    client = set(given)
    for _ in range(8):  # until no name changes side: `a = body.get(...)`, then `b = a or 256`
        settled = {name for name in given if all(_client_number(v, client) for v in assigned.get(name, []))}
        settled |= {name for name, values in assigned.items() if "." not in name and name not in bounded
                    and all(_client_number(v, client) for v in values)}
        if settled == client:
            break
        client = settled
    return client


def _default_assignments(nodes: list[ast.AST]) -> set[int]:
    """The assignments that only fill in a value the client left out: `if body.max_tokens in [None, 0]:
    body.max_tokens = MAX_TOKENS` (Langchain-Chatchat), `if n is None: n = 512`, `if not n: ...`.
    On the other path the client's number goes on unchanged, so the name stays the client's."""
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.If):
            name = _missing_test(node.test)
            if name:
                found.update(id(st) for st in node.body if isinstance(st, ast.Assign) and len(st.targets) == 1
                             and dotted(st.targets[0]) == name)
    return found


def _missing_test(test: ast.AST) -> str | None:
    """The name a test asks is missing or empty (`x is None`, `x == 0`, `x in [None, 0]`, `not x`,
    `x <= 0`), else None."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, (ast.Name, ast.Attribute)):
        return dotted(test.operand)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, (ast.Name, ast.Attribute))):
        return None
    op, right = test.ops[0], test.comparators[0]
    empty = isinstance(right, ast.Constant) and right.value in (None, 0, "")
    if isinstance(op, (ast.Is, ast.Eq)) and empty:
        return dotted(test.left)
    if isinstance(op, ast.In) and isinstance(right, (ast.List, ast.Tuple, ast.Set)) and right.elts and all(
            isinstance(e, ast.Constant) and e.value in (None, 0, "") for e in right.elts):
        return dotted(test.left)
    if isinstance(op, (ast.LtE, ast.Lt)) and _sign_test(right):
        return dotted(test.left)
    return None


def _class(node: ast.ClassDef) -> dict[str, Any]:
    fields: list[str] = []
    constrained = False
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign):
            names = _names_in(statement.annotation)
            fields.extend(names)
            constrained |= any(n.rsplit(".", 1)[-1] in CONSTRAINED_TYPES for n in names)
            value = statement.value
            if isinstance(value, ast.Call) and _tail(value.func) == "Field":
                constrained |= any(k.arg in CONSTRAINT_KEYWORDS for k in value.keywords)
            if isinstance(statement.annotation, ast.Subscript) and _tail(statement.annotation.value) == "Annotated":
                for sub in walk([statement.annotation.slice]):
                    if isinstance(sub, ast.Call) and any(k.arg in CONSTRAINT_KEYWORDS for k in sub.keywords):
                        constrained = True
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            constrained |= any(_tail(d.func if isinstance(d, ast.Call) else d) in VALIDATOR_DECORATORS
                               for d in statement.decorator_list)
    view = any(_tail(d.func if isinstance(d, ast.Call) else d) in ROUTE_DECORATORS for d in node.decorator_list)
    return {"line": node.lineno, "bases": [b for b in (chain(base) for base in node.bases) if b],
            "fields": sorted(set(fields))[:MAX_LIST], "constrained": constrained, "view": view,
            "attributes": _instance_attributes(node),
            "derived": _max_tokens_facts([st for st in node.body if isinstance(st, ast.AnnAssign)])}


def _instance_attributes(node: ast.ClassDef) -> dict[str, str]:
    """What a class's methods keep on `self`, by the class that builds it: `self.conversations =
    ConversationService()` -> {"conversations": "ConversationService"}, so that
    `self.conversations.save(...)` in another method is a call of ConversationService.save
    (DocsGPT's answer resources hold their services so). An attribute given two different
    constructors is left out: which one a call reaches cannot be told."""
    found: dict[str, str | None] = {}
    for method in node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for sub in walk(method.body):
            if isinstance(sub, ast.Assign) and len(sub.targets) == 1:
                target, value = sub.targets[0], sub.value
            elif isinstance(sub, ast.AnnAssign) and sub.value is not None:
                target, value = sub.target, sub.value
            else:
                continue
            if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"):
                continue
            if isinstance(value, ast.Constant) and value.value is None:
                continue  # `self.client = None` until it is built: says nothing of its class
            built = chain(value.func) if isinstance(value, ast.Call) else None
            if built is None or built.startswith("self."):
                found[target.attr] = None  # a parameter, an expression: not known to be one class
            else:
                found[target.attr] = built if found.get(target.attr, built) == built else None
    return {name: built for name, built in sorted(found.items()) if built}


def _conditional_defs(statement: ast.If | ast.Try) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions defined in the branches of a module-level `if` or `try` (nested ones too)."""
    blocks = [statement.body, statement.orelse]
    if isinstance(statement, ast.Try):
        blocks += [handler.body for handler in statement.handlers] + [statement.finalbody]
    found = []
    for block in blocks:
        for item in block:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append(item)
            elif isinstance(item, (ast.If, ast.Try)):
                found.extend(_conditional_defs(item))
    return found


def _merged(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """One name, two definitions: what either does (lists joined, flags or-ed), cited by the first."""
    merged = dict(first)
    for key, value in second.items():
        if isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + [v for v in value if v not in merged[key]]
        elif isinstance(value, bool) and isinstance(merged.get(key), bool):
            merged[key] = merged[key] or value
        elif key not in merged:
            merged[key] = value
    return merged


def relative_names(nodes: Nodes) -> dict[str, str]:
    """`from .security import x` -> {"x": ".security.x"}; `from .. import db` -> {"db": "..db"}."""
    names = {}
    for node in nodes.of(ast.ImportFrom):
        if node.level:
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    joiner = "" if base.endswith(".") else "."
                    names[alias.asname or alias.name] = f"{base}{joiner}{alias.name}"
    return names


def extract_wiring(tree: ast.Module, aliases: Aliases, nodes: Nodes) -> dict[str, Any]:
    functions: dict[str, Any] = {}
    classes: dict[str, Any] = {}
    instances: dict[str, str] = {}
    module_statements = []
    lists = _dependency_lists(tree)
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[statement.name] = _function(statement, lists)
        elif isinstance(statement, (ast.If, ast.Try)):
            # `if settings.auth.enabled: def authenticated(...)` / `else: def authenticated(): return
            # True` (private-gpt), `try: from x import f` / `except ImportError: def f(...)`: each
            # branch may be the one that runs, so the name stands for all of them, facts merged.
            for func in _conditional_defs(statement):
                done = functions.get(func.name)
                functions[func.name] = _function(func, lists) if done is None else _merged(done, _function(func, lists))
            module_statements.append(statement)
        elif isinstance(statement, ast.ClassDef):
            classes[statement.name] = _class(statement)
            for item in statement.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    functions[f"{statement.name}.{item.name}"] = _function(item, lists)
        else:
            module_statements.append(statement)
            target, value = None, None
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AnnAssign):
                target, value = statement.target, statement.value
            if isinstance(target, ast.Name) and isinstance(value, ast.Call) and chain(value.func):
                instances[target.id] = chain(value.func)
    module_walker = _FunctionFacts(None, module_statements, lists)
    module = module_walker.facts()
    module.update(line=1, route=False, middleware=False, decorators=[], params=[],
                  derived=_max_tokens_facts(module_walker.nodes))
    names = {**aliases.names, **relative_names(nodes)}
    return {"names": names, "functions": functions, "classes": classes, "instances": instances, "module": module}
