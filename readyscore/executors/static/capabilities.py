"""Capability evidence: which production capabilities the service's code really has, and how strongly.

A capability check is data (capability_params.py): the mechanisms that implement it, the
hand-written forms it may take, the files and config lines that show it, the dependencies that
declare it and the names that merely mention it. This executor gathers the evidence once per
audit through the shared service graph and coverage (collectors), then lets a pure verdict
(verdicts.capability_verdict) decide: implemented -> pass; declared only -> partial; a mention
-> fail, with the mention shown.
"""

from __future__ import annotations

import re
import threading

from readyscore.executors.base import AuditContext, Executor, result
from readyscore.executors.registry import register
from readyscore.executors.static import capability_findings as collect
from readyscore.executors.static.analysis import analysis_timeout, shared_analysis
from readyscore.executors.static.capability_params import CapabilityParams
from readyscore.executors.static.coverage import shared_coverage
from readyscore.executors.static.dependencies import normalise, shared_dependencies
from readyscore.executors.static.polycaps import RequestNames, declared_evidence, declared_modules, stack_evidence
from readyscore.executors.static.service_graph import ServiceGraph, shared_graph
from readyscore.executors.static.sources import is_skipped_code
from readyscore.executors.static.verdicts import CapabilityFindings, capability_verdict
from readyscore.files import any_glob
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status

MAX_CONFIG_BYTES = 512 * 1024

__all__ = ["CapabilityParams", "CodeCapability", "code_findings"]


def code_findings(graph: ServiceGraph, params: CapabilityParams) -> CapabilityFindings:
    """Evidence from the service's Python code, by strength (no files, no dependencies)."""
    found = CapabilityFindings(what=params.what)
    implemented, declared = collect.mechanism_evidence(graph, params.mechanisms)
    found.implemented += implemented
    found.declared += declared
    if params.guarded_headers or params.headers:
        implemented, mentions = collect.header_evidence(graph, params.guarded_headers, params.headers)
        found.implemented += implemented
        found.mentions += mentions
    if params.route_models:
        implemented, declared, mentions = collect.route_model_evidence(graph)
        found.implemented += implemented
        found.declared += declared
        found.mentions += mentions
    if params.reads:
        implemented, mentions = collect.reads_evidence(graph, params.reads)
        found.implemented += implemented
        found.mentions += mentions
    if params.derived:
        implemented, mentions = collect.derived_evidence(graph, params.derived)
        found.implemented += implemented
        found.mentions += mentions
    # Hand-written controls last: a library's mechanism is the clearer evidence to show first.
    implemented, mentions = collect.hand_written_evidence(graph, params.hand_written)
    found.implemented += implemented
    found.mentions += mentions
    found.declared += collect.import_evidence(graph, params.imports)
    found.mentions += collect.identifier_evidence(graph, params.identifiers)
    if params.note_module_dicts:
        for module in graph.modules.values():
            for name, line in list(module.analysis.facts.get("module_dicts", {}).items())[:3]:
                found.notes.append(Evidence(message=f"module-level dict {name}: state lost on restart, not shared "
                                                    "between replicas", path=module.rel, line=line))
    return found


def file_findings(ctx: AuditContext, params: CapabilityParams) -> list[Evidence]:
    """Marker files and config lines, each with the strength its YAML entry gives it."""
    files = ctx.files
    settings = ctx.profile.static
    # Config and marker files count only where the service's own code would (not in tests, not in
    # examples or tutorials); listed once per audit, every capability check asks.
    own = ctx.shared("static.own_files", lambda: [
        entry for entry in files.files if not is_skipped_code(entry.rel, settings) and ctx.scope.in_scope(entry.rel)])
    answers = ctx.shared("static.own_files_by_glob", dict)  # several checks ask the same globs
    texts = ctx.shared("static.config_texts", ConfigTexts)
    found = []
    for marker in params.files:
        for entry in _matching(own, [marker.glob], answers):
            found.append(Evidence(message=f"{entry.rel} present", path=entry.rel,
                                  strength=EvidenceStrength(marker.strength)))
    for config in params.config:
        pattern = re.compile(config.pattern, re.MULTILINE)
        for entry in _matching(own, config.files, answers):
            text = texts.read(files, entry.rel)
            match = pattern.search(text) if text else None
            if match:
                line = text.count("\n", 0, match.start()) + 1
                found.append(Evidence(message=f"configured: {match.group(0).strip()[:120]}", path=entry.rel,
                                      line=line, strength=EvidenceStrength(config.strength)))
    return found


def _matching(entries: list, globs: list[str], answers: dict[tuple[str, ...], list]) -> list:
    """The entries one of `globs` matches: one compiled regex, not a match per glob per file (every
    capability check asks this of every file of the tree), and each answer kept for the audit."""
    if not globs:
        return []
    key = tuple(globs)
    if key not in answers:
        pattern = any_glob(key)
        answers[key] = [entry for entry in entries if pattern.match(entry.rel)]
    return answers[key]


class ConfigTexts:
    """Config files' text, read once per audit for all the checks that search them (three look for
    keys in every YAML, TOML and INI file). Up to MAX_KEPT_BYTES are kept; past that, re-read."""

    MAX_KEPT_BYTES = 64 * 1024 * 1024

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}
        self._kept = 0
        self._lock = threading.Lock()

    def read(self, files, rel: str) -> str | None:
        with self._lock:
            if rel in self._texts:
                return self._texts[rel]
        text = files.read_text(rel, limit=MAX_CONFIG_BYTES)
        with self._lock:
            size = len(text) if text else 0
            if self._kept + size <= self.MAX_KEPT_BYTES:
                self._texts[rel] = text
                self._kept += size
        return text


def stack_findings(ctx: AuditContext, params: CapabilityParams, found: CapabilityFindings) -> None:
    """Go, Node, Rust, Java and C++ evidence (polycaps): an import with a call through it is implemented
    (for `wired` calls: only on the request path, else declared), a direct go.mod, package.json or
    Cargo.toml dependency is declared; the files of those stacks count as read."""
    code = shared_analysis(ctx).polyglot_code()
    reach = ctx.shared("static.poly_request_names", lambda: RequestNames(code))
    implemented, constructed = stack_evidence(code, params.stacks, reach)
    found.implemented += implemented
    found.declared += constructed
    declared = ctx.shared("static.declared_modules", lambda: declared_modules(ctx.scoped_files))
    found.declared += declared_evidence(declared, params.stacks)
    found.coverage = found.coverage.with_stacks(params.stacks)


@register
class CodeCapability(Executor[CapabilityParams]):
    kind = "code_capability"
    Params = CapabilityParams
    description = ("Evidence that the service has a capability: a mechanism wired into the serving path (pass, "
                   "implemented), only declared (partial), only mentioned by a name or a stub (fail).")

    def timeout_s(self, params: CapabilityParams, ctx: AuditContext) -> float:
        return analysis_timeout(ctx)

    def run(self, spec: CheckSpec, params: CapabilityParams, ctx: AuditContext) -> Result:
        shared_analysis(ctx)
        found = code_findings(shared_graph(ctx), params)
        found.coverage = shared_coverage(ctx)
        for evidence in file_findings(ctx, params):
            (found.implemented if evidence.strength == EvidenceStrength.IMPLEMENTED else found.declared).append(evidence)
        declared = shared_dependencies(ctx)
        for name in params.dependencies:
            if normalise(name) in declared:
                path, line = declared[normalise(name)]
                found.declared.append(Evidence(message=f"declares {name}", path=path, line=line,
                                               strength=EvidenceStrength.DECLARED))
        if params.stacks:
            stack_findings(ctx, params, found)
        verdict = capability_verdict(found)
        metrics = {"implemented": len(found.implemented), "declared": len(found.declared),
                   "mentions": len(found.mentions), "files_read": found.coverage.read_files,
                   "unread_files": [path for path, _, _ in found.coverage.unread]}
        if verdict.status in (Status.NOT_APPLICABLE, Status.NOT_EVALUATED):
            return Result(check_id=spec.id, status=verdict.status, message=verdict.message,
                          evidence=list(verdict.evidence), metrics=metrics)
        return result(spec, verdict.status, verdict.message, evidence=list(verdict.evidence),
                      strength=verdict.strength, metrics=metrics)
