"""Fixtures of the load tests."""

from __future__ import annotations

import pytest

from bench.timed_server import ServerBehaviour, TimedSseServer


@pytest.fixture
def fast_server():
    """A healthy streaming server that sheds load above 8 requests in flight (429 + Retry-After)."""
    with TimedSseServer(ServerBehaviour(ttft_s=0.05, token_delay_s=0.01, max_in_flight=8)) as server:
        yield server
