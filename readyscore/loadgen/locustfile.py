"""readyscore's Locust file: an LLM chat user, a staged load shape, and per-request records.

Run only by Locust (`python -m locust -f <this file> --headless --readyscore-plan <json> ...`);
never imported by readyscore itself, because importing locust monkey-patches the process.

Why not Locust's HttpUser or FastHttpUser: both time a streamed request only to its headers, and
FastHttpSession reads streamed bodies in 1-4 KiB blocks that wait until full (a late TTFT, gaps of
zero). requests' `raw.read1()` times reads right but costs about half the request rate on a 2-core
client (session work per request, http.client's pure-Python chunk parsing, one read per chunk).
So each user holds one geventhttpclient connection (the C parser FastHttpUser is built on) and
reads with `read_available`: whatever has arrived, decoded, one `recv` at most. We time every read
ourselves and fire exactly one Locust request event per LLM request, carrying the end-to-end time
and the output tokens.

The plan (stages, request mix, path, auth header) comes as one JSON custom argument, which Locust
also hands to workers on other machines. The API key never travels on a command line: every
process reads it from the environment variable the plan names.
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any
from urllib.parse import SplitResult, urlsplit

from geventhttpclient import HTTPClient
from locust import LoadTestShape, User, events, task
from locust.runners import MasterRunner

from readyscore.loadgen.record import RequestRecord
from readyscore.loadgen.recorder import Recorder
from readyscore.loadgen.sse import StreamTimer, read_usage_tokens

MAX_STAGES = 16
READ_SIZE = 65536
MAX_BODY_BYTES = 8 * 1024 * 1024  # a streamed answer larger than this is cut and flagged
MAX_ERROR_BODY = 2048
VOCABULARY = ("latency", "token", "service", "model", "request", "stream", "budget", "cluster", "replica",
              "queue", "window", "signal", "vector", "policy", "metric", "region", "shard", "cache")

STAGE_MESSAGE = "readyscore_stage"
NONCE_SLOT = "@@readyscore-nonce@@"

_plan: dict[str, Any] | None = None
_recorder: Recorder | None = None
_stage_index: int | None = None


@events.init_command_line_parser.add_listener
def _add_arguments(parser) -> None:
    parser.add_argument("--readyscore-plan", type=str, default="", include_in_web_ui=False,
                        help="readyscore load plan (JSON)")


def plan() -> dict[str, Any]:
    global _plan
    if _plan is None:
        raw = getattr(_environment.parsed_options, "readyscore_plan", "") if _environment else ""
        raw = raw or os.environ.get("READYSCORE_LOAD_PLAN", "")
        if raw and not raw.lstrip().startswith("{"):
            with open(raw, encoding="utf-8") as handle:  # a path to the plan file
                raw = handle.read()
        _plan = json.loads(raw) if raw else {"stages": []}
    return _plan


_environment = None


@events.init.add_listener
def _on_init(environment, **_: Any) -> None:
    global _environment
    _environment = environment
    runner = environment.runner
    if runner is not None and not isinstance(runner, MasterRunner):
        runner.register_message(STAGE_MESSAGE, _on_stage_message)


def _on_stage_message(msg, **_: Any) -> None:
    global _stage_index
    data = msg.data if isinstance(msg.data, dict) else {}
    if isinstance(data.get("index"), int):
        _stage_index = data["index"]


def recorder() -> Recorder:
    global _recorder
    if _recorder is None or not _recorder.belongs_to_this_process():
        current = plan()
        _recorder = Recorder(current.get("out_dir") or ".", forward=bool(current.get("forward")))
    return _recorder


@events.report_to_master.add_listener
def _forward(client_id: str, data: dict[str, Any], **_: Any) -> None:
    if _recorder is not None and _recorder.forward:
        data["readyscore_records"] = _recorder.take_for_master()


@events.worker_report.add_listener
def _receive(client_id: str, data: dict[str, Any], **_: Any) -> None:
    lines = data.get("readyscore_records")
    if isinstance(lines, list) and lines:
        recorder().add_lines(lines, client_id)


_clock_start: float | None = None


@events.test_start.add_listener
def _start_clock(**_: Any) -> None:
    global _clock_start
    if _clock_start is None:
        _clock_start = time.monotonic()


def current_stage() -> dict[str, Any]:
    """The stage in force now: as the shape last announced it, else on this process's own clock."""
    stages = plan().get("stages") or [{"name": "load"}]
    if _stage_index is not None:
        return stages[min(_stage_index, len(stages) - 1)]
    elapsed = time.monotonic() - (_clock_start if _clock_start is not None else time.monotonic())
    for stage in stages[:MAX_STAGES]:
        if elapsed < float(stage.get("end_s", 0)):
            return stage
    return stages[-1]


@events.quitting.add_listener
def _flush_on_quitting(**_: Any) -> None:
    if _recorder is not None:
        _recorder.flush()


@events.quit.add_listener
def _close_on_quit(**_: Any) -> None:
    # `quit` comes after the runner stopped its users, so requests drained at the end are in.
    if _recorder is not None:
        _recorder.close()


@events.test_stop.add_listener
def _flush_on_stop(**_: Any) -> None:
    if _recorder is not None:
        _recorder.flush()


# ---------------------------------------------------------------------------------------------
# The user


class LlmUser(User):
    """Sends chat completions as the plan's request mix says and records each one.

    Every request is labelled with the stage in force when it was sent, as the shape announced it
    (a message that reaches workers on other machines too): users outlive stage changes (Locust only
    adds or removes users), so the label cannot come from the user. Think time and Retry-After
    handling follow the stage too.
    """

    def on_start(self) -> None:
        current = plan()
        self.rng = random.Random(f"{current.get('seed', 0)}-{id(self)}-{time.time()}")
        target = urlsplit(self.host or self.environment.host or "")
        self.path = target.path.rstrip("/") + current.get("chat_path", "/v1/chat/completions")
        self.timeout = float(current.get("timeout_s", 30))
        self.deadline = float(current.get("stream_deadline_s", 120))
        self.mix = current.get("mix") or {}
        headers = {"Content-Type": "application/json", "Accept-Encoding": "identity",
                   "User-Agent": "readyscore-load"}
        key = os.environ.get(current.get("api_key_env") or "READYSCORE_LOAD_API_KEY")
        if key:
            scheme = current.get("auth_scheme", "Bearer")
            headers[current.get("auth_header", "Authorization")] = f"{scheme} {key}" if scheme else key
        self.headers = headers
        self.pause_until = 0.0
        self.templates: dict[tuple[Any, Any, bool], tuple[bytes, bytes | None]] = {}
        self.target = target
        self.client = _client(target, current.get("verify", True), self.timeout)

    def on_stop(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()

    def wait_time(self) -> float:
        wait = current_stage().get("wait_s") or [0, 0]
        low, high = float(wait[0]), float(wait[-1])
        base = self.rng.uniform(low, high) if high > 0 else 0.0
        return max(base, self.pause_until - time.monotonic())

    def _body(self) -> tuple[bytes, bool, str]:
        mix = self.mix
        words = self.rng.choice(mix.get("prompt_words") or [32])
        max_tokens = self.rng.choice(mix.get("max_tokens") or [32])
        stream = self.rng.random() < float(mix.get("stream_share", 1.0))
        key = (words, max_tokens, stream)
        parts = self.templates.get(key)
        if parts is None:
            parts = self.templates[key] = self._template(int(words), int(max_tokens), stream)
        # A fresh nonce opens every prompt, so no prompt (prefix) cache answers two requests alike;
        # the rest of a user's body is built once per mix combination.
        if parts[1] is None:
            return parts[0], stream, ""
        nonce = f"{self.rng.getrandbits(40):010x}"
        return parts[0] + nonce.encode() + parts[1], stream, nonce

    def _template(self, words: int, max_tokens: int, stream: bool) -> tuple[bytes, bytes | None]:
        prompt = f"[{NONCE_SLOT}] Summarise: " + " ".join(self.rng.choices(VOCABULARY, k=max(0, words)))
        template = plan().get("body_template")
        body = json.loads(json.dumps(template)) if isinstance(template, dict) else {
            "messages": [{"role": "user", "content": prompt}]}
        if isinstance(template, dict) and isinstance(body.get("messages"), list):
            body["messages"] = [*body["messages"], {"role": "user", "content": prompt}]
        model = plan().get("model")
        if model:
            body["model"] = model
        body["max_tokens"] = max_tokens
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        else:
            body.pop("stream", None)
            body.pop("stream_options", None)
        before, slot, after = json.dumps(body).encode().partition(NONCE_SLOT.encode())
        return (before, after) if slot else (before, None)  # a template without messages: as given

    @task
    def chat(self) -> None:
        body, stream, nonce = self._body()
        stage = current_stage()
        records = recorder()
        record: RequestRecord = {"id": records.next_id(), "stage": stage.get("name", "?"), "stream": stream,
                                 "t": time.time(), "nonce": nonce}
        started = time.perf_counter()
        # CLOCK_MONOTONIC, shared by every process on this host: lets a loopback test server
        # compare its own write times with this send time (bench/load_accuracy.py).
        record["t0m"] = started
        completed = False
        try:
            self._exchange(body, stream, started, record, stage)
            completed = True
        finally:
            if not completed:  # killed mid-request (a stop without drain): kept, but out of the stats
                record["interrupted"] = True
                record.setdefault("end", time.perf_counter() - started)
            records.add(record)
            if completed:
                # One Locust event per LLM request: end-to-end time (to the last token), tokens as size.
                seconds = record.get("e2e") if record.get("e2e") is not None else record.get("end") or 0.0
                self.environment.events.request.fire(
                    request_type="POST", name=record["stage"], response_time=1000.0 * seconds,
                    response_length=int(record.get("n") or 0), response=None, context={},
                    exception=None if record.get("ok") else RequestFailed(record.get("error") or "failed"))

    def _exchange(self, body: bytes, stream: bool, started: float, record: RequestRecord,
                  stage: dict[str, Any]) -> None:
        try:
            response = self.client.request("POST", self.path, body=body, headers=self.headers)
        except Exception as exc:  # noqa: BLE001 - refused, reset, timeouts, garbage: measured, never raised
            record.update(status=None, ok=False, end=time.perf_counter() - started, kind=_failure_kind(exc),
                          error=f"{type(exc).__name__}: {str(exc)[:160]}")
            self._reset_client()
            return
        record["hdr"] = time.perf_counter() - started  # time to the response headers
        status = response.status_code
        record["status"] = status
        if status != 200:
            self._refused(response, status, started, record, stage)
        elif stream:
            self._read_stream(response, started, record)
        else:
            self._read_whole(response, started, record)
        if not response.message_complete:
            # We stopped reading early (deadline, size cap, error event, broken body): the
            # connection holds unread bytes and must not serve the next request.
            self._reset_client()

    def _reset_client(self) -> None:
        self.client.close()
        self.client = _client(self.target, plan().get("verify", True), self.timeout)

    def _refused(self, response, status: int, started: float, record: RequestRecord,
                 stage: dict[str, Any]) -> None:
        retry_after = response.get("retry-after")
        if isinstance(retry_after, list):  # the header sent more than once
            retry_after = retry_after[0] if retry_after else None
        record["kind"] = "http_429" if status == 429 else ("http_5xx" if status >= 500 else "http_4xx")
        record["error"] = f"HTTP {status}"
        if isinstance(retry_after, str):
            record["retry_after"] = retry_after[:40]
            seconds = _seconds(retry_after)
            if stage.get("honour_retry_after") and seconds is not None:
                cap = float(stage.get("max_retry_wait_s", 5))
                self.pause_until = time.monotonic() + min(seconds, cap)
        try:
            size = 0
            while size <= MAX_ERROR_BODY:
                chunk = read_available(response)
                if not chunk:
                    break
                size += len(chunk)
        except Exception:  # noqa: BLE001 - the error body is only drained, never needed
            pass
        record["end"] = time.perf_counter() - started
        record["ok"] = False

    def _read_stream(self, response, started: float, record: RequestRecord) -> None:
        timer = StreamTimer(started)
        total = 0
        failure: tuple[str, str] | None = None
        try:
            while True:
                chunk = read_available(response)
                arrived = time.perf_counter()
                if not chunk:
                    break
                timer.feed(chunk, arrived)
                total += len(chunk)
                if total > MAX_BODY_BYTES:
                    failure = ("invalid", "the stream exceeded the size cap")
                    break
                if timer.timing.error is not None:
                    break
                if arrived - started > self.deadline:
                    failure = ("timeout", f"the stream did not end within {self.deadline:g} s")
                    break
        except Exception as exc:  # noqa: BLE001 - a broken read is a measured failure, not a crash
            failure = (_failure_kind(exc), f"{type(exc).__name__} while streaming: {str(exc)[:160]}")
        timing = timer.close(time.perf_counter())
        if failure is None:
            failure = timing.problem()
        record.update(ttft=timing.ttft, e2e=timing.last_content, end=timing.end, n=timing.tokens,
                      src=timing.token_count_source, gaps_us=[int(g * 1e6) for g in timing.gaps],
                      events=timing.content_events)
        if timing.finish_reason:
            record["finish"] = timing.finish_reason[:20]
        if failure is not None:
            record["kind"], record["error"] = failure
            record["ok"] = False
        else:
            record["ok"] = True

    def _read_whole(self, response, started: float, record: RequestRecord) -> None:
        chunks, size = [], 0
        try:
            while size <= MAX_BODY_BYTES:
                chunk = read_available(response)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except Exception as exc:  # noqa: BLE001
            record.update(kind=_failure_kind(exc), error=f"{type(exc).__name__}: {str(exc)[:160]}", ok=False,
                          end=time.perf_counter() - started)
            return
        body = b"".join(chunks)
        end = time.perf_counter() - started
        tokens, has_choice, error = read_usage_tokens(body)
        record.update(e2e=end, end=end, n=tokens if tokens is not None else 0,
                      src="usage" if tokens is not None else "none")
        if error or not has_choice:
            record.update(kind="invalid", error=error or "the body has no choices", ok=False)
        else:
            record["ok"] = True


class RequestFailed(Exception):
    """What Locust's statistics show for a failed LLM request (the record has the details)."""


def _client(target: SplitResult, verify: Any, timeout: float) -> HTTPClient:
    """One keep-alive connection per user, as an API client would hold."""
    https = target.scheme == "https"
    options: dict[str, Any] = {}
    if https and isinstance(verify, str):
        options["ssl_options"] = {"ca_certs": verify}
    return HTTPClient(target.hostname or "127.0.0.1", port=target.port or (443 if https else 80), ssl=https,
                      insecure=https and verify is False, connection_timeout=min(timeout, 10.0),
                      network_timeout=timeout, concurrency=1, block_size=READ_SIZE, **options)


def read_available(response) -> bytes:
    """The body bytes that have arrived, decoded from the chunked framing, waiting only when none
    have: one `recv` at most. (geventhttpclient's own `read(n)` waits until n bytes are in, which
    turns a token stream into 1-4 KiB bursts.) Empty bytes: the body has ended.

    It reaches into two private attributes of geventhttpclient's response (`_body_buffer`, `_sock`):
    the library has no public "read what is there" call. tests/load pins the behaviour."""
    buffer = response._body_buffer
    while not buffer:  # a read may hold only chunk framing: then wait for payload
        sock = response._sock
        if response.message_complete or sock is None:
            return b""
        data = sock.recv(READ_SIZE)
        response.feed(data)  # b"" tells the parser the connection closed (ends a close-delimited body)
        if not data:
            break
    chunk = bytes(buffer)
    del buffer[:]
    return chunk


def _failure_kind(exc: BaseException) -> str:
    name = type(exc).__name__
    if isinstance(exc, TimeoutError) or "Timeout" in name or "timed out" in str(exc):
        return "timeout"
    if "Parse" in name or "Protocol" in name:
        return "invalid"
    return "connection"


def _seconds(value: str) -> float | None:
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP date: honoured as "some time", not parsed
    return seconds if 0 <= seconds < 86400 else None


class PlannedStages(LoadTestShape):
    """The plan's stages one after the other; the run ends after the last one.

    A stage with `min_requests` ends as soon as that many requests completed after its warm-up
    (counted from Locust's statistics, which carry one entry per stage name), or at its time bound,
    whichever comes first: the normal stage gathers its minimum sample without a fixed length.
    """

    use_common_options = False

    announced: int | None = None
    index: int = 0
    started: float = 0.0
    baseline: int | None = None  # requests completed in this stage when its warm-up ended

    def tick(self):
        stages = (plan().get("stages") or [])[:MAX_STAGES]
        now = self.get_run_time()
        while self.index < len(stages):
            stage = stages[self.index]
            elapsed = now - self.started
            if elapsed < _stage_length(stages, self.index) and not self._has_sample(stage, elapsed):
                if self.index != self.announced and self.runner is not None:
                    # Workers label requests by this announcement, not by their own clocks: a
                    # worker that got no user in the first stage starts its clock late.
                    self.runner.send_message(STAGE_MESSAGE, {"index": self.index})
                    self.announced = self.index
                return int(stage["users"]), float(stage.get("spawn_rate", 100))
            self.index, self.started, self.baseline = self.index + 1, now, None
        return None

    def _has_sample(self, stage: dict[str, Any], elapsed: float) -> bool:
        wanted = int(stage.get("min_requests") or 0)
        if wanted <= 0 or self.runner is None or elapsed < float(stage.get("warmup_s") or 0):
            return False
        entry = self.runner.stats.entries.get((stage.get("name", "?"), "POST"))
        done = entry.num_requests if entry is not None else 0
        if self.baseline is None:
            self.baseline = done
            return False
        return done - self.baseline >= wanted


def _stage_length(stages: list[dict[str, Any]], index: int) -> float:
    stage = stages[index]
    if stage.get("duration_s") is not None:
        return float(stage["duration_s"])
    return float(stage["end_s"]) - (float(stages[index - 1]["end_s"]) if index else 0.0)
