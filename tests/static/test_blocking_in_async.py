"""static-blocking-in-async: a blocking call in an async request handler fails, with file and line;
an async handler that awaits its I/O (or moves the call off the loop) passes; plain `def` handlers,
startup hooks and command-line coroutines are nothing to judge; a mention is nothing."""

from __future__ import annotations

import pytest

from static_helpers import write_tree

CHECK = "static-blocking-in-async"
HEAD = "import asyncio, time, requests, httpx, openai\nfrom fastapi import FastAPI\napp = FastAPI()\n"

# name -> (app.py after HEAD, expected status, lines (in app.py) the findings must be at)
TWINS = {
    "requests in an async route": (
        "@app.post('/chat')\nasync def chat(body: dict):\n    return requests.post('https://x', json=body, timeout=5).json()\n",
        "fail", {6}),
    "a sync OpenAI client in an async route": (
        "client = openai.OpenAI(timeout=30)\n@app.post('/chat')\nasync def chat(body: dict):\n"
        "    return client.chat.completions.create(model='m', messages=body['messages'])\n",
        "fail", {7}),
    "time.sleep in middleware": (
        "@app.middleware('http')\nasync def slow(request, call_next):\n    time.sleep(0.1)\n"
        "    return await call_next(request)\n",
        "fail", {6}),
    "through a plain helper of the module": (
        "def forward(body):\n    return relay(body)\ndef relay(body):\n"
        "    return httpx.post('https://x', json=body, timeout=5).json()\n"
        "@app.post('/chat')\nasync def chat(body: dict):\n    return forward(body)\n",
        "fail", {10}),
    "through an awaited coroutine of the module": (
        "async def fetch(body):\n    return requests.get('https://x', timeout=5).json()\n"
        "@app.get('/models')\nasync def models():\n    return await fetch({})\n",
        "fail", {8}),
    "a method handed to add_api_route": (
        "class Api:\n    def __init__(self):\n        self.session = requests.Session()\n"
        "        app.add_api_route('/v1/models', self.list_models, methods=['GET'])\n"
        "    async def list_models(self):\n        return self.session.get('https://x', timeout=5).json()\n",
        "fail", {9}),
    "a coroutine handed to a router, awaiting its I/O": (
        "from starlette.routing import Route\naclient = httpx.AsyncClient(timeout=5)\n"
        "async def chat(request):\n    return (await aclient.get('https://x')).json()\nroutes = [Route('/chat', chat)]\n",
        "pass", set()),
    "an async client, awaited": (
        "aclient = httpx.AsyncClient(timeout=5)\n@app.post('/chat')\nasync def chat(body: dict):\n"
        "    answer = await aclient.post('https://x', json=body)\n    await asyncio.sleep(0)\n    return answer.json()\n",
        "pass", set()),
    "the blocking call moved off the loop": (
        "@app.post('/chat')\nasync def chat(body: dict):\n"
        "    answer = await asyncio.to_thread(requests.post, 'https://x', json=body, timeout=5)\n"
        "    return answer.json()\n",
        "pass", set()),
    "a blocking call in a nested function that runs in a thread": (
        "@app.post('/chat')\nasync def chat(body: dict):\n"
        "    def call():\n        return requests.post('https://x', json=body, timeout=5)\n"
        "    return (await asyncio.to_thread(call)).json()\n",
        "pass", set()),
    "plain def handlers (run in the thread pool)": (
        "@app.post('/chat')\ndef chat(body: dict):\n    return requests.post('https://x', json=body, timeout=5).json()\n",
        "not_applicable", set()),
    "only a startup hook blocks": (
        "@app.on_event('startup')\nasync def register():\n    requests.post('https://proxy/register', timeout=5)\n"
        "@app.post('/chat')\ndef chat(body: dict):\n    return body\n",
        "not_applicable", set()),
    "only mentioned": (
        "# never call requests.post() inside an async def: it blocks the event loop\n"
        "@app.post('/chat')\ndef chat(body: dict):\n    return body\n",
        "not_applicable", set()),
}


@pytest.mark.parametrize("twin", sorted(TWINS))
def test_a_blocking_call_in_an_async_handler(static_audit, tmp_path, twin):
    code, status, lines = TWINS[twin]
    tree = write_tree(tmp_path / "svc", {"app.py": HEAD + code})
    result = static_audit(tree, [CHECK])[CHECK]
    assert result.status.value == status, (result.message, result.evidence)
    findings = {(e.path, e.line) for e in result.evidence if e.finding}
    assert findings == {("app.py", line) for line in lines}, result.evidence
    if status == "fail":
        assert all("blocks the event loop" in e.message for e in result.evidence if e.finding)
    if status == "pass":  # what the pass rests on: an async handler that was read
        assert any(e.message.startswith("guarded: async def chat()") for e in result.evidence), result.evidence
    if status == "not_applicable":
        assert "no async request handler" in result.message


def test_the_finding_names_the_helper_and_what_blocks_in_it(static_audit, tmp_path):
    code, _, _ = TWINS["through a plain helper of the module"]
    result = static_audit(write_tree(tmp_path / "svc", {"app.py": HEAD + code}), [CHECK])[CHECK]
    (finding,) = [e for e in result.evidence if e.finding]
    assert "forward(), which calls httpx.post()" in finding.message and "chat()" in finding.message


def test_a_recursive_helper_does_not_loop(static_audit, tmp_path):
    code = ("def walk(n):\n    return walk(n - 1) if n else time.sleep(1)\n"
            "@app.get('/x')\nasync def handler():\n    return walk(3)\n")
    result = static_audit(write_tree(tmp_path / "svc", {"app.py": HEAD + code}), [CHECK])[CHECK]
    assert result.status.value == "fail" and "time.sleep()" in result.evidence[0].message
