"""The per-request record: what each Locust process writes (one JSON line per LLM request, see
locustfile.py and recorder.py) and what readyscore/executors/load/stats.py reads back.

One definition both sides import. A TypedDict, not a class: the load user builds the record as a
plain dict at full request rate and orjson writes it as it is, so the type costs nothing at run
time, and this module imports nothing but `typing` (loadgen stays light: no pydantic, no locust).
Times are seconds; `t` is wall-clock (time.time()) at the send, the others are offsets from it.
"""

from typing import NotRequired, TypedDict  # no `from __future__ import annotations`: TypedDict reads NotRequired at class creation


class RequestRecord(TypedDict):
    # Always written, at the send ------------------------------------------------------------
    id: str  # "<host>-<pid>-<n>": unique across processes, so a forwarded record is not counted twice
    stage: str  # the load stage the request was sent in: normal, overload, recovery, sweep-<users>
    stream: bool  # a streamed request
    t: float  # wall-clock send time
    t0m: NotRequired[float]  # CLOCK_MONOTONIC send time, comparable with a loopback server's clock
    nonce: NotRequired[str | None]  # the prompt's unique prefix (a test server echoes it)
    # The answer --------------------------------------------------------------------------------
    ok: NotRequired[bool]  # a complete, well-formed answer
    status: NotRequired[int | None]  # HTTP status; None when no response arrived
    hdr: NotRequired[float]  # time to the response headers
    ttft: NotRequired[float | None]  # first content-bearing event (streamed only)
    e2e: NotRequired[float | None]  # last content-bearing event (streamed) or the whole body
    end: NotRequired[float]  # the body ended (or reading stopped)
    n: NotRequired[int]  # output tokens
    src: NotRequired[str]  # where `n` came from: usage, events, none
    gaps_us: NotRequired[list[int]]  # gaps between content events, microseconds
    events: NotRequired[int]  # content-bearing events
    finish: NotRequired[str]  # finish_reason, cut to 20 characters
    # Failures ----------------------------------------------------------------------------------
    kind: NotRequired[str]  # failure class: http_429, http_5xx, http_4xx, timeout, reset, invalid, ...
    error: NotRequired[str]  # what went wrong, cut to a line
    retry_after: NotRequired[str]  # the Retry-After header of a refusal, as sent
    interrupted: NotRequired[bool]  # cut by a stop without drain: kept, but out of the statistics


# Checked by the reading side before a record is used (a damaged file can hold anything).
REQUIRED_FIELDS = frozenset(RequestRecord.__required_keys__)
