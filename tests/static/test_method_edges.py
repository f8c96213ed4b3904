"""A method's calls on `self` are edges of the service graph: lmdeploy's pure-ASGI
AuthenticationMiddleware checks the key in `self.verify_token(headers)`, called from `__call__`.
The same verifier that `__call__` never calls is not on the request path."""

from __future__ import annotations

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


def test_a_verifier_called_through_self_from_the_middleware_is_on_the_request_path(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"server.py": MIDDLEWARE})
    result = static_audit(root, ["static-cap-auth"])["static-cap-auth"]
    assert result.status.value == "pass", (result.message, result.evidence)
    assert "AuthenticationMiddleware.verify_token" in result.message


def test_the_same_verifier_never_called_is_not(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"server.py": NEVER_CALLED})
    result = static_audit(root, ["static-cap-auth"])["static-cap-auth"]
    assert result.status.value != "pass", (result.message, result.evidence)


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


def test_a_call_on_an_annotated_parameter_is_an_edge_to_its_method(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"server.py": TYPED_PARAMETER})
    result = static_audit(root, ["static-cap-auth"])["static-cap-auth"]
    assert result.status.value == "pass", (result.message, result.evidence)
    assert "KeyChecker.verify" in result.message


def test_without_the_annotation_the_method_is_not_reached(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"server.py": TYPED_PARAMETER.replace("guard: KeyChecker =", "guard=")})
    result = static_audit(root, ["static-cap-auth"])["static-cap-auth"]
    assert result.status.value != "pass", (result.message, result.evidence)


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


def test_a_dependency_defined_in_both_branches_of_an_if_reaches_the_real_check(static_audit, tmp_path):
    """private-gpt defines `authenticated` twice: a dummy when auth is off, the real one otherwise."""
    root = write_tree(tmp_path / "x", {"server.py": CONDITIONAL})
    result = static_audit(root, ["static-cap-auth"])["static-cap-auth"]
    assert result.status.value == "pass", (result.message, result.evidence)


def test_only_the_dummy_branch_reaches_nothing(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"server.py": ONLY_THE_DUMMY})
    result = static_audit(root, ["static-cap-auth"])["static-cap-auth"]
    assert result.status.value != "pass", (result.message, result.evidence)
