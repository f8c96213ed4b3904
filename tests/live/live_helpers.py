"""Helpers the live tests share (a module of its own: several test folders have a conftest.py)."""

from __future__ import annotations


def status_of(results: dict, check_id: str) -> str:
    return results[check_id].status.value


def explain(results: dict) -> str:
    return "\n".join(f"{r.check_id}: {r.status.value}: {r.message}" for r in results.values())
