"""The one load run of an audit: plan it, run Locust, compute the statistics, fill the report section.

Every load check asks `ctx.shared(SHARED_KEY, ...)` for the same `LoadOutcome`, so the service is
loaded once per audit however many checks read the result.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readyscore.executors.base import AuditContext
from readyscore.executors.load import capacity, stats
from readyscore.executors.load.plan import (Stage, load_refusal, main_stages, plan_document, sweep_stages,
                                            total_seconds)
from readyscore.executors.load.runner import LocustRun, run_locust
from readyscore.net import TargetClient

SHARED_KEY = "load.run"
SECTION = "load"
STOP_TIMEOUT_CAP_S = 5.0
RECOVERY_SETTLE_S = 0.5


@dataclass
class LoadOutcome:
    refused: str | None = None  # the load was not run, and why
    failed: str | None = None  # the run could not produce any record, and why
    stopped: str | None = None  # "cancelled" / "timeout": the statistics are partial
    section: dict[str, Any] = field(default_factory=dict)

    def stage(self, name: str) -> dict[str, Any]:
        return (self.section.get("stages") or {}).get(name) or {}


def budget_s(ctx: AuditContext) -> float:
    """How long the whole load run may take (the executors' timeout)."""
    load = ctx.profile.load
    seconds = total_seconds(main_stages(load)) + load.overhead_s + _stop_timeout(ctx)
    if ctx.options.sweep:
        seconds += total_seconds(sweep_stages(load)) + load.overhead_s + _stop_timeout(ctx)
    if load.distributed.expect_workers:
        seconds += load.distributed.wait_for_workers_s
    return seconds


def _stop_timeout(ctx: AuditContext) -> float:
    return min(ctx.profile.load.request_timeout_s, STOP_TIMEOUT_CAP_S)


def run_load(ctx: AuditContext) -> LoadOutcome:
    url = ctx.url
    if not url:
        return LoadOutcome(refused="no --url was given")
    refusal = load_refusal(url, ctx.options.allow_load_on)
    if refusal:
        return LoadOutcome(refused=refusal)
    load, live = ctx.profile.load, ctx.profile.live
    if live.model is None:
        live = live.model_copy(update={"model": _discover_model(ctx)})
    misconfigured = _chat_path_missing(ctx, live)
    if misconfigured:
        return LoadOutcome(refused=misconfigured)
    run_root = Path(tempfile.mkdtemp(prefix="readyscore-load-"))
    try:
        stages = main_stages(load)
        main = _run(ctx, stages, live, run_root / "main")
        section = _section(ctx, main, stages)
        outcome = LoadOutcome(stopped=main.stopped, section=section)
        missing = _mostly_not_found(ctx, section)
        if missing:
            ctx.sections[SECTION] = section
            return LoadOutcome(refused=missing, section=section)
        if not main.records:
            reason = f"Locust produced no request records (exit code {main.returncode})"
            tail = ctx.redactor.redact(main.stderr_tail.strip()[-600:])
            outcome.failed = f"{reason}: {tail}" if tail else reason
        elif ctx.options.sweep and not main.stopped and not ctx.cancel.is_set():
            steps = sweep_stages(load)
            sweep = _run(ctx, steps, live, run_root / "sweep")
            section["sweep"] = _sweep_section(ctx, sweep, steps)
            outcome.stopped = sweep.stopped
        section["capacity"] = _capacity(ctx, section)
        ctx.sections[SECTION] = section
        return outcome
    finally:
        shutil.rmtree(run_root, ignore_errors=True)


def _run(ctx: AuditContext, stages: list[Stage], live, run_dir: Path) -> LocustRun:
    load = ctx.profile.load
    distributed = load.distributed.model_dump() if load.distributed.expect_workers else None
    document = plan_document(stages, load, live, str(run_dir), forward=bool(distributed))
    document["verify"] = (live.ca_bundle or True) if live.verify_tls else False
    limit = total_seconds(stages) + load.overhead_s + _stop_timeout(ctx)
    if distributed:
        limit += load.distributed.wait_for_workers_s
    return run_locust(document, ctx.url, run_dir, api_key=ctx.api_key, cancel=ctx.cancel, limit_s=limit,
                      processes=max(1, ctx.options.processes), stop_timeout_s=_stop_timeout(ctx),
                      distributed=distributed)


def _discover_model(ctx: AuditContext) -> str | None:
    """The first model the service lists; a service without /v1/models gets no `model` field."""
    live = ctx.profile.live
    with TargetClient(ctx.url, api_key=ctx.api_key, auth_header=live.auth_header, auth_scheme=live.auth_scheme,
                      timeout_s=5.0, max_body=256 * 1024, redactor=ctx.redactor, verify=live.verify_tls) as client:
        exchange = client.request("GET", live.models_path)
    payload = exchange.json() if exchange.ok else None
    data = payload.get("data") if isinstance(payload, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict) and isinstance(data[0].get("id"), str):
        return data[0]["id"][:200]
    return None


def _not_found_reason(path: str, status: int) -> str:
    return (f"configuration error, not behaviour: the chat path {path} answered HTTP {status}; set live.chat_path "
            "to the path of the service's chat endpoint")


def _chat_path_missing(ctx: AuditContext, live) -> str | None:
    """One request before the load: a 404/405 on the chat path is a wrong setting, and loading a
    path that does not exist measures nothing about the service."""
    body = (json.loads(json.dumps(live.sample_body)) if live.sample_body else
            {"messages": [{"role": "user", "content": "Reply with the single word: ready"}]})
    if live.model:
        body["model"] = live.model
    if live.api != "generic":
        body["max_tokens"] = 1
    with TargetClient(ctx.url, api_key=ctx.api_key, auth_header=live.auth_header, auth_scheme=live.auth_scheme,
                      timeout_s=ctx.profile.load.request_timeout_s, max_body=256 * 1024, redactor=ctx.redactor,
                      verify=live.verify_tls) as client:
        exchange = client.request("POST", live.chat_path, json_body=body)
    if exchange.status in (404, 405):
        return _not_found_reason(live.chat_path, exchange.status)
    return None


def _mostly_not_found(ctx: AuditContext, section: dict[str, Any]) -> str | None:
    """The same, found during the run: most of the normal stage answered 404/405."""
    normal = (section.get("stages") or {}).get("normal") or {}
    counts = normal.get("status_counts") or {}
    missing = sum(n for status, n in counts.items() if status in ("404", "405"))
    if normal.get("requests") and missing * 2 >= normal["requests"]:
        status = 404 if counts.get("404") else 405
        return _not_found_reason(ctx.profile.live.chat_path, status)
    return None


def slo_of(ctx: AuditContext) -> stats.Slo:
    slo = ctx.profile.load.slo
    return stats.Slo(e2e_ms=slo.e2e_p95_ms, ttft_ms=slo.ttft_p95_ms, tpot_ms=slo.tpot_ms)


def _section(ctx: AuditContext, run: LocustRun, stages: list[Stage]) -> dict[str, Any]:
    load = ctx.profile.load
    records = stats.valid_records(run.records)
    slo = slo_of(ctx)
    origin = min((r["t"] for r in records), default=0.0)
    bounds = stats.stage_bounds(records, origin, [s.name for s in stages])
    ran = _ran_seconds(stages, bounds)
    stage_results = {}
    for stage in stages:
        items = [r for r in records if r["stage"] == stage.name]
        # The normal stage drops its warm-up; the recovery stage its first half second, in which the
        # overload's extra users are still being stopped.
        skip = {"normal": load.warmup_s, "recovery": min(RECOVERY_SETTLE_S, stage.duration_s / 4)}.get(stage.name, 0.0)
        stage_results[stage.name] = stats.stage_stats(items, slo, ran[stage.name], skip)
        stage_results[stage.name]["users"] = stage.users
        stage_results[stage.name]["planned_s"] = ran[stage.name]
        stage_results[stage.name]["bound_s"] = stage.duration_s
        if stage.min_requests:
            stage_results[stage.name]["min_sample"] = load.min_sample
    normal_items = [r for r in records if r["stage"] == "normal" and r.get("ok") and r.get("ttft") is not None]
    cpu = [m["cpu_s"] / m["wall_s"] for m in run.process_meta
           if isinstance(m.get("cpu_s"), (int, float)) and isinstance(m.get("wall_s"), (int, float)) and m["wall_s"] > 0]
    return {
        "definitions": {
            "ttft": "first content-bearing event - send (role-only, empty and usage chunks do not count)",
            "e2e": "last content-bearing event - send (non-streamed: the whole body)",
            "itl": "every gap between consecutive content events, pooled over requests",
            "tpot": "(e2e - TTFT) / (N - 1) per request, N > 1",
            "tokens": "usage.completion_tokens when reported, else the number of content events",
            "goodput": "requests that succeeded and met every SLO, per second of the window",
        },
        "percentile_method": "linear",
        "itl_convention": "per_gap_pooled",
        "warmup_s": load.warmup_s,
        "slo": {"e2e_p95_ms": slo.e2e_ms, "ttft_p95_ms": slo.ttft_ms, "tpot_ms": slo.tpot_ms,
                "max_error_rate": load.slo.max_error_rate},
        "plan": {"users": load.users, "processes": max(1, ctx.options.processes),
                 "stages": [{"name": s.name, "users": s.users, "duration_s": s.duration_s, "ran_s": ran[s.name]}
                            for s in stages],
                 "min_sample": load.min_sample,
                 "mix": load.mix.model_dump(),
                 "distributed_workers": load.distributed.expect_workers},
        "stages": stage_results,
        "stage_bounds": bounds,
        "timeseries": stats.time_series(records, origin),
        "ttft_histogram": stats.histogram([1000.0 * r["ttft"] for r in normal_items]),
        "records": len(records),
        "interrupted": sum(1 for r in records if r.get("interrupted")),
        "unreadable_lines": run.bad_lines,
        "locust": run.locust_totals,
        "stopped": run.stopped,
        "wall_s": round(run.wall_s, 2),
        "client": {"processes": len(run.process_meta),
                   # Locust processes whose records arrived (record ids start with host-pid).
                   "writers": len({str(r.get("id", "")).rsplit("-", 1)[0] for r in records}),
                   "max_cpu_share": round(max(cpu), 3) if cpu else None,
                   "saturated": bool(cpu and max(cpu) > 0.8)},
    }


def _ran_seconds(stages: list[Stage], bounds: list[dict[str, Any]]) -> dict[str, float]:
    """How long each stage really ran: a stage that ended on its minimum sample is shorter than its
    bound (the next stage's first send marks its end; the last stage's, its last completion)."""
    where = {b["name"]: b for b in bounds}
    ran = {}
    for stage in stages:
        bound = where.get(stage.name)
        length = (bound["end_s"] - bound["start_s"]) if bound else stage.duration_s
        ran[stage.name] = round(max(1.0, min(stage.duration_s, length)), 3)
    return ran


def _sweep_section(ctx: AuditContext, run: LocustRun, steps: list[Stage]) -> dict[str, Any]:
    records = stats.valid_records(run.records)
    slo = slo_of(ctx)
    rows = []
    for step in steps:
        items = [r for r in records if r["stage"] == step.name]
        # The first second of every step is its own warm-up (users ramp, connections open).
        row = stats.stage_stats(items, slo, step.duration_s, min(1.0, step.duration_s / 3))
        row["users"] = step.users
        rows.append(row)
    knee = capacity.sweep_knee(rows, ctx.profile.load.sweep.attainment)
    slim = [{k: row.get(k) for k in ("users", "requests", "request_throughput_rps", "mean_concurrency",
                                      "slo_attainment", "error_rate", "goodput_rps")}
            | {"e2e_p95_ms": (row.get("e2e_latency_ms") or {}).get("p95"),
               "ttft_p95_ms": (row.get("ttft_ms") or {}).get("p95")} for row in rows]
    return {"steps": slim, "stopped": run.stopped, **knee}


def _capacity(ctx: AuditContext, section: dict[str, Any]) -> dict[str, Any]:
    load = ctx.profile.load
    normal = section["stages"].get("normal") or {}
    met = normal_meets_slo(ctx, normal)
    plan = capacity.capacity_plan(normal, target_rps=load.capacity.target_rps,
                                  utilization=load.capacity.target_utilization,
                                  configured_concurrency=load.capacity.replica_concurrency,
                                  knee=section.get("sweep"), normal_met_slo=met)
    # What the figures rest on: the check scores them only on the minimum sample.
    source = plan.get("source") or ""
    sweep = section.get("sweep") or {}
    if source.startswith("the sweep's knee"):
        step = next((s for s in sweep.get("steps") or [] if s.get("users") == sweep.get("knee_users")), {})
        plan["rests_on"] = {"stage": f"the sweep step at {sweep.get('knee_users')} users",
                            "requests": step.get("requests") or 0}
    else:
        plan["rests_on"] = {"stage": "the normal stage", "requests": normal.get("requests") or 0}
    plan["rests_on"]["min_sample"] = load.min_sample
    return plan


def normal_meets_slo(ctx: AuditContext, normal: dict[str, Any]) -> bool:
    slo = ctx.profile.load.slo
    if normal.get("e2e_p95_is_failure") or normal.get("ttft_p95_is_failure"):
        return False  # a failed request is slower than any SLO
    e2e = normal.get("e2e_p95_with_failures_ms", (normal.get("e2e_latency_ms") or {}).get("p95"))
    ttft = normal.get("ttft_p95_with_failures_ms", (normal.get("ttft_ms") or {}).get("p95"))
    return (normal.get("ok", 0) > 0 and e2e is not None and e2e <= slo.e2e_p95_ms
            and (ttft is None or ttft <= slo.ttft_p95_ms)
            and (normal.get("error_rate") or 0.0) <= slo.max_error_rate)
