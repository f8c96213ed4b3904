"""The call to the model provider: bounded timeouts, retries with backoff on transient errors only,
and a circuit breaker that stops calling a provider that keeps failing."""
import httpx
import pybreaker
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_random_exponential

from app.config import settings

TRANSIENT = {429, 500, 502, 503, 504}

client = httpx.Client(
    base_url=settings.openai_base_url,
    timeout=httpx.Timeout(settings.upstream_read_timeout_s, connect=settings.upstream_connect_timeout_s),
    limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    headers={"Authorization": f"Bearer {settings.openai_api_key.get_secret_value()}"},
)


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in TRANSIENT
    return isinstance(exc, (httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError))


# Opens after five failed calls (each already retried), answers at once while open, and lets one
# trial call through after the cool-down; the route serves a marked fallback while it is open.
breaker = pybreaker.CircuitBreaker(fail_max=settings.breaker_fail_max, reset_timeout=settings.breaker_reset_s,
                                   exclude=[lambda exc: isinstance(exc, httpx.HTTPStatusError)
                                            and exc.response.status_code < 500 and exc.response.status_code != 429])


@breaker
@retry(retry=retry_if_exception(_transient), stop=stop_after_attempt(settings.upstream_retries + 1),
       wait=wait_random_exponential(multiplier=0.5, max=8), reraise=True)
def chat_completion(payload: dict, request_id: str) -> dict:
    response = client.post("/chat/completions", json=payload, headers={"X-Request-ID": request_id})
    response.raise_for_status()
    return response.json()
