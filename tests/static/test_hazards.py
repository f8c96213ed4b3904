"""Each syntax-tree hazard is found (with file and line) in the unsafe tree and absent from its safe twin."""

from __future__ import annotations

import pytest

from static_helpers import FIXTURES, explain

HAZARD_CHECKS = ["static-cors-wildcard", "static-debug-mode", "static-http-timeout", "static-sql-injection",
                 "static-unsafe-deserialization", "static-eval-request-data", "static-bind-all-interfaces",
                 "static-exception-leak"]

# check id -> the (file, line) pairs the unsafe fixture must be reported at, no more, no less.
EXPECTED = {
    "static-cors-wildcard": {("app.py", 14), ("web.py", 9), ("web.py", 17)},
    "static-debug-mode": {("app.py", 13), ("web.py", 10), ("web.py", 36)},
    "static-http-timeout": {("app.py", 15), ("app.py", 48), ("app.py", 49), ("app.py", 50), ("web.py", 11),
                            ("web.py", 27)},
    "static-sql-injection": {("app.py", 22), ("app.py", 29)},
    "static-unsafe-deserialization": {("app.py", 55), ("app.py", 56), ("web.py", 32)},
    "static-eval-request-data": {("app.py", 37), ("app.py", 44), ("web.py", 23)},
    "static-bind-all-interfaces": {("app.py", 60), ("web.py", 36)},
    "static-exception-leak": {("app.py", 13), ("web.py", 10), ("web.py", 36), ("errors.py", 21), ("errors.py", 29), ("errors.py", 34), ("errors.py", 42),
                              ("errors.py", 50), ("errors.py", 59), ("errors.py", 83),
                              ("errors.py", 96), ("errors.py", 99), ("errors.py", 118),  # 96-118: streamed yields
                              ("errors.py", 127),  # a broad except's text labelled 400
                              ("errors.py", 141),  # the text returned by a method of the module
                              ("errors.py", 151),  # a class of its own, raised with str(e)
                              ("errors.py", 166)},  # make_response(..., 400) under a broad except
}


@pytest.fixture(scope="module")
def unsafe(module_audit):
    return module_audit(FIXTURES / "hazards" / "unsafe", HAZARD_CHECKS)


@pytest.fixture(scope="module")
def safe(module_audit):
    return module_audit(FIXTURES / "hazards" / "safe", HAZARD_CHECKS)


@pytest.mark.parametrize("check_id", HAZARD_CHECKS)
def test_hazard_found_with_file_and_line(unsafe, check_id):
    result = unsafe[check_id]
    assert result.status.value == "fail", explain(unsafe)
    seen = {(e.path, e.line) for e in result.evidence}
    assert seen == EXPECTED[check_id], result.evidence


@pytest.mark.parametrize("check_id", HAZARD_CHECKS)
def test_safe_twin_has_no_hazard(safe, check_id):
    assert safe[check_id].status.value == "pass", explain(safe)


def test_cors_with_credentials_is_called_out(unsafe):
    result = unsafe["static-cors-wildcard"]
    assert "credentials" in result.message
    flask_default = next(e for e in result.evidence if e.path == "web.py" and e.line == 9)
    assert "flask-cors without origins" in flask_default.message


def test_eval_names_its_source(unsafe):
    messages = {e.line: e.message for e in unsafe["static-eval-request-data"].evidence if e.path == "app.py"}
    assert messages[37] == "eval() of request data"


def test_evidence_carries_the_code_line(unsafe):
    evidence = next(e for e in unsafe["static-debug-mode"].evidence if e.line == 13)
    assert evidence.snippet == "app = FastAPI(debug=True)"


def test_no_python_is_not_applicable(static_audit, tmp_path):
    (tmp_path / "README.md").write_text("# docs only\n")
    results = static_audit(tmp_path, HAZARD_CHECKS)
    assert {r.status.value for r in results.values()} == {"not_applicable"}


def test_path_suppression_marks_its_findings_waived_and_keeps_them(static_audit):
    """Waivers are scoring's: the executor reports every finding; the waived ones stay, marked."""
    from readyscore.config import ProjectConfig, Suppression
    project = ProjectConfig(suppressions=[Suppression(check="static-debug-mode", path="web.py", reason="local dev only")])
    results = static_audit(FIXTURES / "hazards" / "unsafe", ["static-debug-mode"], project=project)
    result = results["static-debug-mode"]
    assert {e.path for e in result.evidence} == {"app.py", "web.py"}
    assert {e.path for e in result.evidence if e.waived_by} == {"web.py"}
    assert all(e.waived_by == "local dev only" for e in result.evidence if e.path == "web.py")
    assert result.status.value == "fail" and not result.suppressed_by  # app.py's finding still stands
    info = static_audit.last.suppressions[0]
    assert len(info.matched_findings) == 2 and not info.whole_check


DEBUG_TWINS = {  # where FastAPI(debug=True) stands -> static-debug-mode
    "always on": ("from fastapi import FastAPI\napp = FastAPI(debug=True)\n", "fail"),
    # khoj: switched on only when the configuration asks for debug mode
    "in a debug branch": ("import os\nfrom fastapi import FastAPI\n\n\ndef in_debug_mode():\n"
                          "    return os.getenv('KHOJ_DEBUG') == 'true'\n\n\nif in_debug_mode():\n"
                          "    app = FastAPI(debug=True)\nelse:\n    app = FastAPI(docs_url=None)\n", "pass"),
    "in the else of a debug branch": ("from fastapi import FastAPI\nimport settings\n\nif settings.DEBUG:\n"
                                      "    app = FastAPI()\nelse:\n    app = FastAPI(debug=True)\n", "fail"),
    "in a branch about something else": ("import os\nfrom fastapi import FastAPI\n\nif os.getenv('PORT'):\n"
                                         "    app = FastAPI(debug=True)\n", "fail"),
}


@pytest.mark.parametrize("twin", sorted(DEBUG_TWINS))
def test_debug_switched_on_by_the_configuration_is_not_a_literal(static_audit, tmp_path, twin):
    from static_helpers import write_tree

    code, status = DEBUG_TWINS[twin]
    result = static_audit(write_tree(tmp_path / "svc", {"app.py": code}), ["static-debug-mode"])["static-debug-mode"]
    assert result.status.value == status, result.message


TIMEOUT_TWINS = {  # the outbound call of one small service -> the verdict of static-http-timeout
    "timeout set": ("import httpx\nclient = httpx.Client(timeout=httpx.Timeout(30, connect=3))\n"
                    "def ask(p):\n    return client.post('/v1/chat', json=p)\n", "pass"),
    "no timeout": ("import requests\ndef ask(p):\n    return requests.post('https://api.example.com', json=p)\n",
                   "fail"),
    "no outbound call": ("def ask(p):\n    return {'answer': p['prompt'][::-1]}\n", "not_applicable"),
    "a client readyscore does not read": ("import litellm\ndef ask(p):\n"
                                          "    return litellm.completion(model='gpt-4o', messages=p)\n",
                                          "not_applicable"),
    "only mentioned": ("TIMEOUT_S = 30  # every call to the provider uses a timeout\n"
                       "def ask(p):\n    return p\n", "not_applicable"),
}


@pytest.mark.parametrize("twin", sorted(TIMEOUT_TWINS))
def test_a_timeout_pass_rests_on_a_call_with_a_timeout(static_audit, tmp_path, twin):
    """No outbound call, or only a client readyscore does not read, is nothing to judge: the pass
    (and with it the Level 3 upstream-timeouts gate in a file-only audit) needs a timeout seen."""
    from static_helpers import write_tree

    code, status = TIMEOUT_TWINS[twin]
    result = static_audit(write_tree(tmp_path / "svc", {"app.py": code}), ["static-http-timeout"])["static-http-timeout"]
    assert result.status.value == status, result.message
    if status == "pass":
        assert any(e.message.startswith("guarded: httpx.") and e.line == 2 for e in result.evidence), result.evidence
    if status == "not_applicable":
        assert "nothing to judge" in result.message


def test_eval_search_skips_only_functions_that_cannot_hold_the_call():
    """find_hazards walks for eval()/exec() only the functions whose lines hold such a call; the
    findings are those of walking every function."""
    import ast as _ast

    from readyscore.executors.static.hazards import _eval_in_function, _Finder, find_hazards
    from readyscore.executors.static.pyfacts import Aliases, Nodes
    from readyscore.executors.static.sql_text import ConstantText

    code = '''
from flask import request

def helper(x):
    return x + 1

@app.get("/a")
def outer(q):
    def inner():
        return eval(
            request.args["code"])
    return inner()

class View:
    def post(self, request):
        payload = request.json()
        exec(payload)

@decorate(eval("1"))
def decorated(request):
    return 1

def unrelated(request):
    data = request.form
    return data
'''
    tree = _ast.parse(code)
    nodes = Nodes(tree)
    found = [(f["hazard"], f["line"], f["message"]) for f in find_hazards(tree, Aliases(nodes), nodes)
             if f["hazard"] == "eval-request-data"]
    reference = _Finder(Aliases(nodes), ConstantText(tree, nodes))
    for func in nodes.of(_ast.FunctionDef, _ast.AsyncFunctionDef):
        _eval_in_function(func, reference)
    expected = sorted({(f["hazard"], f["line"]): (f["hazard"], f["line"], f["message"])
                       for f in reference.found}.values(), key=lambda f: (f[1], f[0]))
    assert found == expected and {line for _, line, _ in found} == {10, 17}


def test_a_handled_class_of_its_own_leaks_only_through_a_raiser_that_puts_the_text_in(unsafe):
    """The handler of the service's own ProviderError sends exc.message: a leak in the unsafe tree,
    where a raiser passes str(e), and none in the safe one, where the text goes to internal_message."""
    finding = next(e for e in unsafe["static-exception-leak"].evidence if e.path == "errors.py" and e.line == 151)
    assert "ProviderError is raised with a caught exception's text" in finding.message
