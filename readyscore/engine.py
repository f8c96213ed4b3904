"""Plan which checks apply, run their executors concurrently, collect results, score, report.

Each check runs in its own daemon thread, so a check that hangs past its timeout is abandoned
(recorded as `error`) without holding up the audit or the interpreter's exit. A crash in one check
becomes that check's `error`; it never ends the audit.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from readyscore import frameworks, result_replay, waivers
from readyscore.catalog import Catalog
from readyscore.config import AuditOptions, Profile, ProjectConfig
from readyscore.executors import registry
from readyscore.executors.base import AuditCancelled, AuditContext, Executor
from readyscore.files import matches
from readyscore.gcpause import audit_thresholds
from readyscore.model import CheckSpec, Result, Source, Status
from readyscore.redact import Redactor
from readyscore.claims.records import ClaimRecord
from readyscore.report import CheckResult, ProfileInfo, Report, SuppressionInfo, Target, WithoutWaivers, printable
from readyscore.scoring import ScoredCheck, compute, grade_all
from readyscore.yamlfile import ConfigError

FILE_SOURCES = {Source.STATIC, Source.DEPLOY}
URL_SOURCES = {Source.LIVE, Source.LOAD}
# A check of these sources is a "probe" that `--probe` selects among.
PROBE_SOURCES = {Source.LIVE}
# After Ctrl-C, how long running checks may take to return what they measured so far.
CANCEL_GRACE_S = 10.0


@dataclass
class PlannedCheck:
    spec: CheckSpec
    executor: Executor | None
    params: BaseModel | None
    skip_reason: str | None = None  # set: the check will not run, and says why


@dataclass
class Plan:
    checks: list[PlannedCheck]
    # Every catalog check's source, also those outside the profile's model: a gate naming one is
    # pending on that source (scoring says which option would gather it).
    catalog_sources: dict[str, Source] = field(default_factory=dict)

    @property
    def gathered_sources(self) -> set[Source]:
        """The sources whose checks ran in this audit."""
        return {c.spec.source for c in self.runnable}

    @property
    def runnable(self) -> list[PlannedCheck]:
        return [c for c in self.checks if c.skip_reason is None]

    def params_by_kind(self) -> dict[str, list[BaseModel]]:
        """The params of the checks that will run, by executor kind (AuditContext.planned_params)."""
        found: dict[str, list[BaseModel]] = {}
        for check in self.runnable:
            if check.params is not None:
                found.setdefault(check.spec.kind, []).append(check.params)
        return found


def effective_spec(spec: CheckSpec, profile: Profile) -> CheckSpec:
    override = profile.checks.get(spec.id)
    if override is None:
        return spec
    update = {}
    if override.weight is not None:
        update["weight"] = override.weight
    if override.severity is not None:
        update["severity"] = override.severity
    if override.params:
        update["params"] = {**spec.params, **override.params}
    return spec.model_copy(update=update)


def plan_audit(catalog: Catalog, profile: Profile, options: AuditOptions) -> Plan:
    unknown = sorted(set(profile.checks) - {s.id for s in catalog.specs})
    if unknown:
        raise ConfigError(profile.origin, f"overrides unknown check(s): {', '.join(unknown)}", field="checks")
    for level in profile.levels:
        for gate in level.gates:
            missing = [c for c in gate.check_ids() if c not in catalog]
            if missing:
                raise ConfigError(profile.origin, f"gate {gate.id!r} names unknown check(s): {', '.join(missing)}",
                                  field=f"levels.{level.level}.gates")

    planned: list[PlannedCheck] = []
    for entry in catalog:
        override = profile.checks.get(entry.spec.id)
        if override is not None and not override.enabled:
            continue
        if entry.spec.source not in profile.sources:
            continue  # outside this profile's readiness model altogether
        spec = effective_spec(entry.spec, profile)
        executor_cls = registry.get(spec.kind)
        try:
            params = executor_cls.parse_params(spec.params) if override and override.params else entry.params
        except ValidationError as exc:
            raise ConfigError.from_validation(profile.origin, {}, exc,
                                              prefix=("checks", spec.id, "params")) from None
        planned.append(PlannedCheck(spec, executor_cls(), params, _skip_reason(spec, options)))
    return Plan(planned, {entry.spec.id: entry.spec.source for entry in catalog})


def _skip_reason(spec: CheckSpec, options: AuditOptions) -> str | None:
    if options.sources is not None and spec.source not in options.sources:
        return f"the {spec.source.value} source was not selected (--sources)"
    if spec.source in FILE_SOURCES and options.root is None:
        return "no source tree was given"
    if spec.source in URL_SOURCES and not options.url:
        return "no --url was given, so the running service was not probed"
    if spec.source == Source.RESILIENCE and options.resilience is None:
        return ("the resilience run was not requested: give --upstream-env NAME with --service-cmd '…', "
                "or --upstream-listen HOST:PORT")
    if spec.source == Source.RESILIENCE and not (options.url or options.resilience.starts_service):
        return "no --url was given, so there is no service to send the resilience probes through"
    if spec.source in PROBE_SOURCES and options.probes and not any(matches(spec.id, p) for p in options.probes):
        return "not selected by --probe"
    return None


# --------------------------------------------------------------------------------------------


@dataclass
class Progress:
    """What the engine tells its caller while it runs (the CLI draws a progress bar from it)."""

    on_start: Callable[[int], None] = lambda total: None
    on_done: Callable[[PlannedCheck, Result], None] = lambda check, result: None


@dataclass
class RunOutcome:
    results: dict[str, Result]
    complete: bool
    incomplete_reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    claims: list[ClaimRecord] = field(default_factory=list)


def _run_one(check: PlannedCheck, ctx: AuditContext, out: queue.Queue) -> None:
    started = time.perf_counter()
    try:
        result = check.executor.run(check.spec, check.params, ctx)
        if result.check_id != check.spec.id:
            result = result.model_copy(update={"check_id": check.spec.id})
    except AuditCancelled as exc:
        result = Result.not_evaluated(check.spec.id, str(exc))
    except Exception as exc:  # noqa: BLE001 - one check's crash must not end the audit
        result = Result.error(check.spec.id, f"the check crashed: {type(exc).__name__}: {exc}")
    result.duration_s = round(time.perf_counter() - started, 4)
    out.put((check.spec.id, result))


def run_checks(plan: Plan, ctx: AuditContext, progress: Progress | None = None,
               replayed: dict[str, Result] | None = None) -> RunOutcome:
    """Run every runnable check, phase by phase. Ctrl-C keeps what finished. A check whose result
    is `replayed` (readyscore/result_replay.py) is not run: that result stands."""
    progress = progress or Progress()
    results: dict[str, Result] = {}
    for check in plan.checks:
        if check.skip_reason is not None:
            results[check.spec.id] = Result.not_evaluated(check.spec.id, check.skip_reason)
    progress.on_start(len(plan.runnable))
    runnable = []
    for check in plan.runnable:
        if replayed is not None and check.spec.id in replayed:
            results[check.spec.id] = replayed[check.spec.id]
            progress.on_done(check, results[check.spec.id])
        else:
            runnable.append(check)
    deadline = time.monotonic() + ctx.options.deadline_s
    incomplete: str | None = None
    by_phase: dict[int, list[PlannedCheck]] = {}
    for check in runnable:
        by_phase.setdefault(check.executor.phase, []).append(check)

    try:
        for phase in sorted(by_phase):
            if incomplete:
                break
            incomplete = _run_phase(by_phase[phase], ctx, results, progress, deadline)
    except KeyboardInterrupt:
        ctx.cancel.set()
        incomplete = "interrupted"

    for check in runnable:
        if check.spec.id not in results:
            results[check.spec.id] = Result.not_evaluated(check.spec.id, f"not run: the audit was {incomplete}")
    return RunOutcome(results=results, complete=incomplete is None, incomplete_reason=incomplete)


def _run_phase(checks: list[PlannedCheck], ctx: AuditContext, results: dict[str, Result],
               progress: Progress, deadline: float) -> str | None:
    out: queue.Queue = queue.Queue()
    running: dict[str, tuple[PlannedCheck, float, float]] = {}  # id -> (check, started, timeout)
    try:
        return _drive_phase(checks, ctx, results, progress, deadline, out, running)
    except KeyboardInterrupt:
        # Tell running checks to stop, and keep what they measured if they return soon (a load
        # test stops Locust and reports its partial statistics). A second Ctrl-C ends the wait.
        ctx.cancel.set()
        grace_ends = time.monotonic() + CANCEL_GRACE_S
        while running and time.monotonic() < grace_ends:
            try:
                check_id, result = out.get(timeout=0.1)
            except queue.Empty:
                continue
            if check_id in running:
                results[check_id] = result
                progress.on_done(running.pop(check_id)[0], result)
        raise


def _drive_phase(checks: list[PlannedCheck], ctx: AuditContext, results: dict[str, Result], progress: Progress,
                 deadline: float, out: queue.Queue, running: dict[str, tuple[PlannedCheck, float, float]]) -> str | None:
    pending = list(checks)
    while pending or running:
        while pending and len(running) < max(1, ctx.options.concurrency):
            check = pending.pop(0)
            timeout = check.executor.timeout_s(check.params, ctx)
            running[check.spec.id] = (check, time.monotonic(), timeout)
            threading.Thread(target=_run_one, args=(check, ctx, out), daemon=True,
                             name=f"check-{check.spec.id}").start()
        try:
            check_id, result = out.get(timeout=0.1)
        except queue.Empty:
            check_id, result = None, None
        if check_id is not None and check_id in running:
            check = running.pop(check_id)[0]
            results[check_id] = result
            progress.on_done(check, result)
        now = time.monotonic()
        for check_id, (check, started, timeout) in list(running.items()):
            if now - started > timeout:
                running.pop(check_id)
                results[check_id] = Result.error(check_id, f"timed out after {timeout:.0f} s")
                progress.on_done(check, results[check_id])
        if now > deadline:
            ctx.cancel.set()
            for check_id, (check, _, _) in running.items():
                results[check_id] = Result.not_evaluated(check_id, "the audit deadline was reached")
            return f"stopped at the audit deadline ({ctx.options.deadline_s:.0f} s)"
    return None


def _scored_checks(plan: Plan, leave_out: set[str] = frozenset()) -> dict[str, ScoredCheck]:
    return {c.spec.id: ScoredCheck(c.spec.id, c.spec.title, c.spec.area, c.spec.level, c.spec.weight,
                                   c.spec.severity, c.spec.source, tuple(c.spec.predicted_by))
            for c in plan.checks if c.spec.id not in leave_out}


def judge_after_checks(plan: Plan, outcome: RunOutcome, ctx: AuditContext) -> None:
    """Checks that judge other checks' results (repo-claims-substantiated) decide here, once
    everything else has finished. They see the others' results and the gate outcomes and score
    computed without them and without waivers (a waived failure is an accepted risk, not a
    substantiated claim). Scoring stays one pure function; this only feeds it one more result."""
    judges = [c for c in plan.runnable if getattr(c.executor, "judges_results", False)]
    if not judges:
        return
    judge_ids = {c.spec.id for c in judges}
    others = {cid: r for cid, r in outcome.results.items() if cid not in judge_ids}
    prior = compute(_scored_checks(plan, judge_ids), others, ctx.profile, waivers=False,
                    gathered=plan.gathered_sources, sources=plan.catalog_sources)
    for check in judges:
        placeholder = outcome.results.get(check.spec.id)
        if placeholder is None or not placeholder.metrics.get("awaiting_judgement"):
            continue  # it crashed, timed out or was cancelled while finding claims: that result stands
        started = time.perf_counter()
        try:
            result, claims = check.executor.judge(check.spec, check.params, ctx, others, prior.gates, prior.score)
        except Exception as exc:  # noqa: BLE001 - one check's crash must not end the audit
            result, claims = Result.error(check.spec.id, f"the check crashed: {type(exc).__name__}: {exc}"), []
        result.duration_s = round(placeholder.duration_s + time.perf_counter() - started, 4)
        outcome.results[check.spec.id] = result
        outcome.claims.extend(claims)


# --------------------------------------------------------------------------------------------


def apply_suppressions(results: dict[str, Result], ctx: AuditContext) -> list[SuppressionInfo]:
    """The project's waivers, applied to the findings in `results` (in place); what each matched."""
    waived, infos = waivers.apply_waivers(results, ctx.project.suppressions, ctx.today,
                                          require_expiry=ctx.profile.waivers.require_expiry)
    results.update(waived)
    return infos


def build_report(plan: Plan, outcome: RunOutcome, ctx: AuditContext, started_at: dt.datetime,
                 finished_at: dt.datetime, suppressions: list[SuppressionInfo]) -> Report:
    profile = ctx.profile
    checks = _scored_checks(plan)
    sources = {"gathered": plan.gathered_sources, "sources": plan.catalog_sources}
    card = compute(checks, outcome.results, profile, waivers=True, **sources)
    raw = compute(checks, outcome.results, profile, waivers=False, **sources)
    results = []
    for check in plan.checks:
        spec, res = check.spec, outcome.results[check.spec.id]
        results.append(CheckResult(
            check_id=spec.id, title=spec.title, area=spec.area, level=spec.level, source=spec.source,
            severity=spec.severity, weight=spec.weight, status=res.status, score=res.score,
            message=ctx.redactor.redact(res.message) or "",
            evidence=[_redacted_evidence(e, ctx.redactor) for e in res.evidence],
            strength=res.strength, remediation=spec.remediation, rationale=spec.rationale,
            references=spec.references, maps_to=spec.maps_to, duration_s=res.duration_s,
            metrics=res.metrics, suppressed_by=res.suppressed_by, findings=res.findings,
            measured_status=res.measured_status))
    files = ctx.computed("files")  # the file walk, when some check made it
    skipped = files.skipped_summary() if files is not None else {}
    report = Report(
        target=Target(path=str(ctx.root) if ctx.root else None, url=ctx.url, label=ctx.options.target_label),
        profile=ProfileInfo(name=profile.name, origin=profile.origin, description=profile.description,
                            levels=[{"level": 0, "name": profile.level_name(0), "min_score": 0}]
                            + [{"level": s.level, "name": s.name, "min_score": s.min_score}
                               for s in sorted(profile.levels, key=lambda s: s.level)]),
        started_at=started_at, finished_at=finished_at,
        duration_s=round((finished_at - started_at).total_seconds(), 3),
        complete=outcome.complete, incomplete_reason=outcome.incomplete_reason,
        score=card.score, measured_score=card.measured_score, predictions=card.predictions,
        sources_gathered=sorted(plan.gathered_sources, key=list(Source).index),
        level=card.level, level_name=card.level_name, coverage=card.coverage,
        without_waivers=WithoutWaivers(score=raw.score, level=raw.level, level_name=raw.level_name,
                                       level_if_verified=raw.level_if_verified),
        level_if_verified=card.level_if_verified, pending_gates=card.pending_gates,
        areas=card.areas, gates=card.gates, next_level=card.next_level, held_back_by=card.held_back_by,
        roadmap=card.roadmap, counts=card.counts, suppressions=suppressions, results=results,
        skipped_files=skipped, sections=dict(ctx.sections), warnings=outcome.warnings,
        claims=outcome.claims,
    )
    # Per requirement of each framework mapping (OWASP LLM Top 10, AWS GenAI Lens): covered, passed ...
    report.sections["frameworks"] = frameworks.report_section(report.results)
    return printable(report)  # a file name that is not UTF-8 must not cost the whole report


def _as_reported(res: Result, redactor: Redactor) -> Result:
    """A result with its message and evidence redacted as build_report shows them."""
    return res.model_copy(update={"message": redactor.redact(res.message) or "",
                                  "evidence": [_redacted_evidence(e, redactor) for e in res.evidence]})


def _redacted_evidence(evidence, redactor: Redactor):
    return evidence.model_copy(update={
        "message": redactor.redact(evidence.message) or "",
        "snippet": redactor.redact(evidence.snippet),
        "url": redactor.redact(evidence.url),
    })


def audit(catalog: Catalog, profile: Profile, project: ProjectConfig, options: AuditOptions,
          progress: Progress | None = None, cancel: threading.Event | None = None) -> Report:
    """The whole audit: plan, run, suppress, score. Never raises for a check's failure."""
    with audit_thresholds():  # the collector's defaults cost seconds of CPU on a large tree
        return _audit(catalog, profile, project, options, progress, cancel)


def prefetch(plan: Plan, ctx: AuditContext) -> None:
    """Let each check that will run start its shared work in the background (Executor.prefetch).
    Only when work starts changes; a failure here is left for the check itself to report."""
    for check in plan.runnable:
        try:
            check.executor.prefetch(check.params, ctx)
        except Exception:  # noqa: BLE001 - the check meets the same problem when it runs, and reports it
            pass


def _audit(catalog: Catalog, profile: Profile, project: ProjectConfig, options: AuditOptions,
           progress: Progress | None, cancel: threading.Event | None) -> Report:
    ctx = AuditContext(profile=profile, options=options, project=project)
    if cancel is not None:
        ctx.cancel = cancel
    _ = ctx.api_key  # registers the key with the redactor before any check can echo it
    plan = plan_audit(catalog, profile, options)
    ctx.planned_params = plan.params_by_kind()
    started_at = dt.datetime.now(dt.timezone.utc)
    try:
        # A cold audit starts its slow outside work (bandit) before hashing the tree for a replay,
        # which then overlaps with it; when a record might match, only once the replay missed.
        early = result_replay.cannot_replay(plan, ctx)
        walk = result_replay.walk_state(ctx) if early else None  # before the background work reads a file
        if early:
            prefetch(plan, ctx)
        replay = result_replay.prepare(plan, ctx, walk)
        replayed = replay.replayed if replay is not None else None
        if replayed is None and not early:
            prefetch(plan, ctx)
    except BaseException:
        ctx.cancel.set()  # whatever was started in the background stops (bandit's processes are killed)
        raise
    outcome = run_checks(plan, ctx, progress, replayed)
    if replay is not None and replayed is None:
        result_replay.record(replay, plan, outcome, ctx, lambda res: _as_reported(res, ctx.redactor))
    # Scoring's rules, in order: the strength rule on each verdict (before the judges, so a claim
    # is never substantiated by a mention), the judges, then waivers on the findings.
    outcome.results.update(grade_all(_scored_checks(plan), outcome.results))
    judge_after_checks(plan, outcome, ctx)
    outcome.results.update(grade_all(_scored_checks(plan), outcome.results))
    suppressions = apply_suppressions(outcome.results, ctx)
    finished_at = dt.datetime.now(dt.timezone.utc)
    return build_report(plan, outcome, ctx, started_at, finished_at, suppressions)


def resolve_root(path: str | None) -> Path | None:
    if path is None:
        return None
    root = Path(path).expanduser()
    if not root.exists():
        raise ConfigError(path, "no such file or folder")
    if not root.is_dir():
        raise ConfigError(path, "is a file; give the folder of the service's repository")
    return root.resolve()
