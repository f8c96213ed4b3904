"""Run bandit over the service's Python files: in parallel, in batches, through its command line.

bandit's maintainers call the command line its only stable interface, so readyscore runs bandit's
command line, `-f json -q FILE...`, over batches of files, as many processes at a time as there
are cores, and keeps each file's result in the content-hash cache: a re-run on an unchanged tree
starts no bandit process at all. bandit reports every severity and confidence; the checks filter
afterwards, so changing a threshold never invalidates the cache. The command line is started by
bandit_launcher.py, which adds two shortcuts that cannot change bandit's output (see there).

A file with no `# nosec` comment in it is scanned with `--ignore-nosec`: bandit then skips
tokenizing the file to find such comments, about a fifth of its time, and its result is the same,
since there is no comment to honour (the launcher then also skips looking every node's lines up in
the empty table of comments). Which files those are depends on their content alone, so the
content-hash cache keys stay valid.

The bandit tests that report nothing but low severity are skipped when no check of the audit
counts their findings (the built-in checks count high and medium, and B615 at any severity): about
a tenth of bandit's time. Such results are cached apart from complete ones, so an audit with a
check that does count them never reads a result without them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from readyscore.executors.base import AuditCancelled, AuditContext
from readyscore.executors.static.bandit_config import BanditConfig, find_bandit_config
from readyscore.executors.static.cache import ResultCache, namespace
from readyscore.executors.static.sources import SourceFile, shared_sources
from readyscore.settings.static import StaticSettings

# bandit's command line, run by a script of ours that adds two shortcuts (bandit_launcher.py).
LAUNCHER = Path(__file__).with_name("bandit_launcher.py")
MAX_ARGV_BYTES = 96 * 1024  # well under every platform's command-line limit
# The built-in checks that read bandit's results (a prefetch is pointless when all are disabled).
BANDIT_CHECKS = ("static-bandit-high", "static-bandit-medium", "static-model-downloads-pinned")
MIN_BATCH_FILES = 8  # fewer files than this do not pay for another bandit start-up
# bandit reads a `# nosec` marker from any comment token matching `#\s*nosec` (its core manager's
# NOSEC_COMMENT, case-sensitive); a comment token is part of the text, so a text without a match
# holds no marker at all.
NOSEC_MARKER = re.compile(r"#\s*nosec")
IGNORE_NOSEC = "--ignore-nosec"
# B613 (trojansource) reads the whole file again for bidirectional control characters, none of
# which an ASCII text can hold, whatever its declared encoding.
SKIP_TROJANSOURCE = ("-s", "B613")
# The bandit tests whose every finding is low severity (bandit 1.8.6 to 1.9.x): assert_used, the
# three hard-coded password tests, try/except pass and continue, and the three subprocess tests
# that flag a process started without a shell. B602 and B605 also report low, but not only.
LOW_ONLY_TESTS = ("B101", "B105", "B106", "B107", "B110", "B112", "B603", "B606", "B607")
BANDIT_KIND = "bandit_findings"  # the executor kind of the checks that read bandit's findings
KEPT_FIELDS = ("line_number", "issue_severity", "issue_confidence", "test_id", "test_name", "issue_text",
               "issue_cwe", "more_info")


@dataclass
class BanditRun:
    version: str
    config: BanditConfig
    issues: list[dict[str, Any]] = field(default_factory=list)  # each with "path"
    loc: int = 0
    scanned: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # path -> why bandit could not scan it
    excluded: int = 0
    cache_hits: int = 0
    processes: int = 0
    workers: int = 0
    cache_problem: str | None = None
    seconds: float = 0.0
    low_tests_skipped: tuple[str, ...] = ()  # LOW_ONLY_TESTS not run, as no check counts them

    def section(self) -> dict[str, Any]:
        return {"bandit_version": self.version, "bandit_config": self.config.source,
                "bandit_config_problem": self.config.problem, "files_scanned": self.scanned,
                "lines_of_code": self.loc, "files_bandit_could_not_scan": len(self.errors),
                "excluded_by_bandit_config": self.excluded, "cache_hits": self.cache_hits,
                "bandit_processes": self.processes, "workers": self.workers, "cache_problem": self.cache_problem,
                "low_severity_only_tests_skipped": list(self.low_tests_skipped),
                "seconds": round(self.seconds, 2)}


def bandit_version() -> str:
    try:
        return metadata.version("bandit")
    except metadata.PackageNotFoundError:
        raise RuntimeError("bandit is not installed in readyscore's environment") from None


def worker_count(settings: StaticSettings) -> int:
    if settings.workers:
        return settings.workers
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def batch_count(files: list[SourceFile], workers: int, max_files: int) -> int:
    """Two batches per worker leave room to even out; a small tree gets fewer, since each batch
    pays bandit's start-up (about a quarter of a second of CPU)."""
    if not files:
        return 0
    return max(min(-(-len(files) // MIN_BATCH_FILES), 2 * workers), -(-len(files) // max_files))


def make_batches(files: list[SourceFile], workers: int, max_files: int,
                 count: int | None = None) -> list[list[SourceFile]]:
    """Longest-first onto the lightest batch: bandit's time grows with a file's size, so batches of
    similar bytes finish together. `count`: how many batches to aim for (default `batch_count`);
    more are made only when a batch would pass `max_files` or the command-line limit."""
    if not files:
        return []
    count = max(1, count or batch_count(files, workers, max_files))
    batches: list[list[SourceFile]] = [[] for _ in range(count)]
    weights = [0] * count
    argv = [0] * count
    for source in sorted(files, key=lambda f: len(f.text), reverse=True):
        order = sorted(range(count), key=lambda i: weights[i])
        target = next((i for i in order if len(batches[i]) < max_files and argv[i] + len(source.rel) + 3 < MAX_ARGV_BYTES),
                      None)
        if target is None:
            batches.append([])
            weights.append(0)
            argv.append(0)
            target = len(batches) - 1
        batches[target].append(source)
        weights[target] += batch_weight(source)
        argv[target] += len(source.rel) + 3
    return [batch for batch in batches if batch]


def batch_weight(source: SourceFile) -> int:
    return len(source.text) + 2000  # bandit's time grows with the bytes, plus a per-file fixed cost


def _arg(rel: str) -> str:
    return f"./{rel}"  # never mistaken for an option, whatever the file is called


def _unarg(name: str) -> str:
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name


def has_nosec_marker(text: str) -> bool:
    return NOSEC_MARKER.search(text) is not None


def low_only_tests_to_skip(ctx: AuditContext) -> tuple[str, ...]:
    """The LOW_ONLY_TESTS no check of this audit counts: a check counts a test when it counts low
    severity and the test is among its `only_tests` (all, when it names none) and not among its
    `exclude_tests`. None skipped when the audit's checks are not known."""
    planned = ctx.planned_params
    if planned is None:
        return ()
    counted: set[str] = set()
    for params in planned.get(BANDIT_KIND, ()):
        if "low" in getattr(params, "severities", ("low",)):
            only = getattr(params, "only_tests", None) or LOW_ONLY_TESTS
            counted.update(set(only) - set(getattr(params, "exclude_tests", None) or ()))
    return tuple(test for test in LOW_ONLY_TESTS if test not in counted)


def shortcuts(source: SourceFile, config: BanditConfig, skip_low: tuple[str, ...] = ()) -> tuple[str, ...]:
    """bandit arguments that save work on this file and cannot change the findings the audit
    counts (see the module docstring). `skip_low`: low-only tests no check counts. Skipping a test
    goes only with no bandit config of the repository's own, whose `skips`/`tests` a command-line
    `-s` could override; bandit keeps only the last `-s`, so the skipped tests go in one."""
    extra: tuple[str, ...] = () if has_nosec_marker(source.text) else (IGNORE_NOSEC,)
    if config.args:
        return extra
    skipped = [*(SKIP_TROJANSOURCE[1:] if source.text.isascii() else ()), *skip_low]
    return (*extra, "-s", ",".join(skipped)) if skipped else extra


def batches_by_shortcut(files: list[SourceFile], config: BanditConfig, workers: int,
                        max_files: int, skip_low: tuple[str, ...] = ()) -> list[tuple[list[SourceFile], tuple[str, ...]]]:
    """(batch, extra arguments): files that take the same shortcuts share batches. Almost every file
    takes them all; the few others (a `# nosec` marker, a non-ASCII text) get batches of their own,
    as many as their share of the bytes calls for and at least one, so a handful of files does not
    pay for several bandit start-ups. Heaviest batch first: the workers take them in this order, so
    the last ones to start are the lightest and the workers finish close together."""
    groups: dict[tuple[str, ...], list[SourceFile]] = {}
    for source in files:
        groups.setdefault(shortcuts(source, config, skip_low), []).append(source)
    total_count = batch_count(files, workers, max_files)
    total_weight = sum(batch_weight(f) for f in files) or 1
    planned = []
    for extra, group in groups.items():
        share = round(total_count * sum(batch_weight(f) for f in group) / total_weight)
        planned += [(batch, extra) for batch in make_batches(group, workers, max_files, count=max(1, share))]
    return sorted(planned, key=lambda item: -sum(batch_weight(f) for f in item[0]))


def _run_batch(batch: list[SourceFile], config: BanditConfig, ctx: AuditContext, deadline: float,
               extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """bandit over one batch: per-file {"loc", "issues", "error"}. `extra`: the batch's shortcuts."""
    # -P: bandit runs with the audited tree as its working directory, and without -P Python would
    # put that directory first on sys.path, so a `token.py` or `ast.py` in the tree would shadow
    # the standard library inside bandit: a crash at best, the audited code running at worst.
    # (For a script, -P also keeps the script's own folder off sys.path.)
    command = [sys.executable, "-P", str(LAUNCHER), "-f", "json", "-q", "--exit-zero",
               *extra, *config.args, *(_arg(f.rel) for f in batch)]
    process = subprocess.Popen(command, cwd=str(ctx.root), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    out = err = b""
    while True:
        try:
            out, err = process.communicate(timeout=0.25)
            break
        except subprocess.TimeoutExpired:
            if ctx.cancel.is_set() or time.monotonic() > deadline:
                process.kill()
                process.communicate()
                if ctx.cancel.is_set():
                    raise AuditCancelled("the audit was interrupted") from None
                return {f.rel: {"error": "bandit timed out"} for f in batch}
    try:
        report = json.loads(out.decode("utf-8", "replace"))
    except ValueError:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return {f.rel: {"error": f"bandit failed (exit {process.returncode}): {tail[0][:200]}"} for f in batch}
    per_file: dict[str, Any] = {f.rel: {"loc": 0, "issues": [], "error": None} for f in batch}
    for name, metrics in (report.get("metrics") or {}).items():
        rel = _unarg(name)
        if rel in per_file and isinstance(metrics, dict):
            per_file[rel]["loc"] = int(metrics.get("loc") or 0)
    for issue in report.get("results") or []:
        rel = _unarg(str(issue.get("filename", "")))
        if rel in per_file:
            kept = {key: issue.get(key) for key in KEPT_FIELDS}
            if isinstance(kept.get("issue_cwe"), dict):
                kept["issue_cwe"] = kept["issue_cwe"].get("id")
            per_file[rel]["issues"].append(kept)
    for error in report.get("errors") or []:
        rel = _unarg(str(error.get("filename", "")))
        if rel in per_file:
            per_file[rel]["error"] = str(error.get("reason", "bandit could not scan it"))[:300]
    return per_file


def run_bandit(ctx: AuditContext) -> BanditRun:
    started = time.monotonic()
    settings: StaticSettings = ctx.profile.static
    run = BanditRun(version=bandit_version(), config=find_bandit_config(ctx.root))
    sources = shared_sources(ctx)
    files = []
    for source in sources.python_code:
        if run.config.excludes(source.rel):
            run.excluded += 1
        else:
            files.append(source)
    # Low-only tests are skipped only where the skip is taken (no config of the repository's own).
    run.low_tests_skipped = () if run.config.args else low_only_tests_to_skip(ctx)
    ns = namespace("bandit", run.version, sys.version_info[:2], run.config.fingerprint, run.config.args,
                   *((["without", *run.low_tests_skipped],) if run.low_tests_skipped else ()))
    cache = ResultCache.default(settings.cache)
    try:
        cached = cache.get_many(ns, [f.digest for f in files])
        missing = [f for f in files if f.digest not in cached]
        run.cache_hits = len(files) - len(missing)
        results: dict[str, Any] = {f.rel: cached[f.digest] for f in files if f.digest in cached}
        if missing:
            run.workers = worker_count(settings)
            batches = batches_by_shortcut(missing, run.config, run.workers, settings.batch_files,
                                          run.low_tests_skipped)
            run.processes = len(batches)
            deadline = time.monotonic() + settings.bandit_timeout_s
            fresh: dict[str, Any] = {}
            with ThreadPoolExecutor(max_workers=run.workers, thread_name_prefix="bandit") as pool:
                for per_file in pool.map(lambda b: _run_batch(b[0], run.config, ctx, deadline, b[1]), batches):
                    fresh.update(per_file)
            results.update(fresh)
            digests = {f.rel: f.digest for f in missing}
            # Timeouts and crashes are not cached: they say nothing about the file.
            cache.put_many(ns, {digests[rel]: value for rel, value in fresh.items()
                                if not str(value.get("error") or "").startswith("bandit ")})
    finally:
        run.cache_problem = cache.error
        cache.close()
    for source in files:
        value = results.get(source.rel) or {"error": "no result"}
        if value.get("error"):
            run.errors[source.rel] = value["error"]
            continue
        run.scanned += 1
        run.loc += int(value.get("loc") or 0)
        for issue in value.get("issues") or []:
            run.issues.append({**issue, "path": source.rel})
    run.seconds = time.monotonic() - started
    return run


def shared_bandit(ctx: AuditContext) -> BanditRun:
    def compute() -> BanditRun:
        run = run_bandit(ctx)
        ctx.sections.setdefault("static", {})["bandit"] = run.section()
        return run
    return ctx.shared("static.bandit", compute)


def start_bandit_in_background(ctx: AuditContext) -> None:
    """Start the shared bandit run in a background thread, once per audit (later calls do nothing);
    the bandit checks pick its result up through `shared_bandit`, and report its failure."""
    def start() -> bool:
        def run() -> None:
            try:
                shared_bandit(ctx)
            except Exception:  # noqa: BLE001 - the bandit checks report it when they ask for the result
                pass
        threading.Thread(target=run, daemon=True, name="bandit-prefetch").start()
        return True
    ctx.shared("static.bandit-prefetch", start)
