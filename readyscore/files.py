"""One walk of the audited tree, shared by every file-based check.

The walk never follows symlinked folders (no loops), skips the folders no service author wrote
(.git, virtual environments, node_modules, caches), honours the project's `exclude` globs, and
counts everything it passes over so the report can say so.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", "site-packages", ".terraform",
    ".idea", ".vscode", ".cache",
})
MAX_FILES = 250_000
MAX_TEXT_BYTES = 2 * 1024 * 1024  # larger files are not read as text by any check


@lru_cache(maxsize=2048)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """gitignore-like globs: `*` stays in one folder, `**` crosses folders, and a pattern with no
    slash matches the file name at any depth."""
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.strip("/")
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(char))
        i += 1
    body = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    # A pattern naming a folder matches everything below it too.
    return re.compile(f"^{prefix}{body}(?:/.*)?$", re.IGNORECASE if os.name == "nt" else 0)


@lru_cache(maxsize=256)
def any_glob(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a set of globs (matching any of them), each as glob_to_regex reads it."""
    return re.compile("|".join(f"(?:{glob_to_regex(p).pattern})" for p in patterns) or r"(?!)",
                      re.IGNORECASE if os.name == "nt" else 0)


def matches(path: str, pattern: str) -> bool:
    return bool(glob_to_regex(pattern).match(path))


def _is_virtualenv(folder: str) -> bool:
    try:
        return os.path.lexists(os.path.join(folder, "pyvenv.cfg"))
    except OSError:  # lexists already says False for a folder it may not search; be explicit
        return False


@dataclass(frozen=True)
class FileEntry:
    rel: str  # posix path relative to the root
    size: int


class FileIndex:
    """The files of one audited tree, read once. Thread-safe for readers."""

    def __init__(self, root: Path, exclude: list[str] | None = None):
        self.root = root
        self._root_text = str(root)  # os.path.join on strings: a Path per read costs more than the read
        self.exclude = list(exclude or [])
        self.files: list[FileEntry] = []
        # rel -> (size, mtime_ns, ctime_ns, inode, device), as the walk saw it (readyscore/digests.py).
        self.stats: dict[str, tuple[int, int, int, int, int]] = {}
        self.skipped: Counter[str] = Counter()
        self.skipped_examples: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._skipped_once: set[tuple[str, str]] = set()
        self._globs: dict[tuple[str, ...], list[FileEntry]] = {}
        self._walk()

    def _skip(self, reason: str, rel: str) -> None:
        with self._lock:
            if (reason, rel) in self._skipped_once:  # several checks may read the same file
                return
            self._skipped_once.add((reason, rel))
            self.skipped[reason] += 1
            examples = self.skipped_examples.setdefault(reason, [])
            if len(examples) < 5:
                examples.append(rel)

    def _excluded(self, rel: str) -> bool:
        return any(matches(rel, pattern) for pattern in self.exclude)

    def _walk(self) -> None:
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            folder = self.root / rel_dir if rel_dir else self.root
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except PermissionError:
                self._skip("unreadable folder", rel_dir or ".")
                continue
            except OSError:
                self._skip("unreadable folder", rel_dir or ".")
                continue
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                try:
                    if entry.is_symlink():
                        # A link can point anywhere, including above the root or at itself.
                        self._skip("symlink", rel)
                        continue
                    info = entry.stat(follow_symlinks=False)
                    mode = info.st_mode
                except OSError:
                    self._skip("unreadable", rel)
                    continue
                if stat.S_ISDIR(mode):
                    if entry.name in SKIPPED_DIRS or _is_virtualenv(entry.path):
                        self._skip("vendored or generated folder", rel)
                    elif self._excluded(rel):
                        self._skip("excluded by config", rel)
                    else:
                        stack.append(rel)
                elif stat.S_ISREG(mode):
                    if self._excluded(rel):
                        self._skip("excluded by config", rel)
                    elif len(self.files) >= MAX_FILES:
                        self._skip("over the file limit", rel)
                    else:
                        self.files.append(FileEntry(rel, info.st_size))
                        self.stats[rel] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
        self.files.sort(key=lambda f: f.rel)

    def subset(self, keep) -> FileIndex:
        """A view of the same tree holding only the files `keep(rel)` accepts (the scoped service).
        It shares the skip counters, so files it fails to read are still counted once."""
        view = object.__new__(FileIndex)
        view.__dict__.update(self.__dict__)
        view.files = [entry for entry in self.files if keep(entry.rel)]
        view._globs = {}  # its own answers: it holds fewer files
        return view

    def glob(self, *patterns: str) -> list[FileEntry]:
        """The files any of `patterns` matches. Dozens of checks ask, often the same question, of
        every file of the tree: one regex per question, and each answer is kept."""
        found = self._globs.get(patterns)
        if found is None:
            pattern = any_glob(patterns)
            found = [f for f in self.files if pattern.match(f.rel)]
            self._globs[patterns] = found  # a race computes the same list twice: harmless
        return list(found)

    def with_suffix(self, *suffixes: str) -> list[FileEntry]:
        return [f for f in self.files if f.rel.endswith(suffixes)]

    def exists(self, rel: str) -> bool:
        return any(f.rel == rel for f in self.files)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def read_bytes(self, rel: str, limit: int = MAX_TEXT_BYTES) -> bytes | None:
        try:
            with open(os.path.join(self._root_text, rel), "rb") as handle:
                data = handle.read(limit + 1)
        except OSError:
            self._skip("unreadable", rel)
            return None
        if len(data) > limit:
            self._skip("too large", rel)
            return None
        return data

    def read_text(self, rel: str, limit: int = MAX_TEXT_BYTES) -> str | None:
        """The file as text, or None (counted) when it is too large, binary or not UTF-8/Latin."""
        data = self.read_bytes(rel, limit)
        if data is None:
            return None
        if b"\x00" in data[:8192]:
            self._skip("binary", rel)
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self._skip("invalid encoding", rel)
            return None

    def skip_state(self) -> dict:
        """What the index has passed over so far, as plain data (the result replay keeps it)."""
        with self._lock:
            return {"skipped": dict(self.skipped), "examples": {k: list(v) for k, v in self.skipped_examples.items()},
                    "once": sorted([reason, rel] for reason, rel in self._skipped_once)}

    def restore_skip_state(self, state: dict) -> None:
        with self._lock:  # in place: subset views share these objects
            self.skipped.clear()
            self.skipped.update(state["skipped"])
            self.skipped_examples.clear()
            self.skipped_examples.update({k: list(v) for k, v in state["examples"].items()})
            self._skipped_once.clear()
            self._skipped_once.update((reason, rel) for reason, rel in state["once"])

    def skipped_summary(self) -> dict[str, int]:
        with self._lock:
            return dict(self.skipped)
