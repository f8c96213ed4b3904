"""Shared helpers of the demo-service tests: a pool of running demo servers (one per preset and
set of overrides, started on first use and stopped at the end of the session) and small clients.

Kept out of a conftest.py on purpose: other test folders import their own `conftest` by name."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from readyscore.demo.runner import DemoServer

TIMEOUT = httpx.Timeout(20.0)


class ServerPool:
    def __init__(self) -> None:
        self.servers: dict[tuple, DemoServer] = {}

    def get(self, preset: str, **overrides: Any) -> DemoServer:
        key = (preset, tuple(sorted((k, json.dumps(v)) for k, v in overrides.items())))
        if key not in self.servers:
            self.servers[key] = DemoServer(preset, overrides=overrides).start()
        return self.servers[key]

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


@pytest.fixture(scope="session")
def demo_pool():
    pool = ServerPool()
    yield pool
    pool.close()


def headers(server: DemoServer, key: str | None = "valid") -> dict[str, str]:
    if key is None:
        return {}
    return {"Authorization": f"Bearer {server.api_key if key == 'valid' else key}"}


def chat(server: DemoServer, content: str | list[dict[str, Any]], *, key: str | None = "valid",
         **extra: Any) -> httpx.Response:
    messages = [{"role": "user", "content": content}] if isinstance(content, str) else content
    body = {"model": "readyscore-demo", "messages": messages, **extra}
    return httpx.post(server.url + "/v1/chat/completions", json=body, headers=headers(server, key), timeout=TIMEOUT)


def answer_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]["content"]


def stream(server: DemoServer, body: dict[str, Any], path: str = "/v1/chat/completions",
           key: str | None = "valid") -> tuple[httpx.Response, list[tuple[float, str]]]:
    """POST with stream=true; (the response, [(seconds since the request, data of each event)])."""
    events: list[tuple[float, str]] = []
    started = time.perf_counter()
    with httpx.stream("POST", server.url + path, json={**body, "stream": True}, headers=headers(server, key),
                      timeout=TIMEOUT) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append((time.perf_counter() - started, line[len("data: "):]))
    return response, events
