"""What wires a control into the serving path, one pattern per test, each beside the twin that is
not wired (the same code with the wire cut)."""

from __future__ import annotations

import pytest
from static_helpers import write_tree

HEAD = "from fastapi import Depends, FastAPI, HTTPException, Request\n"


def audit(static_audit, tmp_path, check: str, files: dict[str, str]):
    return static_audit(write_tree(tmp_path, files), [check])[check]


@pytest.mark.parametrize("code, status", [
    # Forwarding the caller's header upstream is not authentication.
    ("import httpx\napp = FastAPI()\n\n\n@app.post('/chat')\nasync def chat(request: Request):\n"
     "    auth = request.headers.get('authorization')\n"
     "    return httpx.post('http://up', headers={'Authorization': auth}, timeout=5).json()\n", "fail"),
    # Testing it is a hand-written check.
    ("import os\napp = FastAPI()\n\n\n@app.post('/chat')\nasync def chat(request: Request):\n"
     "    token = request.headers.get('authorization', '').removeprefix('Bearer ')\n"
     "    if token != os.environ['KEY']:\n        raise HTTPException(401)\n    return {}\n", "pass"),
    # Handing it to a guard of the service's own counts too.
    ("import os\napp = FastAPI()\n\n\ndef known(token):\n    if token not in os.environ['KEYS'].split(','):\n"
     "        raise HTTPException(401)\n    return token\n\n\n@app.post('/chat')\nasync def chat(request: Request):\n"
     "    known(request.headers.get('x-api-key'))\n    return {}\n", "pass"),
    # A FastAPI Header parameter, tested.
    ("from fastapi import Header\napp = FastAPI()\n\n\n@app.post('/chat')\n"
     "def chat(x_api_key: str = Header(default='')):\n    if x_api_key != 'k':\n        raise HTTPException(401)\n"
     "    return {}\n", "pass"),
])
def test_credential_headers_forwarded_or_checked(static_audit, tmp_path, code, status):
    result = audit(static_audit, tmp_path, "static-cap-auth", {"app.py": HEAD + code})
    assert result.status.value == status, (result.message, result.evidence)


@pytest.mark.parametrize("wiring, status", [
    ("app = FastAPI(dependencies=[Depends(verify_key)])", "pass"),  # app-wide dependency
    ("app = FastAPI()\napp.include_router(router, dependencies=[Depends(verify_key)])", "pass"),
    # The verifier is depended on by nothing: its library call is off the serving path (declared at most).
    ("app = FastAPI()\napp.include_router(router)", "partial"),
])
def test_app_wide_dependencies_reach_every_route(static_audit, tmp_path, wiring, status):
    code = (HEAD + "from fastapi import APIRouter\nimport hmac\n\n\ndef verify_key(request: Request):\n"
            "    if not hmac.compare_digest(request.headers.get('x-api-key', ''), 'k'):\n"
            "        raise HTTPException(401)\n\n\nrouter = APIRouter()\n\n\n@router.get('/x')\ndef x():\n"
            f"    return 1\n\n\n{wiring}\n")
    result = audit(static_audit, tmp_path, "static-cap-auth", {"app.py": code})
    assert result.status.value == status, (result.message, result.evidence)


@pytest.mark.parametrize("wiring, status", [
    ("app.state.limiter = limiter\napp.add_middleware(SlowAPIMiddleware)", "pass"),
    ("app.state.limiter = limiter", "partial"),  # a limiter nobody applies limits nothing
])
def test_slowapi_needs_a_decorator_or_its_middleware(static_audit, tmp_path, wiring, status):
    code = ("from fastapi import FastAPI\nfrom slowapi import Limiter\nfrom slowapi.middleware import SlowAPIMiddleware\n"
            "from slowapi.util import get_remote_address\n"
            "limiter = Limiter(key_func=get_remote_address, default_limits=['5/minute'])\napp = FastAPI()\n"
            f"{wiring}\n\n\n@app.get('/x')\ndef x():\n    return 1\n")
    result = audit(static_audit, tmp_path, "static-cap-rate-limit", {"app.py": code})
    assert result.status.value == status, (result.message, result.evidence)


@pytest.mark.parametrize("registration, status", [
    ("app.middleware('http')(throttle)", "pass"),  # registered by hand: on every request
    ("", "fail"),  # the same function, registered nowhere
])
def test_a_hand_written_limiter_in_middleware(static_audit, tmp_path, registration, status):
    code = (HEAD + "import time\nfrom fastapi.responses import JSONResponse\nHITS = {}\napp = FastAPI()\n\n\n"
            "async def throttle(request, call_next):\n    now = int(time.time())\n"
            "    HITS[now] = HITS.get(now, 0) + 1\n    if HITS[now] > 10:\n"
            "        return JSONResponse({'error': 'slow down'}, status_code=429)\n    return await call_next(request)\n"
            f"\n\n{registration}\n")
    result = audit(static_audit, tmp_path, "static-cap-rate-limit", {"app.py": code})
    assert result.status.value == status, (result.message, result.evidence)


@pytest.mark.parametrize("model, status", [
    ("class Ask(BaseModel):\n    prompt: str = Field(max_length=100)\n", "pass"),
    ("class Ask(BaseModel):\n    prompt: str\n", "partial"),  # typed, unconstrained
    ("class Inner(BaseModel):\n    text: constr(max_length=10)\n\n\nclass Ask(BaseModel):\n"
     "    items: list[Inner]\n", "pass"),  # a constrained nested model
])
def test_route_models_need_constraints(static_audit, tmp_path, model, status):
    code = (HEAD + "from pydantic import BaseModel, Field, constr\n\n\n" + model +
            "\n\napp = FastAPI()\n\n\n@app.post('/x')\ndef x(body: Ask):\n    return 1\n")
    result = audit(static_audit, tmp_path, "static-cap-input-validation", {"app.py": code})
    assert result.status.value == status, (result.message, result.evidence)


def test_flask_decorators_and_registrations(static_audit, tmp_path):
    code = ("from flask import Flask\nfrom flask_login import login_required\nfrom flask_limiter import Limiter\n"
            "from flask_limiter.util import get_remote_address\napp = Flask(__name__)\n"
            "limiter = Limiter(get_remote_address, app=app, default_limits=['100 per hour'])\n\n\n"
            "@login_required\ndef chat():\n    return 'hi'\n\n\napp.add_url_rule('/chat', view_func=chat)\n")
    results = static_audit(write_tree(tmp_path, {"app.py": code}), ["static-cap-auth", "static-cap-rate-limit",
                                                                     "static-cap-http-api"])
    assert {c: r.status.value for c, r in results.items()} == {
        "static-cap-auth": "pass", "static-cap-rate-limit": "pass", "static-cap-http-api": "pass"}, \
        {c: r.message for c, r in results.items()}


def test_a_library_call_in_dead_code_is_only_declared(static_audit, tmp_path):
    code = ("import sentry_sdk\n\n\ndef never_called():\n    sentry_sdk.init(dsn='https://k@o.ingest.sentry.io/1')\n")
    result = audit(static_audit, tmp_path, "static-cap-error-tracking", {"app.py": code})
    assert result.status.value == "partial", result.message
    assert any("but not on a route's path or in start-up code" in e.message for e in result.evidence)


def test_routes_defined_in_an_app_factory(static_audit, tmp_path):
    code = ("from flask import Flask, abort, request\nimport hmac\n\n\ndef create_app():\n    app = Flask(__name__)\n\n"
            "    @app.post('/chat')\n    def chat():\n"
            "        if not hmac.compare_digest(request.headers.get('x-api-key', ''), 'k'):\n            abort(401)\n"
            "        return 'hi'\n\n    return app\n")
    result = audit(static_audit, tmp_path, "static-cap-auth", {"app.py": code})
    assert result.status.value == "pass", (result.message, result.evidence)


@pytest.mark.parametrize("handler, status", [
    ("@app.get('/x')\ndef x():\n    return 1\n", "pass"),
    # A middleware or an exception handler with no route serves nothing: the framework is only declared.
    ("@app.middleware('http')\nasync def mw(request, call_next):\n    return await call_next(request)\n", "partial"),
])
def test_an_http_api_needs_a_route(static_audit, tmp_path, handler, status):
    code = "from fastapi import FastAPI\napp = FastAPI()\n\n\n" + handler
    result = audit(static_audit, tmp_path, "static-cap-http-api", {"app.py": code})
    assert result.status.value == status, (result.message, result.evidence)


@pytest.mark.parametrize("guard, status", [
    # Delegating the verdict to a provider and returning what it flagged is a guard.
    ("def check_input(texts):\n    answer = httpx.post('http://mod/moderations', json={'input': texts}, timeout=5).json()\n"
     "    return sorted({c for r in answer['results'] if r['flagged'] for c in r['categories']})\n", "pass"),
    # Calling the provider and returning nothing it said is not.
    ("def check_input(texts):\n    httpx.post('http://mod/moderations', json={'input': texts}, timeout=5)\n"
     "    return []\n", "fail"),
])
def test_a_guard_returns_a_verdict_it_computed(static_audit, tmp_path, guard, status):
    code = (HEAD + "import httpx\n\n\n" + guard + "\n\napp = FastAPI()\n\n\n@app.post('/chat')\n"
            "def chat(texts: list[str]):\n    if check_input(texts):\n        raise HTTPException(400)\n    return {}\n")
    result = audit(static_audit, tmp_path, "static-cap-llm-safeguards", {"app.py": code})
    assert result.status.value == status, (result.message, result.evidence)
