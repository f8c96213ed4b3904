"""Content digests of an audited tree's files, re-read only when a file's stat has changed.

A warm re-audit of a large tree should not read twenty thousand unchanged files to learn that they
are unchanged. Like git's index, a small persistent table maps each file's stat signature
(size, mtime_ns, ctime_ns, inode, device) to the content digest last computed for it; a file whose
signature matches is not read. The ctime is part of the signature because no ordinary tool can set
it back: an edit that keeps the size and restores the mtime (`touch -d`, `cp -p`) still changes it.

Racy entries are never trusted: a file whose mtime or ctime is within RACY_NS of the moment it was
hashed could be rewritten within the same timestamp tick without its signature changing, so such a
digest is used for this audit but not kept (git calls this the "racily clean" problem).

The table is plain JSON with a version key, one file per audited root under readyscore's cache
folder, written atomically; a damaged, foreign or unreadable table is ignored (every file is then
hashed), never trusted and never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

FORMAT = "readyscore-digests"
VERSION = 1
RACY_NS = 3_000_000_000  # coarser than any common file system's timestamp granularity (FAT: 2 s)
CHUNK = 1024 * 1024
# One table per audited root; past this many (CI checkouts in ever-new folders), the least recently
# written go, so the cache folder cannot grow without bound.
MAX_ROOTS = 32

Signature = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device


def signature(stat: os.stat_result) -> Signature:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)


def digest_bytes(data: bytes) -> str:
    """The same digest as the static cache's content_hash (blake2b, 20 bytes)."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def digest_file(path: str) -> str | None:
    """The digest of the whole file's bytes, read in chunks; None when it cannot be read."""
    digest = hashlib.blake2b(digest_size=20)
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` so a reader sees the old file or the new one, never a half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def prune(folder: Path, keep: int = MAX_ROOTS) -> None:
    """Remove all but the `keep` most recently written JSON files of `folder` (best effort)."""
    try:
        files = sorted((entry.stat().st_mtime_ns, entry.path) for entry in os.scandir(folder)
                       if entry.name.endswith(".json") and entry.is_file(follow_symlinks=False))
    except OSError:
        return
    for _, path in files[:-keep] if len(files) > keep else []:
        try:
            os.unlink(path)
        except OSError:
            pass


def table_name(root: Path) -> str:
    return hashlib.blake2b(str(root).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest() + ".json"


class DigestTable:
    """rel -> (signature, digest) for one root, persisted between audits."""

    def __init__(self, path: Path | None, root: Path, racy_ns: int | None = None):
        self.path = path
        self.racy_ns = RACY_NS if racy_ns is None else racy_ns
        self.root = str(root)
        self.entries: dict[str, tuple[Signature, str]] = {}
        self.problem: str | None = None
        self.reused = 0
        self.hashed = 0
        if path is not None:
            self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            self.problem = f"digest table ignored ({type(exc).__name__})"
            return
        if not (isinstance(data, dict) and data.get("format") == FORMAT and data.get("version") == VERSION
                and data.get("root") == self.root and isinstance(data.get("entries"), dict)):
            self.problem = "digest table ignored (another format, version or root)"
            return
        entries = {}
        for rel, row in data["entries"].items():
            # [size, mtime_ns, ctime_ns, inode, device, digest]: anything else is not ours.
            if (isinstance(row, list) and len(row) == 6 and all(type(v) is int for v in row[:5])
                    and isinstance(row[5], str) and len(row[5]) == 40):
                entries[rel] = (tuple(row[:5]), row[5])
        self.entries = entries

    def digests(self, root_text: str, stats: dict[str, Signature]) -> dict[str, str | None]:
        """The digest of every file in `stats` (None: unreadable), reading only changed files."""
        now = time.time_ns()
        kept: dict[str, tuple[Signature, str]] = {}
        found: dict[str, str | None] = {}
        for rel, sig in stats.items():
            entry = self.entries.get(rel)
            if entry is not None and entry[0] == sig:
                found[rel] = entry[1]
                kept[rel] = entry
                self.reused += 1
                continue
            digest = digest_file(os.path.join(root_text, rel))
            self.hashed += 1
            found[rel] = digest
            if digest is not None and now - max(sig[1], sig[2]) > self.racy_ns:
                kept[rel] = (sig, digest)
        changed = kept != self.entries
        self.entries = kept
        if changed:
            self.save()
        return found

    def save(self) -> None:
        if self.path is None:
            return
        body = {"format": FORMAT, "version": VERSION, "root": self.root,
                "entries": {rel: [*sig, digest] for rel, (sig, digest) in self.entries.items()}}
        try:
            atomic_write_text(self.path, json.dumps(body, separators=(",", ":")))
        except OSError as exc:
            self.problem = f"digest table not saved ({type(exc).__name__})"
            return
        prune(self.path.parent)
