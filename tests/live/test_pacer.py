"""The pacer on its own: what it reads from rate-limit headers and when it lets a request go.
A fake clock stands in for time (the behaviour against real servers is in
tests/llm/test_llm_rate_limited.py)."""

from __future__ import annotations

import pytest

from readyscore.executors.live.pacer import Pacer, RateLimited, read_headers
from readyscore.net import Exchange


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def answer(status: int = 200, **headers: str) -> Exchange:
    return Exchange(method="POST", url="http://t/v1/chat/completions", status=status,
                    headers={k.replace("_", "-").lower(): v for k, v in headers.items()})


@pytest.mark.parametrize("headers, remaining, reset, limit, window", [
    ({"RateLimit_Limit": "10", "RateLimit_Remaining": "3", "RateLimit_Reset": "2", "RateLimit_Policy": "10;w=2"},
     3, 2.0, 10, 2.0),
    ({"RateLimit": '"default";r=0;t=3', "RateLimit_Policy": '"default";q=5;w=1'}, 0, 3.0, 5, 1.0),
    ({"X_RateLimit_Limit_Requests": "60", "X_RateLimit_Remaining_Requests": "59", "X_RateLimit_Reset_Requests": "1s"},
     59, 1.0, 60, None),
    ({"X_RateLimit_Limit": "100", "X_RateLimit_Remaining": "7", "X_RateLimit_Reset": "1767225600"},  # an epoch
     7, None, 100, None),
    ({}, None, None, None, None),
])
def test_the_rate_limit_headers_it_reads(headers, remaining, reset, limit, window):
    left, when, seen = read_headers(answer(**headers))
    assert (left, when, seen.limit, seen.window_s) == (remaining, reset, limit, window)


def test_no_request_goes_out_when_none_is_left_until_the_window_resets():
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    pacer.acquire()
    pacer.observe(answer(RateLimit_Limit="2", RateLimit_Remaining="1", RateLimit_Reset="2",
                         RateLimit_Policy="2;w=2"))
    pacer.acquire()  # the one left
    assert clock.slept == []
    pacer.acquire()  # none left: waits for the reset
    assert clock.slept == [pytest.approx(2.0)]
    assert pacer.summary()["limit_met"] == "2 requests per 2 s (RateLimit-Policy)"


def test_a_429_holds_every_request_for_its_retry_after():
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    pacer.acquire()
    pacer.observe(answer(429, Retry_After="3"))
    pacer.acquire()
    assert sum(clock.slept) == pytest.approx(3.0)


def test_a_wait_past_the_deadline_raises_and_names_the_limit():
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    pacer.observe(answer(429, Retry_After="30", RateLimit_Policy="1;w=30", RateLimit_Remaining="0"))
    with pacer.bounded(clock.now + 5), pytest.raises(RateLimited) as raised:
        pacer.acquire()
    assert "1 requests per 30 s (RateLimit-Policy)" in str(raised.value)
    assert "past this check's deadline" in str(raised.value)
    assert clock.slept == [] and pacer.summary()["gave_up"] == 1
    with pacer.bounded(clock.now + 60):  # a longer deadline waits instead
        pacer.acquire()
    assert sum(clock.slept) == pytest.approx(30.0)


def test_settle_waits_for_the_window_the_burst_exhausted():
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    pacer.observe(answer(429, Retry_After="1", RateLimit_Reset="4", RateLimit_Remaining="0", RateLimit_Limit="10"))
    assert pacer.settle(10.0) == pytest.approx(4.0)
    pacer.acquire()  # a fresh window: no further wait
    assert sum(clock.slept) == pytest.approx(4.0)
    assert pacer.settle(10.0) == 0.0  # nothing to wait for any more
