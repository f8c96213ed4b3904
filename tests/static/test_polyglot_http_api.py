"""static-cap-http-api recognises servers in Go, TypeScript/JavaScript, Rust and C++: an import
plus a call that builds or starts the server passes; a mention (a comment, a string, a name) does
not; a dependency only declared in go.mod / package.json / Cargo.toml is partial."""

from __future__ import annotations

import pytest
from static_helpers import write_tree

SERVERS = {
    "go-net-http": {"cmd/api/main.go": 'package main\nimport "net/http"\nfunc main() {\n\thttp.HandleFunc("/v1/chat/completions", h)\n\thttp.ListenAndServe(":8080", nil)\n}\n'},
    "go-gin": {"main.go": 'package main\nimport g "github.com/gin-gonic/gin"\nfunc main() {\n\tr := g.Default()\n\tr.POST("/v1/chat/completions", h)\n}\n'},
    "go-chi": {"main.go": 'package main\nimport "github.com/go-chi/chi/v5"\nfunc main() { r := chi.NewRouter(); _ = r }\n'},
    "go-echo": {"main.go": 'package main\nimport "github.com/labstack/echo/v4"\nfunc main() { e := echo.New(); e.Start(":1") }\n'},
    "ts-express": {"src/index.ts": 'import express from "express";\nconst app = express();\napp.post("/v1/chat/completions", h);\n'},
    "js-express-require": {"server.js": 'const express = require("express");\nconst app = express();\napp.listen(3000);\n'},
    "ts-fastify": {"src/server.ts": 'import Fastify from "fastify";\nconst app = Fastify({ logger: true });\n'},
    "ts-hono": {"src/index.ts": 'import { Hono } from "hono";\nconst app = new Hono();\napp.post("/v1/chat/completions", h);\n'},
    "next-route": {"app/api/chat/route.ts": 'export async function POST(req: Request) {\n  return Response.json({});\n}\n'},
    "sveltekit-endpoint": {"src/routes/api/chat/+server.ts": 'export async function POST({ request }) {\n'
                                                              '  return new Response("{}");\n}\n'},
    "rust-axum": {"src/main.rs": 'use axum::{Router, routing::post};\n#[tokio::main]\nasync fn main() {\n    let app = Router::new().route("/v1/chat/completions", post(h));\n}\n'},
    "rust-axum-server-in-a-macro": {"src/app.rs": ('use axum_server::Handle;\nasync fn run(addr: A, app: S) {\n'
                                                   '    tokio::select! {\n        out = axum_server::bind(addr)\n'
                                                   '            .serve(app) => out.unwrap(),\n    }\n}\n')},
    "rust-actix": {"src/main.rs": 'use actix_web::{App, HttpServer};\nfn main() { HttpServer::new(|| App::new()); }\n'},
    "cpp-httplib": {"tools/server/server.cpp": '#include "httplib.h"\nint main() {\n    httplib::Server svr;\n    svr.Post("/v1/chat/completions", h);\n}\n'},
}
MENTIONS = {
    "go": {"main.go": 'package main\n// TODO: serve with gin.Default()\nfunc main() { name := "http.ListenAndServe"; _ = name }\n'},
    "ts": {"src/index.ts": '// import express from "express"\nconst express = () => 0;\nconst app = express();\n'},
    "rust": {"src/main.rs": 'fn main() { let router = "axum::Router::new"; let _ = router; }\n'},
    "rust-macro-string": {"src/main.rs": 'fn main() {\n    println!("serve with axum_server::bind(addr) one day");\n}\n'},
    "cpp": {"server.cpp": '// uses httplib::Server one day\nint main() { return 0; }\n'},
}
STUBS = {  # the framework imported but nothing built with it
    "go": {"main.go": 'package main\nimport _ "github.com/gin-gonic/gin"\nfunc main() {}\n'},
    "ts": {"src/index.ts": 'import type { Express } from "express";\nexport const x: Express | null = null;\n'},
    "rust": {"src/main.rs": 'use axum::Router;\nfn main() { let _r: Option<Router> = None; }\n'},
}
DECLARED = {
    "go": {"go.mod": "module x\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.10.0\n", "main.go": "package main\nfunc main() {}\n"},
    "node": {"package.json": '{"dependencies": {"express": "^4.19.0"}}', "src/index.ts": "export const x = 1;\n"},
    "rust": {"Cargo.toml": '[package]\nname = "r"\n[dependencies]\naxum = "0.7"\n', "src/main.rs": "fn main() {}\n"},
}


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_server_in_each_language_is_an_http_api(static_audit, tmp_path, name):
    result = static_audit(write_tree(tmp_path / name, SERVERS[name]), ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value == "pass" and result.strength == "implemented", result.message
    assert result.evidence[0].path == next(iter(SERVERS[name])) and result.evidence[0].line


@pytest.mark.parametrize("name", sorted(MENTIONS))
def test_a_mention_is_not_a_server(static_audit, tmp_path, name):
    result = static_audit(write_tree(tmp_path / name, MENTIONS[name]), ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value == "fail", result.message


@pytest.mark.parametrize("name", sorted(STUBS))
def test_an_import_without_a_call_is_not_a_server(static_audit, tmp_path, name):
    result = static_audit(write_tree(tmp_path / name, STUBS[name]), ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value == "fail", result.message


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_a_declared_framework_is_partial(static_audit, tmp_path, name):
    result = static_audit(write_tree(tmp_path / name, DECLARED[name]), ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value == "partial" and result.strength == "declared", result.message


def test_a_server_only_in_examples_does_not_count(static_audit, tmp_path):
    root = write_tree(tmp_path / "ex", {"examples/server/main.go": SERVERS["go-net-http"]["cmd/api/main.go"],
                                        "lib/lib.go": "package lib\nfunc F() {}\n"})
    result = static_audit(root, ["static-cap-http-api"])["static-cap-http-api"]
    assert result.status.value == "fail", result.message
