"""Metrics (Prometheus), JSON logs (structlog), traces (OpenTelemetry), errors (Sentry), request ids."""
import logging
import time
import uuid

import sentry_sdk
import structlog
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("tealeaf_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("tealeaf_http_request_duration_seconds", "Request latency", ["route"],
                    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
TOKENS = Counter("tealeaf_tokens_total", "Tokens used", ["kind", "model"])
UPSTREAM_ERRORS = Counter("tealeaf_upstream_errors_total", "Failed calls to the model provider", ["reason"])
IN_FLIGHT = Gauge("tealeaf_http_requests_in_flight", "Requests being served")


def configure_logging(level: str) -> None:
    logging.basicConfig(format="%(message)s", level=level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
    )


log = structlog.get_logger("tealeaf")


def configure_tracing(app, service_version: str) -> None:
    """Spans for every request and every call to the provider, exported to the OTLP collector
    (OTEL_EXPORTER_OTLP_ENDPOINT); the trace id is logged with each request."""
    provider = TracerProvider(resource=Resource.create({"service.name": "tealeaf-gateway",
                                                        "service.version": service_version}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="livez,readyz,metrics")
    HTTPXClientInstrumentor().instrument()


def configure_error_tracking(dsn: str | None, environment: str) -> None:
    if dsn:
        # No request bodies: prompts may hold personal data.
        sentry_sdk.init(dsn=dsn, environment=environment, traces_sample_rate=0.0, send_default_pii=False,
                        max_request_body_size="never")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}


async def observe(request, call_next):
    """Middleware: a request id on every answer, one JSON log line and metrics per request."""
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    request.state.request_id = request_id
    span = trace.get_current_span().get_span_context()
    structlog.contextvars.bind_contextvars(request_id=request_id,
                                           trace_id=format(span.trace_id, "032x") if span.is_valid else None)
    route = request.scope.get("route").path if request.scope.get("route") else "unmatched"
    started = time.perf_counter()
    IN_FLIGHT.inc()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
    finally:
        IN_FLIGHT.dec()
        elapsed = time.perf_counter() - started
        REQUESTS.labels(request.method, route, str(status)).inc()
        LATENCY.labels(route).observe(elapsed)
        log.info("request", method=request.method, path=request.url.path, status=status,
                 duration_ms=round(elapsed * 1000, 1))
        structlog.contextvars.clear_contextvars()
    response.headers["X-Request-ID"] = request_id
    response.headers.update(SECURITY_HEADERS)
    return response
