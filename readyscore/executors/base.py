"""The executor interface: one class per check `kind`, many checks per class.

An executor validates its own `params` with a pydantic model (`Params`) and measures one check at
a time. Work that several checks need (the bandit run, the parsed manifests, a probe's responses)
goes through `ctx.shared(key, factory)`, which computes it once per audit even when checks run
in parallel.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from readyscore.config import AuditOptions, Profile, ProjectConfig
from readyscore.files import FileIndex
from readyscore.scope import Scope, build_scope
from readyscore.model import CheckSpec, Evidence, EvidenceStrength, Result, Status
from readyscore.redact import Redactor

T = TypeVar("T")
P = TypeVar("P", bound=BaseModel)


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuditCancelled(Exception):
    """Raised inside a check when the audit was interrupted (Ctrl-C, SIGTERM, deadline)."""


@dataclass
class AuditContext:
    """Everything a check may look at. Built once per audit by the engine."""

    profile: Profile
    options: AuditOptions
    project: ProjectConfig = field(default_factory=ProjectConfig)
    redactor: Redactor = field(default_factory=Redactor)
    cancel: threading.Event = field(default_factory=threading.Event)
    today: dt.date = field(default_factory=dt.date.today)
    # Family sections of the report (load statistics, framework coverage ...), keyed by family.
    # A family sets its own key once, typically from inside a `shared` computation.
    sections: dict[str, Any] = field(default_factory=dict)
    # The params of every check this audit runs, by executor kind (set by the engine once it has
    # planned): shared work that serves several checks does only what they ask of it. None: not
    # known (a check run on its own), so shared work does everything any check could ask.
    planned_params: dict[str, list[BaseModel]] | None = None
    _shared: dict[str, Any] = field(default_factory=dict)
    _shared_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    @property
    def root(self) -> Path | None:
        return self.options.root

    @property
    def url(self) -> str | None:
        return self.options.url

    @property
    def api_key(self) -> str | None:
        """The target's key, from the environment only (never from the command line)."""
        key = os.environ.get(self.options.api_key_env) or None
        self.redactor.add(key)
        return key

    def shared(self, key: str, factory: Callable[[], T]) -> T:
        """Compute `factory()` once per audit; concurrent callers wait for the first one.

        An exception is cached too, so every check that needs the failed work reports the same
        error instead of retrying it.
        """
        with self._guard:
            lock = self._shared_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._shared:
                try:
                    self._shared[key] = (True, factory())
                except Exception as exc:  # noqa: BLE001 - re-raised to every caller below
                    self._shared[key] = (False, exc)
            ok, value = self._shared[key]
        if not ok:
            raise value
        return value

    def computed(self, key: str) -> Any | None:
        """What `shared(key, ...)` computed, if some check asked for it and it succeeded; else None.
        Never starts the work (the engine uses it to report on the file walk after the checks)."""
        with self._guard:
            entry = self._shared.get(key)
        return entry[1] if entry is not None and entry[0] else None

    @property
    def files(self) -> FileIndex:
        if self.root is None:
            raise RuntimeError("this check needs a source tree, and none was given")
        return self.shared("files", lambda: FileIndex(self.root, self.project.exclude))

    @property
    def scope(self) -> Scope:
        """Which files are the deployable service; recorded in the report's `scope` section."""
        def build() -> Scope:
            scope = build_scope(self.files, self.project.scope.include, self.project.scope.exclude)
            self.sections["scope"] = scope.section()
            return scope
        return self.shared("scope", build)

    @property
    def scoped_files(self) -> FileIndex:
        """The file index restricted to the service (what readiness checks read)."""
        return self.shared("scoped_files", lambda: self.files.subset(self.scope.in_scope))

    def check_cancelled(self) -> None:
        if self.cancel.is_set():
            raise AuditCancelled("the audit was interrupted")

    def sleep(self, seconds: float) -> None:
        """A sleep that ends early when the audit is cancelled."""
        if self.cancel.wait(seconds):
            raise AuditCancelled("the audit was interrupted")


class Executor(ABC, Generic[P]):
    """Implements one check `kind`. Subclasses set `kind`, `Params` and `run`."""

    kind: ClassVar[str]
    Params: ClassVar[type[BaseModel]] = NoParams
    description: ClassVar[str] = ""
    # Checks run phase by phase: files and gentle probes first (0), bursts that exhaust a rate
    # limit next (1), the load test (2), then the resilience run that breaks the service's upstream
    # on purpose (3), so one check cannot distort another's measurement.
    phase: ClassVar[int] = 0

    @classmethod
    def parse_params(cls, params: dict[str, Any]) -> BaseModel:
        return cls.Params.model_validate(params)

    def timeout_s(self, params: P, ctx: AuditContext) -> float:
        """How long one check may take before the engine gives up on it."""
        return ctx.options.check_timeout_s

    def prefetch(self, params: P, ctx: AuditContext) -> None:
        """Start, in the background, shared work this check will need. The engine calls it once it
        knows the checks will run (before hashing the tree for a replay when no record exists), so
        slow outside work such as bandit's processes starts while the rest is still being set up.
        Must not change any result, only when work starts."""

    @abstractmethod
    def run(self, spec: CheckSpec, params: P, ctx: AuditContext) -> Result:
        """Measure one check. Raise freely: the engine turns exceptions into `error` results."""


# Faults a check lists one by one (each a waivable finding); beyond this the count still says how
# many there were, and a waiver by path can no longer cover the check as a whole.
MAX_FINDINGS = 200


def result(spec: CheckSpec, status: Status, message: str, *, score: float | None = None,
           evidence: list[Evidence] | None = None, strength: EvidenceStrength | None = None,
           metrics: dict[str, Any] | None = None, findings: int | None = None) -> Result:
    """A Result with the conventional score for its status unless one is given."""
    if score is None:
        # A warning carries no points: scoring keeps it out of the denominator (docs/scoring.md).
        score = {Status.PASS: 1.0, Status.PARTIAL: 0.5}.get(status, 0.0)
    return Result(check_id=spec.id, status=status, score=score, message=message,
                  evidence=evidence or [], strength=strength, metrics=metrics or {}, findings=findings)

