"""The scripted run: phases of upstream faults, probes sent through the service in each, and a
record of both sides for the verdicts.

    healthy -> errors (retries, backoff, circuit breaker) -> many clients while failing (storm)
    -> throttled (429 + Retry-After) -> hang -> slow first token -> reset mid-stream
    -> malformed SSE -> healthy again

After each fault the upstream turns healthy and the run waits (bounded) for a real answer before
the next fault: that wait is also a recovery measurement. Everything is bounded: each probe by the
client bound (the service's timeout plus a margin), the fault phases together by the budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from readyscore.resilience.probes import Observation, ProbeClient
from readyscore.resilience.processes import FakeUpstream, ProcessError
from readyscore.settings.resilience import ResilienceSettings


class RunAborted(Exception):
    """The run cannot go on (the service never called the upstream, Ctrl-C ...)."""


@dataclass
class Breaker:
    opened: bool = False
    threshold: int | None = None  # failing client requests that reached the upstream before it opened
    failed_attempts: int | None = None  # upstream attempts that failed before it opened
    opened_at: float | None = None
    short_circuited: list[Observation] = field(default_factory=list)  # answered with no upstream call
    hits_while_open: int = 0  # upstream calls between opening and the trial (should be 0)
    trial_at: float | None = None
    cooldown_s: float | None = None
    closed: bool = False
    note: str = ""


@dataclass
class RecoverySample:
    after: str  # the fault phase it followed
    seconds: float | None  # until the first real answer; None: not within the bound
    bound_s: float


@dataclass
class RunRecord:
    settings: ResilienceSettings
    upstream_url: str = ""
    started: float = field(default_factory=time.monotonic)
    observations: list[Observation] = field(default_factory=list)
    phases: list[dict[str, Any]] = field(default_factory=list)  # name, start, end
    skipped: dict[str, str] = field(default_factory=dict)  # phase -> why it did not run
    upstream: list[dict[str, Any]] = field(default_factory=list)  # every request the upstream saw
    tags_forwarded: bool = True
    breaker: Breaker = field(default_factory=Breaker)
    recoveries: list[RecoverySample] = field(default_factory=list)
    health_after_hang: tuple[int | None, float, str | None] | None = None
    storm_tags: list[str] = field(default_factory=list)
    aborted: str | None = None
    finished: float | None = None

    def in_phase(self, phase: str) -> list[Observation]:
        return [o for o in self.observations if o.phase == phase]

    def model_calls(self) -> list[dict[str, Any]]:
        return [r for r in self.upstream if r.get("model_call")]

    def attempts(self, obs: Observation) -> list[dict[str, Any]]:
        """The upstream calls one client request caused: by its tag, or (when the service does not
        forward the prompt) by arrival while the request was open."""
        calls = self.model_calls()
        if self.tags_forwarded:
            return [r for r in calls if r.get("tag") == obs.tag]
        end = (obs.answered or obs.sent) + 0.05
        return [r for r in calls if obs.sent <= r["t"] <= end]

    def summary(self) -> dict[str, Any]:
        """For the report's `resilience` section: the timeline, without bodies."""
        return {
            "upstream": self.upstream_url,
            "duration_s": round((self.finished or time.monotonic()) - self.started, 2),
            "phases": [{"name": p["name"], "start_s": round(p["start"] - self.started, 3),
                        "end_s": round(p["end"] - self.started, 3) if p.get("end") else None} for p in self.phases],
            "skipped": self.skipped,
            "aborted": self.aborted,
            "client_requests": len(self.observations),
            "upstream_requests": len(self.upstream),
            "upstream_connections": len({r["connection"] for r in self.upstream}),
            "tags_forwarded": self.tags_forwarded,
            "probes": [{"phase": o.phase, "stream": o.stream, "sent_s": round(o.sent - self.started, 3),
                        "result": o.summary(), "upstream_attempts": len(self.attempts(o))}
                       for o in self.observations[:200]],
        }


class Scenario:
    def __init__(self, upstream: FakeUpstream, client: ProbeClient, settings: ResilienceSettings,
                 cancel: threading.Event):
        self.upstream, self.client, self.s, self.cancel = upstream, client, settings, cancel
        self.run = RunRecord(settings=settings, upstream_url=upstream.url)

    # -- the script -----------------------------------------------------------------------------

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [("errors", self.errors_and_breaker), ("storm", self.storm), ("throttle", self.throttle),
                ("hang", self.hang), ("slow_first_token", self.slow_first_token),
                ("reset_mid_stream", lambda: self.stream_fault("reset_mid_stream")),
                ("malformed_sse", lambda: self.stream_fault("malformed_sse"))]

    def execute(self) -> RunRecord:
        try:
            self.baseline()
            for name, step in self.steps():
                self.check_cancel()
                spent = time.monotonic() - self.run.started
                if spent > self.s.budget_s - self.s.recovery_within_s:
                    self.run.skipped[name] = f"the run's budget ({self.s.budget_s:g} s) was spent before this phase"
                    continue
                step()
            self.check_cancel()
            self.settle("healthy_again")
        except RunAborted as exc:
            self.run.aborted = str(exc)
        finally:
            self.run.finished = time.monotonic()
            self.run.upstream = list(self.upstream.records)
        return self.run

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise RunAborted("the audit was interrupted")

    def phase(self, name: str, mode: str, **params: Any) -> float:
        self.check_cancel()
        if self.run.phases and self.run.phases[-1].get("end") is None:
            self.run.phases[-1]["end"] = time.monotonic()
        try:
            start = self.upstream.set_mode(mode, **params)
        except ProcessError as exc:
            raise RunAborted("the audit was interrupted" if self.cancel.is_set() else str(exc)) from None
        self.run.phases.append({"name": name, "mode": mode, "start": start, "end": None})
        return start

    def probe(self, phase: str, stream: bool = False, bound_s: float | None = None) -> Observation:
        self.check_cancel()
        obs = self.client.send(phase, stream=stream, bound_s=bound_s or self.s.client_bound_s)
        # Interrupted while waiting: the processes were stopped under the probe, so what it saw
        # says nothing about the service. It is dropped, not judged.
        self.check_cancel()
        self.run.observations.append(obs)
        self.refresh()
        return obs

    def refresh(self) -> None:
        try:
            self.upstream.sync()
        except ProcessError as exc:
            raise RunAborted(str(exc)) from None
        self.run.upstream = list(self.upstream.records)

    def wait(self, seconds: float) -> None:
        if self.cancel.wait(max(0.0, seconds)):
            raise RunAborted("the audit was interrupted")

    # -- phases ---------------------------------------------------------------------------------

    def baseline(self) -> None:
        self.phase("healthy", "healthy")
        plain = self.probe("healthy")
        streamed = self.probe("healthy", stream=True)
        calls = self.run.model_calls()
        if not calls:
            raise RunAborted("the service never called the fake upstream while it was healthy (plain request: "
                             f"{plain.summary()}); is it reading the upstream URL from the variable given?")
        self.run.tags_forwarded = any(r.get("tag") in (plain.tag, streamed.tag) for r in calls)
        if not plain.success:
            raise RunAborted(f"the service did not answer while the upstream was healthy: {plain.summary()}")

    def errors_and_breaker(self) -> None:
        self.phase("errors", "error")
        breaker = self.run.breaker
        reached = 0
        for _ in range(self.s.breaker_max_requests):
            obs = self.probe("errors")
            if self.run.attempts(obs):
                reached += 1
                continue
            fast = obs.elapsed is not None and obs.elapsed <= self.s.fast_answer_s
            if reached and fast:  # answered at once without calling the upstream: open
                breaker.opened, breaker.threshold, breaker.opened_at = True, reached, obs.sent
                breaker.short_circuited.append(obs)
                break
        if not breaker.opened:
            self.settle("errors")
            return
        phase_start = self.run.phases[-1]["start"]
        breaker.failed_attempts = sum(1 for r in self.run.model_calls() if phase_start <= r["t"] < breaker.opened_at)
        # Open: the upstream turns healthy at once, and the run watches for the half-open trial.
        healthy_at = self.phase("breaker_cooldown", "healthy")
        deadline = healthy_at + self.s.breaker_wait_s
        while time.monotonic() < deadline:
            obs = self.probe("breaker_cooldown")
            attempts = self.run.attempts(obs)
            if attempts:
                breaker.trial_at = attempts[0]["t"]
                breaker.cooldown_s = round(breaker.trial_at - breaker.opened_at, 2)
                break
            breaker.short_circuited.append(obs)
            self.wait(self.s.poll_interval_s)
        breaker.hits_while_open = sum(1 for r in self.run.model_calls()
                                      if breaker.opened_at <= r["t"] < (breaker.trial_at or time.monotonic()))
        if breaker.trial_at is None:
            breaker.note = f"no request reached the upstream within {self.s.breaker_wait_s:g} s of the breaker opening"
            self.settle("errors")
            return
        # Closed again: the next requests reach the (healthy) upstream and succeed.
        confirm = [self.probe("breaker_closed") for _ in range(2)]
        breaker.closed = all(o.success and self.run.attempts(o) for o in confirm)
        if not breaker.closed:
            self.settle("errors")

    def storm(self) -> None:
        self.phase("storm", "error")
        results: list[Observation] = []
        lock = threading.Lock()

        def one() -> None:
            obs = self.client.send("storm", stream=False, bound_s=self.s.client_bound_s)
            with lock:
                results.append(obs)

        threads = [threading.Thread(target=one, daemon=True, name=f"resilience-storm-{i}")
                   for i in range(self.s.storm_clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=self.s.client_bound_s + 5)
        self.check_cancel()
        self.run.observations.extend(results)
        self.refresh()
        self.run.storm_tags = [o.tag for o in results]
        self.settle("storm", bound_s=max(self.s.recovery_within_s, self.s.breaker_wait_s))

    def throttle(self) -> None:
        start = self.phase("throttle", "throttle", retry_after_s=self.s.retry_after_s)
        holder: list[Observation] = []

        def send() -> None:
            try:
                holder.append(self.probe("throttle"))
            except RunAborted:
                pass  # interrupted: the main flow notices at its next step

        thread = threading.Thread(target=send, daemon=True, name="resilience-throttle")
        thread.start()
        # The upstream throttles for `throttle_s`, then answers: a service that waits out the
        # Retry-After and tries again gets a (delayed) success.
        thread.join(timeout=self.s.throttle_s)
        if thread.is_alive():
            self.wait(max(0.0, start + self.s.throttle_s - time.monotonic()))
            self.phase("throttle_over", "healthy")
            thread.join(timeout=self.s.client_bound_s + 5)
        else:
            self.wait(max(0.0, start + self.s.throttle_s - time.monotonic()))
        self.settle("throttle")

    def hang(self) -> None:
        self.phase("hang", "hang", hold_s=self.s.hang_s)
        self.probe("hang")
        self.phase("hang_over", "healthy")  # releases the held calls
        self.run.health_after_hang = self.client.health(self.s.health_path, bound_s=5.0)
        self.settle("hang")

    def slow_first_token(self) -> None:
        self.phase("slow_first_token", "slow_first_token", first_token_s=self.s.hang_s)
        self.probe("slow_first_token", stream=True)
        self.settle("slow_first_token")

    def stream_fault(self, mode: str) -> None:
        self.phase(mode, mode)
        self.probe(mode, stream=True)
        self.settle(mode)

    def settle(self, after: str, bound_s: float | None = None) -> None:
        """Upstream healthy; poll until a real answer (non-fallback, and it reached the upstream)."""
        bound = bound_s or self.s.recovery_within_s
        start = self.phase(f"{after}_recovery" if after != "healthy_again" else after, "healthy")
        while True:
            obs = self.probe(f"recovery:{after}", bound_s=min(self.s.client_bound_s, bound))
            if obs.success and self.run.attempts(obs):
                self.run.recoveries.append(RecoverySample(after, round(obs.answered - start, 3), bound))
                return
            if time.monotonic() - start > bound:
                self.run.recoveries.append(RecoverySample(after, None, bound))
                return
            self.wait(self.s.poll_interval_s)
