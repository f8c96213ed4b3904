"""The audit's garbage-collector thresholds apply for the audit only."""

from __future__ import annotations

import gc

from readyscore.gcpause import AUDIT_THRESHOLDS, audit_thresholds


def test_thresholds_are_raised_during_the_audit_and_restored_after_even_on_error():
    before = gc.get_threshold()
    try:
        with audit_thresholds():
            assert gc.get_threshold() == AUDIT_THRESHOLDS
            raise RuntimeError("a crash inside the audit")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
