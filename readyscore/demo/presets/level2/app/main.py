"""tealeaf-gateway: an authenticated, rate-limited chat API in front of the OpenAI API."""
import hashlib
import logging
from contextlib import asynccontextmanager

import requests
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded

from app.config import settings
from app.db import init_db, log_request
from app.schemas import ChatRequest
from app.security import require_api_key

logger = logging.getLogger("tealeaf")


def client_key(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return hashlib.sha256(auth.encode()).hexdigest()[:16] if auth else request.client.host


limiter = Limiter(key_func=client_key, headers_enabled=True)


@asynccontextmanager
async def lifespan(app: FastAPI):
    init_db()
    yield


app = FastAPI(title="tealeaf-gateway", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
app.state.limiter = limiter
app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
if settings.allowed_origins:
    app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins, allow_methods=["POST"],
                       allow_headers=["Authorization", "Content-Type"])


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
    logger.exception("unhandled error")
    return JSONResponse({"error": {"message": "Internal server error"}}, status_code=500)


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/v1/chat/completions")
@limiter.limit(settings.rate_limit)
def chat(request: Request, body: ChatRequest, api_key: str = Depends(require_api_key)):
    upstream = requests.post(
        f"{settings.openai_base_url}/chat/completions",
        headers={"Authorization": f"Bearer {settings.openai_api_key.get_secret_value()}"},
        json=body.model_dump(),
        timeout=settings.upstream_timeout_s,
    )
    answer = upstream.json()
    log_request(client_key(request), body.model, upstream.status_code, answer.get("usage"))
    if upstream.status_code != 200:
        return JSONResponse({"error": {"message": "Upstream model error"}}, status_code=502)
    return answer
