"""Health probes: liveness and readiness endpoints, their status, latency and format.

Orchestrators call these without the API's credentials and give up after about a second
(Kubernetes' default probe timeout), so both are asked without credentials and judged on latency.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from readyscore.executors.base import AuditContext, result
from readyscore.executors.live.session import LiveExecutor, LiveSession
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, EvidenceStrength, Result, Status
from readyscore.net import Exchange

HEALTH_TIMEOUT_S = 5.0
HEALTH_WORKERS = 4
# Body keys that show a readiness answer looked at its dependencies.
DEPENDENCY_KEYS = ("checks", "components", "dependencies", "details", "services", "database", "db", "redis",
                   "model", "models", "backend", "backends", "upstream", "upstreams", "gpu", "engine", "cache",
                   "vector_store", "queue")


class HealthParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probe: Literal["liveness", "readiness"]


def health_endpoints(session: LiveSession) -> dict[str, list[Exchange]]:
    """GET every configured health path once (shared by both checks). The key "keyed" lists the
    answers that needed the API key."""
    def compute() -> dict[str, list[Exchange]]:
        settings = session.settings
        found: dict[str, list[Exchange]] = {"liveness": [], "readiness": [], "keyed": []}
        timeout = min(HEALTH_TIMEOUT_S, settings.request_timeout_s)

        def get(kind_path: tuple[str, str]) -> tuple[str, Exchange]:
            kind, path = kind_path
            exchange = session.request("GET", path, credentials=None, follow_redirects=True, timeout_s=timeout)
            if exchange.status in (401, 403) and session.api_key:
                # Health behind the API key is unusual but still health; say so in the verdict.
                exchange = session.request("GET", path, follow_redirects=True, timeout_s=timeout)
                found["keyed"].append(exchange)
            return kind, exchange

        wanted = [("liveness", p) for p in settings.liveness_paths] + [
            ("readiness", p) for p in settings.readiness_paths]
        # A few at a time: a server that hangs on unknown paths still finishes in bounded time.
        with ThreadPoolExecutor(max_workers=HEALTH_WORKERS) as pool:
            for kind, exchange in pool.map(get, wanted):
                found[kind].append(exchange)
        return found
    return session.ctx.shared("live.health", compute)


def _exists(exchange: Exchange, session: LiveSession) -> bool:
    """Whether a health path is really there (answered, not 404/405, not the catch-all page)."""
    if exchange.error and "timed out" not in exchange.error:
        return False
    if exchange.status in (404, 405, 401, 403):
        return False
    if exchange.redirected_off_target:
        return False
    return not (exchange.ok and session.is_catch_all(exchange))


def names_dependencies(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return []
    return [key for key in payload if isinstance(key, str) and key.lower() in DEPENDENCY_KEYS]


def health_json_problem(payload: Any) -> str | None:
    """What is wrong with a body that claims the health+json format (draft-inadarei-api-health-check:
    an object whose required `status` is pass, fail or warn; ok/up/down are accepted aliases)."""
    if not isinstance(payload, dict):
        return "the body is not a JSON object"
    status = payload.get("status")
    if not isinstance(status, str) or status.lower() not in ("pass", "fail", "warn", "ok", "up", "down"):
        return f"its `status` is {status!r}, not pass/warn/fail"
    return None


@register
class HealthProbe(LiveExecutor[HealthParams]):
    kind = "live_health"
    Params = HealthParams
    description = ("Liveness or readiness endpoint: found on the common paths, answers 2xx fast, "
                   "health+json, dependencies.")

    def probe(self, spec: CheckSpec, params: HealthParams, ctx: AuditContext, session: LiveSession) -> Result:
        endpoints = health_endpoints(session)
        exchanges = endpoints[params.probe]
        present = [e for e in exchanges if _exists(e, session)]
        off_target = [e for e in exchanges if e.redirected_off_target]
        if not present:
            paths = ", ".join(session.settings.liveness_paths if params.probe == "liveness"
                              else session.settings.readiness_paths)
            evidence = [session.evidence(e, "redirects off the target (not followed)") for e in off_target[:3]]
            return result(spec, Status.FAIL, f"no {params.probe} endpoint answered (tried {paths}; "
                                             f"configure live.{params.probe}_paths if it lives elsewhere)",
                          evidence=evidence)
        healthy = [e for e in present if e.ok]
        best = min(healthy or present, key=lambda e: e.elapsed_s)
        latency_ms = best.elapsed_s * 1000
        limit = session.settings.health_max_latency_ms
        notes: list[str] = []
        status = Status.PASS
        if not best.ok:
            status = Status.FAIL
            notes.append(f"answers {f'HTTP {best.status}' if best.status else best.error}"
                         + (": the service reports itself not ready" if best.status == 503 else ""))
        elif latency_ms > limit:
            status = Status.FAIL
            notes.append(f"took {latency_ms:.0f} ms (limit {limit:.0f} ms): orchestrator probes time out "
                         "and restart or drain a healthy instance")
        if any(best is keyed for keyed in endpoints["keyed"]):
            status = Status.PARTIAL if status is Status.PASS else status
            notes.append("it needs the API key, which orchestrator probes do not send")
        content_type = (best.header("content-type") or "").split(";")[0].strip()
        if content_type == "application/health+json":
            problem = health_json_problem(best.json())
            if problem is None:
                notes.append("uses application/health+json")
            else:
                notes.append(f"declares application/health+json but {problem}")
                status = Status.PARTIAL if status is Status.PASS else status
        if params.probe == "readiness" and best.ok:
            dependencies = names_dependencies(best.json())
            if dependencies:
                notes.append(f"reflects dependencies ({', '.join(dependencies[:6])})")
            elif status is Status.PASS:
                status = Status.PARTIAL
                notes.append("does not show which dependencies it checked")
        path = best.url.removeprefix(session.redactor.redact(session.base_url) or "")
        message = f"{params.probe} at {path}: HTTP {best.status} in {latency_ms:.0f} ms" + (
            f"; {'; '.join(notes)}" if notes else "")
        return result(spec, status, message, evidence=[session.evidence(e, f"{params.probe} endpoint")
                                                       for e in present[:3]],
                      strength=EvidenceStrength.VERIFIED if status is not Status.FAIL else None,
                      metrics={"path": path, "latency_ms": round(latency_ms, 1), "status": best.status})
