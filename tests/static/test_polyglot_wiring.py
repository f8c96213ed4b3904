"""Request-path controls in Go, TypeScript and Rust services are implemented only when *wired*
(issue 17: "an import plus a wired call is implemented"), as in Python.

For each of rate limiting, authentication, input validation and metrics, in each language, six
twins run through the real executor on a small tree written at test time:

- wired: the library's mechanism applied on the request path (`app.use(limiter)`, a handler
  consulting `limiter.Allow()`, `.layer(GovernorLayer {..})`, `jwt.verify` in a registered
  middleware, `validate.Struct` / `Schema.parse` / `req.validate()` in a handler, a counter
  incremented in a handler or `promhttp.Handler()` on a route)          -> pass, implemented;
- constructed: the same mechanism built but applied nowhere          -> partial, declared;
- mention: names, comments and strings only                          -> fail;
- stub: a hand-written middleware that only calls next               -> fail;
- dependency: the library only declared in the manifest              -> partial, declared.
"""

from __future__ import annotations

import pytest
from static_helpers import write_tree

# ------------------------------------------------------------------ TypeScript (Express, Fastify, Hono, Next.js)
TS_APP = 'import express from "express";\nconst app = express();\n'
TS_END = 'app.listen(3000);\n'

TS = {
    "static-cap-rate-limit": {
        "wired": TS_APP + 'import rateLimit from "express-rate-limit";\n'
                 'const limiter = rateLimit({ windowMs: 60000, max: 100 });\n'
                 'app.use(limiter);\n'
                 'app.post("/v1/chat", (req, res) => res.json({}));\n' + TS_END,
        "constructed": TS_APP + 'import rateLimit from "express-rate-limit";\n'
                       'const limiter = rateLimit({ windowMs: 60000, max: 100 });\n'
                       'app.post("/v1/chat", (req, res) => res.json({}));\n' + TS_END,
        "stub": TS_APP + 'function rateLimit(req, res, next) { next(); }\napp.use(rateLimit);\n'
                'app.post("/v1/chat", (req, res) => res.json({}));\n' + TS_END,
    },
    "static-cap-auth": {
        "wired": TS_APP + 'import jwt from "jsonwebtoken";\n'
                 'function requireAuth(req, res, next) {\n'
                 '  try { jwt.verify(req.headers.authorization ?? "", process.env.JWT_KEY!); next(); }\n'
                 '  catch { res.status(401).end(); }\n}\n'
                 'app.post("/v1/chat", requireAuth, (req, res) => res.json({}));\n' + TS_END,
        "constructed": TS_APP + 'import jwt from "jsonwebtoken";\n'
                       'function requireAuth(req, res, next) {\n'
                       '  try { jwt.verify(req.headers.authorization ?? "", process.env.JWT_KEY!); next(); }\n'
                       '  catch { res.status(401).end(); }\n}\n'
                       'app.post("/v1/chat", (req, res) => res.json({}));\n' + TS_END,
        "stub": TS_APP + 'function requireAuth(req, res, next) { next(); }\n'
                'app.post("/v1/chat", requireAuth, (req, res) => res.json({}));\n' + TS_END,
    },
    "static-cap-input-validation": {
        "wired": TS_APP + 'import { z } from "zod";\n'
                 'const ChatRequest = z.object({ prompt: z.string().max(4000) });\n'
                 'app.post("/v1/chat", (req, res) => { const body = ChatRequest.parse(req.body); res.json(body); });\n'
                 + TS_END,
        "constructed": TS_APP + 'import { z } from "zod";\n'
                       'const ChatRequest = z.object({ prompt: z.string().max(4000) });\n'
                       'app.post("/v1/chat", (req, res) => res.json(req.body));\n' + TS_END,
        "stub": TS_APP + 'function validate(body) { return true; }\n'
                'app.post("/v1/chat", (req, res) => { validate(req.body); res.json(req.body); });\n' + TS_END,
    },
    "static-cap-metrics": {
        "wired": TS_APP + 'import client from "prom-client";\n'
                 'const requests = new client.Counter({ name: "requests_total", help: "requests" });\n'
                 'app.post("/v1/chat", (req, res) => { requests.inc(); res.json({}); });\n' + TS_END,
        "constructed": TS_APP + 'import client from "prom-client";\n'
                       'const requests = new client.Counter({ name: "requests_total", help: "requests" });\n'
                       'app.post("/v1/chat", (req, res) => res.json({}));\n' + TS_END,
        "stub": TS_APP + 'const requests = { inc() {} };\n'
                'app.post("/v1/chat", (req, res) => { requests.inc(); res.json({}); });\n' + TS_END,
    },
}
TS_MENTION = ('// TODO: rateLimit(), jwt.verify, z.object, prom-client Counter\n'
              'const rateLimit = 0; const jwtVerify = "jwt.verify"; const schema = "z.object"; const metrics = "requests_total";\n')
TS_DEPS = {"static-cap-rate-limit": "express-rate-limit", "static-cap-auth": "jsonwebtoken",
           "static-cap-input-validation": "zod", "static-cap-metrics": "prom-client"}

# ------------------------------------------------------------------ Go (net/http, gin, echo, chi)
GO_HTTP = 'package main\n\nimport (\n\t"net/http"\n%s)\n\n'

GO = {
    "static-cap-rate-limit": {
        "wired": GO_HTTP % '\t"golang.org/x/time/rate"\n' +
                 'var limiter = rate.NewLimiter(10, 20)\n\n'
                 'func chat(w http.ResponseWriter, r *http.Request) {\n'
                 '\tif !limiter.Allow() {\n\t\thttp.Error(w, "slow down", http.StatusTooManyRequests)\n\t\treturn\n\t}\n'
                 '\tw.Write([]byte("ok"))\n}\n\n'
                 'func main() {\n\thttp.HandleFunc("/v1/chat", chat)\n\thttp.ListenAndServe(":8080", nil)\n}\n',
        "constructed": GO_HTTP % '\t"golang.org/x/time/rate"\n' +
                       'var limiter = rate.NewLimiter(10, 20)\n\n'
                       'func chat(w http.ResponseWriter, r *http.Request) {\n\tw.Write([]byte("ok"))\n}\n\n'
                       'func main() {\n\thttp.HandleFunc("/v1/chat", chat)\n\thttp.ListenAndServe(":8080", nil)\n}\n',
        "stub": GO_HTTP % '' +
                'func rateLimit(next http.Handler) http.Handler {\n'
                '\treturn http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })\n}\n\n'
                'func main() {\n\tmux := http.NewServeMux()\n\thttp.ListenAndServe(":8080", rateLimit(mux))\n}\n',
    },
    "static-cap-auth": {  # gin
        "wired": 'package main\n\nimport (\n\t"github.com/gin-gonic/gin"\n\t"github.com/golang-jwt/jwt/v5"\n)\n\n'
                 'func authRequired() gin.HandlerFunc {\n\treturn func(c *gin.Context) {\n'
                 '\t\tif _, err := jwt.Parse(c.GetHeader("Authorization"), keyFunc); err != nil {\n'
                 '\t\t\tc.AbortWithStatus(401)\n\t\t\treturn\n\t\t}\n\t\tc.Next()\n\t}\n}\n\n'
                 'func main() {\n\tr := gin.Default()\n\tr.Use(authRequired())\n\tr.POST("/v1/chat", chat)\n\tr.Run()\n}\n',
        "constructed": 'package main\n\nimport (\n\t"github.com/gin-gonic/gin"\n\t"github.com/golang-jwt/jwt/v5"\n)\n\n'
                       'func authRequired() gin.HandlerFunc {\n\treturn func(c *gin.Context) {\n'
                       '\t\tif _, err := jwt.Parse(c.GetHeader("Authorization"), keyFunc); err != nil {\n'
                       '\t\t\tc.AbortWithStatus(401)\n\t\t\treturn\n\t\t}\n\t\tc.Next()\n\t}\n}\n\n'
                       'func main() {\n\tr := gin.Default()\n\tr.POST("/v1/chat", chat)\n\tr.Run()\n}\n',
        "stub": 'package main\n\nimport "github.com/gin-gonic/gin"\n\n'
                'func authRequired() gin.HandlerFunc {\n\treturn func(c *gin.Context) { c.Next() }\n}\n\n'
                'func main() {\n\tr := gin.Default()\n\tr.Use(authRequired())\n\tr.POST("/v1/chat", chat)\n\tr.Run()\n}\n',
    },
    "static-cap-input-validation": {  # echo
        "wired": 'package main\n\nimport (\n\t"github.com/go-playground/validator/v10"\n\t"github.com/labstack/echo/v4"\n)\n\n'
                 'var validate = validator.New()\n\n'
                 'func main() {\n\te := echo.New()\n\te.POST("/v1/chat", func(c echo.Context) error {\n'
                 '\t\tvar req ChatRequest\n\t\tif err := c.Bind(&req); err != nil {\n\t\t\treturn err\n\t\t}\n'
                 '\t\tif err := validate.Struct(req); err != nil {\n\t\t\treturn c.JSON(400, err.Error())\n\t\t}\n'
                 '\t\treturn c.JSON(200, req)\n\t})\n\te.Start(":8080")\n}\n',
        "constructed": 'package main\n\nimport (\n\t"github.com/go-playground/validator/v10"\n\t"github.com/labstack/echo/v4"\n)\n\n'
                       'var validate = validator.New()\n\n'
                       'func main() {\n\te := echo.New()\n\te.POST("/v1/chat", func(c echo.Context) error {\n'
                       '\t\tvar req ChatRequest\n\t\tif err := c.Bind(&req); err != nil {\n\t\t\treturn err\n\t\t}\n'
                       '\t\treturn c.JSON(200, req)\n\t})\n\te.Start(":8080")\n}\n',
        "stub": 'package main\n\nimport "github.com/labstack/echo/v4"\n\n'
                'func validateRequest(v any) error { return nil }\n\n'
                'func main() {\n\te := echo.New()\n\te.POST("/v1/chat", func(c echo.Context) error {\n'
                '\t\tvar req ChatRequest\n\t\t_ = validateRequest(req)\n\t\treturn c.JSON(200, req)\n\t})\n}\n',
    },
    "static-cap-metrics": {  # chi
        "wired": 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/go-chi/chi/v5"\n'
                 '\t"github.com/prometheus/client_golang/prometheus/promhttp"\n)\n\n'
                 'func main() {\n\tr := chi.NewRouter()\n\tr.Handle("/metrics", promhttp.Handler())\n'
                 '\thttp.ListenAndServe(":8080", r)\n}\n',
        "constructed": 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/go-chi/chi/v5"\n'
                       '\t"github.com/prometheus/client_golang/prometheus"\n'
                       '\t"github.com/prometheus/client_golang/prometheus/promauto"\n)\n\n'
                       'var requests = promauto.NewCounter(prometheus.CounterOpts{Name: "requests_total"})\n\n'
                       'func main() {\n\tr := chi.NewRouter()\n\thttp.ListenAndServe(":8080", r)\n}\n',
        "stub": 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/go-chi/chi/v5"\n)\n\n'
                'func metrics(w http.ResponseWriter, r *http.Request) { w.Write([]byte("requests_total 0")) }\n\n'
                'func main() {\n\tr := chi.NewRouter()\n\tr.Get("/metrics", metrics)\n\thttp.ListenAndServe(":8080", r)\n}\n',
    },
}
GO_MENTION = ('package main\n\n// rate limiting, jwt.Parse, validator.New and prometheus metrics: TODO\n'
              'func main() {\n\trateLimit := "rate.NewLimiter"\n\tjwtParse := "jwt.Parse"\n\t_, _ = rateLimit, jwtParse\n}\n')
GO_DEPS = {"static-cap-rate-limit": "golang.org/x/time", "static-cap-auth": "github.com/golang-jwt/jwt/v5",
           "static-cap-input-validation": "github.com/go-playground/validator/v10",
           "static-cap-metrics": "github.com/prometheus/client_golang"}

# ------------------------------------------------------------------ Rust (axum, actix-web)
RS_AXUM = 'use axum::{routing::post, Router};\n'
RS_SERVE = ('    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();\n'
            '    axum::serve(listener, app).await.unwrap();\n}\n')

RS = {
    "static-cap-rate-limit": {
        "wired": RS_AXUM + 'use std::sync::Arc;\nuse tower_governor::{governor::GovernorConfigBuilder, GovernorLayer};\n\n'
                 'async fn chat() -> &\'static str { "ok" }\n\n#[tokio::main]\nasync fn main() {\n'
                 '    let conf = Arc::new(GovernorConfigBuilder::default().per_second(2).burst_size(5).finish().unwrap());\n'
                 '    let app = Router::new().route("/v1/chat", post(chat)).layer(GovernorLayer { config: conf });\n'
                 + RS_SERVE,
        "constructed": RS_AXUM + 'use std::sync::Arc;\nuse tower_governor::governor::GovernorConfigBuilder;\n\n'
                       'async fn chat() -> &\'static str { "ok" }\n\n#[tokio::main]\nasync fn main() {\n'
                       '    let conf = Arc::new(GovernorConfigBuilder::default().per_second(2).burst_size(5).finish().unwrap());\n'
                       '    let app = Router::new().route("/v1/chat", post(chat));\n' + RS_SERVE,
        "stub": RS_AXUM + 'use axum::{extract::Request, middleware::{self, Next}, response::Response};\n\n'
                'async fn rate_limit(req: Request, next: Next) -> Response { next.run(req).await }\n'
                'async fn chat() -> &\'static str { "ok" }\n\n#[tokio::main]\nasync fn main() {\n'
                '    let app = Router::new().route("/v1/chat", post(chat)).layer(middleware::from_fn(rate_limit));\n'
                + RS_SERVE,
    },
    "static-cap-auth": {  # actix-web
        "wired": 'use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};\n'
                 'use jsonwebtoken::{decode, DecodingKey, Validation};\n\n'
                 'async fn chat(req: HttpRequest) -> HttpResponse {\n'
                 '    let token = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");\n'
                 '    match decode::<Claims>(token, &DecodingKey::from_secret(b"k"), &Validation::default()) {\n'
                 '        Ok(_) => HttpResponse::Ok().finish(),\n        Err(_) => HttpResponse::Unauthorized().finish(),\n'
                 '    }\n}\n\n#[actix_web::main]\nasync fn main() -> std::io::Result<()> {\n'
                 '    HttpServer::new(|| App::new().route("/v1/chat", web::post().to(chat))).bind(("0.0.0.0", 8080))?.run().await\n}\n',
        "constructed": 'use actix_web::{web, App, HttpResponse, HttpServer};\n'
                       'use jsonwebtoken::{decode, DecodingKey, Validation};\n\n'
                       'fn check(token: &str) -> bool {\n'
                       '    decode::<Claims>(token, &DecodingKey::from_secret(b"k"), &Validation::default()).is_ok()\n}\n\n'
                       'async fn chat() -> HttpResponse { HttpResponse::Ok().finish() }\n\n'
                       '#[actix_web::main]\nasync fn main() -> std::io::Result<()> {\n'
                       '    HttpServer::new(|| App::new().route("/v1/chat", web::post().to(chat))).bind(("0.0.0.0", 8080))?.run().await\n}\n',
        "stub": 'use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};\n\n'
                'fn verify_token(_req: &HttpRequest) -> bool { true }\n\n'
                'async fn chat(req: HttpRequest) -> HttpResponse {\n'
                '    if !verify_token(&req) { return HttpResponse::Unauthorized().finish(); }\n'
                '    HttpResponse::Ok().finish()\n}\n\n#[actix_web::main]\nasync fn main() -> std::io::Result<()> {\n'
                '    HttpServer::new(|| App::new().route("/v1/chat", web::post().to(chat))).bind(("0.0.0.0", 8080))?.run().await\n}\n',
    },
    "static-cap-input-validation": {
        "wired": RS_AXUM + 'use axum::{http::StatusCode, Json};\nuse serde::Deserialize;\nuse validator::Validate;\n\n'
                 '#[derive(Deserialize, Validate)]\nstruct ChatRequest {\n    #[validate(length(max = 4000))]\n    prompt: String,\n}\n\n'
                 'async fn chat(Json(req): Json<ChatRequest>) -> StatusCode {\n'
                 '    if req.validate().is_err() { return StatusCode::BAD_REQUEST; }\n    StatusCode::OK\n}\n\n'
                 '#[tokio::main]\nasync fn main() {\n    let app = Router::new().route("/v1/chat", post(chat));\n' + RS_SERVE,
        "constructed": RS_AXUM + 'use axum::{http::StatusCode, Json};\nuse serde::Deserialize;\nuse validator::Validate;\n\n'
                       '#[derive(Deserialize, Validate)]\nstruct ChatRequest {\n    #[validate(length(max = 4000))]\n    prompt: String,\n}\n\n'
                       'fn check(req: &ChatRequest) -> bool { req.validate().is_ok() }\n\n'
                       'async fn chat(Json(req): Json<ChatRequest>) -> StatusCode { StatusCode::OK }\n\n'
                       '#[tokio::main]\nasync fn main() {\n    let app = Router::new().route("/v1/chat", post(chat));\n' + RS_SERVE,
        "stub": RS_AXUM + 'use axum::{http::StatusCode, Json};\n\n'
                'fn validate_prompt(_p: &str) -> bool { true }\n\n'
                'async fn chat(Json(req): Json<ChatRequest>) -> StatusCode {\n'
                '    if !validate_prompt(&req.prompt) { return StatusCode::BAD_REQUEST; }\n    StatusCode::OK\n}\n\n'
                '#[tokio::main]\nasync fn main() {\n    let app = Router::new().route("/v1/chat", post(chat));\n' + RS_SERVE,
    },
    "static-cap-metrics": {
        "wired": RS_AXUM + 'use metrics::counter;\n\n'
                 'async fn chat() -> &\'static str {\n    counter!("requests_total").increment(1);\n    "ok"\n}\n\n'
                 '#[tokio::main]\nasync fn main() {\n    let app = Router::new().route("/v1/chat", post(chat));\n' + RS_SERVE,
        "constructed": RS_AXUM + 'use prometheus::IntCounter;\n\n'
                       'fn requests() -> IntCounter { IntCounter::new("requests_total", "requests").unwrap() }\n\n'
                       'async fn chat() -> &\'static str { "ok" }\n\n'
                       '#[tokio::main]\nasync fn main() {\n    let app = Router::new().route("/v1/chat", post(chat));\n' + RS_SERVE,
        "stub": RS_AXUM + '\nfn count_request() {}\n\n'
                'async fn chat() -> &\'static str {\n    count_request();\n    "ok"\n}\n\n'
                '#[tokio::main]\nasync fn main() {\n    let app = Router::new().route("/v1/chat", post(chat));\n' + RS_SERVE,
    },
}
RS_MENTION = ('fn main() {\n    // tower_governor, jsonwebtoken::decode, validator, counter!: later\n'
              '    let rate_limit = "GovernorLayer";\n    let jwt = "jsonwebtoken::decode";\n    let _ = (rate_limit, jwt);\n}\n')
RS_DEPS = {"static-cap-rate-limit": "tower_governor", "static-cap-auth": "jsonwebtoken",
           "static-cap-input-validation": "validator", "static-cap-metrics": "prometheus"}

LANGUAGES = {
    "ts": (TS, "src/app.ts", TS_MENTION, lambda dep: {"package.json": '{"dependencies": {"express": "^4", "%s": "*"}}' % dep}),
    "go": (GO, "main.go", GO_MENTION,
           lambda dep: {"go.mod": "module example.com/svc\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.10.0\n\t%s v1.0.0\n)\n" % dep}),
    "rust": (RS, "src/main.rs", RS_MENTION,
             lambda dep: {"Cargo.toml": '[package]\nname = "svc"\n[dependencies]\naxum = "0.7"\n%s = "1"\n' % dep}),
}
DEPS = {"ts": TS_DEPS, "go": GO_DEPS, "rust": RS_DEPS}
CHECKS = ["static-cap-rate-limit", "static-cap-auth", "static-cap-input-validation", "static-cap-metrics"]
CASES = [(check, language) for language in LANGUAGES for check in CHECKS]
SERVER = {"ts": {"src/server.ts": TS_APP + TS_END},
          "go": {"server.go": 'package main\n\nimport "net/http"\n\nfunc serve() { http.ListenAndServe(":8080", nil) }\n'},
          "rust": {"src/server.rs": RS_AXUM + 'fn app() -> Router { Router::new() }\n'}}


def run(static_audit, tmp_path, check: str, files: dict[str, str]):
    return static_audit(write_tree(tmp_path / "svc", files), [check])[check]


def twin(language: str, check: str, variant: str) -> dict[str, str]:
    table, path, _, _ = LANGUAGES[language]
    return {path: table[check][variant]}


@pytest.mark.parametrize("check, language", CASES)
def test_the_wired_mechanism_is_implemented(static_audit, tmp_path, check, language):
    result = run(static_audit, tmp_path, check, twin(language, check, "wired"))
    assert result.status.value == "pass" and result.strength == "implemented", result.message
    assert result.evidence[0].path == LANGUAGES[language][1]


@pytest.mark.parametrize("check, language", CASES)
def test_constructed_but_not_applied_is_declared(static_audit, tmp_path, check, language):
    result = run(static_audit, tmp_path, check, twin(language, check, "constructed"))
    assert result.status.value == "partial" and result.strength == "declared", result.message
    assert "applied nowhere on the request path" in result.message
    assert result.evidence[0].path == LANGUAGES[language][1] and result.evidence[0].line


@pytest.mark.parametrize("check, language", CASES)
def test_a_hand_written_stub_is_not_a_pass(static_audit, tmp_path, check, language):
    result = run(static_audit, tmp_path, check, twin(language, check, "stub"))
    assert result.status.value == "fail", result.message


@pytest.mark.parametrize("check, language", CASES)
def test_only_mentioned_is_not_a_pass(static_audit, tmp_path, check, language):
    _, path, mention, _ = LANGUAGES[language]
    result = run(static_audit, tmp_path, check, {**SERVER[language], path: mention})
    assert result.status.value == "fail", result.message


@pytest.mark.parametrize("check, language", CASES)
def test_a_declared_dependency_only_is_partial(static_audit, tmp_path, check, language):
    _, _, _, manifest = LANGUAGES[language]
    result = run(static_audit, tmp_path, check, {**SERVER[language], **manifest(DEPS[language][check])})
    assert result.status.value == "partial" and result.strength == "declared", result.message


# ------------------------------------------------------------------ other frameworks' wiring shapes
OTHER_SHAPES = {
    "fastify-register": ("static-cap-rate-limit", {
        "src/server.ts": 'import Fastify from "fastify";\nimport rateLimit from "@fastify/rate-limit";\n'
                         'const app = Fastify();\nawait app.register(rateLimit, { max: 100, timeWindow: "1 minute" });\n'
                         'app.post("/v1/chat", async () => ({}));\n'}),
    "hono-use-star": ("static-cap-rate-limit", {
        "src/index.ts": 'import { Hono } from "hono";\nimport { rateLimiter } from "hono-rate-limiter";\n'
                        'const app = new Hono();\napp.use("*", rateLimiter({ windowMs: 60000, limit: 100, '
                        'keyGenerator: (c) => c.req.header("x-api-key") ?? "" }));\n'}),
    "hono-route-argument": ("static-cap-input-validation", {
        "src/index.ts": 'import { Hono } from "hono";\nimport { zValidator } from "@hono/zod-validator";\n'
                        'import { z } from "zod";\nconst app = new Hono();\n'
                        'app.post("/v1/chat", zValidator("json", z.object({ prompt: z.string().max(4000) })), (c) => c.json({}));\n'}),
    "next-route-handler": ("static-cap-rate-limit", {
        "app/api/chat/route.ts": 'import { Ratelimit } from "@upstash/ratelimit";\nimport { Redis } from "@upstash/redis";\n'
                                 'const ratelimit = new Ratelimit({ redis: Redis.fromEnv(), limiter: Ratelimit.slidingWindow(10, "10 s") });\n'
                                 'export async function POST(req: Request) {\n'
                                 '  const { success } = await ratelimit.limit(req.headers.get("x-forwarded-for") ?? "anon");\n'
                                 '  if (!success) return new Response("slow down", { status: 429 });\n'
                                 '  return Response.json({});\n}\n'}),
    "koa-middleware": ("static-cap-auth", {
        "src/app.js": 'const Koa = require("koa");\nconst jwt = require("jsonwebtoken");\nconst app = new Koa();\n'
                      'app.use(async (ctx, next) => { jwt.verify(ctx.get("authorization"), process.env.KEY); await next(); });\n'}),
    "go-server-handler-field": ("static-cap-rate-limit", {
        "main.go": 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/didip/tollbooth/v7"\n)\n\n'
                   'func main() {\n\tlmt := tollbooth.NewLimiter(1, nil)\n\tmux := http.NewServeMux()\n'
                   '\tsrv := &http.Server{Addr: ":8080", Handler: tollbooth.LimitHandler(lmt, mux)}\n\tsrv.ListenAndServe()\n}\n'}),
    "go-struct-field-in-method-handler": ("static-cap-rate-limit", {
        "server.go": 'package main\n\nimport (\n\t"net/http"\n\n\t"golang.org/x/time/rate"\n)\n\n'
                     'type Server struct{ limiter *rate.Limiter }\n\n'
                     'func New() *Server { return &Server{limiter: rate.NewLimiter(5, 10)} }\n\n'
                     'func (s *Server) chat(w http.ResponseWriter, r *http.Request) {\n'
                     '\tif err := s.limiter.Wait(r.Context()); err != nil {\n\t\tw.WriteHeader(429)\n\t}\n}\n'}),
    "actix-wrap": ("static-cap-auth", {
        "src/main.rs": 'use actix_web::{App, HttpServer};\nuse actix_web_httpauth::middleware::HttpAuthentication;\n\n'
                       '#[actix_web::main]\nasync fn main() -> std::io::Result<()> {\n'
                       '    HttpServer::new(|| App::new().wrap(HttpAuthentication::bearer(validator)))\n'
                       '        .bind(("0.0.0.0", 8080))?.run().await\n}\n'}),
}


OTHER_SHAPES.update({
    "next-auth-in-route-handler": ("static-cap-auth", {
        "app/api/chat/route.ts": 'import { getServerSession } from "next-auth/next";\nimport { authOptions } from "@/auth";\n'
                                 'export async function POST(req: Request) {\n  const session = await getServerSession(authOptions);\n'
                                 '  if (!session) return new Response("unauthorised", { status: 401 });\n  return Response.json({});\n}\n'}),
    "pino-http-registered": ("static-cap-structured-logging", {
        "src/app.ts": TS_APP + 'import pinoHttp from "pino-http";\napp.use(pinoHttp());\n' + TS_END}),
    "otelhttp-wrapping-the-mux": ("static-cap-tracing", {
        "main.go": 'package main\n\nimport (\n\t"net/http"\n\n\t"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"\n)\n\n'
                   'func main() {\n\tmux := http.NewServeMux()\n\thttp.ListenAndServe(":8080", otelhttp.NewHandler(mux, "api"))\n}\n'}),
})
# SvelteKit (huggingface/chat-ui): a `+server.ts` endpoint's GET is a handler, and `$lib/...` is the
# project's own src/lib, so the OpenID Connect login it calls there is on the request path.
SVELTE_AUTH = ('import { Issuer } from "openid-client";\n'
               'export async function verifyLogin(url: URL) {\n'
               '  const issuer = await Issuer.discover(process.env.OIDC_PROVIDER_URL ?? "");\n'
               '  const client = new issuer.Client({ client_id: "chat" });\n'
               '  return client.callback("/login/callback", Object.fromEntries(url.searchParams));\n}\n')
OTHER_SHAPES["sveltekit-endpoint-through-lib-alias"] = ("static-cap-auth", {
    "src/lib/server/auth.ts": SVELTE_AUTH,
    "src/routes/login/callback/+server.ts": 'import { verifyLogin } from "$lib/server/auth";\n'
                                            'export async function GET({ url }) {\n  await verifyLogin(url);\n'
                                            '  return new Response(null, { status: 302 });\n}\n'})
# Middleware-shaped logging and tracing libraries, built and never registered: declared.
UNAPPLIED_MIDDLEWARE = {
    "go-helper-taking-a-request-model-is-not-a-handler": ("static-cap-input-validation", {
        "main.go": 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/go-playground/validator/v10"\n)\n\n'
                   'func check(req *ChatRequest) error { return validator.New().Struct(req) }\n\n'
                   'func chat(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }\n\n'
                   'func main() {\n\thttp.HandleFunc("/v1/chat", chat)\n\thttp.ListenAndServe(":8080", nil)\n}\n'}),
    "pino-http-built-only": ("static-cap-structured-logging", {
        "src/app.ts": TS_APP + 'import pinoHttp from "pino-http";\nconst requestLogger = pinoHttp();\n' + TS_END}),
    "sveltekit-login-no-endpoint-calls": ("static-cap-auth", {
        "src/lib/server/auth.ts": SVELTE_AUTH,
        "src/routes/login/callback/+server.ts": 'export async function GET({ url }) {\n'
                                                '  return new Response(null, { status: 302 });\n}\n'}),
    "otelhttp-handler-unused": ("static-cap-tracing", {
        "main.go": 'package main\n\nimport (\n\t"net/http"\n\n\t"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"\n)\n\n'
                   'func main() {\n\tmux := http.NewServeMux()\n\t_ = otelhttp.NewHandler(mux, "api")\n'
                   '\thttp.ListenAndServe(":8080", mux)\n}\n'}),
}


@pytest.mark.parametrize("shape", sorted(UNAPPLIED_MIDDLEWARE))
def test_middleware_built_but_not_registered_is_declared(static_audit, tmp_path, shape):
    check, files = UNAPPLIED_MIDDLEWARE[shape]
    result = run(static_audit, tmp_path, check, files)
    assert result.status.value == "partial" and result.strength == "declared", result.message


@pytest.mark.parametrize("shape", sorted(OTHER_SHAPES))
def test_other_wiring_shapes_are_followed(static_audit, tmp_path, shape):
    check, files = OTHER_SHAPES[shape]
    result = run(static_audit, tmp_path, check, files)
    assert result.status.value == "pass" and result.strength == "implemented", result.message


# ------------------------------------------------------------------ one hop across files
ACROSS = {
    "ts": ("static-cap-rate-limit", {
        "src/limit.ts": 'import rateLimit from "express-rate-limit";\n'
                        'export const limiter = rateLimit({ windowMs: 60000, max: 100 });\n'},
        {"src/app.ts": TS_APP + 'import { limiter } from "./limit";\napp.use(limiter);\n' + TS_END},
        {"src/app.ts": TS_APP + 'import { limiter } from "./limit";\nconsole.log(typeof limiter);\n' + TS_END}),
    "go": ("static-cap-auth", {
        "middleware/auth.go": 'package middleware\n\nimport (\n\t"net/http"\n\n\t"github.com/golang-jwt/jwt/v5"\n)\n\n'
                              'func Auth(next http.Handler) http.Handler {\n'
                              '\treturn http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {\n'
                              '\t\tif _, err := jwt.Parse(r.Header.Get("Authorization"), keyFunc); err != nil {\n'
                              '\t\t\tw.WriteHeader(401)\n\t\t\treturn\n\t\t}\n\t\tnext.ServeHTTP(w, r)\n\t})\n}\n'},
        {"main.go": 'package main\n\nimport (\n\t"net/http"\n\n\t"example.com/svc/middleware"\n)\n\n'
                    'func main() {\n\tmux := http.NewServeMux()\n\thttp.ListenAndServe(":8080", middleware.Auth(mux))\n}\n'},
        {"main.go": 'package main\n\nimport (\n\t"net/http"\n\n\t"example.com/svc/middleware"\n)\n\n'
                    'var _ = middleware.Auth\n\nfunc main() {\n\tmux := http.NewServeMux()\n\thttp.ListenAndServe(":8080", mux)\n}\n'}),
    "rust": ("static-cap-auth", {
        "src/auth.rs": 'use axum::{extract::Request, http::StatusCode, middleware::Next, response::Response};\n'
                       'use jsonwebtoken::{decode, DecodingKey, Validation};\n\n'
                       'pub async fn require_token(req: Request, next: Next) -> Result<Response, StatusCode> {\n'
                       '    let token = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");\n'
                       '    decode::<Claims>(token, &DecodingKey::from_secret(b"k"), &Validation::default())\n'
                       '        .map_err(|_| StatusCode::UNAUTHORIZED)?;\n    Ok(next.run(req).await)\n}\n'},
        {"src/main.rs": RS_AXUM + 'mod auth;\nuse crate::auth::require_token;\n\nasync fn chat() -> &\'static str { "ok" }\n\n'
                        '#[tokio::main]\nasync fn main() {\n'
                        '    let app = Router::new().route("/v1/chat", post(chat)).layer(axum::middleware::from_fn(require_token));\n'
                        + RS_SERVE},
        {"src/main.rs": RS_AXUM + 'mod auth;\n\nasync fn chat() -> &\'static str { "ok" }\n\n'
                        '#[tokio::main]\nasync fn main() {\n    let app = Router::new().route("/v1/chat", post(chat));\n'
                        + RS_SERVE}),
}


@pytest.mark.parametrize("language", sorted(ACROSS))
def test_a_name_applied_in_another_file_is_followed(static_audit, tmp_path, language):
    check, defining, applying, _ = ACROSS[language]
    result = run(static_audit, tmp_path, check, {**defining, **applying})
    assert result.status.value == "pass" and result.strength == "implemented", result.message
    assert result.evidence[0].path == next(iter(defining))
    assert next(iter(applying)) in result.message


@pytest.mark.parametrize("language", sorted(ACROSS))
def test_a_name_imported_but_not_applied_stays_declared(static_audit, tmp_path, language):
    check, defining, _, not_applying = ACROSS[language]
    result = run(static_audit, tmp_path, check, {**defining, **not_applying})
    assert result.status.value == "partial" and result.strength == "declared", result.message


# ------------------------------------------------------------------ through the CLI, report.json
MIXED = {  # one service per language: rate limiting built but not applied, auth wired, validation a stub
    "ts": {"src/app.ts": TS["static-cap-rate-limit"]["constructed"].replace("app.listen(3000);\n", "")
           + 'import jwt from "jsonwebtoken";\n'
             'app.use((req, res, next) => { jwt.verify(req.headers.authorization ?? "", process.env.KEY!); next(); });\n'
             'function validate(body) { return true; }\napp.listen(3000);\n'},
    "go": {"main.go": GO["static-cap-rate-limit"]["constructed"],
           "auth.go": 'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/golang-jwt/jwt/v5"\n)\n\n'
                      'func secured(w http.ResponseWriter, r *http.Request) {\n'
                      '\tif _, err := jwt.Parse(r.Header.Get("Authorization"), keyFunc); err != nil {\n\t\tw.WriteHeader(401)\n\t}\n}\n'},
    "rust": {"src/main.rs": RS["static-cap-rate-limit"]["constructed"],
             "src/auth.rs": RS["static-cap-auth"]["wired"].split("#[actix_web::main]")[0]},
}


@pytest.mark.parametrize("language", sorted(MIXED))
def test_the_cli_report_carries_the_strengths(tmp_path, language):
    import json
    import os
    import subprocess
    import sys

    root = write_tree(tmp_path / "svc", MIXED[language])
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "readyscore", "audit", str(root), "--sources", "static",
                           "--format", "json", "-o", str(out)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "READYSCORE_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    results = {r["check_id"]: r for r in json.loads((out / "report.json").read_text())["results"]}
    limit, auth = results["static-cap-rate-limit"], results["static-cap-auth"]
    assert (limit["status"], limit["strength"]) == ("partial", "declared"), limit["message"]
    assert "applied nowhere on the request path" in limit["message"]
    assert (auth["status"], auth["strength"]) == ("pass", "implemented"), auth["message"]
    assert results["static-cap-input-validation"]["status"] == "fail"
