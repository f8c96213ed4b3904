"""Capability evidence beyond the request path in Go, TypeScript and Rust services: retries, durable
persistence, error tracking, caching and migrations. Same rules as Python and as the request-path
controls: the library imported and a call through it is implemented (pass); a mention (a comment, a
string, a variable named after it) fails; the import alone, nothing built with it, fails; the library
only declared in go.mod / package.json / Cargo.toml is partial."""

from __future__ import annotations

import pytest
from static_helpers import write_tree

MAIN = {
    "go": ("main.go", 'package main\nimport "net/http"\nfunc main() { http.ListenAndServe(":8080", nil) }\n'),
    "ts": ("src/index.ts", 'import express from "express";\nconst app = express();\napp.listen(3000);\n'),
    "rust": ("src/main.rs", 'use axum::Router;\nfn main() { let app = Router::new(); }\n'),
}

REAL = {
    ("static-cap-retries", "go"): ("retry.go", 'package main\nimport "github.com/cenkalti/backoff/v4"\n'
                                   'func call() error { return backoff.Retry(op, backoff.NewExponentialBackOff()) }\n'),
    ("static-cap-retries", "ts"): ("src/retry.ts", 'import pRetry from "p-retry";\n'
                                   'export const ask = () => pRetry(() => fetch(url), { retries: 3 });\n'),
    ("static-cap-retries", "rust"): ("src/retry.rs", 'use backon::{ExponentialBuilder, Retryable};\n'
                                     'async fn ask() { let r = fetch.retry(ExponentialBuilder::default()).await; }\n'),
    ("static-cap-circuit-breaker", "go"): ("breaker.go", 'package main\nimport "github.com/sony/gobreaker/v2"\n'
                                           'var cb = gobreaker.NewCircuitBreaker[[]byte](gobreaker.Settings{Name: "llm"})\n'),
    ("static-cap-circuit-breaker", "ts"): ("src/breaker.ts", 'import CircuitBreaker from "opossum";\n'
                                           'export const guarded = new CircuitBreaker(() => fetch(url), { timeout: 30000 });\n'),
    ("static-cap-circuit-breaker", "rust"): ("src/breaker.rs", 'use failsafe::{Config, CircuitBreaker};\n'
                                             'fn mk() { let cb = Config::new().build(); cb.call(|| ask()); }\n'),
    ("static-cap-persistence", "go"): ("db.go", 'package main\nimport "github.com/jackc/pgx/v5/pgxpool"\n'
                                       'func open() { pool, _ := pgxpool.New(ctx, dsn); _ = pool }\n'),
    ("static-cap-persistence", "ts"): ("src/db.ts", 'import { PrismaClient } from "@prisma/client";\n'
                                       'export const db = new PrismaClient();\n'),
    ("static-cap-persistence", "rust"): ("src/db.rs", 'use sqlx::postgres::PgPoolOptions;\n'
                                         'async fn open() { let pool = PgPoolOptions::new().connect(DSN).await; }\n'),
    ("static-cap-error-tracking", "go"): ("errors.go", 'package main\nimport "github.com/getsentry/sentry-go"\n'
                                          'func init() { sentry.Init(sentry.ClientOptions{Dsn: dsn}) }\n'),
    ("static-cap-error-tracking", "ts"): ("src/errors.ts", 'import * as Sentry from "@sentry/node";\n'
                                          'Sentry.init({ dsn: process.env.SENTRY_DSN });\n'),
    ("static-cap-error-tracking", "rust"): ("src/errors.rs", 'fn init() { let _guard = sentry::init(DSN); }\n'
                                            'use sentry;\n'),
    ("static-cap-caching", "go"): ("cache.go", 'package main\nimport "github.com/hashicorp/golang-lru/v2"\n'
                                   'func mk() { c, _ := lru.New[string, string](128); _ = c }\n'),
    ("static-cap-caching", "ts"): ("src/cache.ts", 'import { LRUCache } from "lru-cache";\n'
                                   'export const answers = new LRUCache<string, string>({ max: 500, ttl: 60000 });\n'),
    ("static-cap-caching", "rust"): ("src/cache.rs", 'use moka::future::Cache;\n'
                                     'fn mk() { let c: Cache<String, String> = Cache::new(10_000); }\n'),
    ("static-cap-migrations", "go"): ("migrate.go", 'package main\nimport "github.com/pressly/goose/v3"\n'
                                      'func up() { goose.Up(db, "migrations") }\n'),
    ("static-cap-migrations", "ts"): ("src/migrate.ts", 'import { Umzug } from "umzug";\n'
                                      'export const migrator = new Umzug({ migrations: { glob: "migrations/*.js" } });\n'),
    ("static-cap-migrations", "rust"): ("src/migrate.rs", 'use sqlx::PgPool;\n'
                                        'async fn up(pool: &PgPool) { sqlx::migrate!("./migrations").run(pool).await; }\n'),
}
MENTION = {
    "go": ("todo.go", 'package main\n// TODO: backoff.Retry, gobreaker, pgxpool, sentry.Init, an lru cache, goose migrations\n'
                      'func main2() { retry := "backoff"; cache := "lru"; _ = retry; _ = cache }\n'),
    "ts": ("src/todo.ts", '// TODO: pRetry, an opossum CircuitBreaker, PrismaClient, Sentry.init, LRUCache, Umzug migrations\n'
                          'const retries = 0; const cacheName = "lru-cache"; const sentry = "init";\n'),
    "rust": ("src/todo.rs", 'fn todo() { let retry = "backoff"; let cache = "moka::Cache"; '
                            'let db = "sqlx::migrate!"; let sentry = "sentry::init"; }\n'),
}
STUB = {  # the library imported, nothing built with it
    ("static-cap-retries", "go"): 'package main\nimport _ "github.com/cenkalti/backoff/v4"\n',
    ("static-cap-retries", "ts"): 'import type { Options } from "p-retry";\nexport let o: Options | null = null;\n',
    ("static-cap-retries", "rust"): 'use backon::ExponentialBuilder;\nfn f(_b: Option<ExponentialBuilder>) {}\n',
    ("static-cap-circuit-breaker", "go"): 'package main\nimport _ "github.com/sony/gobreaker/v2"\n',
    ("static-cap-circuit-breaker", "ts"): 'import type { Options } from "opossum";\nexport let o: Options | null = null;\n',
    ("static-cap-circuit-breaker", "rust"): 'use failsafe::Config;\nfn f(_c: Option<Config>) {}\n',
    ("static-cap-persistence", "go"): 'package main\nimport _ "github.com/jackc/pgx/v5/pgxpool"\n',
    ("static-cap-persistence", "ts"): 'import type { PrismaClient } from "@prisma/client";\nexport let c: PrismaClient | null = null;\n',
    ("static-cap-persistence", "rust"): 'use sqlx::PgPool;\nfn f(_p: Option<PgPool>) {}\n',
    ("static-cap-error-tracking", "go"): 'package main\nimport _ "github.com/getsentry/sentry-go"\n',
    ("static-cap-error-tracking", "ts"): 'import type { Event } from "@sentry/node";\nexport let e: Event | null = null;\n',
    ("static-cap-error-tracking", "rust"): 'use sentry::protocol::Event;\nfn f(_e: Option<Event>) {}\n',
    ("static-cap-caching", "go"): 'package main\nimport _ "github.com/hashicorp/golang-lru/v2"\n',
    ("static-cap-caching", "ts"): 'import type { LRUCache } from "lru-cache";\nexport let c: LRUCache<string, string> | null = null;\n',
    ("static-cap-caching", "rust"): 'use moka::future::Cache;\nfn f(_c: Option<Cache<String, String>>) {}\n',
    ("static-cap-migrations", "go"): 'package main\nimport _ "github.com/pressly/goose/v3"\n',
    ("static-cap-migrations", "ts"): 'import type { MigrationParams } from "umzug";\nexport let m: MigrationParams<object> | null = null;\n',
    ("static-cap-migrations", "rust"): 'use refinery::Migration;\nfn f(_m: Option<Migration>) {}\n',
}
STUB_FILE = {"go": "stub.go", "ts": "src/stub.ts", "rust": "src/stub.rs"}
DECLARED = {  # (check, language) -> the manifest that declares the library, nothing in the code
    ("static-cap-retries", "go"): {"go.mod": "module x\n\ngo 1.22\n\nrequire (\n\tgithub.com/cenkalti/backoff/v4 v4.3.0\n)\n"},
    ("static-cap-circuit-breaker", "ts"): {"package.json": '{"dependencies": {"express": "^4", "opossum": "^8"}}'},
    ("static-cap-persistence", "ts"): {"package.json": '{"dependencies": {"express": "^4", "@prisma/client": "^5"}}'},
    ("static-cap-caching", "rust"): {"Cargo.toml": '[package]\nname = "r"\n[dependencies]\naxum = "0.7"\nmoka = "0.12"\n'},
    ("static-cap-error-tracking", "go"): {"go.mod": "module x\n\ngo 1.22\n\nrequire github.com/getsentry/sentry-go v0.27.0\n"},
    ("static-cap-migrations", "rust"): {"Cargo.toml": '[package]\nname = "r"\n[dependencies]\naxum = "0.7"\nrefinery = "0.8"\n'},
}
CASES = sorted(REAL)


def service(tmp_path, language: str, extra: dict[str, str]):
    path, text = MAIN[language]
    return write_tree(tmp_path / "svc", {path: text, **extra})


@pytest.mark.parametrize("check, language", CASES)
def test_the_real_mechanism_is_implemented(static_audit, tmp_path, check, language):
    path, text = REAL[(check, language)]
    result = static_audit(service(tmp_path, language, {path: text}), [check])[check]
    assert result.status.value == "pass" and result.strength == "implemented", result.message
    assert path in {e.path for e in result.evidence}


@pytest.mark.parametrize("check, language", CASES)
def test_a_mention_is_nothing(static_audit, tmp_path, check, language):
    path, text = MENTION[language]
    result = static_audit(service(tmp_path, language, {path: text}), [check])[check]
    assert result.status.value == "fail", result.message


@pytest.mark.parametrize("check, language", CASES)
def test_an_import_with_nothing_built_is_nothing(static_audit, tmp_path, check, language):
    result = static_audit(service(tmp_path, language, {STUB_FILE[language]: STUB[(check, language)]}), [check])[check]
    assert result.status.value == "fail", result.message


@pytest.mark.parametrize("check, language", sorted(DECLARED))
def test_a_declared_library_is_partial(static_audit, tmp_path, check, language):
    result = static_audit(service(tmp_path, language, DECLARED[(check, language)]), [check])[check]
    assert result.status.value == "partial" and result.strength == "declared", result.message
