"""Shared helpers of the demo-service tests: a pool of running demo servers (one per preset and
set of overrides, started on first use and stopped at the end of the session) and small clients.

Kept out of a conftest.py on purpose: other test folders import their own `conftest` by name."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from readyscore.demo.runner import DemoServer

TIMEOUT = httpx.Timeout(20.0)
# One client for every test: a fresh one per request costs more than the request itself.
CLIENT = httpx.Client(timeout=TIMEOUT, trust_env=False)


def _key(preset: str, overrides: dict[str, Any]) -> tuple:
    return preset, tuple(sorted((k, json.dumps(v)) for k, v in overrides.items()))


class ServerPool:
    """Servers by (preset, overrides), shared by every test of the session."""

    def __init__(self) -> None:
        self.servers: dict[tuple, DemoServer] = {}

    def get(self, preset: str, **overrides: Any) -> DemoServer:
        key = _key(preset, overrides)
        if key not in self.servers:
            self.servers[key] = DemoServer(preset, overrides=overrides).start()
        return self.servers[key]

    def warm(self, wanted: list[tuple[str, dict[str, Any]]]) -> None:
        """Start several servers at once: start-up is mostly imports, which overlap well."""
        missing = [(p, o) for p, o in wanted if _key(p, o) not in self.servers]
        with ThreadPoolExecutor(max(1, min(8, len(missing)))) as pool:
            started = list(pool.map(lambda item: DemoServer(item[0], overrides=item[1]).start(), missing))
        for (preset, overrides), server in zip(missing, started, strict=True):
            self.servers[_key(preset, overrides)] = server

    def close(self) -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda server: server.stop(), self.servers.values()))
        self.servers.clear()


POOL = ServerPool()


@pytest.fixture(scope="session")
def demo_pool():
    yield POOL
    POOL.close()


@pytest.fixture(scope="module", autouse=True)
def warm_servers(request, demo_pool):
    """Start the servers a module lists in SERVERS = [(preset, overrides), ...] in parallel."""
    wanted = getattr(request.module, "SERVERS", None)
    if wanted:
        demo_pool.warm(wanted)
    yield


def headers(server: DemoServer, key: str | None = "valid") -> dict[str, str]:
    if key is None:
        return {}
    return {"Authorization": f"Bearer {server.api_key if key == 'valid' else key}"}


def chat(server: DemoServer, content: str | list[dict[str, Any]], *, key: str | None = "valid",
         **extra: Any) -> httpx.Response:
    messages = [{"role": "user", "content": content}] if isinstance(content, str) else content
    body = {"model": "readyscore-demo", "messages": messages, **extra}
    return CLIENT.post(server.url + "/v1/chat/completions", json=body, headers=headers(server, key))


def answer_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]["content"]


def stream(server: DemoServer, body: dict[str, Any], path: str = "/v1/chat/completions",
           key: str | None = "valid") -> tuple[httpx.Response, list[tuple[float, str]]]:
    """POST with stream=true; (the response, [(seconds since the request, data of each event)])."""
    events: list[tuple[float, str]] = []
    started = time.perf_counter()
    with CLIENT.stream("POST", server.url + path, json={**body, "stream": True},
                       headers=headers(server, key)) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append((time.perf_counter() - started, line[len("data: "):]))
    return response, events
