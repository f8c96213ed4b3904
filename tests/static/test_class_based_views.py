"""Class-based views serve requests: a control a view's HTTP-verb method calls is on the request path.

Flask-RESTX and Flask-RESTful resources, Flask's MethodView, Django's views and Starlette's
HTTPEndpoint put the handler in a method named after the verb. DocsGPT's whole API is Flask-RESTX
resources; before these were read, every control its routes call was "defined but no route reaches
it". Each form has a twin where the class is neither decorated nor registered: the same guard is
then reached by nothing, and the check fails.
"""

from __future__ import annotations

import pytest
from static_helpers import write_tree

from readyscore.model import Status

# A hand-written limiter: it answers 429 after a test, so it is rate limiting when a route reaches it.
GUARD = ("from flask import abort\n\nHITS = {}\n\n\ndef enforce_quota(user):\n"
         "    HITS[user] = HITS.get(user, 0) + 1\n    if HITS[user] > 10:\n        abort(429)\n")

VIEW = ("class Chat(BASE):\n    def helper(self):\n        return 1\n\n"
        "    def post(self):\n        enforce_quota('u')\n        return {'ok': True}\n")

FORMS = {
    "restx decorator": {
        "app.py": "from flask_restx import Namespace, Resource\nfrom guard import enforce_quota\n\n"
                  "ns = Namespace('chat')\n\n\n{decorator}" + VIEW.replace("BASE", "Resource"),
        "guard.py": GUARD,
        "_registered": {"decorator": "@ns.route('/chat')\n"}, "_unregistered": {"decorator": ""},
    },
    "restful add_resource": {
        "app.py": "from flask import Flask\nfrom flask_restful import Api, Resource\nfrom guard import enforce_quota\n\n"
                  "app = Flask(__name__)\napi = Api(app)\n\n\n" + VIEW.replace("BASE", "Resource") + "\n\n{register}",
        "guard.py": GUARD,
        "_registered": {"register": "api.add_resource(Chat, '/chat')\n"}, "_unregistered": {"register": ""},
    },
    "MethodView as_view": {
        "app.py": "from flask import Flask\nfrom flask.views import MethodView\nfrom guard import enforce_quota\n\n"
                  "app = Flask(__name__)\n\n\n" + VIEW.replace("BASE", "MethodView") + "\n\n{register}",
        "guard.py": GUARD,
        "_registered": {"register": "app.add_url_rule('/chat', view_func=Chat.as_view('chat'))\n"},
        "_unregistered": {"register": ""},
    },
    "Django path as_view, another module": {
        "views.py": "from django.views import View\nfrom guard import enforce_quota\n\n\n" + VIEW.replace("BASE", "View"),
        "urls.py": "from django.urls import path\n\nfrom views import Chat\n\nurlpatterns = [{entry}]\n",
        "guard.py": GUARD,
        "_registered": {"entry": "path('chat/', Chat.as_view())"}, "_unregistered": {"entry": ""},
    },
    "Starlette endpoint, inherited verb": {
        "app.py": "from starlette.applications import Starlette\nfrom starlette.endpoints import HTTPEndpoint\n"
                  "from starlette.routing import Route\nfrom guard import enforce_quota\n\n\n"
                  "class Base(HTTPEndpoint):\n    def post(self, request):\n        enforce_quota('u')\n"
                  "        return None\n\n\nclass Chat(Base):\n    pass\n\n\n"
                  "app = Starlette(routes=[{entry}])\n",
        "guard.py": GUARD,
        "_registered": {"entry": "Route('/chat', Chat)"}, "_unregistered": {"entry": ""},
    },
}


def tree(form: str, registered: bool) -> dict[str, str]:
    spec = FORMS[form]
    fill = spec["_registered" if registered else "_unregistered"]
    files = {}
    for name, text in spec.items():
        if not name.startswith("_"):
            for slot, value in fill.items():
                text = text.replace("{" + slot + "}", value)
            files[name] = text
    return files


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_guard_called_by_a_registered_view_is_on_the_request_path(static_audit, tmp_path, form):
    result = static_audit(write_tree(tmp_path / "on", tree(form, registered=True)),
                          ["static-cap-rate-limit"])["static-cap-rate-limit"]
    assert result.status == Status.PASS, result.message
    assert "enforce_quota answers 429" in result.message
    result = static_audit(write_tree(tmp_path / "off", tree(form, registered=False)),
                          ["static-cap-rate-limit"])["static-cap-rate-limit"]
    assert result.status != Status.PASS, result.message


def test_only_verb_methods_of_a_view_serve_requests(static_audit, tmp_path):
    """A helper method of a registered resource serves nothing unless a verb method calls it."""
    files = tree("restx decorator", registered=True)
    files["app.py"] = files["app.py"].replace("    def helper(self):\n        return 1",
                                              "    def helper(self):\n        enforce_quota('u')")
    files["app.py"] = files["app.py"].replace("        enforce_quota('u')\n        return {'ok': True}",
                                              "        return {'ok': True}")
    result = static_audit(write_tree(tmp_path, files), ["static-cap-rate-limit"])["static-cap-rate-limit"]
    assert result.status != Status.PASS, result.message


SERVICE_ON_SELF = {
    "guard.py": GUARD,
    "services.py": "from guard import enforce_quota\n\n\nclass Conversations:\n"
                   "    def save(self, user):\n        enforce_quota(user)\n        return user\n",
    "app.py": "from flask_restx import Namespace, Resource\nfrom services import Conversations\n\n"
              "ns = Namespace('chat')\n\n\n@ns.route('/chat')\nclass Chat(Resource):\n"
              "    def __init__(self, *args, **kwargs):\n        super().__init__(*args, **kwargs)\n"
              "        self.conversations = {built}\n\n"
              "    def post(self):\n        self.conversations.save('u')\n        return {{'ok': True}}\n",
}


@pytest.mark.parametrize("built, reached", [
    ("Conversations()", True),  # DocsGPT: the resource keeps its service on self
    ("None", False),  # nothing says which class it is
    ("make_conversations()", False),  # a factory's result: its class is not known
])
def test_a_service_kept_on_self_is_followed(static_audit, tmp_path, built, reached):
    files = {name: text.replace("{built}", built).replace("{{", "{").replace("}}", "}")
             for name, text in SERVICE_ON_SELF.items()}
    result = static_audit(write_tree(tmp_path, files), ["static-cap-rate-limit"])["static-cap-rate-limit"]
    assert (result.status == Status.PASS) == reached, result.message
