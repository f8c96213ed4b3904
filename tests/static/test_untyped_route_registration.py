"""Routes registered by hand on a receiver the graph cannot type (Xinference's
`router = api._router; router.add_api_route("/status", get_status)`, a Flask app kept on `self`):
in a module that imports the framework, the registration is the framework's and the handler is a
route; so are LangServe's `@app.post` routes inside `add_routes(app: FastAPI | APIRouter)`, typed by
the parameter's annotation. The same call in a module that does not import the framework, and a
name that only mentions it, are not."""

from __future__ import annotations

import pytest
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


@pytest.mark.parametrize(("files", "passes", "cited"), [
    ({"xinf/api.py": API_CLASS, "xinf/routers/admin.py": REGISTERED}, True, "add_api_route"),
    ({"server.py": FLASK_ON_SELF}, True, "add_url_rule"),
    ({"app.py": NOT_THE_FRAMEWORK}, False, None),
    ({"app.py": MENTION}, False, None),
    ({"serve/server.py": ROUTES_ON_A_PARAMETER}, True, "fastapi.FastAPI.post"),
    ({"serve/server.py": UNTYPED_PARAMETER}, False, None),
], ids=["fastapi-untyped-router", "flask-on-self", "same-method-no-framework", "mention", "typed-parameter",
        "untyped-parameter-no-framework"])
def test_route_registrations(static_audit, tmp_path, files, passes, cited):
    result = static_audit(write_tree(tmp_path / "x", files), ["static-cap-http-api"])["static-cap-http-api"]
    assert (result.status.value == "pass") is passes, (result.message, result.evidence)
    assert cited is None or cited in result.message

