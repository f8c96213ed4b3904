"""Capacity planning from measured load: how many replicas a target request rate needs.

Little's law says the mean number of requests in flight is throughput x latency, so a target rate
Q at a per-request latency L keeps Q*L requests in flight. An LLM replica batches: it serves C*
requests at once while still meeting the SLOs (the knee of a load sweep). At a target utilization
U (headroom for bursts and a failed replica), the replicas needed are

    W = Q * L / (U * C*)          equivalently  W = Q / (U * X*),  X* = C* / L*

where L must be the latency measured at that concurrency, not at idle. Pure functions.
"""

from __future__ import annotations

import math
from typing import Any


def replicas_needed(target_rps: float, latency_s: float, utilization: float, concurrency: float) -> dict[str, Any]:
    in_flight = target_rps * latency_s
    exact = in_flight / (utilization * concurrency)
    return {"target_rps": target_rps, "latency_s": round(latency_s, 4), "utilization": utilization,
            "replica_concurrency": round(concurrency, 3), "in_flight_at_target": round(in_flight, 3),
            "replicas_exact": round(exact, 3), "replicas": max(1, math.ceil(exact - 1e-9)),
            "formula": "W = Q * L / (U * C*)"}


def sweep_knee(steps: list[dict[str, Any]], attainment: float) -> dict[str, Any]:
    """From the sweep's steps (each a stage_stats dict plus `users`), in increasing users:

    - knee: the last step whose SLO attainment is still >= `attainment` (its measured concurrency
      is C*, its mean latency L*);
    - saturation: the first step at which adding users no longer adds throughput (< 10% more
      requests/s for the extra users) or the SLOs break, whichever comes first.
    """
    usable = [s for s in steps if s.get("requests")]
    knee = None
    for step in usable:
        if (step.get("slo_attainment") or 0.0) >= attainment:
            knee = step
        else:
            break
    saturation = None
    reason = None
    for previous, step in zip(usable, usable[1:], strict=False):
        before, after = previous.get("request_throughput_rps") or 0.0, step.get("request_throughput_rps") or 0.0
        if (step.get("slo_attainment") or 0.0) < attainment:
            saturation, reason = step, f"SLO attainment fell below {attainment:.0%}"
            break
        if after < before * 1.10:
            saturation, reason = step, "throughput stopped growing (< 10% more requests/s)"
            break
    return {
        "knee_users": knee["users"] if knee else None,
        "knee_concurrency": knee.get("mean_concurrency") if knee else None,
        "knee_rps": knee.get("request_throughput_rps") if knee else None,
        "knee_latency_s": (knee["e2e_latency_ms"]["mean"] / 1000.0) if knee and knee["e2e_latency_ms"].get("mean")
        else None,
        "saturation_users": saturation["users"] if saturation else None,
        "saturation_rps": saturation.get("request_throughput_rps") if saturation else None,
        "saturation_reason": reason,
        "max_rps": max((s.get("request_throughput_rps") or 0.0 for s in usable), default=None),
    }


def capacity_plan(normal: dict[str, Any], *, target_rps: float, utilization: float,
                  configured_concurrency: float | None, knee: dict[str, Any] | None,
                  normal_met_slo: bool) -> dict[str, Any]:
    """The plan, with where C* and L came from; `replicas` is None when no C* is known."""
    if configured_concurrency is not None:
        latency = _mean_latency_s(normal)
        source = "configured (capacity.replica_concurrency); L from the normal stage"
        concurrency = configured_concurrency
    elif knee and knee.get("knee_concurrency") and knee.get("knee_latency_s"):
        concurrency, latency = knee["knee_concurrency"], knee["knee_latency_s"]
        source = f"the sweep's knee ({knee['knee_users']} users)"
    elif normal_met_slo and normal.get("mean_concurrency") and _mean_latency_s(normal):
        concurrency, latency = normal["mean_concurrency"], _mean_latency_s(normal)
        source = "the normal stage, which met the SLOs (a lower bound of C*; run --sweep to find the knee)"
    else:
        return {"replicas": None, "source": None,
                "reason": "no measured load met the SLOs, so the concurrency a replica sustains (C*) is unknown"}
    if not latency:
        return {"replicas": None, "source": None, "reason": "no successful request, so no latency to plan with"}
    plan = replicas_needed(target_rps, latency, utilization, concurrency)
    plan["source"] = source
    return plan


def _mean_latency_s(stage: dict[str, Any]) -> float | None:
    mean = (stage.get("e2e_latency_ms") or {}).get("mean")
    return mean / 1000.0 if mean else None
