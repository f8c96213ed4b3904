"""Capability evidence in Go, TypeScript and Rust services: the same strength rules as Python. The
real mechanism (an import and a call through it, on the request path) passes as implemented; a mention (a comment, a
string, a variable named after it) fails; a stub (the import alone, nothing wired) fails; a library
only declared in go.mod / package.json / Cargo.toml is partial."""

from __future__ import annotations

import pytest
from static_helpers import write_tree

GO_MAIN = 'package main\nimport "net/http"\nfunc main() { http.ListenAndServe(":8080", nil) }\n'
TS_MAIN = 'import express from "express";\nconst app = express();\napp.listen(3000);\n'
RS_MAIN = 'use axum::Router;\nfn main() { let app = Router::new(); }\n'

REAL = {  # wired: on the request path (constructed-but-unapplied twins: test_polyglot_wiring.py)
    ("static-cap-rate-limit", "go"): {"limit.go": 'package main\nimport (\n\t"net/http"\n\t"golang.org/x/time/rate"\n)\nvar limiter = rate.NewLimiter(10, 20)\nfunc h(w http.ResponseWriter, r *http.Request) { if !limiter.Allow() { w.WriteHeader(429) } }\n'},
    ("static-cap-rate-limit", "ts"): {"src/limit.ts": 'import rateLimit from "express-rate-limit";\nexport const limiter = rateLimit({ windowMs: 60000, max: 100 });\napp.use(limiter);\n'},
    ("static-cap-rate-limit", "rust"): {"src/limit.rs": 'use tower_governor::{governor::GovernorConfigBuilder, GovernorLayer};\nfn app(r: Router) -> Router { let c = GovernorConfigBuilder::default().per_second(2).finish().unwrap(); r.layer(GovernorLayer { config: Arc::new(c) }) }\n'},
    ("static-cap-auth", "go"): {"auth.go": 'package main\nimport (\n\t"net/http"\n\t"github.com/golang-jwt/jwt/v5"\n)\nfunc h(w http.ResponseWriter, r *http.Request) { jwt.Parse(r.Header.Get("Authorization"), keyFunc) }\n'},
    ("static-cap-auth", "ts"): {"src/auth.ts": 'import jwt from "jsonwebtoken";\nexport const verify = (req, res, next) => { jwt.verify(req.headers.authorization, key); next(); };\napp.use(verify);\n'},
    ("static-cap-auth", "rust"): {"src/auth.rs": 'use jsonwebtoken::{decode, DecodingKey, Validation};\nasync fn chat(req: HttpRequest) { decode::<Claims>(t, &DecodingKey::from_secret(k), &Validation::default()); }\n'},
    ("static-cap-metrics", "go"): {"metrics.go": 'package main\nimport (\n\t"net/http"\n\t"github.com/prometheus/client_golang/prometheus/promauto"\n)\nvar requests = promauto.NewCounter(opts)\nfunc h(w http.ResponseWriter, r *http.Request) { requests.Inc() }\n'},
    ("static-cap-metrics", "ts"): {"src/metrics.ts": 'import client from "prom-client";\nclient.collectDefaultMetrics();\napp.get("/metrics", async (req, res) => res.end(await client.register.metrics()));\n'},
    ("static-cap-metrics", "rust"): {"src/metrics.rs": 'use metrics::counter;\nasync fn chat(Json(b): Json<Req>) { counter!("requests_total").increment(1); }\n'},
}
MENTION = {
    "go": 'package main\n// rate limiting, jwt.Parse and prometheus metrics: TODO\nfunc main() { rateLimit := "rate.NewLimiter"; _ = rateLimit }\n',
    "ts": '// TODO: rateLimit(), jwt.verify, prom-client\nconst rateLimit = 0; const jwtSecretName = "jwt.verify";\n',
    "rust": 'fn main() { let rate_limit = "tower_governor"; let jwt = "jsonwebtoken::decode"; let m = "counter!"; }\n',
}
STUB = {  # the library imported, nothing built with it
    ("static-cap-rate-limit", "go"): 'package main\nimport _ "golang.org/x/time/rate"\n',
    ("static-cap-rate-limit", "ts"): 'import type { RateLimitRequestHandler } from "express-rate-limit";\nexport let l: RateLimitRequestHandler | null = null;\n',
    ("static-cap-rate-limit", "rust"): 'use tower_governor::GovernorLayer;\nfn f(_l: Option<GovernorLayer>) {}\n',
    ("static-cap-auth", "go"): 'package main\nimport _ "github.com/golang-jwt/jwt/v5"\n',
    ("static-cap-auth", "ts"): 'import type { JwtPayload } from "jsonwebtoken";\nexport let p: JwtPayload | null = null;\n',
    ("static-cap-auth", "rust"): 'use jsonwebtoken::Validation;\nfn f(_v: Option<Validation>) {}\n',
    ("static-cap-metrics", "go"): 'package main\nimport _ "github.com/prometheus/client_golang/prometheus"\n',
    ("static-cap-metrics", "ts"): 'import type { Registry } from "prom-client";\nexport let r: Registry | null = null;\n',
    ("static-cap-metrics", "rust"): 'use prometheus::Registry;\nfn f(_r: Option<Registry>) {}\n',
}
MAIN = {"go": ("main.go", GO_MAIN), "ts": ("src/index.ts", TS_MAIN), "rust": ("src/main.rs", RS_MAIN)}
STUB_FILE = {"go": "stub.go", "ts": "src/stub.ts", "rust": "src/stub.rs"}
MENTION_FILE = {"go": "todo.go", "ts": "src/todo.ts", "rust": "src/todo.rs"}
CASES = sorted(REAL)


def service(tmp_path, language, extra: dict[str, str]):
    path, text = MAIN[language]
    return write_tree(tmp_path / "svc", {path: text, **extra})


@pytest.mark.parametrize("check, language", CASES)
def test_the_real_mechanism_is_implemented(static_audit, tmp_path, check, language):
    result = static_audit(service(tmp_path, language, REAL[(check, language)]), [check])[check]
    assert result.status.value == "pass" and result.strength == "implemented", result.message
    assert result.evidence[0].path == next(iter(REAL[(check, language)]))


@pytest.mark.parametrize("check, language", CASES)
def test_a_mention_is_nothing(static_audit, tmp_path, check, language):
    result = static_audit(service(tmp_path, language, {MENTION_FILE[language]: MENTION[language]}), [check])[check]
    assert result.status.value == "fail", result.message


@pytest.mark.parametrize("check, language", CASES)
def test_a_stub_import_is_nothing(static_audit, tmp_path, check, language):
    result = static_audit(service(tmp_path, language, {STUB_FILE[language]: STUB[(check, language)]}), [check])[check]
    assert result.status.value == "fail", result.message


@pytest.mark.parametrize("language, manifest", [
    ("go", {"go.mod": "module x\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/time v0.5.0\n)\n"}),
    ("ts", {"package.json": '{"dependencies": {"express": "^4", "express-rate-limit": "^7"}}'}),
    ("rust", {"Cargo.toml": '[package]\nname = "r"\n[dependencies]\naxum = "0.7"\ntower_governor = "0.4"\n'}),
])
def test_a_declared_library_is_partial(static_audit, tmp_path, language, manifest):
    result = static_audit(service(tmp_path, language, manifest), ["static-cap-rate-limit"])["static-cap-rate-limit"]
    assert result.status.value == "partial" and result.strength == "declared", result.message


NEXT_ROUTE = {"app/api/chat/route.ts": 'export async function POST(request: Request) {\n  return Response.json({ ok: true });\n}\n'}


@pytest.mark.parametrize("files, status", [
    # Next.js runs instrumentation.ts's register() at server start: @vercel/otel traces every request
    # from there (vercel/ai-chatbot read "declared only" before).
    ({"instrumentation.ts": 'import { registerOTel } from "@vercel/otel";\n\nexport function register() {\n'
                            '  registerOTel({ serviceName: "chat" });\n}\n'}, "pass"),
    ({"instrumentation.ts": 'import type { Configuration } from "@vercel/otel";\nexport const c: Configuration | null = null;\n'},
     "fail"),
    ({"instrumentation.ts": '// TODO: registerOTel() for tracing\nexport function register() {}\n'}, "fail"),
    ({"package.json": '{"dependencies": {"next": "15", "@vercel/otel": "^1.12.0"}}'}, "partial"),
])
def test_nextjs_instrumentation_traces_with_vercel_otel(static_audit, tmp_path, files, status):
    root = write_tree(tmp_path / "svc", {**NEXT_ROUTE, **files})
    result = static_audit(root, ["static-cap-tracing"])["static-cap-tracing"]
    assert result.status.value == status, (result.message, result.evidence)
