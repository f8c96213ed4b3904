"""Collect one capability's evidence from the service graph, sorted by strength.

No verdict here (verdicts.py decides); each function returns Evidence with its strength. The
service graph is built once per audit and shared by every capability check.
"""

from __future__ import annotations

import re

from readyscore.executors.static.capability_params import CapabilityParams, HandWritten, Mechanism
from readyscore.executors.static.service_graph import MODULE, FunctionRef, ServiceGraph, Site
from readyscore.model import Evidence, EvidenceStrength

IMPLEMENTED, DECLARED, MENTION = EvidenceStrength.IMPLEMENTED, EvidenceStrength.DECLARED, EvidenceStrength.MENTION
SCOPE_WORDS = {"request": "on a route's path", "service": "on a route's path or in start-up code",
               "anywhere": "in the service's code"}
VERBS = {"call": "calls", "decorator": "decorated with", "depends": "depends on", "middleware": "middleware",
         "use": "uses", "subclass": "subclasses"}


def _prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _matches(site_names: tuple[str, ...], wanted: set[str]) -> str | None:
    for name in site_names:
        if any(p in wanted for p in _prefixes(name)):
            return name
    return None


def _in(ref: FunctionRef) -> str:
    return "at start-up" if ref.qual == MODULE else f"in {ref.qual}"


def _mechanism_hit(site: Site, mechanism: Mechanism, wanted: set[str]) -> str | None:
    if mechanism.how == "use":
        if site.how not in ("use", "call"):
            return None
    elif site.how != mechanism.how:
        return None
    if _lacks_keywords(site, mechanism) and mechanism.missing_keywords == "nothing":
        return None
    return _matches(site.names, wanted)


def _lacks_keywords(site: Site, mechanism: Mechanism) -> bool:
    return bool(mechanism.keywords) and not set(mechanism.keywords) & set(site.keywords)


def mechanism_evidence(graph: ServiceGraph, mechanisms: list[Mechanism]) -> tuple[list[Evidence], list[Evidence]]:
    """(implemented, declared): a mechanism in its scope, and the same mechanism found off it."""
    implemented, declared, seen = [], [], set()
    for mechanism in mechanisms:
        wanted = set(mechanism.names)
        if mechanism.how == "subclass":
            implemented += _subclasses(graph, wanted, mechanism)
            continue
        in_scope = graph.scope(mechanism.where)
        for site in graph.sites_named(wanted):  # the others cannot match: no name of theirs is wanted
            hit = _mechanism_hit(site, mechanism, wanted)
            if hit is None or (site.path, site.line, hit) in seen:
                continue
            seen.add((site.path, site.line, hit))
            keyword = next((k for k in mechanism.keywords if k in site.keywords), None)
            label = f"{hit}({keyword}=...)" if keyword else hit
            if _lacks_keywords(site, mechanism):  # missing_keywords: declared
                wanted_keywords = " or ".join(f"{k}=" for k in mechanism.keywords)
                declared.append(Evidence(message=f"{VERBS[site.how]} {hit} {_in(site.function)}, without "
                                                 f"{wanted_keywords}", path=site.path, line=site.line,
                                         strength=DECLARED))
            elif site.function in in_scope:
                verb = mechanism.what or VERBS[site.how]
                implemented.append(Evidence(message=f"{verb} {label} {_in(site.function)}", path=site.path,
                                            line=site.line, strength=IMPLEMENTED))
            else:
                declared.append(Evidence(message=f"{VERBS[site.how]} {label} {_in(site.function)}, but not "
                                                 f"{SCOPE_WORDS[mechanism.where]}", path=site.path, line=site.line,
                                         strength=DECLARED))
    return implemented, declared


def _subclasses(graph: ServiceGraph, wanted: set[str], mechanism: Mechanism) -> list[Evidence]:
    found = []
    for module in graph.modules.values():
        for name, facts in module.wiring["classes"].items():
            for base in facts["bases"]:
                hit = _matches(graph.resolve(module.name, base), wanted)
                if hit:
                    found.append(Evidence(message=f"{mechanism.what or 'subclasses'} {hit}: {name}", path=module.rel,
                                          line=facts["line"], strength=IMPLEMENTED))
                    break
    return found


def _function_names(graph: ServiceGraph) -> list[tuple[str, str] | None]:
    """Per function of graph.functions(): the name a hand-written rule matches (`check_input`) and
    the same with its module (`moderation.check_input`), lower case; None for top-level code."""
    def build() -> list[tuple[str, str] | None]:
        names: list[tuple[str, str] | None] = []
        for ref, _, _ in graph.functions():
            if ref.qual == MODULE:
                names.append(None)
                continue
            short = ref.qual.rsplit(".", 1)[-1].lower()
            names.append((short, f"{ref.module.rsplit('.', 1)[-1]}.{short}".lower()))
        return names
    return graph.derived("function_names", build)


def _named(pattern: re.Pattern[str] | None, graph: ServiceGraph) -> list[bool]:
    """Per function: does its name (or module.name) fully match the rule's pattern. Each distinct
    name is matched once: a tree repeats names (`__init__`, `get`) across thousands of functions."""
    names = _function_names(graph)
    if pattern is None:
        return [False] * len(names)
    distinct = {name for pair in names if pair is not None for name in pair}
    hits = {name for name in distinct if pattern.fullmatch(name)}
    return [pair is not None and (pair[0] in hits or pair[1] in hits) for pair in names]


def _tested_anywhere(graph: ServiceGraph) -> set[str]:
    """Names of the functions whose result some function of the service decides on (`if
    is_flagged(x):`, `flagged = check_input(x)` then `if flagged:`)."""
    def build() -> set[str]:
        return {name for _, _, facts in graph.functions() for name in facts.get("tested_calls", ())}
    return graph.derived("tested_calls", build)


def _does(role: str, facts: dict, name: str, graph: ServiceGraph) -> bool:
    """A guard refuses by itself (raise, an error status), or returns a verdict that a caller decides
    on: a verdict nobody tests guards nothing (text-generation-webui's `moderations()` computes
    flags only to send them back from its /v1/moderations endpoint)."""
    if role == "guard" and facts.get("guard") and not facts.get("refuses", True):
        return name in _tested_anywhere(graph)
    return bool(facts.get(role))


STUB_WORDS = {"guard": "cannot change the outcome (no raise, no error status; it returns a constant, its argument or a "
                       "verdict no caller decides on)",
              "transform": "returns its argument or a constant", "record": "does nothing (no call, no write)"}


def hand_written_evidence(graph: ServiceGraph, rules: list[HandWritten]) -> tuple[list[Evidence], list[Evidence]]:
    """(implemented, mentions): functions of the service's own that do the job on the serving path,
    and the ones that only carry the name (stubs, or nothing reaches them)."""
    implemented, mentions = [], []
    for rule in rules:
        pattern = re.compile("|".join(f"(?:{p})" for p in rule.names)) if rule.names else None
        in_scope = graph.scope(rule.where)
        for (ref, module, facts), named in zip(graph.functions(), _named(pattern, graph)):
            by_status = (bool(facts.get("statuses")) and bool(set(rule.statuses) & set(facts["statuses"]))
                         and facts.get("tests"))
            if not named and not by_status:
                continue
            if not rule.routes_count and graph.roots.get(ref) == "route":
                continue
            short = ref.qual.rsplit(".", 1)[-1]
            where = f"{module.rel}:{facts['line']}" if ref.qual != MODULE else module.rel
            label = ref.qual if ref.qual != MODULE else "top-level code"
            if by_status and ref in in_scope:
                statuses = ", ".join(str(s) for s in sorted(set(rule.statuses) & set(facts["statuses"])))
                implemented.append(Evidence(message=f"hand-written: {label} answers {statuses} after a test "
                                                    f"({graph.roots.get(ref, 'reached from a route')})",
                                            path=module.rel, line=facts["line"], strength=IMPLEMENTED))
            elif named and ref in in_scope and _does(rule.role, facts, short, graph):
                implemented.append(Evidence(message=f"hand-written {rule.role}: {label}, reached from a route",
                                            path=module.rel, line=facts["line"], strength=IMPLEMENTED))
            elif named and not _does(rule.role, facts, short, graph):
                mentions.append(Evidence(message=f"stub: {label} {STUB_WORDS[rule.role]}", path=module.rel,
                                         line=facts["line"], strength=MENTION))
            elif named:
                mentions.append(Evidence(message=f"{label} is defined but no route reaches it ({where})",
                                         path=module.rel, line=facts["line"], strength=MENTION))
    return implemented, mentions


def header_evidence(graph: ServiceGraph, guarded: list[str], mentioned: list[str]) -> tuple[list[Evidence], list[Evidence]]:
    """A credential header whose value a request-path function tests (or hands to a project guard) is
    a hand-written check; a header read and only passed on (forwarded upstream) is a mention."""
    wanted = {h.lower() for h in guarded}
    mention_only = {h.lower() for h in mentioned} | wanted
    implemented, mentions = [], []
    for ref, module, facts in graph.functions():
        read = set(facts.get("headers_read", [])) & mention_only
        if not read:
            continue
        tested = set(facts.get("headers_tested", [])) & wanted
        for callee, header in facts.get("headers_passed", []):
            target = graph.function_of(graph.resolve(module.name, callee)[0])
            target_facts = graph.facts_of(target) if target else None
            if header in wanted and target_facts and target_facts.get("guard"):
                tested.add(header)
        label = ref.qual if ref.qual != MODULE else "top-level code"
        if tested and ref in graph.request:
            implemented.append(Evidence(message=f"hand-written check of the {', '.join(sorted(tested))} header in "
                                                f"{label}, reached from a route", path=module.rel,
                                        line=facts["line"], strength=IMPLEMENTED))
        else:
            why = "never tests it (passed on as it came)" if not tested else "no route reaches it"
            mentions.append(Evidence(message=f"{label} reads the {', '.join(sorted(read))} header but {why}",
                                     path=module.rel, line=facts["line"], strength=MENTION))
    return implemented, mentions


def route_model_evidence(graph: ServiceGraph) -> tuple[list[Evidence], list[Evidence], list[Evidence]]:
    """(implemented, declared, mentions) for validation by models: a constrained model as a route
    parameter or validated on a route's path; a model without constraints; constrained models
    no route takes."""
    implemented, declared, used = [], [], set()
    for ref, module, facts in graph.functions():
        if ref not in graph.request:
            continue
        candidates = [(raw, facts["line"]) for _, names in facts.get("params", []) for raw in names]
        candidates += [(raw, line) for raw, line, _ in facts.get("calls", [])]
        for raw, line in candidates:
            for name in graph.resolve(module.name, raw)[:1]:
                base = name.rsplit(".", 1)[0] if name.endswith(
                    (".model_validate", ".parse_obj", ".model_validate_json", ".load", ".validate")) else name
                if not graph.is_model(base) or base in used:
                    continue
                used.add(base)
                model = base.rsplit(".", 1)[-1]
                if graph.model_is_constrained(base):
                    implemented.append(Evidence(message=f"route input validated by {model} (constrained fields) in "
                                                        f"{ref.qual}", path=module.rel, line=line, strength=IMPLEMENTED))
                else:
                    declared.append(Evidence(message=f"route input typed by {model}, without constraints, in "
                                                     f"{ref.qual}", path=module.rel, line=line, strength=DECLARED))
    mentions = []
    for module in graph.modules.values():
        for name, facts in module.wiring["classes"].items():
            full = f"{module.name}.{name}"
            if full not in used and facts["constrained"] and graph.is_model(full):
                mentions.append(Evidence(message=f"{name} has constrained fields but no route takes it",
                                         path=module.rel, line=facts["line"], strength=MENTION))
    return implemented, declared, mentions


def reads_evidence(graph: ServiceGraph, names: list[str]) -> tuple[list[Evidence], list[Evidence]]:
    wanted = {n.lower() for n in names}
    implemented, mentions = [], []
    for ref, module, facts in graph.functions():
        hit = sorted(wanted & set(facts.get("reads", [])))
        if not hit:
            continue
        label = ref.qual if ref.qual != MODULE else "top-level code"
        if ref in graph.request:
            implemented.append(Evidence(message=f"reads {', '.join(hit)} in {label}, reached from a route",
                                        path=module.rel, line=facts["line"], strength=IMPLEMENTED))
        else:
            mentions.append(Evidence(message=f"reads {', '.join(hit)} in {label}, which no route reaches",
                                     path=module.rel, line=facts["line"], strength=MENTION))
    return implemented, mentions


DERIVED_MESSAGES = {"max-tokens-cap": "bounds max_tokens on the server side"}
# Facts that show the opposite of a derived fact: mentions, never evidence.
DERIVED_COUNTER = {"max-tokens-cap": ("max-tokens-passthrough", "passes on a max_tokens it did not set, the client's or its caller's (no cap)")}


def derived_evidence(graph: ServiceGraph, facts_wanted: list[str]) -> tuple[list[Evidence], list[Evidence]]:
    """A derived fact in a request-path function, or in a model a route takes (nested models included)."""
    implemented, mentions = [], []
    route_models: set[str] = set()
    for ref, module, facts in graph.functions():
        if ref in graph.request:
            for _, names in facts.get("params", []):
                for raw in names:
                    _collect_models(graph, graph.resolve(module.name, raw)[0], route_models)
    for fact in facts_wanted:
        for ref, module, facts in graph.functions():
            if fact in facts.get("derived", []):
                label = ref.qual if ref.qual != MODULE else "top-level code"
                if ref in graph.request:
                    implemented.append(Evidence(message=f"{DERIVED_MESSAGES[fact]} in {label}", path=module.rel,
                                                line=facts["line"], strength=IMPLEMENTED))
                else:
                    mentions.append(Evidence(message=f"{DERIVED_MESSAGES[fact]} in {label}, which no route reaches",
                                             path=module.rel, line=facts["line"], strength=MENTION))
        for module in graph.modules.values():
            for name, facts in module.wiring["classes"].items():
                if fact not in facts.get("derived", []):
                    continue
                if f"{module.name}.{name}" in route_models:
                    implemented.append(Evidence(message=f"{DERIVED_MESSAGES[fact]}: {name}, a route's input",
                                                path=module.rel, line=facts["line"], strength=IMPLEMENTED))
                else:
                    mentions.append(Evidence(message=f"{DERIVED_MESSAGES[fact]} in {name}, which no route takes",
                                             path=module.rel, line=facts["line"], strength=MENTION))
        counter, message = DERIVED_COUNTER.get(fact, (None, ""))
        for ref, module, facts in graph.functions():
            if counter and counter in facts.get("derived", []):
                label = ref.qual if ref.qual != MODULE else "top-level code"
                mentions.append(Evidence(message=f"{message} in {label}", path=module.rel, line=facts["line"],
                                         strength=MENTION))
    return implemented, mentions


def _collect_models(graph: ServiceGraph, name: str, into: set[str]) -> None:
    found = graph.class_facts(name)
    if found is None or name in into:
        return
    into.add(name)
    module, _, facts = found
    for raw in facts["fields"]:
        _collect_models(graph, graph.resolve(module.name, raw)[0], into)


def _modules_by(graph: ServiceGraph, kind: str) -> tuple[list, dict[str, list[int]]]:
    """The modules in order, and for each name of a kind of fact ("imports", "idents") the modules
    (by position) that hold it: every capability check asks about a few names of ~all modules."""
    def build() -> tuple[list, dict[str, list[int]]]:
        modules = list(graph.modules.values())
        holders: dict[str, list[int]] = {}
        for index, module in enumerate(modules):
            for name in module.analysis.facts.get(kind, {}):
                holders.setdefault(name, []).append(index)
        return modules, holders
    return graph.derived(f"modules_by_{kind}", build)


def _first_in_each_module(graph: ServiceGraph, kind: str, hits: set[str]) -> list[tuple[object, str, int]]:
    """For each module holding one of `hits`, in module order: the first of them in its own order."""
    modules, holders = _modules_by(graph, kind)
    found = []
    for index in sorted({i for name in hits for i in holders[name]}):
        module = modules[index]
        for name, line in module.analysis.facts.get(kind, {}).items():
            if name in hits:
                found.append((module, name, line))
                break
    return found


def import_evidence(graph: ServiceGraph, imports: list[str]) -> list[Evidence]:
    wanted = set(imports)
    _, holders = _modules_by(graph, "imports")
    hits = {name for name in holders if any(p in wanted for p in _prefixes(name))}
    return [Evidence(message=f"imports {name}, wired nowhere on the serving path", path=module.rel, line=line,
                     strength=DECLARED) for module, name, line in _first_in_each_module(graph, "imports", hits)]


def identifier_evidence(graph: ServiceGraph, identifiers: list[str]) -> list[Evidence]:
    if not identifiers:
        return []
    pattern = re.compile("|".join(f"(?:{p})" for p in identifiers))
    _, holders = _modules_by(graph, "idents")
    hits = {name for name in holders if pattern.fullmatch(name)}
    # One name per file is enough; they repeat.
    return [Evidence(message=f"names {name}", path=module.rel, line=line, strength=MENTION)
            for module, name, line in _first_in_each_module(graph, "idents", hits)]
