"""The one pass over the tree that the syntax-tree and secrets checks share.

Each Python file is parsed once; from that tree come the capability facts, the hazards and the
secret-named literals. Every other text file is scanned for secrets. Each file's outcome is cached
by content hash, so a warm run reads the cache instead of parsing. Findings are positions, not
values: the values are read back from the file text in memory and registered with the audit's
redactor, so no report format can show them.
"""

from __future__ import annotations

import ast
import hashlib
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from readyscore.executors.base import AuditContext
from readyscore.executors.static.bandit_run import BANDIT_CHECKS, start_bandit_in_background
from readyscore.executors.static.cache import ResultCache, namespace
from readyscore.executors.static.hazards import find_hazards, raised_with_text
from readyscore.executors.static.pyfacts import Aliases, Nodes, extract_facts
from readyscore.executors.static import polyglot, wiring_facts
from readyscore.executors.static.polyglot import language_of
from readyscore.executors.static.secret_rules import scan_bindings, scan_python, scan_text
from readyscore.executors.static.wiring_facts import extract_wiring
from readyscore.executors.static.sources import SourceFile, SourceSet, shared_sources
from readyscore.redact import mask

# Bump when what a file's analysis contains changes: old cache entries are then ignored.
ANALYSER_VERSION = 19  # 19: instance attributes; 18: class-based views; 17: secrets inside Rust test modules; 16: a parameter passed on as max_tokens is its caller's number; 15: secret names and values (progress tokens, Envoy operators, numbered words); 14: max_tokens from a route's request or converted is the client's; 13: decorators' keyword arguments; 10: blocking-in-async hazard; 11: raised_with_text; 12: constant SQL text; past 6 (real-repos), 7 (cap-strength), 8; 9: polywiring facts (poly-wiring)
DOC_SUFFIXES = (".md", ".mdx", ".rst", ".txt", ".html", ".htm", ".adoc", ".ipynb", ".csv", ".tsv", ".xml")
# Folders of UI translations (anything-llm's frontend/src/locales/de/common.js, an i18n/ tree).
LOCALE_DIRS = {"locales", "locale", "i18n", "l10n", "translations"}
EXAMPLE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".tpl.env")
# Where an unquoted value is an expression, a reference or a number, never a literal string.
QUOTED_CONFIG_SUFFIXES = (".tf", ".tfvars", ".hcl", ".toml", ".json", ".jsonc")
CONFIG_SUFFIXES = (".yaml", ".yml", ".env", ".ini", ".cfg", ".conf", ".properties", ".sh", ".bash", ".service")
MAX_NODES = 2_000_000  # a pathological module (deeply nested, generated) is not analysed


@dataclass
class FileAnalysis:
    source: SourceFile
    data: dict[str, Any]
    _lines: list[str] | None = field(default=None, repr=False)

    @property
    def facts(self) -> dict[str, Any]:
        return self.data.get("facts") or {}

    @property
    def hazards(self) -> list[dict[str, Any]]:
        return self.data.get("hazards") or []

    @property
    def raised_with_text(self) -> list[str]:
        return self.data.get("raised_with_text") or []

    @property
    def secrets(self) -> list[dict[str, Any]]:
        return self.data.get("secrets") or []

    def line_text(self, line: int) -> str:
        if self._lines is None:
            self._lines = self.source.text.split("\n")  # the numbering the scanners use
        return self._lines[line - 1].rstrip("\r") if 0 < line <= len(self._lines) else ""

    def secret_value(self, finding: dict[str, Any]) -> str:
        return self.line_text(finding["line"])[finding["start"]:finding["end"]]

    def snippet(self, line: int, secrets: list[str] | None = None) -> str:
        text = self.line_text(line).strip()
        for value in secrets or []:
            text = text.replace(value, mask(value))
        return text[:200]


@dataclass
class Analysis:
    files: list[FileAnalysis] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    cache_hits: int = 0
    seconds: float = 0.0
    cache_problem: str | None = None
    # The service's own Python files that could not be read or parsed: (path, why, size in bytes).
    unread_code: list[tuple[str, str, int]] = field(default_factory=list)

    def code(self) -> list[FileAnalysis]:
        return [f for f in self.files if f.source.is_code]

    def polyglot_code(self) -> list[FileAnalysis]:
        """The service's own JavaScript/TypeScript, Go, Rust, Java and C++ (parsed with ast-grep)."""
        return [f for f in self.files if f.source.is_code and f.source.in_scope and "polyfacts" in f.data]

    def python_code(self) -> list[FileAnalysis]:
        """The service's own Python: examples, tutorials and benchmarks do not decide readiness."""
        return [f for f in self.files
                if f.source.is_code and f.source.in_scope and f.source.is_python and "facts" in f.data]

    def all_secret_values(self) -> list[str]:
        """Values of real-looking secrets. Weak defaults ("changeme", "secret") are well-known words:
        registering them with the redactor would mask ordinary words all over the report."""
        return [f.secret_value(s) for f in self.files for s in f.secrets if s["kind"] == "secret"]


def _file_kind(source: SourceFile) -> str:
    return file_kind(source.rel, source.is_python)


def file_kind(rel: str, is_python: bool = False) -> str:
    """How a file is read for secrets: python, code (parsed), doc, example, config (key = value
    lines; `config-quoted` where only a quoted value is a literal), locale (a translation: provider formats
only) or other (provider formats only)."""
    if is_python:
        return "python"
    lowered = rel.lower()
    name = lowered.rsplit("/", 1)[-1]
    if lowered.endswith(EXAMPLE_SUFFIXES) or any(f".{word}." in name for word in ("example", "sample", "template")):
        return "example"
    if lowered.endswith(DOC_SUFFIXES):
        return "doc"
    if LOCALE_DIRS & set(lowered.split("/")[:-1]):
        return "locale"  # translations are UI text: "password": "Kontopasswort" labels a field
    if language_of(rel):
        return "code"
    if lowered.endswith(QUOTED_CONFIG_SUFFIXES):
        return "config-quoted"
    if (lowered.endswith(CONFIG_SUFFIXES) or name.startswith((".env", "dockerfile", "containerfile"))
            or name.endswith((".env", ".dockerfile"))):
        return "config"
    return "other"


def analyse_text(source: SourceFile) -> dict[str, Any]:
    kind = _file_kind(source)
    if kind in ("doc", "example", "other", "locale"):
        # Docs and example files hold example values: provider formats only (and, in example files,
        # settings, kept apart as example values); connection URLs in docs are examples. A
        # translation's values are UI text: provider formats only, and a key found there is no
        # example (hazard_checks routes it as a key in code).
        return {"secrets": scan_text(source.text, structured=kind == "example", urls=kind == "example")}
    if kind in ("config", "config-quoted"):
        return {"secrets": scan_text(source.text, structured=True, quoted_only=kind == "config-quoted")}
    if kind == "code":
        secrets = scan_text(source.text, structured=False)
        try:
            parsed = polyglot.analyse(source.text, source.rel)
        except (RuntimeError, ValueError, RecursionError) as exc:  # ast-grep raises RuntimeError on what it cannot read
            return {"secrets": secrets, "error": f"does not parse: {type(exc).__name__}"}
        if parsed is None:
            return {"secrets": secrets}
        found = sorted(secrets + scan_bindings(parsed["bindings"], source.text), key=lambda f: (f["line"], f["start"]))
        for secret in found:  # in a Rust test module: a test's fixture, as a tests/ file's would be
            if any(first <= secret["line"] <= last for first, last in parsed.get("test_lines", ())):
                secret["in_test"] = True
        data = {"secrets": found}
        if source.is_code:
            data["polyfacts"] = parsed["facts"]
        return data
    secrets = scan_text(source.text, structured=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in audited code are not ours to report
            tree = ast.parse(source.text, filename=source.rel)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None)
        return {"secrets": secrets, "error": f"does not parse: {type(exc).__name__}" + (f" at line {line}" if line else "")}
    try:
        nodes = Nodes(tree)  # walked once; every analyser reads the node types it needs
        if nodes.count > MAX_NODES:
            return {"secrets": secrets, "error": "too many syntax nodes to analyse"}
        data = {"secrets": sorted(secrets + scan_python(nodes, source.text), key=lambda f: (f["line"], f["start"]))}
        if source.is_code:
            aliases = Aliases(nodes)
            data["facts"] = {**extract_facts(tree, aliases, nodes), "wiring": extract_wiring(tree, aliases, nodes)}
            data["hazards"] = find_hazards(tree, aliases, nodes, source.rel)
            if raised := raised_with_text(nodes):
                data["raised_with_text"] = raised
        return data
    except RecursionError:
        return {"secrets": secrets, "error": "nested too deeply to analyse"}


@lru_cache(maxsize=1)
def analyser_fingerprint() -> str:
    """A hash of the analysers' own source: the cache is shared by every readyscore on the machine
    (branches, versions), and two of them may carry the same ANALYSER_VERSION with different rules."""
    from readyscore.executors.static import (  # noqa: PLC0415 - their files
        blocking,
        hazards,
        polyshapes,
        polywiring,
        pyfacts,
        secret_rules,
        sql_text,
    )

    digest = hashlib.blake2b(digest_size=8)
    for module in (sys.modules[__name__], blocking, hazards, pyfacts, secret_rules, sql_text, polyglot, wiring_facts,
                   polywiring, polyshapes):
        try:
            digest.update(Path(module.__file__).read_bytes())
        except (OSError, TypeError):
            digest.update(str(module.__name__).encode())
    return digest.hexdigest()


def run_analysis(ctx: AuditContext, sources: SourceSet) -> Analysis:
    started = time.monotonic()
    analysis = Analysis(skipped=Counter(sources.skipped), unread_code=list(sources.unread_code))
    cache = ResultCache.default(ctx.profile.static.cache)
    try:
        keys = {id(s): f"{_file_kind(s)}:{int(s.is_code)}:{s.digest}" for s in sources.files}
        ns = namespace("analysis", ANALYSER_VERSION, analyser_fingerprint())
        cached = cache.get_many(ns, list(keys.values()))
        fresh: dict[str, Any] = {}
        for source in sources.files:
            ctx.check_cancelled()
            key = keys[id(source)]
            data = cached.get(key)
            if data is None:
                data = analyse_text(source)
                fresh[key] = data
            else:
                analysis.cache_hits += 1
            if data.get("error"):
                analysis.skipped[f"python that {data['error'].split(':')[0]}"] += 1
                # The service's own Python (coverage counts Python; other languages' parse failures
                # leave them among the files not read).
                if source.is_code and source.is_python and source.in_scope:
                    analysis.unread_code.append((source.rel, data["error"], len(source.text.encode("utf-8", "replace"))))
            analysis.files.append(FileAnalysis(source, data))
        cache.put_many(ns, fresh)
    finally:
        analysis.cache_problem = cache.error
        cache.close()
    for value in analysis.all_secret_values():
        ctx.redactor.add(value)
    analysis.seconds = time.monotonic() - started
    return analysis


def analysis_timeout(ctx: AuditContext) -> float:
    """A large tree read cold takes longer than one ordinary check may; it gets bandit's budget."""
    return max(ctx.options.check_timeout_s, ctx.profile.static.bandit_timeout_s)


def prefetch_bandit(ctx: AuditContext) -> None:
    """Start the shared bandit run in the background (its checks pick the result up), unless the
    profile turned every bandit check off. The engine has usually started it already (through the
    bandit checks' `prefetch`); this covers a static check run on its own."""
    settings = ctx.profile.static
    overrides = ctx.profile.checks
    if not settings.prefetch_bandit or ctx.root is None:
        return
    if all(check in overrides and not overrides[check].enabled for check in BANDIT_CHECKS):
        return
    start_bandit_in_background(ctx)


def shared_analysis(ctx: AuditContext) -> Analysis:
    def compute() -> Analysis:
        prefetch_bandit(ctx)
        analysis = run_analysis(ctx, shared_sources(ctx))
        ctx.sections.setdefault("static", {})["analysis"] = {
            "files_read": len(analysis.files),
            "python_files_analysed": len(analysis.python_code()),
            "cache_hits": analysis.cache_hits,
            "skipped": dict(analysis.skipped),
            "seconds": round(analysis.seconds, 2),
            "cache_problem": analysis.cache_problem,
        }
        return analysis
    return ctx.shared("static.analysis", compute)
