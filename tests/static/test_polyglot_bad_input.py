"""Hostile or broken non-Python sources never crash or hang an audit: they are read as far as the
parser's error recovery goes, and the secrets and capability checks still answer."""

from __future__ import annotations

import time

from static_helpers import write_tree

CHECKS = ["static-secrets", "static-cap-http-api", "static-cap-auth"]


def test_broken_and_pathological_sources(static_audit, tmp_path):
    root = write_tree(tmp_path / "bad", {
        "src/broken.ts": "import express from 'express';\nconst app = express(\nconst apiKey = ;;; }}}{{{\n",
        "src/nested.ts": "const x = " + "[" * 20000 + "]" * 20000 + ";\n",
        "src/lib.rs": "use a::" + "{b::" * 3000 + "c" + "}" * 3000 + ";\nfn main() {}\n",
        "main.go": "package main\nimport \"net/http\"\nfunc main() { http.ListenAndServe(\":1\", nil) ",
        "weird.go": "\x00\x01garbage\ufffd package",
        "server.cpp": "#include \"httplib.h\"\nint main( { httplib::Server svr; svr.listen(",
    })
    started = time.monotonic()
    results = static_audit(root, CHECKS)
    assert time.monotonic() - started < 60
    assert {r.status.value for r in results.values()} <= {"pass", "fail", "partial", "not_applicable"}, \
        {k: (r.status.value, r.message) for k, r in results.items()}
    # Error recovery keeps what is well formed: the Go server is still recognised.
    assert results["static-cap-http-api"].status.value == "pass"
