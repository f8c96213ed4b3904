"""tealeaf-gateway: a multi-tenant, audited chat API in front of the OpenAI API."""
import hashlib
from contextlib import asynccontextmanager

import httpx
import pybreaker
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded

from app import audit, budgets, db, moderation, output, pii, prompts, upstream
from app.config import settings
from app.observability import (TOKENS, UPSTREAM_ERRORS, configure_error_tracking, configure_logging, configure_tracing,
                               log, observe)
from app.schemas import ChatRequest
from app.security import require_tenant

configure_logging(settings.log_level)
configure_error_tracking(settings.sentry_dsn, settings.environment)


def client_key(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return hashlib.sha256(auth.encode()).hexdigest()[:16] if auth else request.client.host


limiter = Limiter(key_func=client_key, headers_enabled=True)


@asynccontextmanager
async def lifespan(app: FastAPI):
    db.init_db()
    dropped = audit.prune()
    log.info("startup", region=settings.region, prompt_version=settings.prompt_version, audit_pruned=dropped)
    yield
    upstream.client.close()


app = FastAPI(title="tealeaf-gateway", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
app.state.limiter = limiter
app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins, allow_methods=["POST"],
                   allow_headers=["Authorization", "Content-Type", "X-Request-ID"])
app.middleware("http")(observe)
configure_tracing(app, settings.service_version)


@app.middleware("http")
async def limit_body_size(request: Request, call_next):
    length = request.headers.get("content-length")
    if length and int(length) > settings.max_body_bytes:
        return JSONResponse({"error": {"message": "Request body too large"}}, status_code=413)
    return await call_next(request)


@app.exception_handler(RequestValidationError)
async def validation_error(request: Request, exc: RequestValidationError):
    problems = [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]
    return JSONResponse({"error": {"message": "Invalid request", "details": problems}}, status_code=400)


@app.exception_handler(Exception)
async def unexpected_error(request: Request, exc: Exception):
    log.exception("unhandled_error")
    return JSONResponse({"error": {"message": "Internal server error"}}, status_code=500)


@app.get("/livez")
def livez():
    return {"status": "ok"}


@app.get("/readyz")
def readyz(response: Response):
    database = db.ping()
    if not database:
        response.status_code = 503
    return {"status": "ready" if database else "not ready", "checks": {"database": "ok" if database else "down"}}


@app.get("/metrics")
def metrics(tenant: str = Depends(require_tenant)):
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@app.post("/v1/chat/completions")
@limiter.limit(settings.rate_limit)
def chat(request: Request, body: ChatRequest, tenant: str = Depends(require_tenant)):
    request_id = request.state.request_id
    if budgets.remaining(tenant) <= 0:
        audit.record("chat.refused", tenant=tenant, request_id=request_id, reason="token budget exhausted")
        return JSONResponse({"error": {"message": "Monthly token budget exhausted", "code": "budget_exhausted"}},
                            status_code=429, headers={"Retry-After": "3600"})
    flagged = moderation.check_input([m.content for m in body.messages if m.role == "user"])
    if flagged:
        audit.record("chat.flagged", tenant=tenant, request_id=request_id, categories=flagged)
        return JSONResponse({"error": {"message": "The request was flagged by content moderation",
                                       "code": "content_flagged", "categories": flagged}}, status_code=400)
    system = prompts.load("system")
    messages = [{"role": "system", "content": system["content"]}]
    messages += [m.model_dump() for m in body.messages if m.role != "system"]
    payload = {**body.model_dump(), "messages": messages, "user": tenant}
    try:
        answer = upstream.chat_completion(payload, request_id)
    except pybreaker.CircuitBreakerError:
        # The provider keeps failing: a canned answer, marked as a fallback, instead of another wait.
        UPSTREAM_ERRORS.labels("circuit_open").inc()
        audit.record("chat.fallback", tenant=tenant, request_id=request_id)
        return JSONResponse({"id": f"chatcmpl-fallback-{request_id}", "object": "chat.completion", "model": body.model,
                             "fallback": True, "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                 "role": "assistant", "content": settings.fallback_text}}]},
                            headers={"X-Fallback": "circuit-open"})
    except httpx.HTTPError as exc:
        UPSTREAM_ERRORS.labels(type(exc).__name__).inc()
        audit.record("chat.failed", tenant=tenant, request_id=request_id, reason=type(exc).__name__)
        return JSONResponse({"error": {"message": "The model provider is unavailable"}}, status_code=503,
                            headers={"Retry-After": "5"})
    redacted_kinds = []
    for choice in answer.get("choices", []):
        content = choice.get("message", {}).get("content") or ""
        choice["message"]["content"], kinds = pii.redact(output.sanitise(content))
        redacted_kinds += kinds
    usage = answer.get("usage") or {}
    budgets.charge(tenant, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))
    TOKENS.labels("prompt", body.model).inc(usage.get("prompt_tokens", 0))
    TOKENS.labels("completion", body.model).inc(usage.get("completion_tokens", 0))
    db.log_request(tenant, body.model, 200, usage)
    audit.record("chat.completed", tenant=tenant, request_id=request_id, model=body.model,
                 prompt_version=system["version"], prompt_tokens=usage.get("prompt_tokens", 0),
                 completion_tokens=usage.get("completion_tokens", 0), redacted=sorted(set(redacted_kinds)))
    return answer
