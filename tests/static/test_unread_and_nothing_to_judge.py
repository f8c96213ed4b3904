"""Checks that could not look say so, end to end: hazard and capability checks name the files they
could not read; a material unread share makes a hazard's "none found" partial; nothing to judge is
not_applicable only when the tree holds no code at all, and not_evaluated when the code could not
be read or is in a language these checks do not read. Both families agree."""

from __future__ import annotations

import pytest
from static_helpers import explain, write_tree

HAZARD = "static-debug-mode"
CAPABILITY = "static-cap-rate-limit"
SERVICE = ("from fastapi import FastAPI\nfrom slowapi import Limiter\nfrom slowapi.util import get_remote_address\n"
           "limiter = Limiter(key_func=get_remote_address)\napp = FastAPI()\n\n\n@app.get('/x')\n"
           "@limiter.limit('5/minute')\ndef x():\n    return 1\n")
BROKEN = "def f(:\n    return 1\n"


def helpers(count: int) -> dict[str, str]:
    return {f"lib/helper{i}.py": f"def helper{i}():\n    return {i}\n" for i in range(count)}


def test_a_few_unread_files_are_named_but_do_not_change_the_verdict(static_audit, tmp_path):
    root = write_tree(tmp_path, {"app.py": SERVICE, **helpers(18), "lib/generated.py": BROKEN})
    results = static_audit(root, [HAZARD, CAPABILITY])
    for check in (HAZARD, CAPABILITY):
        result = results[check]
        assert result.status.value == "pass", explain(results)
        assert "lib/generated.py (does not parse: SyntaxError at line 1)" in result.message
        assert any(e.path == "lib/generated.py" and e.message.startswith("could not read") for e in result.evidence)
        assert result.metrics["unread_files"] == ["lib/generated.py"]


def test_a_material_unread_share_makes_a_hazard_pass_partial(static_audit, tmp_path):
    root = write_tree(tmp_path, {"app.py": SERVICE, **helpers(3), "lib/a.py": BROKEN, "lib/b.py": b"\xff\xfe\x00x"})
    results = static_audit(root, [HAZARD, CAPABILITY])
    hazard = results[HAZARD]
    assert hazard.status.value == "partial", hazard.message
    assert "lib/a.py" in hazard.message and "lib/b.py" in hazard.message and "more than 10%" in hazard.message
    # The limiter found in the files read stays found: what was not read cannot take it away.
    assert results[CAPABILITY].status.value == "pass"
    assert "lib/a.py" in results[CAPABILITY].message


def test_a_hazard_found_still_fails_when_files_are_unread(static_audit, tmp_path):
    root = write_tree(tmp_path, {"app.py": "from fastapi import FastAPI\napp = FastAPI(debug=True)\n", "b.py": BROKEN})
    result = static_audit(root, [HAZARD])[HAZARD]
    assert result.status.value == "fail" and "b.py" in result.message


def test_a_hazard_check_does_not_read_typescript_and_a_capability_with_node_stacks_does(static_audit, tmp_path):
    root = write_tree(tmp_path, {"server.ts": "import express from 'express';\n", "README.md": "# a node service\n"})
    results = static_audit(root, [HAZARD, "static-cap-auth"])
    assert results[HAZARD].status.value == "not_evaluated" and "TypeScript" in results[HAZARD].message
    assert results["static-cap-auth"].status.value == "fail", explain(results)
    assert "1 TypeScript file(s)" in results["static-cap-auth"].message


@pytest.mark.parametrize("files, status, words", [
    ({"a.py": BROKEN, "b.py": BROKEN}, "not_evaluated", "could not read"),
    # A language none of these checks reads (TypeScript is read by the capability checks with
    # `stacks: node`; test_polyglot_capabilities.py and test_a_hazard_check_does_not_read_typescript).
    ({"server.rb": "require 'sinatra'\nget '/' do\n  'hi'\nend\n", "README.md": "# a ruby service\n"},
     "not_evaluated", "Ruby"),
    ({"README.md": "# docs only\n", "deploy/values.yaml": "replicas: 2\n"}, "not_applicable", "no code"),
])
def test_nothing_to_judge_is_one_rule_for_both_families(static_audit, tmp_path, files, status, words):
    root = write_tree(tmp_path, files)
    results = static_audit(root, [HAZARD, "static-cors-wildcard", CAPABILITY, "static-cap-auth"])
    assert {r.status.value for r in results.values()} == {status}, explain(results)
    assert all(words in r.message for r in results.values()), explain(results)


def test_tests_and_vendored_code_do_not_count_as_the_services_code(static_audit, tmp_path):
    root = write_tree(tmp_path, {"tests/test_app.py": "def test_x():\n    assert True\n",
                                 "vendor/lib.py": "x = 1\n", "README.md": "# x\n"})
    results = static_audit(root, [HAZARD, CAPABILITY])
    assert {r.status.value for r in results.values()} == {"not_applicable"}, explain(results)


NODE_SERVER = {f"server/routes/r{i}.js": f"module.exports = function r{i}(req, res) {{ res.end('{i}'); }};\n"
               for i in range(8)}
NODE_SERVER["server/index.js"] = "const express = require('express');\nconst app = express();\napp.listen(3001);\n"
PYTHON_ROUTE = "from fastapi import FastAPI\napp = FastAPI()\n\n\n@app.get('/x')\ndef x():\n    return 1\n"


@pytest.mark.parametrize("python, status", [
    # anything-llm: a few Python scripts beside a Node server; none found there says nothing.
    ({"scripts/a.py": "def a():\n    return 1\n", "scripts/b.py": "def b():\n    return 2\n"}, "not_evaluated"),
    # langserve: the Python serves the API; the larger TypeScript is beside it.
    ({"app/server.py": PYTHON_ROUTE, "app/util.py": "def u():\n    return 1\n"}, None),
])
def test_a_few_python_scripts_beside_a_service_in_another_language_judge_no_absence(static_audit, tmp_path,
                                                                                       python, status):
    results = static_audit(write_tree(tmp_path, {**NODE_SERVER, **python}), [HAZARD, "static-cap-max-tokens"])
    hazard, capability = results[HAZARD], results["static-cap-max-tokens"]
    if status:
        assert hazard.status.value == capability.status.value == status, explain(results)
        assert "which this check does not read; it read only 2 Python file(s)" in capability.message
    else:
        assert (hazard.status.value, capability.status.value) == ("pass", "fail"), explain(results)
