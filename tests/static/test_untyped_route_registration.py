"""Routes registered by hand on a receiver the graph cannot type (Xinference's
`router = api._router; router.add_api_route("/status", get_status)`, a Flask app kept on `self`):
in a module that imports the framework, the registration is the framework's and the handler is a
route. The same call in a module that does not import it, and a name that only mentions it, are not."""

from __future__ import annotations

from static_helpers import write_tree

API_CLASS = '''from fastapi import APIRouter, FastAPI


class RESTfulAPI:
    def __init__(self):
        self._router = APIRouter()
        self._app = FastAPI()
'''
REGISTERED = '''from fastapi import HTTPException


async def get_status():
    return {"status": "ok"}


def register_routes(api: "RESTfulAPI") -> None:
    router = api._router
    router.add_api_route("/status", get_status, methods=["GET"])
'''
FLASK_ON_SELF = '''from flask import Flask


class Server:
    def __init__(self, app):
        self.app = app
        self.app.add_url_rule("/v1/chat/completions", view_func=self.chat, methods=["POST"])

    def chat(self):
        return {}
'''
NOT_THE_FRAMEWORK = '''import registry


def status():
    return 1


def register(table):
    table.add_api_route("/status", status)  # some other library's method of the same name
'''
MENTION = '''ROUTES = ["add_api_route", "add_url_rule"]  # how the HTTP layer will register them, one day
'''


def test_fastapi_registration_on_an_untyped_router_is_an_api(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"xinf/api.py": API_CLASS, "xinf/routers/admin.py": REGISTERED})
    result = static_audit(root, ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value == "pass", (result.message, result.evidence)
    assert any("add_api_route" in e.message and e.path == "xinf/routers/admin.py" for e in result.evidence)


def test_flask_registration_on_self_is_an_api(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"server.py": FLASK_ON_SELF})
    result = static_audit(root, ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value == "pass", (result.message, result.evidence)
    assert any("add_url_rule" in e.message for e in result.evidence)


def test_the_same_method_without_the_framework_is_no_api(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"app.py": NOT_THE_FRAMEWORK})
    result = static_audit(root, ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value == "fail", (result.message, result.evidence)


def test_a_mention_of_the_method_is_no_api(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"app.py": MENTION})
    result = static_audit(root, ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value == "fail", (result.message, result.evidence)


ROUTES_ON_A_PARAMETER = '''from typing import Union

from fastapi import APIRouter, FastAPI


def add_routes(app: Union[FastAPI, APIRouter], path: str = "") -> None:
    """LangServe's shape: the routes are declared on the app the caller passes in."""
    @app.post(f"{path}/invoke")
    async def invoke(body: dict):
        return body
'''
UNTYPED_PARAMETER = ROUTES_ON_A_PARAMETER.replace("from fastapi import APIRouter, FastAPI\n", "").replace(
    "app: Union[FastAPI, APIRouter]", "app")


def test_routes_declared_on_a_typed_parameter_are_an_api(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"serve/server.py": ROUTES_ON_A_PARAMETER})
    result = static_audit(root, ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value == "pass", (result.message, result.evidence)
    assert "fastapi.FastAPI.post" in result.message


def test_the_same_on_an_untyped_parameter_without_the_framework_is_not(static_audit, tmp_path):
    root = write_tree(tmp_path / "x", {"serve/server.py": UNTYPED_PARAMETER})
    result = static_audit(root, ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value != "pass", (result.message, result.evidence)
