"""What a `make <target>` in a CI pipeline runs: read (never execute) the repository's Makefile.

A pipeline that runs `make check` tests only if the `check` target does: in many Go and Python
projects `check` is `check: precommit` (linters, formatters, generated-code diffs). So a make call
counts as running the tests only when the target's recipe, or the recipe of a prerequisite or of a
`$(MAKE) other` it calls (recursively, bounded), runs a test runner. Nothing is credited by a
target's name: a target that cannot be found, or a Makefile that is not in the tree, is not evidence.

The reading is deliberately small: rules (`a b: c d`, `a::`, pattern rules `test-%:`), recipe lines,
`include` of other makefiles, and one level of plain `VAR = value` expansion so that
`GO_TEST ?= go test` followed by `$(GO_TEST) ./...` is seen.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

from readyscore.files import FileIndex

MAKEFILE_NAMES = ("GNUmakefile", "makefile", "Makefile")
MAX_DEPTH = 6  # prerequisites and $(MAKE) calls followed from the target
MAX_INCLUDES = 8
MAX_BYTES = 512 * 1024
_RULE = re.compile(r"^([^\s:=#][^:=#]*?)\s*::?(?!=)\s*(.*)$")
_ASSIGN = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\?|:|::|\+|!)?=\s*(.*)$")
_TARGET_VARS = re.compile(r"^[^\s:=#][^:=#]*:\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*(?:\?|:|\+)?=")
_INCLUDE = re.compile(r"^\s*-?(?:include|sinclude)\s+(.+)$")
_VARIABLE = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]")
_MAKE_WORD = re.compile(r"^(?:\$[({]MAKE[)}]|g?make)$")
_CONDITIONALS = {"ifeq", "ifneq", "ifdef", "ifndef", "else", "endif"}
_COLLECT_ONLY = re.compile(r"\s--(collect-only|co)\b|\s--list\b")
_SEPARATORS = re.compile(r"&&|\|\||;|\||\(|\)|`|\$\(")
_ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PREFIX_WORDS = {"sudo", "time", "exec", "env", "nice", "run:", "-", "do", "then", "else"}
# Options of GNU make that take a separate argument.
_OPTION_ARGS = {"-C", "--directory", "-f", "--file", "--makefile", "-I", "--include-dir", "-o", "--old-file",
                "-W", "--what-if", "--new-file", "--assume-new", "--assume-old", "-l", "--load-average"}


@dataclass
class Rule:
    line: int
    prerequisites: list[str] = field(default_factory=list)
    recipe: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Makefile:
    path: str
    rules: dict[str, Rule] = field(default_factory=dict)
    patterns: list[tuple[str, Rule]] = field(default_factory=list)  # `test-%` rules, in order
    variables: dict[str, str] = field(default_factory=dict)
    default_goal: str | None = None

    def rule(self, target: str) -> Rule | None:
        if target in self.rules:
            return self.rules[target]
        for pattern, rule in self.patterns:
            prefix, _, suffix = pattern.partition("%")
            if target.startswith(prefix) and target.endswith(suffix) and len(target) >= len(pattern) - 1:
                return rule
        return None

    def expand(self, text: str) -> str:
        """One level of `$(VAR)` expansion (enough for `GO_TEST ?= go test`; values are not re-expanded)."""
        return _VARIABLE.sub(lambda m: self.variables.get(m.group(1), m.group(0)), text)


@dataclass
class MakeCall:
    """`make [-C dir] [-f file] target...` as a pipeline or a recipe spells it."""
    targets: list[str]
    directory: str | None = None
    file: str | None = None
    dry_run: bool = False


def _logical_lines(text: str):
    """(first line number, joined text) with backslash continuations folded."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        yield start, pending + raw
        pending = ""
    if pending:
        yield start, pending


def parse(path: str, text: str) -> Makefile:
    makefile = Makefile(path)
    current: list[Rule] = []
    in_define = False
    for number, line in _logical_lines(text[:MAX_BYTES]):
        word = line.strip().split(" ", 1)[0]
        if in_define:
            in_define = word != "endef"
            continue
        if word in ("define", "override") and line.strip().startswith(("define ", "override define ")):
            in_define = True
            continue
        if not line.startswith("\t") and word in _CONDITIONALS:
            continue  # `ifeq` … `endif` around recipe lines: the recipe goes on
        if line.startswith("\t"):
            command = line.strip()
            if command and not command.startswith("#"):
                for rule in current:
                    rule.recipe.append((number, command))
            continue
        stripped = line.split("#", 1)[0].rstrip() if "\\#" not in line else line.rstrip()
        if not stripped.strip():
            continue
        if _TARGET_VARS.match(stripped):
            continue  # `helm-test: TAG = v9.9.9`: a target-specific variable, not a rule
        assign = _ASSIGN.match(stripped)
        if assign and ":" not in stripped.split("=", 1)[0].rstrip(":?+!"):
            makefile.variables.setdefault(assign.group(1), assign.group(2).strip())
            current = []
            continue
        rule_match = _RULE.match(stripped)
        if rule_match is None:
            current = []
            continue
        targets = rule_match.group(1).split()
        prerequisites, _, inline = rule_match.group(2).partition(";")
        rules = []
        for target in targets:
            rule = Rule(number)
            rule.prerequisites = prerequisites.replace("|", " ").split()  # order-only ones run too
            if inline.strip():
                rule.recipe.append((number, inline.strip()))
            if "%" in target:
                makefile.patterns.append((target, rule))
            else:
                existing = makefile.rules.get(target)
                if existing is not None:  # `precommit: ## doc` then `precommit: a b`: one target, merged
                    existing.prerequisites += rule.prerequisites
                    existing.recipe += rule.recipe
                    rule = existing
                else:
                    makefile.rules[target] = rule
                if makefile.default_goal is None and not target.startswith("."):
                    makefile.default_goal = target
            rules.append(rule)
        current = rules
    return makefile


def includes(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        match = _INCLUDE.match(line)
        if match:
            found += [word for word in match.group(1).split("#", 1)[0].split() if "$" not in word and "*" not in word]
    return found


def make_calls(command: str) -> list[MakeCall]:
    """The make invocations of one shell command line: `make` at a command position (after `&&`, `;`,
    a pipe or an env assignment), so `apt-get install make` and `for t in git make` are not calls."""
    calls = []
    command = re.sub(r"\$[({]MAKE[)}]", "make", command)  # before `$(` splits command substitutions
    for segment in _SEPARATORS.split(command):
        try:
            words = shlex.split(segment, comments=True)
        except ValueError:
            words = segment.split()
        while words and (words[0] in _PREFIX_WORDS or _ENV_ASSIGN.match(words[0])):
            words = words[1:]
        if not words or not _MAKE_WORD.match(words[0]):
            continue
        call, rest = MakeCall([]), iter(words[1:])
        for word in rest:
            option, _, value = word.partition("=")
            if word in _OPTION_ARGS:
                value = next(rest, "")
                option = word
            elif word.startswith("-C") and len(word) > 2:
                option, value = "-C", word[2:]
            elif word.startswith("-f") and len(word) > 2 and not word.startswith("--"):
                option, value = "-f", word[2:]
            elif word in ("-n", "--dry-run", "--just-print", "--recon", "-q", "--question"):
                call.dry_run = True  # prints or checks the commands, runs none
            elif word.startswith("-"):
                continue  # -j5, --jobs=5, -k, --output-sync=target ...
            elif "=" in word:
                continue  # VAR=value
            else:
                call.targets.append(word)
                continue
            if option in ("-C", "--directory"):
                call.directory = value
            elif option in ("-f", "--file", "--makefile"):
                call.file = value
        if "$" in " ".join(call.targets):
            call.targets = [t for t in call.targets if "$" not in t] or ["$"]
        calls.append(call)
    return calls


@dataclass
class Verdict:
    runs_tests: bool
    detail: str  # what was found, for the evidence message
    path: str | None = None
    line: int | None = None


class MakeReader:
    """Reads makefiles from the audited tree on demand (each once per audit)."""

    def __init__(self, files: FileIndex | None, runner: re.Pattern[str]):
        self.files = files
        self.runner = runner
        self._parsed: dict[str, Makefile | None] = {}

    def makefile(self, folder: str, name: str | None = None) -> Makefile | None:
        folder = posixpath.normpath(folder) if folder else "."
        if folder.startswith(("..", "/")) or self.files is None:
            return None
        names = [name] if name else list(MAKEFILE_NAMES)
        for candidate in names:
            rel = posixpath.normpath(posixpath.join(folder, candidate))
            if rel in self._parsed:
                return self._parsed[rel]
            if self.files.exists(rel):
                self._parsed[rel] = self._load(rel)
                return self._parsed[rel]
        return None

    def _load(self, rel: str) -> Makefile | None:
        text = self.files.read_text(rel, limit=MAX_BYTES)
        if text is None:
            return None
        makefile = parse(rel, text)
        base = posixpath.dirname(rel)
        for name in includes(text)[:MAX_INCLUDES]:
            included = posixpath.normpath(posixpath.join(base, name))
            other = self.files.read_text(included, limit=MAX_BYTES) if self.files.exists(included) else None
            if other is None:
                continue
            extra = parse(included, other)
            for target, rule in extra.rules.items():
                makefile.rules.setdefault(target, rule)
            makefile.patterns += extra.patterns
            for key, value in extra.variables.items():
                makefile.variables.setdefault(key, value)
        return makefile

    def judge(self, call: MakeCall, workdir: str) -> Verdict:
        """Does this make call run a test runner? Never by the target's name alone."""
        folder = posixpath.join(workdir or ".", call.directory) if call.directory else (workdir or ".")
        file_name = None
        if call.file:
            folder, file_name = posixpath.split(posixpath.join(folder, call.file))
        if call.dry_run:
            return Verdict(False, "a dry run (`make -n`) runs no commands")
        makefile = self.makefile(folder, file_name)
        shown = posixpath.normpath(posixpath.join(folder, file_name or "Makefile"))
        if makefile is None:
            return Verdict(False, f"no {shown} in the tree to say what it runs")
        targets = call.targets or ([makefile.default_goal] if makefile.default_goal else [])
        if not targets or targets == ["$"]:
            return Verdict(False, "the target is set by a variable; what it runs is not known")
        missing = []
        for target in targets:
            found = self._runs(makefile, target, set(), 0)
            if found is not None:
                return found
            if makefile.rule(target) is None:
                missing.append(target)
        if missing:
            return Verdict(False, f"no `{missing[0]}` target in {makefile.path}")
        return Verdict(False, f"`{' '.join(targets)}` in {makefile.path} runs no test runner "
                              "(its recipe and prerequisites were read)")

    def _runs(self, makefile: Makefile, target: str, seen: set[tuple[str, str]], depth: int) -> Verdict | None:
        if depth > MAX_DEPTH or (makefile.path, target) in seen:
            return None
        seen.add((makefile.path, target))
        rule = makefile.rule(target)
        if rule is None:
            return None
        for number, command in rule.recipe:
            if command.lstrip("@-+ ").startswith(("echo ", "printf ", "$(info", "$(warning")):
                continue
            expanded = makefile.expand(command.lstrip("@-+ "))
            match = self.runner.search(expanded)
            if match and _COLLECT_ONLY.search(expanded):
                match = None  # `pytest --collect-only` lists the tests (kserve's e2e-collect), runs none
            if match:
                shown = match.group(0).rstrip(" -./")
                return Verdict(True, f"`{target}` in {makefile.path} runs `{shown}`", makefile.path, number)
            for call in make_calls(expanded):
                if call.dry_run:
                    continue
                folder = posixpath.dirname(makefile.path)
                other = makefile if not (call.directory or call.file) else None
                if other is None:
                    sub = posixpath.join(folder, call.directory) if call.directory else folder
                    name = None
                    if call.file:
                        sub, name = posixpath.split(posixpath.join(sub, call.file))
                    other = self.makefile(sub, name)
                if other is None:
                    continue
                for sub_target in call.targets or ([other.default_goal] if other.default_goal else []):
                    found = self._runs(other, sub_target, seen, depth + 1)
                    if found is not None:
                        return found
        for prerequisite in rule.prerequisites:
            found = self._runs(makefile, makefile.expand(prerequisite), seen, depth + 1)
            if found is not None:
                return found
        return None
