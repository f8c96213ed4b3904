"""The demo service: an OpenAI-compatible API over the toy model, hardened as far as the settings say.

    create_app(PRESETS["level3"]) -> FastAPI

Endpoints: GET /v1/models, POST /v1/chat/completions (JSON or server-sent events), POST
/v1/completions, the health paths of the preset, /livez and /readyz, /metrics.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from readyscore.demo.edge import EdgeMiddleware
from readyscore.demo.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from readyscore.demo.service import ApiError, MissingApiKey, Service, error_response
from readyscore.demo.settings import DemoSettings
from readyscore.demo.store import temporary_files

__all__ = ["MissingApiKey", "create_app"]

CREATED = 1_700_000_000


def create_app(settings: DemoSettings) -> FastAPI:
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        service.store.close()
        if service.proxy is not None:
            await service.proxy.close()
        for path in temporary_files(settings):
            path.unlink(missing_ok=True)

    docs = settings.expose_docs
    app = FastAPI(title="readyscore demo LLM service", version="0.1.0", debug=settings.debug_errors,
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  openapi_url="/openapi.json" if docs else None, lifespan=lifespan)
    app.state.service = service
    app.add_middleware(EdgeMiddleware, settings=settings, metrics=service.metrics)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        message = "No such endpoint." if exc.status_code == 404 else str(exc.detail)
        return error_response(exc.status_code, message, kind, headers=getattr(exc, "headers", None))

    async def gate(request: Request) -> tuple[str, dict[str, str]]:
        caller = service.authorise(request)
        return caller, service.limit(caller)

    @app.get("/v1/models")
    async def list_models(request: Request) -> Response:
        try:
            _, headers = await gate(request)
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.type, exc.code, headers=exc.headers)
        window = settings.context_window
        return JSONResponse({"object": "list", "data": [{
            "id": settings.model_name, "object": "model", "created": CREATED, "owned_by": "readyscore",
            "context_window": window, "max_model_len": window}]}, headers=headers)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        return await service.handle(request, "chat")

    @app.post("/v1/completions")
    async def completions(request: Request) -> Response:
        return await service.handle(request, "text")

    def plain_health() -> Any:
        async def health() -> JSONResponse:
            await service.health_pause()
            return JSONResponse({"status": "ok"})
        return health

    for path in settings.health_paths:
        app.add_api_route(path, plain_health(), methods=["GET"], include_in_schema=False)

    if settings.kubernetes_probes:
        @app.get("/livez", include_in_schema=False)
        async def livez() -> JSONResponse:
            # application/health+json (draft-inadarei-api-health-check): status is pass, warn or fail.
            await service.health_pause()
            return JSONResponse({"status": "pass"}, media_type="application/health+json")

        @app.get("/readyz", include_in_schema=False)
        async def readyz() -> JSONResponse:
            await service.health_pause()
            database = "pass" if service.store.ping() else "fail"
            body = {"status": database, "checks": {
                "database:connection": [{"componentType": "datastore", "status": database}],
                "model:ready": [{"componentType": "component", "status": "pass"}]}}
            return JSONResponse(body, status_code=200 if database == "pass" else 503,
                                media_type="application/health+json")

    if settings.metrics:
        @app.get("/metrics", include_in_schema=False)
        async def metrics(request: Request) -> Response:
            if settings.metrics_require_auth:
                try:
                    service.authorise(request)
                except ApiError as exc:
                    return error_response(exc.status, exc.message, exc.type, exc.code, headers=exc.headers)
            return PlainTextResponse(service.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    return app
