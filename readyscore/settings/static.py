"""Settings of the static check family (the `static:` section of a profile or readyscore.yaml).

Defaults fit a service repository: tests, vendored code and generated folders are not the
service's code, so bandit and the syntax-tree checks skip them (secrets are still looked for in
tests, and reported there at a lower severity).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from readyscore.model import Strict

Confidence = Literal["low", "medium", "high"]


class StaticSettings(Strict):
    # What is not the service's own code. Folder names match at any depth; globs match the path
    # relative to the audited root (`**` crosses folders).
    skip_dirs: list[str] = Field(default_factory=lambda: [
        "tests", "test", "testing", "vendor", "vendored", "_vendor", "third_party", "thirdparty",
        "external", "build", "dist", "site-packages", "node_modules", "migrations_backup"])
    skip_globs: list[str] = Field(default_factory=lambda: [
        "test_*.py", "*_test.py", "conftest.py", "*_pb2.py", "*_pb2_grpc.py"])
    # Folders whose files count as test fixtures: secrets there are reported at a lower severity.
    test_dirs: list[str] = Field(default_factory=lambda: ["tests", "test", "testing", "fixtures", "testdata"])

    # bandit ------------------------------------------------------------------------------------
    # Findings under this confidence are ignored (bandit's LOW confidence is mostly noise).
    min_confidence: Confidence = "medium"
    # bandit test ids never run, on top of what the audited repository's own bandit config skips.
    bandit_skips: list[str] = Field(default_factory=list, description="bandit test ids, e.g. B101")
    # One rule counts at most this many findings towards a check's density, so one noisy rule
    # (unpinned model downloads in LLM code, say) cannot swamp the security area.
    per_rule_cap: int = Field(default=5, ge=1, le=1000)
    # Parallel bandit processes; 0 = one per core.
    workers: int = Field(default=0, ge=0, le=64)
    # Files per bandit process: small enough to balance the cores, large enough to amortise
    # bandit's start-up (about 0.3 s).
    batch_files: int = Field(default=200, ge=1, le=2000)
    bandit_timeout_s: float = Field(default=900.0, gt=0, le=7200, description="the whole bandit run")
    # Start bandit as soon as the first static check runs, so it overlaps with the syntax-tree
    # analysis instead of waiting for a free check slot (the engine runs a few checks at a time).
    prefetch_bandit: bool = True

    # Reading -----------------------------------------------------------------------------------
    max_file_bytes: int = Field(default=1024 * 1024, ge=1024, le=16 * 1024 * 1024)
    # Per-file results (bandit's and the syntax-tree checks') are kept under the user cache dir
    # (READYSCORE_CACHE_DIR, default ~/.cache/readyscore), keyed by content hash.
    cache: bool = True
    # With the cache on: when no file, setting or line of readyscore changed since the last complete
    # file-only audit of the same root, its static and deploy results are replayed instead of
    # measured again (readyscore/result_replay.py). Off: every check runs over the per-file cache.
    replay: bool = True
