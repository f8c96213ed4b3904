"""Fixtures of the fault-injection suite; the helpers live in robust_helpers.py."""

from robust_helpers import certificates  # noqa: F401  (a session fixture, found by pytest here)
