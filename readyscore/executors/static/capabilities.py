"""Capability evidence: which production capabilities the service's code really has.

A capability check is data: the imports, qualified names, keyword arguments, identifiers, headers
read, files and config lines that prove it, and the distributions that declare it. Use in the
code passes with strength `implemented`, citing file and line; a dependency that is only declared
earns `partial` with strength `declared`; nothing at all fails.
"""

from __future__ import annotations

import re

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from readyscore.executors.base import AuditContext, Executor, result
from readyscore.executors.registry import register
from readyscore.executors.static.analysis import FileAnalysis, analysis_timeout, shared_analysis
from readyscore.executors.static.dependencies import normalise, shared_dependencies
from readyscore.executors.static.polycaps import StackEvidence, declared_evidence, declared_modules, stack_evidence
from readyscore.executors.static.sources import is_skipped_code
from readyscore.files import glob_to_regex
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status

MAX_EVIDENCE = 10
MAX_CONFIG_BYTES = 512 * 1024
DERIVED_MESSAGES = {"max-tokens-cap": "bounds max_tokens on the server side"}


class ConfigEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: list[str] = Field(min_length=1, description="globs of config files (nginx, gateway, ingress ...)")
    pattern: str = Field(description="a regex one of their lines must match")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value


class CapabilityParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    what: str = Field(description="the capability, for messages ('rate limiting')")
    imports: list[str] = Field(default_factory=list, description="modules (and their submodules) whose import proves it")
    uses: list[str] = Field(default_factory=list, description="qualified names (or prefixes) used in code")
    call_keywords: dict[str, list[str]] = Field(
        default_factory=dict, description="qualified callable -> keyword arguments that prove it when passed")
    keywords: list[str] = Field(default_factory=list, description="keyword arguments passed to any call")
    identifiers: list[str] = Field(default_factory=list,
                                   description="regexes matched (whole, lower case) against names, attributes and keys")
    headers: list[str] = Field(default_factory=list, description="request headers the code reads itself")
    files: list[str] = Field(default_factory=list, description="globs whose presence proves it (alembic.ini)")
    config: list[ConfigEvidence] = Field(default_factory=list)
    derived: list[Literal["max-tokens-cap"]] = Field(
        default_factory=list, description="facts that need reasoning over the code (see pyfacts.derived_facts)")
    dependencies: list[str] = Field(default_factory=list, description="distributions that declare it")
    # Go, Node, Rust, Java and C++ services: modules and calls per stack (polycaps.StackEvidence).
    stacks: dict[Literal["node", "go", "rust", "java", "cpp"], StackEvidence] = Field(default_factory=dict)
    # Persistence: point at module-level dicts when nothing durable is found.
    note_module_dicts: bool = False

    @field_validator("identifiers")
    @classmethod
    def _compile(cls, values: list[str]) -> list[str]:
        for value in values:
            re.compile(value)
        return values


def _prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def code_evidence(modules: list[FileAnalysis], params: CapabilityParams) -> list[Evidence]:
    imports, uses = set(params.imports), set(params.uses)
    keywords = {k.lower() for k in params.keywords}
    headers = {h.lower() for h in params.headers}
    identifier = re.compile("|".join(f"(?:{p})" for p in params.identifiers)) if params.identifiers else None
    found: list[Evidence] = []

    def add(module: FileAnalysis, line: int, message: str) -> None:
        found.append(Evidence(message=message, path=module.source.rel, line=line,
                              strength=EvidenceStrength.IMPLEMENTED))

    for module in modules:
        facts = module.facts
        before = len(found)
        for name, line in facts.get("imports", {}).items():
            hit = next((p for p in _prefixes(name) if p in imports), None)
            if hit:
                add(module, line, f"imports {name}")
        for name, line in facts.get("refs", {}).items():
            hit = next((p for p in _prefixes(name) if p in uses), None)
            if hit:
                add(module, line, f"uses {name}")
        for call, wanted in params.call_keywords.items():
            for keyword, line in facts.get("kwcalls", {}).get(call, {}).items():
                if keyword in wanted:
                    add(module, line, f"{call}({keyword}=...)")
        for keyword in keywords & set(facts.get("keywords", {})):
            add(module, facts["keywords"][keyword], f"passes {keyword}=...")
        for fact in params.derived:
            if fact in facts.get("derived", {}):
                add(module, facts["derived"][fact], DERIVED_MESSAGES[fact])
        for header in headers & set(facts.get("headers", {})):
            add(module, facts["headers"][header], f"reads the {header} header")
        if identifier is not None:
            for name, line in facts.get("idents", {}).items():
                if identifier.fullmatch(name):
                    add(module, line, f"names {name}")
                    break  # one identifier per file is enough; they repeat
        # Strongest first inside a file, one line per kind of evidence.
        if len(found) - before > 3:
            found[before:] = found[before:before + 3]
    return found


def _matching(entries: list, globs: list[str]) -> list:
    """The entries one of `globs` matches: one compiled regex, not a match per glob per file (every
    capability check asks this of every file of the tree)."""
    if not globs:
        return []
    pattern = re.compile("|".join(f"(?:{glob_to_regex(glob).pattern})" for glob in globs))
    return [entry for entry in entries if pattern.match(entry.rel)]


@register
class CodeCapability(Executor[CapabilityParams]):
    kind = "code_capability"
    Params = CapabilityParams
    description = ("Evidence that the service has a capability: used in code (implemented, with file and line), "
                   "only declared as a dependency (partial), or absent (fail).")

    def timeout_s(self, params: CapabilityParams, ctx: AuditContext) -> float:
        return analysis_timeout(ctx)

    def run(self, spec: CheckSpec, params: CapabilityParams, ctx: AuditContext) -> Result:
        analysis = shared_analysis(ctx)
        modules = analysis.python_code()
        evidence = code_evidence(modules, params)
        polyglot = analysis.polyglot_code() if params.stacks else []
        evidence += stack_evidence(polyglot, params.stacks)
        files = ctx.files
        settings = ctx.profile.static
        # Config and marker files count only where the service's own code would (not in tests).
        own = ctx.shared("static.own_files", lambda: [
            entry for entry in files.files if not is_skipped_code(entry.rel, settings) and ctx.scope.in_scope(entry.rel)])
        for entry in _matching(own, params.files):
            evidence.append(Evidence(message=f"{entry.rel} present", path=entry.rel,
                                     strength=EvidenceStrength.IMPLEMENTED))
        for config in params.config:
            pattern = re.compile(config.pattern, re.MULTILINE)
            for entry in _matching(own, config.files):
                text = files.read_text(entry.rel, limit=MAX_CONFIG_BYTES)
                match = pattern.search(text) if text else None
                if match:
                    line = text.count("\n", 0, match.start()) + 1
                    evidence.append(Evidence(message=f"configured: {match.group(0).strip()[:120]}", path=entry.rel,
                                             line=line, strength=EvidenceStrength.IMPLEMENTED))
        if evidence:
            files_hit = sorted({e.path for e in evidence if e.path})
            first = evidence[0]
            where = f"{first.path}:{first.line}" if first.line else first.path
            return result(spec, Status.PASS, f"{params.what}: {first.message} ({where})"
                          + (f" and {len(evidence) - 1} more in {len(files_hit)} file(s)" if len(evidence) > 1 else ""),
                          evidence=evidence[:MAX_EVIDENCE], strength=EvidenceStrength.IMPLEMENTED,
                          metrics={"evidence": len(evidence), "files": len(files_hit)})
        declared = shared_dependencies(ctx)
        hits = [(name, declared[normalise(name)]) for name in params.dependencies if normalise(name) in declared]
        if hits:
            return result(spec, Status.PARTIAL,
                          f"{params.what}: only declared as a dependency ({', '.join(n for n, _ in hits[:4])}); "
                          "no use found in the code",
                          evidence=[Evidence(message=f"declares {name}", path=where[0], line=where[1],
                                             strength=EvidenceStrength.DECLARED) for name, where in hits[:MAX_EVIDENCE]],
                          strength=EvidenceStrength.DECLARED)
        if params.stacks:
            stack_declared = declared_evidence(
                ctx.shared("static.declared_modules", lambda: declared_modules(ctx.scoped_files)), params.stacks)
            if stack_declared:
                return result(spec, Status.PARTIAL,
                              f"{params.what}: only declared as a dependency ({', '.join(e.message[9:] for e in stack_declared[:4])}); "
                              "no use found in the code", evidence=stack_declared[:MAX_EVIDENCE],
                              strength=EvidenceStrength.DECLARED)
        if not modules and not polyglot:
            # Capability evidence is read from Python code; a service in another language is not
            # shown to lack it.
            return Result.not_evaluated(spec.id, f"no Python source of the service's own to look for {params.what} in")
        notes: list[Evidence] = []
        if params.note_module_dicts:
            for module in modules:
                for name, line in list(module.facts.get("module_dicts", {}).items())[:3]:
                    notes.append(Evidence(message=f"module-level dict {name}: state lost on restart, not shared "
                                                  "between replicas", path=module.source.rel, line=line))
        extra = "; state is kept in module-level dicts" if notes else ""
        return result(spec, Status.FAIL, f"no evidence of {params.what} in {len(modules)} Python file(s) "
                                         + (f"and {len(polyglot)} Go/Node/Rust/Java/C++ file(s) " if polyglot else "")
                                         + 
                                         f"or the declared dependencies{extra}", evidence=notes[:MAX_EVIDENCE])
