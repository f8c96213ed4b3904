"""The service as a graph, built once per audit from every module's wiring facts.

Names are resolved across modules (imports, relative imports, module-level instances such as
`limiter = Limiter(...)`, classes and their bases), so `@limiter.limit` on a route is a use of
`slowapi.Limiter.limit` and `moderation.check_input(...)` an edge to the project's function
`app.moderation.check_input`. From the graph come three scopes:

- request: functions that serve a request: routes, middleware, app-wide dependencies, and
  everything they call, depend on or reference (transitively);
- service: the request scope plus the modules' top-level code (it runs when the service
  starts) and everything that code calls (`configure_tracing(app)` in main.py);
- anywhere: every function of the service's own code.

The graph knows nothing about checks: capability collectors ask it for sites (a call, a
decorator, a dependency, a middleware, a use) in a scope.
"""

from __future__ import annotations

import bisect
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from readyscore.executors.base import AuditContext
from readyscore.executors.static.analysis import FileAnalysis, shared_analysis
from readyscore.executors.static.wiring_facts import VIEW_METHODS
from readyscore.gcpause import paused

MODULE = "<module>"
T = TypeVar("T")
MAX_DEPTH = 8  # instance of an instance of ...: resolution gives up rather than loop
# Methods whose name belongs to one framework, called on a receiver the graph cannot type
# (`router = api._router; router.add_api_route("/status", get_status)`, `self._app.add_url_rule(...)`):
# in a module that imports that framework, the call stands for the framework's method too.
METHOD_HINTS = {
    "add_api_route": ("fastapi", "fastapi.APIRouter.add_api_route"),
    "add_api_websocket_route": ("fastapi", "fastapi.APIRouter.add_api_websocket_route"),
    "include_router": ("fastapi", "fastapi.FastAPI.include_router"),
    "add_url_rule": ("flask", "flask.Flask.add_url_rule"),
    "register_blueprint": ("flask", "flask.Flask.register_blueprint"),
}


@dataclass(frozen=True)
class FunctionRef:
    module: str  # dotted module name ("app.security")
    qual: str  # "require_api_key", "Guard.check", or "<module>"

    @property
    def name(self) -> str:
        return self.qual if self.qual == MODULE else f"{self.module}.{self.qual}"


@dataclass
class Module:
    name: str
    analysis: FileAnalysis
    wiring: dict[str, Any]

    @property
    def rel(self) -> str:
        return self.analysis.source.rel


@dataclass(slots=True)
class Site:
    """One place where the code does something with a name: call, decorator, depends, middleware, use."""

    how: str
    names: tuple[str, ...]  # the resolved name and, through class bases, the names it also stands for
    path: str
    line: int
    function: FunctionRef
    keywords: tuple[str, ...] = ()


def _param_types(facts: dict[str, Any]) -> dict[str, list[str]]:
    """A function's annotated parameters: name -> the type names its annotation mentions."""
    return {name: annotation for name, annotation in facts.get("params", [])}


def module_name(rel: str) -> str:
    name = rel[:-3] if rel.endswith(".py") else rel.rsplit(".", 1)[0]
    name = name.replace("/", ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


@dataclass
class ServiceGraph:
    modules: dict[str, Module] = field(default_factory=dict)
    request: set[FunctionRef] = field(default_factory=set)
    service: set[FunctionRef] = field(default_factory=set)
    roots: dict[FunctionRef, str] = field(default_factory=dict)  # request roots and why (route, middleware ...)
    all_sites: list[Site] = field(default_factory=list)
    # Built once per audit and read by every capability check (about twenty, in parallel): the
    # functions, the set of all of them, and the sites by each name they stand for.
    _functions: list[tuple[FunctionRef, Module, dict[str, Any]]] = field(default_factory=list)
    _everywhere: set[FunctionRef] = field(default_factory=set)
    _sites_by_name: dict[str, list[int]] = field(default_factory=dict)
    _site_names: list[str] = field(default_factory=list)  # the keys of _sites_by_name, sorted
    _suffixes: dict[str, list[str]] = field(default_factory=dict)
    _memo: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    # Final resolutions only (never a cycle guard's placeholder): read without the lock.
    _resolved: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    _derived: dict[str, Any] = field(default_factory=dict)
    _derived_lock: threading.Lock = field(default_factory=threading.Lock)
    # Checks run in parallel threads and resolve through one memo; its cycle guard must not leak.
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- building -----------------------------------------------------------------------------
    @classmethod
    def build(cls, files: list[FileAnalysis]) -> ServiceGraph:
        graph = cls()
        for analysis in files:
            wiring = analysis.facts.get("wiring")
            if wiring:
                name = module_name(analysis.source.rel)
                graph.modules[name] = Module(name, analysis, wiring)
                parts = name.split(".")
                for i in range(len(parts)):
                    graph._suffixes.setdefault(".".join(parts[i:]), []).append(name)
        for module in graph.modules.values():
            graph._functions.append((FunctionRef(module.name, MODULE), module, module.wiring["module"]))
            graph._functions.extend((FunctionRef(module.name, qual), module, facts)
                                    for qual, facts in module.wiring["functions"].items())
        graph._everywhere = {ref for ref, _, _ in graph._functions}
        graph._reach()
        graph.all_sites = list(graph._sites())  # resolved once; every capability check filters them
        for index, site in enumerate(graph.all_sites):
            for name in site.names:
                graph._sites_by_name.setdefault(name, []).append(index)
        graph._site_names = sorted(graph._sites_by_name)
        return graph

    def functions(self) -> Iterator[tuple[FunctionRef, Module, dict[str, Any]]]:
        return iter(self._functions)

    def facts_of(self, ref: FunctionRef) -> dict[str, Any] | None:
        module = self.modules.get(ref.module)
        if module is None:
            return None
        return module.wiring["module"] if ref.qual == MODULE else module.wiring["functions"].get(ref.qual)

    def _find_module(self, dotted_name: str) -> str | None:
        """The project module a dotted import names (exact, else by suffix: src/ layouts, flat imports)."""
        if dotted_name in self.modules:
            return dotted_name
        candidates = self._suffixes.get(dotted_name, [])
        return candidates[0] if len(candidates) == 1 else None

    def _absolute(self, module: str, relative: str) -> str:
        dots = len(relative) - len(relative.lstrip("."))
        package = module.split(".") if self._is_package(module) else module.split(".")[:-1]
        base = package[: len(package) - (dots - 1)] if dots > 1 else package
        rest = relative[dots:]
        return ".".join([*base, rest] if rest else base)

    def _is_package(self, module: str) -> bool:
        rel = self.modules[module].rel if module in self.modules else ""
        return rel.endswith("__init__.py")

    # -- resolution ---------------------------------------------------------------------------
    def resolve(self, module: str, raw: str, depth: int = 0) -> tuple[str, ...]:
        """What `raw`, written in `module`, stands for: a project name ("app.security.require_api_key")
        or an external one ("slowapi.Limiter.limit"), followed by the external names it also stands
        for through class bases. Unresolvable names come back as written."""
        key = (module, raw)
        done = self._resolved.get(key)
        if done is not None:
            return done
        with self._lock:
            if key in self._memo:
                return self._memo[key]
            self._memo[key] = (raw,)  # a cycle resolves to itself
            result = self._resolve(module, raw, depth)
            self._memo[key] = result
            self._resolved[key] = result
            return result

    def _resolve(self, module: str, raw: str, depth: int) -> tuple[str, ...]:
        if depth > MAX_DEPTH or module not in self.modules:
            return (raw,)
        wiring = self.modules[module].wiring
        head, _, rest = raw.partition(".")
        suffix = f".{rest}" if rest else ""
        if head in wiring["classes"]:
            names = [f"{module}.{head}{suffix}"]
            for base in wiring["classes"][head]["bases"]:
                names.extend(f"{n}{suffix}" for n in self.resolve(module, base, depth + 1))
            return tuple(dict.fromkeys(names))
        if head in wiring["functions"]:
            return (f"{module}.{raw}",)
        if head in wiring["instances"]:
            callee = self.resolve(module, wiring["instances"][head], depth + 1)
            return tuple(dict.fromkeys(f"{n}{suffix}" for n in callee))
        if head in wiring["names"]:
            target = wiring["names"][head]
            if target.startswith("."):
                target = self._absolute(module, target)
            full = f"{target}{suffix}"
            parts = full.split(".")
            for cut in range(len(parts), 0, -1):  # the longest prefix that is a project module
                project = self._find_module(".".join(parts[:cut]))
                if project is not None:
                    remainder = ".".join(parts[cut:])
                    return self.resolve(project, remainder, depth + 1) if remainder else (project,)
            return (full,)
        return (raw,)

    def function_of(self, name: str) -> FunctionRef | None:
        """The project function (or class, as its constructor) a resolved name is."""
        module, _, qual = name.rpartition(".")
        for cut in (module, module.rpartition(".")[0]):
            if cut in self.modules:
                qual = name[len(cut) + 1:]
                wiring = self.modules[cut].wiring
                if qual in wiring["functions"]:
                    return FunctionRef(cut, qual)
                head = qual.split(".")[0]
                if head in wiring["classes"]:
                    for method in ("__call__", "dispatch", "__init__"):
                        if f"{head}.{method}" in wiring["functions"]:
                            return FunctionRef(cut, f"{head}.{method}")
        return None

    def _targets(self, module: str, facts: dict[str, Any], owner: str | None = None) -> set[FunctionRef]:
        """The project functions a function calls, depends on, is decorated with or refers to.
        `owner`: the class of a method, so that `self.verify_token(...)` is an edge to its method
        (defined on the class or, through the class's bases, on a project base class); a parameter's
        annotation types the calls made on it."""
        typed = _param_types(facts)
        names = {ref[0] for ref in facts.get("refs", [])}
        names.update(call[0] for call in facts.get("calls", []))
        names.update(dep[0] for dep in facts.get("depends", []))
        names.update(dec[0] for dec in facts.get("decorators", []))
        found = set()
        for raw in names:
            if owner and raw.startswith(("self.", "cls.")):
                ref = self._through_attribute(module, owner, raw) if raw.count(".") >= 2 else None
                if ref is None:
                    ref = self._method_of(module, owner, raw.split(".")[1])
            else:
                ref = next(map(self.function_of, self.resolve(module, raw)[:1]), None)
                if ref is None and typed and "." in raw:  # `svc.complete()` with `svc: ChatService`
                    ref = next((r for r in map(self.function_of, self._through_annotation(module, raw, typed))
                                if r is not None), None)
            if ref is not None:
                found.add(ref)
        return found

    def _reach(self) -> None:
        edges: dict[FunctionRef, set[FunctionRef]] = {}
        for ref, module, facts in self.functions():
            owner = ref.qual.split(".")[0] if "." in ref.qual else None
            edges[ref] = self._targets(module.name, facts, owner)
            if facts.get("route"):
                self.roots.setdefault(ref, "route")
            elif facts.get("middleware"):
                self.roots.setdefault(ref, "middleware")
            for raw, why, _line in facts.get("roots", []):
                name = self.resolve(module.name, raw)[0]
                handlers = self._view_handlers(name) if why == "route" else []
                for target in handlers or [self.function_of(name)]:
                    if target is not None:
                        self.roots.setdefault(target, why)
            for raw, _line in facts.get("middleware_added", []):  # a project class added as middleware
                target = self.function_of(self.resolve(module.name, raw)[0])
                if target is not None:
                    self.roots.setdefault(target, "middleware")
        for module in self.modules.values():  # `@ns.route("/x") class R(Resource)`
            for qual, facts in module.wiring["classes"].items():
                if facts.get("view"):
                    for target in self._view_handlers(f"{module.name}.{qual}"):
                        self.roots.setdefault(target, "route")
        self.request = _closure(set(self.roots), edges)
        starts = {FunctionRef(name, MODULE) for name in self.modules} | self.request
        self.service = _closure(starts, edges)

    # -- queries ------------------------------------------------------------------------------
    def scope(self, where: str) -> set[FunctionRef]:
        if where == "request":
            return self.request
        if where == "service":
            return self.service
        return self._everywhere

    def derived(self, key: str, compute: Callable[[], T]) -> T:
        """A view of the graph that collectors build once and every check reuses (an index of names,
        say). Checks asking at the same moment wait for the first one's answer."""
        found = self._derived.get(key)
        if found is None:
            with self._derived_lock:
                found = self._derived.get(key)
                if found is None:
                    found = self._derived[key] = compute()
        return found

    def sites(self, where: str) -> Iterator[Site]:
        """Every call, decorator, dependency, middleware and use in the functions of a scope."""
        scope = self.scope(where)
        return (site for site in self.all_sites if site.function in scope)

    def sites_named(self, wanted: set[str]) -> list[Site]:
        """The sites (in the order of all_sites) with a name that is, or lies under, one of `wanted`:
        `slowapi` finds `slowapi.Limiter.limit`. An index lookup, not a pass over every site."""
        found: set[int] = set()
        names = self._site_names
        for prefix in wanted:
            found.update(self._sites_by_name.get(prefix, ()))
            below = prefix + "."  # the names under it sort together, before prefix + "/" ("." < "/")
            for i in range(bisect.bisect_left(names, below), bisect.bisect_left(names, prefix + "/")):
                found.update(self._sites_by_name[names[i]])
        return [self.all_sites[index] for index in sorted(found)]

    def _sites(self) -> Iterator[Site]:
        imported: dict[str, set[str]] = {}
        for ref, module, facts in self.functions():
            rel = module.rel
            if module.name not in imported:
                imported[module.name] = {target.split(".")[0] for target in module.wiring["names"].values()}

            typed = _param_types(facts)

            def resolve(raw: str, m: str = module.name, typed: dict = typed) -> tuple[str, ...]:
                names = self.resolve(m, raw)
                if names != (raw,) or "." not in raw:
                    return names
                through_type = self._through_annotation(m, raw, typed)
                if through_type:
                    return through_type
                hint = METHOD_HINTS.get(raw.rpartition(".")[2])
                return (raw, hint[1]) if hint and hint[0] in imported[m] else names
            for raw, line, keywords in facts.get("decorators", []):
                yield Site("decorator", resolve(raw), rel, line, ref, tuple(keywords))
            for raw, line, keywords in facts.get("calls", []):
                yield Site("call", resolve(raw), rel, line, ref, tuple(keywords))
            for raw, line in facts.get("depends", []):
                yield Site("depends", resolve(raw), rel, line, ref)
            for raw, line in facts.get("middleware_added", []):
                yield Site("middleware", resolve(raw), rel, line, ref)
            for raw, line in facts.get("refs", []):
                yield Site("use", resolve(raw), rel, line, ref)

    def _method_of(self, module: str, owner: str, method: str) -> FunctionRef | None:
        """`self.method` in a method of `owner`: defined on the class, else on a project base class."""
        wiring = self.modules[module].wiring
        if f"{owner}.{method}" in wiring["functions"]:
            return FunctionRef(module, f"{owner}.{method}")
        if not wiring["classes"].get(owner, {}).get("bases"):
            return None
        return next((r for r in map(self.function_of, self.resolve(module, f"{owner}.{method}")) if r is not None),
                    None)

    def _through_attribute(self, module: str, owner: str, raw: str) -> FunctionRef | None:
        """`self.conversations.save(...)` in a method of `owner`, whose methods set
        `self.conversations = ConversationService()`: ConversationService.save."""
        _, attribute, rest = raw.split(".", 2)
        built = self.modules[module].wiring["classes"].get(owner, {}).get("attributes", {}).get(attribute)
        if not built:
            return None
        return next(map(self.function_of, self.resolve(module, f"{built}.{rest}")[:1]), None)

    def _view_handlers(self, name: str) -> list[FunctionRef]:
        """A class-based view's HTTP-verb methods, its own or a project base class's (none when
        `name` is not a project class)."""
        found = self.class_facts(name)
        if found is None:
            return []
        module, qual, _ = found
        handlers = [self._method_of(module.name, qual, verb) for verb in VIEW_METHODS]
        # _method_of falls back on a class's constructor for a method it lacks: keep the verbs only.
        return [ref for ref in handlers if ref is not None and ref.qual.rsplit(".", 1)[-1] in VIEW_METHODS]

    def _through_annotation(self, module: str, raw: str, typed: dict[str, list[str]]) -> tuple[str, ...]:
        """`app.post` in `def add_routes(app: FastAPI | APIRouter)`: the names it stands for through
        the parameter's annotation (each type the annotation names that resolves to something; a
        builtin such as `dict` or `str`, which the module does not import or define, names nothing)."""
        head, _, rest = raw.partition(".")
        found: list[str] = []
        wiring = self.modules[module].wiring
        for annotation in typed.get(head, ()):
            first = annotation.split(".", 1)[0]
            if first not in wiring["names"] and first not in wiring["classes"] and first not in wiring["instances"]:
                continue
            candidate = f"{annotation}.{rest}"
            resolved = self.resolve(module, candidate)
            if resolved != (candidate,):
                found.extend(resolved)
        return tuple(dict.fromkeys(found))

    def class_facts(self, name: str) -> tuple[Module, str, dict[str, Any]] | None:
        module, _, qual = name.rpartition(".")
        if module in self.modules and qual in self.modules[module].wiring["classes"]:
            return self.modules[module], qual, self.modules[module].wiring["classes"][qual]
        return None

    def model_is_constrained(self, name: str, seen: set[str] | None = None) -> bool:
        """A project model whose fields (or the models they nest) carry a constraint."""
        seen = seen if seen is not None else set()
        if name in seen:
            return False
        seen.add(name)
        found = self.class_facts(name)
        if found is None:
            return False
        module, _, facts = found
        if facts["constrained"] or "max-tokens-cap" in facts.get("derived", []):
            return True
        return any(self.model_is_constrained(self.resolve(module.name, raw)[0], seen) for raw in facts["fields"])

    def is_model(self, name: str, depth: int = 0) -> bool:
        """A project class that derives (directly or through project classes) from a validating base."""
        found = self.class_facts(name)
        if found is None or depth > MAX_DEPTH:
            return False
        module, _, facts = found
        for base in facts["bases"]:
            resolved = self.resolve(module.name, base)
            if any(r.startswith(("pydantic.", "sqlmodel.SQLModel", "msgspec.Struct", "marshmallow.Schema"))
                   for r in resolved) or self.is_model(resolved[0], depth + 1):
                return True
        return False


def _closure(starts: set[FunctionRef], edges: dict[FunctionRef, set[FunctionRef]]) -> set[FunctionRef]:
    seen = set(starts)
    queue = deque(starts)
    while queue:
        for target in edges.get(queue.popleft(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def shared_graph(ctx: AuditContext) -> ServiceGraph:
    def build() -> ServiceGraph:
        files = shared_analysis(ctx).python_code()
        with paused():  # hundreds of thousands of sites and names, all kept until the audit ends
            return ServiceGraph.build(files)
    return ctx.shared("static.service_graph", build)
