"""The Level 2 gate "Error answers leak no internals", audited on files alone: it rests on what the
code's error answers carry, not on the absence of a debug literal (which a leaking service shows too).
Three twins of one service: a fixed message (met), `detail=str(exc)` (unmet), a debug literal (unmet)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from static_helpers import write_tree

HANDLER = '''from fastapi import FastAPI, HTTPException

app = FastAPI({debug})


@app.post("/chat")
def chat(body: dict):
    try:
        return complete(body)
    except Exception as exc:
        raise HTTPException(status_code=502, detail={detail})


def complete(body):
    return body
'''
TWINS = {
    "fixed-message": ({"debug": "", "detail": '"The model provider is unavailable"'}, "met", None),
    "exception-text": ({"debug": "", "detail": "str(exc)"}, "unmet", "static-exception-leak"),
    "debug-literal": ({"debug": "debug=True", "detail": '"The model provider is unavailable"'}, "unmet",
                      "static-exception-leak"),
}


@pytest.mark.parametrize("twin", sorted(TWINS))
def test_the_error_gate_reads_the_error_answers(tmp_path, twin):
    fields, status, blocking = TWINS[twin]
    root = write_tree(tmp_path / twin, {"app.py": HANDLER.format(**fields)})
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "readyscore", "audit", str(root), "--sources", "static", "-q",
                           "-f", "json", "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    gate = next(g for g in json.loads((out / "report.json").read_text())["gates"] if g["id"] == "error-handling")
    assert gate["status"] == status, gate
    if blocking:
        assert blocking in gate["blocking"], gate
