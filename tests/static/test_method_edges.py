"""Edges of the service graph that real services need: a method's calls on `self` (lmdeploy's
pure-ASGI AuthenticationMiddleware checks the key in `self.verify_token(headers)`), calls on an
annotated parameter, and a function defined in both branches of a module-level `if` (private-gpt).
Each with its twin that must not reach the check."""

from __future__ import annotations

import pytest
from static_helpers import write_tree

MIDDLEWARE = '''import hashlib
import secrets

from fastapi import FastAPI


class AuthenticationMiddleware:
    def __init__(self, app, tokens):
        self.app = app
        self.api_tokens = [hashlib.sha256(t.encode()).digest() for t in tokens]

    def verify_token(self, headers):
        given = hashlib.sha256(headers.get("authorization", "").encode()).digest()
        return any(secrets.compare_digest(given, token) for token in self.api_tokens)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self.verify_token(dict(scope["headers"])):
            return await send({"type": "http.response.start", "status": 401})
        return await self.app(scope, receive, send)


app = FastAPI()
app.add_middleware(AuthenticationMiddleware, tokens=["k"])


@app.post("/v1/chat/completions")
async def chat(body: dict):
    return body
'''
NEVER_CALLED = MIDDLEWARE.replace(
    'if scope["type"] == "http" and not self.verify_token(dict(scope["headers"])):',
    'if scope["type"] == "websocket":')


TYPED_PARAMETER = '''import secrets

from fastapi import Depends, FastAPI, Request

KEY = "k"


class KeyChecker:
    def verify(self, request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return secrets.compare_digest(given, f"Bearer {KEY}")


def checker() -> KeyChecker:
    return KeyChecker()


app = FastAPI()


@app.post("/v1/chat/completions")
async def chat(request: Request, guard: KeyChecker = Depends(checker)):
    if not guard.verify(request):
        return {"error": "unauthorised"}
    return {}
'''


CONDITIONAL = '''import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException

AUTH_ENABLED = True
SECRET = "from-settings"


def _simple_authentication(authorization: Annotated[str, Header()] = "") -> bool:
    if not secrets.compare_digest(authorization, SECRET):
        raise HTTPException(401, "Not authenticated")
    return True


if not AUTH_ENABLED:
    def authenticated() -> bool:
        return True
else:
    def authenticated(ok: Annotated[bool, Depends(_simple_authentication)]) -> bool:
        return ok


router = APIRouter(dependencies=[Depends(authenticated)])


@router.post("/v1/chat/completions")
async def chat(body: dict):
    return body
'''
ONLY_THE_DUMMY = CONDITIONAL.replace(
    "else:\n    def authenticated(ok: Annotated[bool, Depends(_simple_authentication)]) -> bool:\n        return ok\n", "")


@pytest.mark.parametrize(("code", "passes", "cited"), [
    # lmdeploy's pure-ASGI middleware delegates to `self.verify_token`; the same one never called.
    (MIDDLEWARE, True, "AuthenticationMiddleware.verify_token"),
    (NEVER_CALLED, False, None),
    # `guard.verify(request)` with `guard: KeyChecker = Depends(...)`; without the annotation.
    (TYPED_PARAMETER, True, "KeyChecker.verify"),
    (TYPED_PARAMETER.replace("guard: KeyChecker =", "guard="), False, None),
    # private-gpt defines `authenticated` twice: a dummy when auth is off, the real one otherwise.
    (CONDITIONAL, True, None),
    (ONLY_THE_DUMMY, False, None),
], ids=["self-call", "self-never-called", "annotated", "unannotated", "both-branches", "dummy-only"])
def test_edges_reach_the_check(static_audit, tmp_path, code, passes, cited):
    result = static_audit(write_tree(tmp_path / "x", {"server.py": code}), ["static-cap-auth"])["static-cap-auth"]
    assert (result.status.value == "pass") is passes, (result.message, result.evidence)
    assert cited is None or cited in result.message

