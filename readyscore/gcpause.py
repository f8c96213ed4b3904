"""Pause the cyclic garbage collector while building large, long-lived structures.

Reading a warm cache builds millions of small dicts and lists that live until the audit ends (the
facts of every module, the service graph). CPython's collector, triggered by the allocations,
traverses them again and again while finding nothing to free: on a 20,000-file tree that was
about as long as the decoding itself. Nothing here creates reference cycles that need the
collector, and it is re-enabled afterwards, so memory is not at risk.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # how many threads are inside `paused()`: the last one out re-enables the collector
_was_enabled = [True]  # whether it was on when the first one came in


@contextmanager
def paused() -> Iterator[None]:
    global _paused
    with _lock:
        if _paused == 0:
            _was_enabled[0] = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled[0]:
                gc.enable()



# For the length of an audit: a young collection every 50,000 allocations instead of 700, and a full
# one a hundred times rarer. An audit allocates millions of objects that live until it ends (parsed
# trees, facts, manifests, the service graph); with CPython's defaults the collector traverses
# them again and again (about 2 s of CPU on the standard library, cold) while finding nothing to
# free. Young cycles are still collected, and the defaults come back when the audit ends.
AUDIT_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def audit_thresholds() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(*AUDIT_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
