"""Which files of the audited tree the static checks read, read once and hashed.

`ctx.files` already skips symlinks, .git, virtual environments and node_modules. On top of that,
the static settings say what is not the service's own code (tests, vendored and generated code):
bandit and the syntax-tree checks skip it. The secrets scan still reads tests, marking them as test
fixtures so their keys are reported at a lower severity.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from readyscore.executors.base import AuditContext
from readyscore.executors.static.cache import content_hash
from readyscore.files import glob_to_regex
from readyscore.settings.static import StaticSettings

PYTHON_SUFFIXES = (".py", ".pyw")
# Test files by name, in each language read (Go's *_test.go, Jest's *.test.ts, Rust's tests.rs ...).
TEST_FILE_GLOBS = ("test_*.py", "*_test.py", "conftest.py", "*_test.go", "*.test.ts", "*.test.js", "*.test.tsx",
                   "*.spec.ts", "*.spec.js", "*.test.mjs", "*_test.rs", "*_tests.rs", "*_test.cpp", "test-*.cpp")
# Files that cannot hold a hand-written secret, or hold only hashes and generated noise.
NOT_SCANNED_FOR_SECRETS = (
    ".lock", ".min.js", ".map", ".svg", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".pdf", ".zip",
    ".gz", ".tgz", ".whl", ".so", ".pyc", ".woff", ".woff2", ".ttf", ".eot", ".mo", ".db", ".sqlite",
    ".sqlite3", ".parquet", ".bin", ".pt", ".onnx", ".safetensors", ".npy", ".npz", ".pkl",
    "package-lock.json", "pnpm-lock.yaml", "poetry.lock", "uv.lock", "Pipfile.lock", "yarn.lock",
)


@dataclass
class SourceFile:
    rel: str
    text: str
    digest: str
    is_python: bool
    is_code: bool  # the service's own code (not tests, not vendored)
    is_test: bool
    # Part of the deployable service (not an example, tutorial, doc or benchmark): only such files
    # decide readiness checks; every file is still scanned for secrets.
    in_scope: bool = True


@dataclass
class SourceSet:
    files: list[SourceFile] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    # The service's own Python files that could not be read: (path, why, size in bytes).
    unread_code: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def code(self) -> list[SourceFile]:
        return [f for f in self.files if f.is_code]

    @property
    def python_code(self) -> list[SourceFile]:
        return [f for f in self.files if f.is_code and f.is_python]


def _dirs(rel: str) -> list[str]:
    return rel.split("/")[:-1]


@lru_cache(maxsize=64)
def _any_glob(globs: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a set of globs: a 20,000-file tree asks each file about a dozen of them."""
    return re.compile("|".join(f"(?:{glob_to_regex(glob).pattern})" for glob in globs) or r"(?!)")


def is_test_path(rel: str, settings: StaticSettings) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return (any(part in settings.test_dirs for part in _dirs(rel))
            or bool(_any_glob(TEST_FILE_GLOBS).match(name)))


def is_skipped_code(rel: str, settings: StaticSettings) -> bool:
    """Not the service's own code: under a skipped folder, or a skipped file name."""
    name = rel.rsplit("/", 1)[-1]
    skip = _any_glob(tuple(settings.skip_globs))
    return (any(part in settings.skip_dirs for part in _dirs(rel))
            or bool(skip.match(name) or skip.match(rel))
            or (not rel.endswith(PYTHON_SUFFIXES) and bool(_any_glob(TEST_FILE_GLOBS).match(name))))


def _vendored(rel: str, settings: StaticSettings) -> bool:
    """Skipped for every static check, secrets included: skipped folders that are not tests."""
    return any(part in settings.skip_dirs and part not in settings.test_dirs for part in _dirs(rel))


class _PathRules:
    """is_test_path, is_skipped_code and _vendored for every file of a tree: what depends on the
    folder is decided once per folder (a tree has a hundred folders for twenty thousand files)."""

    def __init__(self, settings: StaticSettings):
        self.skip_dirs = frozenset(settings.skip_dirs)
        self.test_dirs = frozenset(settings.test_dirs)
        self.skip = _any_glob(tuple(settings.skip_globs))
        self.tests = _any_glob(TEST_FILE_GLOBS)
        self._folders: dict[str, tuple[bool, bool, bool]] = {}

    def folder(self, folder: str) -> tuple[bool, bool, bool]:
        """(vendored, a skipped folder, a test folder) for the folders of a path."""
        flags = self._folders.get(folder)
        if flags is None:
            parts = folder.split("/") if folder else []
            flags = (any(p in self.skip_dirs and p not in self.test_dirs for p in parts),
                     any(p in self.skip_dirs for p in parts), any(p in self.test_dirs for p in parts))
            self._folders[folder] = flags
        return flags

    def classify(self, rel: str, is_python: bool) -> tuple[bool, bool, bool]:
        """(vendored, skipped code, a test path) as _vendored, is_skipped_code and is_test_path say."""
        folder, _, name = rel.rpartition("/")
        vendored, skipped_dir, test_dir = self.folder(folder)
        skipped = (skipped_dir or bool(self.skip.match(name) or self.skip.match(rel))
                   or (not is_python and bool(self.tests.match(name))))
        return vendored, skipped, test_dir or bool(self.tests.match(name))


def collect_sources(ctx: AuditContext) -> SourceSet:
    settings: StaticSettings = ctx.profile.static
    index = ctx.files
    scope = ctx.scope
    sources = SourceSet()
    rules = _PathRules(settings)
    for entry in index.files:
        ctx.check_cancelled()
        rel = entry.rel
        is_python = rel.endswith(PYTHON_SUFFIXES)
        if not is_python and rel.endswith(NOT_SCANNED_FOR_SECRETS):
            continue
        vendored, skipped_code, is_test = rules.classify(rel, is_python)
        if vendored:
            sources.skipped["vendored or generated"] += 1
            continue
        is_code = not skipped_code
        if entry.size > settings.max_file_bytes:
            sources.skipped["too large"] += 1
            if is_python and is_code and scope.in_scope(rel):
                sources.unread_code.append((rel, f"larger than static.max_file_bytes ({settings.max_file_bytes})",
                                            entry.size))
            continue
        text = index.read_text(rel, limit=settings.max_file_bytes)
        if text is None:  # binary, undecodable or unreadable: counted by the file index
            sources.skipped["unreadable, binary or not UTF-8"] += 1
            if is_python and is_code and scope.in_scope(rel):
                sources.unread_code.append((rel, "unreadable, binary or not UTF-8", entry.size))
            continue
        if is_python and not is_code:
            sources.skipped["python outside the service's code (tests, vendored)"] += 1
        sources.files.append(SourceFile(rel=rel, text=text, digest=content_hash(text.encode("utf-8", "surrogatepass")),
                                        is_python=is_python, is_code=is_code,
                                        is_test=is_test, in_scope=scope.in_scope(rel)))
    return sources


def shared_sources(ctx: AuditContext) -> SourceSet:
    return ctx.shared("static.sources", lambda: collect_sources(ctx))
