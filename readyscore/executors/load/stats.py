"""Statistics of a load run, from readyscore's own per-request records (never Locust's buckets).

Pure functions over the records the Locust processes wrote (see readyscore/loadgen/locustfile.py):
no I/O, no scoring. Conventions, stated in the report as well:

- percentiles are linear interpolations between order statistics (numpy's default, as vLLM and
  genai-perf use), computed on exact values;
- a stage's latency sample is the requests that *started* inside its window (the normal stage's
  window skips the warm-up); requests still in flight when a stage ended were drained and kept;
- rates are completions inside the window divided by the window's length;
- ITL is the pooled list of gaps between content events (vLLM's convention); TPOT is
  (e2e - TTFT) / (N - 1) per request, for N > 1;
- goodput counts requests that succeeded and met every SLO;
- a failed request counts as slower than any SLO: the `*_with_failures` percentiles rank every
  failure above every answer, so a p95 lands on a failure as soon as about 5% of the sample failed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from readyscore.loadgen.record import REQUIRED_FIELDS, RequestRecord

PERCENTILES = (50, 90, 95, 99)
MAX_SERIES_POINTS = 600
HISTOGRAM_BINS = 24


@dataclass(frozen=True)
class Slo:
    e2e_ms: float = 3000.0
    ttft_ms: float = 1000.0
    tpot_ms: float | None = None


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy.percentile's default)."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * p / 100.0
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def summary(values: Iterable[float]) -> dict[str, float | int | None]:
    ordered = sorted(v for v in values if v is not None and math.isfinite(v))
    out: dict[str, float | int | None] = {"n": len(ordered)}
    out["mean"] = _round(sum(ordered) / len(ordered)) if ordered else None
    for p in PERCENTILES:
        out[f"p{p}"] = _round(percentile(ordered, p))
    out["max"] = _round(ordered[-1]) if ordered else None
    return out


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


# ---------------------------------------------------------------------------------------------
# Classifying outcomes


def is_throttled(record: RequestRecord) -> bool:
    """Load shed the polite way: 429, or 503 with Retry-After."""
    status = record.get("status")
    return status == 429 or (status == 503 and record.get("retry_after") is not None)


def is_bad(record: RequestRecord) -> bool:
    """Anything but an answer or a polite refusal (429, or 503 with Retry-After): 5xx, timeouts,
    resets, broken or garbage streams, and every other 4xx — a 400, 401 or 404 under load is not
    shedding load, and a service that answers nothing else must not pass on it."""
    return not (record.get("ok") or is_throttled(record))


def percentile_with_failures(ok_values: list[float], failures: int, p: float) -> tuple[float | None, bool]:
    """(the p-th percentile, whether it is a failure), with every failure ranked slower than any
    answer. None and False when there is no sample at all."""
    ordered = sorted(ok_values) + [math.inf] * failures
    value = percentile(ordered, p)
    if value is None:
        return None, False
    if not math.isfinite(value):
        return None, True
    return _round(value), False


def tpot_ms(record: RequestRecord) -> float | None:
    n, e2e, ttft = record.get("n"), record.get("e2e"), record.get("ttft")
    if not record.get("ok") or not isinstance(n, int) or n < 2 or e2e is None or ttft is None:
        return None
    return 1000.0 * (e2e - ttft) / (n - 1)


def meets_slo(record: RequestRecord, slo: Slo) -> bool:
    if not record.get("ok") or record.get("e2e") is None:
        return False
    if 1000.0 * record["e2e"] > slo.e2e_ms:
        return False
    if record.get("stream") and (record.get("ttft") is None or 1000.0 * record["ttft"] > slo.ttft_ms):
        return False
    if slo.tpot_ms is not None:
        value = tpot_ms(record)
        if value is not None and value > slo.tpot_ms:
            return False
    return True


# ---------------------------------------------------------------------------------------------
# One stage


def stage_window(records: list[RequestRecord], planned_s: float, skip_s: float = 0.0) -> tuple[float, float] | None:
    """(start, end) epoch seconds: from the stage's first send (plus the warm-up) to its planned
    end, or to the last completion when the run stopped early."""
    if not records:
        return None
    first = min(r["t"] for r in records)
    last_done = max(r["t"] + (r.get("end") or 0.0) for r in records)
    start = first + skip_s
    end = min(first + planned_s, max(last_done, start + 1e-3))
    if end <= start:
        end = start + 1e-3
    return start, end


def stage_stats(records: list[RequestRecord], slo: Slo, planned_s: float, skip_s: float = 0.0) -> dict[str, Any]:
    """Everything the report shows about one stage (normal, overload, recovery, a sweep step)."""
    finished = [r for r in records if not r.get("interrupted")]
    window = stage_window(finished, planned_s, skip_s)
    if window is None:
        return {"requests": 0, "window_s": 0.0, "interrupted": len(records) - len(finished)}
    start, end = window
    length = end - start
    sample = [r for r in finished if start <= r["t"] < end]
    ok = [r for r in sample if r.get("ok")]
    errors = [r for r in sample if not r.get("ok")]
    done_in_window = [r for r in finished if start <= r["t"] + (r.get("end") or 0.0) < end]
    good = [r for r in sample if meets_slo(r, slo)]
    streamed_ok = [r for r in ok if r.get("stream")]
    gaps = [g / 1000.0 for r in streamed_ok for g in (r.get("gaps_us") or []) if isinstance(g, (int, float))]
    in_flight = sum(max(0.0, min(end, r["t"] + (r.get("end") or 0.0)) - max(start, r["t"])) for r in finished)
    decode = [(r["n"] - 1) / (r["e2e"] - r["ttft"]) for r in streamed_ok
              if isinstance(r.get("n"), int) and r["n"] > 1 and r.get("e2e") and r.get("ttft") is not None
              and r["e2e"] > r["ttft"]]
    sources = Counter(r.get("src") for r in ok)
    statuses = Counter(str(r.get("status") or "none") for r in sample)
    shed = [r for r in sample if r.get("status") in (429, 503)]
    e2e = summary(1000.0 * r["e2e"] for r in ok if r.get("e2e") is not None)
    e2e_all, e2e_failure = percentile_with_failures(
        [1000.0 * r["e2e"] for r in ok if r.get("e2e") is not None], len(errors), 95)
    streamed = [r for r in sample if r.get("stream")]
    ttft_values = [1000.0 * r["ttft"] for r in streamed_ok if r.get("ttft") is not None]
    ttft_all, ttft_failure = percentile_with_failures(ttft_values, len(streamed) - len(ttft_values), 95)
    # When did failures stop? (the recovery check): the last failed send, and what came after it.
    in_order = sorted(sample, key=lambda r: r["t"])
    last_error = max((i for i, r in enumerate(in_order) if not r.get("ok")), default=None)
    return {
        "requests": len(sample),
        "ok": len(ok),
        "errors": len(errors),
        "error_rate": _round(len(errors) / len(sample), 5) if sample else None,
        "errors_by_kind": dict(Counter(r.get("kind") or "unknown" for r in errors).most_common()),
        "status_counts": dict(statuses.most_common()),
        "throttled": sum(1 for r in sample if is_throttled(r)),
        "bad": sum(1 for r in sample if is_bad(r)),
        "shed_with_retry_after": sum(1 for r in shed if r.get("retry_after") is not None),
        "shed": len(shed),
        "e2e_latency_ms": e2e,
        "ttft_ms": summary(1000.0 * r["ttft"] for r in streamed_ok if r.get("ttft") is not None),
        # Failures ranked slower than any SLO (see the module notes); None with *_is_failure set
        # when the p95 is a failure.
        "e2e_p95_with_failures_ms": e2e_all,
        "e2e_p95_is_failure": e2e_failure,
        "ttft_p95_with_failures_ms": ttft_all,
        "ttft_p95_is_failure": ttft_failure,
        "over_e2e_slo": len(errors) + sum(1 for r in ok if r.get("e2e") is not None and 1000.0 * r["e2e"] > slo.e2e_ms),
        "over_ttft_slo": (len(streamed) - len(ttft_values)) + sum(1 for v in ttft_values if v > slo.ttft_ms),
        "streamed_failed": len(streamed) - len(ttft_values),
        "itl_ms": summary(gaps),
        "tpot_ms": summary(v for v in (tpot_ms(r) for r in streamed_ok) if v is not None),
        "request_throughput_rps": _round(len(done_in_window) / length),
        "output_token_throughput_tps": _round(sum(r.get("n") or 0 for r in done_in_window if r.get("ok")) / length),
        "decode_tokens_per_second_per_request": _round(sum(decode) / len(decode)) if decode else None,
        "goodput_rps": _round(sum(1 for r in done_in_window if meets_slo(r, slo)) / length),
        "slo_attainment": _round(len(good) / len(sample), 4) if sample else None,
        "mean_concurrency": _round(in_flight / length),
        "token_count_source": _token_source(sources),
        "streamed": sum(1 for r in sample if r.get("stream")),
        "window_s": _round(length),
        "window": [start, end],
        "last_error_at_s": None if last_error is None else _round(in_order[last_error]["t"] - start),
        "ok_after_last_error": len(ok) if last_error is None else sum(
            1 for r in in_order[last_error + 1:] if r.get("ok")),
        "interrupted": len(records) - len(finished),
    }


def _token_source(sources: Counter) -> str:
    names = {name for name in sources if name}
    if not names:
        return "none"
    if len(names) == 1:
        return next(iter(names))
    return "mixed (" + ", ".join(f"{name}: {sources[name]}" for name in sorted(names)) + ")"


# ---------------------------------------------------------------------------------------------
# The whole run


def time_series(records: list[RequestRecord], origin: float, stage_of: dict[str, str] | None = None) -> list[dict]:
    """Per-second buckets of completions: rate, errors, latency and TTFT percentiles."""
    finished = [r for r in records if not r.get("interrupted")]
    if not finished:
        return []
    buckets: dict[int, list[dict[str, Any]]] = {}
    for record in finished:
        second = int(record["t"] + (record.get("end") or 0.0) - origin)
        if 0 <= second < MAX_SERIES_POINTS:
            buckets.setdefault(second, []).append(record)
    series = []
    for second in range(0, max(buckets) + 1 if buckets else 0):
        items = buckets.get(second, [])
        ok = [r for r in items if r.get("ok")]
        e2e = sorted(1000.0 * r["e2e"] for r in ok if r.get("e2e") is not None)
        ttft = sorted(1000.0 * r["ttft"] for r in ok if r.get("ttft") is not None)
        stages = Counter(r.get("stage") for r in items)
        series.append({
            "t": second,
            "stage": stages.most_common(1)[0][0] if stages else None,
            "requests": len(items),
            "errors": len(items) - len(ok),
            "throttled": sum(1 for r in items if is_throttled(r)),
            "tokens": sum(r.get("n") or 0 for r in ok),
            "e2e_p50_ms": _round(percentile(e2e, 50), 1),
            "e2e_p95_ms": _round(percentile(e2e, 95), 1),
            "ttft_p50_ms": _round(percentile(ttft, 50), 1),
            "ttft_p95_ms": _round(percentile(ttft, 95), 1),
        })
    return series


def histogram(values_ms: list[float], bins: int = HISTOGRAM_BINS) -> dict[str, list[float]]:
    """Equal-width bins from the minimum to the 99.5th percentile (the rest lands in the last bin)."""
    ordered = sorted(values_ms)
    if not ordered:
        return {"edges_ms": [], "counts": []}
    low = ordered[0]
    top = max(percentile(ordered, 99.5) or low, low + 1e-3)
    width = (top - low) / bins
    counts = [0] * bins
    for value in ordered:
        counts[min(bins - 1, int((value - low) / width))] += 1
    return {"edges_ms": [round(low + width * i, 3) for i in range(bins + 1)], "counts": counts}


def stage_bounds(records: list[RequestRecord], origin: float, order: list[str]) -> list[dict[str, Any]]:
    """Where each stage sits on the run's clock: from its first send to the next stage's first send
    (the last one: to its last completion)."""
    starts = []
    for name in order:
        items = [r for r in records if r.get("stage") == name]
        if items:
            starts.append((name, min(r["t"] for r in items) - origin,
                           max(r["t"] + (r.get("end") or 0.0) for r in items) - origin))
    bounds = []
    for index, (name, start, last) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else last
        bounds.append({"name": name, "start_s": round(start, 3), "end_s": round(max(end, start), 3)})
    return bounds


def valid_records(records: list[dict[str, Any]]) -> list[RequestRecord]:
    """Drop records whose fields are not what the locustfile writes (a damaged file, say)."""
    out = []
    for record in records:
        t, end = record.get("t"), record.get("end")
        if not isinstance(t, (int, float)) or not math.isfinite(t):
            continue
        if end is not None and (not isinstance(end, (int, float)) or not math.isfinite(end) or end < 0):
            continue
        for key in ("e2e", "ttft"):
            value = record.get(key)
            if value is not None and (not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0):
                record[key] = None
        if not isinstance(record.get("stage"), str) or not REQUIRED_FIELDS <= record.keys():
            continue
        out.append(record)  # type: ignore[arg-type] - checked field by field above
    return out
