"""One resilience run: start the fake upstream (and the service, with --service-cmd), wait until
the service is healthy, play the scenario, and stop everything again, on every way out."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from pathlib import Path

from readyscore.config import ResilienceTarget
from readyscore.resilience.probes import ProbeClient
from readyscore.resilience.processes import FakeUpstream, ProcessError, ServiceProcess, free_port
from readyscore.resilience.scenario import RunAborted, RunRecord, Scenario
from readyscore.settings.live import LiveSettings
from readyscore.settings.resilience import ResilienceSettings


class RunFailed(RuntimeError):
    """The run could not start (the reason says what to fix)."""


def run_resilience(target: ResilienceTarget, settings: ResilienceSettings, live: LiveSettings, url: str | None,
                   api_key: str | None, cancel: threading.Event) -> RunRecord:
    with contextlib.ExitStack() as stack:
        upstream = FakeUpstream(target.listen_host, target.listen_port)
        try:
            upstream.start()
        except ProcessError as exc:
            raise RunFailed(f"the fake upstream could not start: {exc}") from None
        stack.callback(upstream.stop)
        service: ServiceProcess | None = None
        if target.starts_service:
            service, url = _start_service(target, upstream.url, url, stack)
        if not url:
            raise RunFailed("no service URL to probe: give --url (or --service-url with --service-cmd)")
        # Ctrl-C: stop the processes at once, so a probe blocked on a hung call returns now.
        done = threading.Event()
        stack.callback(done.set)
        threading.Thread(target=_stop_on_cancel, args=(cancel, done, upstream, service), daemon=True,
                         name="resilience-cancel-watch").start()
        auth = f"{live.auth_scheme} {api_key}".strip() if api_key else None
        client = ProbeClient(url, chat_path=live.chat_path, model=live.model, prompt=live.prompt,
                             max_tokens=live.max_tokens, auth_header=live.auth_header, auth_value=auth,
                             fallback_headers=settings.fallback_headers)
        if service is not None:
            _wait_healthy(client, service, settings, cancel)
        run = Scenario(upstream, client, settings, cancel).execute()
        if service is not None and service.exited() is not None and not run.aborted:
            run.aborted = f"the service exited during the run (code {service.exited()})"
        return run


def _start_service(target: ResilienceTarget, upstream_url: str, url: str | None,
                   stack: contextlib.ExitStack) -> tuple[ServiceProcess, str]:
    if not target.upstream_env:
        raise RunFailed("--service-cmd needs --upstream-env NAME (the variable the service reads its provider URL from)")
    port = free_port()
    command = target.service_cmd
    if isinstance(command, str):
        command = command.replace("{port}", str(port))
    else:
        command = [part.replace("{port}", str(port)) for part in command]
    service_url = (target.service_url or url or "http://127.0.0.1:{port}").replace("{port}", str(port)).rstrip("/")
    logs = Path(tempfile.mkdtemp(prefix="readyscore-resilience-"))
    stack.callback(shutil.rmtree, logs, ignore_errors=True)
    env = {**target.service_env, target.upstream_env: upstream_url + "/v1", "PORT": str(port)}
    service = ServiceProcess(command, env, log_path=logs / "service.log")
    try:
        service.start()
    except ProcessError as exc:
        raise RunFailed(str(exc)) from None
    stack.callback(service.stop)  # runs before the log cleanup (ExitStack is last in, first out)
    return service, service_url


def _wait_healthy(client: ProbeClient, service: ServiceProcess, settings: ResilienceSettings,
                  cancel: threading.Event) -> None:
    deadline = time.monotonic() + settings.start_timeout_s
    last = "no answer yet"
    while time.monotonic() < deadline:
        if cancel.is_set():
            raise RunAborted("the audit was interrupted")
        code = service.exited()
        if code is not None:
            tail = service.log_tail()
            raise RunFailed(f"the service exited with code {code} before answering {settings.health_path}"
                            + (f"; its output ends with:\n{tail}" if tail else ""))
        status, _, error = client.health(settings.health_path, bound_s=2.0)
        if status is not None and 200 <= status < 300:
            return
        last = f"HTTP {status}" if status is not None else (error or "no answer")
        cancel.wait(0.2)
    raise RunFailed(f"the service did not answer {settings.health_path} with 2xx within "
                    f"{settings.start_timeout_s:g} s (last: {last})")


def _stop_on_cancel(cancel: threading.Event, done: threading.Event, upstream: FakeUpstream,
                    service: ServiceProcess | None) -> None:
    while not done.is_set():
        if cancel.wait(0.2):
            if service is not None:
                service.stop()
            upstream.stop()
            return
