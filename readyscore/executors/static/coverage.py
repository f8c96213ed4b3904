"""What the code checks could read of the service's own code, gathered once per audit.

A check that found nothing can only say so about the files it read. This collector counts the
service's code the static checks read (Python; Go, JavaScript/TypeScript, Rust, Java and C++ for
the capability checks whose YAML has `stacks:` for them), names the files they could not read or
parse, and notes code in languages they do not read, so every verdict can say what it rests on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from readyscore.executors.base import AuditContext
from readyscore.executors.static.analysis import shared_analysis
from readyscore.executors.static.service_graph import shared_graph
from readyscore.executors.static.sources import is_skipped_code

# The unread share above which a verdict that rests on absence is only partial.
MATERIAL_UNREAD_SHARE = 0.10
# A check that found nothing judges no absence when the service's code in languages it does not read
# outnumbers what it read this many times over and the Python read serves no route: anything-llm's
# Node server (over 1,100 files) is not "without a max_tokens cap" because its 3 Python scripts pass none,
# while langserve's 13 Python files, which serve its API beside a 28-file TypeScript playground, are
# its service.
OTHER_LANGUAGE_MAJORITY = 2
# Source code the static checks do not read (yet). A tree with none of these and no Python holds
# no code at all.
OTHER_CODE_SUFFIXES = {
    ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".jsx": "JavaScript", ".ts": "TypeScript",
    ".tsx": "TypeScript", ".mts": "TypeScript", ".go": "Go", ".rs": "Rust", ".java": "Java", ".kt": "Kotlin",
    ".scala": "Scala", ".rb": "Ruby", ".php": "PHP", ".cs": "C#", ".c": "C", ".cc": "C++", ".cpp": "C++",
    ".cxx": "C++", ".hpp": "C++", ".cts": "TypeScript", ".swift": "Swift", ".ex": "Elixir", ".exs": "Elixir",
}
# The languages a capability check's `stacks:` entry reads (polyglot.STACK), as named above.
STACK_LANGUAGES = {"node": ("JavaScript", "TypeScript"), "go": ("Go",), "rust": ("Rust",), "java": ("Java",),
                   "cpp": ("C++",)}


@dataclass(frozen=True)
class CodeCoverage:
    read_files: int = 0
    read_bytes: int = 0
    unread: tuple[tuple[str, str, int], ...] = ()  # (path, why, bytes)
    other_languages: dict[str, int] = field(default_factory=dict)  # language -> files of the service's code
    # Files of those languages that were parsed (ast-grep); read only by a check with `stacks:` for them.
    parsed_other: dict[str, int] = field(default_factory=dict)
    read_languages: dict[str, int] = field(default_factory=dict)  # language -> files this verdict rests on
    python_serves: bool = True  # the Python read holds a route (asked only when other languages dominate)

    def with_stacks(self, stacks: object) -> CodeCoverage:
        """The coverage of a check that also reads these stacks: their parsed files are read, the rest
        of their files stay in other_languages (not read), so nothing read still says not_evaluated."""
        languages = {lang for stack in stacks for lang in STACK_LANGUAGES.get(stack, ())}
        parsed = {lang: n for lang, n in self.parsed_other.items() if lang in languages and n}
        other = {lang: n - parsed.get(lang, 0) for lang, n in self.other_languages.items()}
        read = dict(self.read_languages)
        read.update(parsed)
        return replace(self, read_files=self.read_files + sum(parsed.values()),
                       other_languages={lang: n for lang, n in other.items() if n > 0}, read_languages=read)

    def read_note(self) -> str:
        """'12 Python file(s)', or '3 Python file(s) and 40 Go file(s)'."""
        counts = {lang: n for lang, n in self.read_languages.items() if n and lang != "Python"}
        python = self.read_files - sum(counts.values())
        parts = [f"{python} Python file(s)"] if python or not counts else []
        parts += [f"{n} {lang} file(s)" for lang, n in sorted(counts.items())]
        return " and ".join(parts)

    @property
    def unread_bytes(self) -> int:
        return sum(size for _, _, size in self.unread)

    @property
    def unread_share(self) -> float:
        """The larger of the unread share of files and of bytes."""
        files = len(self.unread) / (self.read_files + len(self.unread)) if self.unread else 0.0
        total = self.read_bytes + self.unread_bytes
        size = self.unread_bytes / total if total else 0.0
        return max(files, size)

    @property
    def material(self) -> bool:
        return self.unread_share > MATERIAL_UNREAD_SHARE

    @property
    def no_code(self) -> bool:
        """No code of the service in any language: there is truly nothing to judge."""
        return not self.read_files and not self.unread and not self.other_languages

    @property
    def mostly_other_languages(self) -> bool:
        """The service's code is in languages this check does not read: they outnumber what it read,
        and the Python it read serves no route."""
        return not self.python_serves and _dominated(self.other_languages, self.read_files)

    def unread_note(self, limit: int = 5) -> str:
        if not self.unread:
            return ""
        names = ", ".join(f"{path} ({why})" for path, why, _ in self.unread[:limit])
        more = f" and {len(self.unread) - limit} more" if len(self.unread) > limit else ""
        return f"could not read {len(self.unread)} of {self.read_files + len(self.unread)} Python file(s): {names}{more}"

    def why_not_read(self) -> str:
        """Why nothing was judged, for a not_evaluated verdict."""
        if self.unread:
            return f"none of the service's Python code could be read: {self.unread_note()}"
        languages = ", ".join(f"{lang} ({n} file(s))" for lang, n in sorted(self.other_languages.items()))
        read = ", ".join(["Python", *sorted(lang for lang in self.read_languages if lang != "Python")])
        if self.read_files:
            return (f"most of the service's code is in {languages}, which this check does not read; it read "
                    f"only {self.read_note()}")
        return f"the service's code is in {languages}, which this check does not read ({read} only)"


def collect_coverage(ctx: AuditContext) -> CodeCoverage:
    analysis = shared_analysis(ctx)
    modules = analysis.python_code()
    settings = ctx.profile.static
    languages: Counter = Counter()
    for entry in ctx.files.files:
        suffix = _suffix(entry.rel)
        if suffix in OTHER_CODE_SUFFIXES and not is_skipped_code(entry.rel, settings) and ctx.scope.in_scope(entry.rel):
            languages[OTHER_CODE_SUFFIXES[suffix]] += 1
    parsed: Counter = Counter(OTHER_CODE_SUFFIXES.get(_suffix(m.source.rel), "?") for m in analysis.polyglot_code())
    # Built only when other languages dominate: the service graph is shared with the capability checks.
    serves = not modules or not _dominated(languages, len(modules)) or _python_serves(ctx)
    return CodeCoverage(read_files=len(modules),
                        read_bytes=sum(len(m.source.text.encode("utf-8", "replace")) for m in modules),
                        unread=tuple(sorted(analysis.unread_code)), other_languages=dict(languages),
                        parsed_other=dict(parsed), read_languages={"Python": len(modules)} if modules else {},
                        python_serves=serves)


def _dominated(other_languages: dict[str, int], read_files: int) -> bool:
    return sum(other_languages.values()) > OTHER_LANGUAGE_MAJORITY * read_files


def _python_serves(ctx: AuditContext) -> bool:
    return "route" in shared_graph(ctx).roots.values()


def _suffix(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def shared_coverage(ctx: AuditContext) -> CodeCoverage:
    return ctx.shared("static.code_coverage", lambda: collect_coverage(ctx))
