import hmac

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.config import settings

bearer = HTTPBearer(auto_error=False)


def _tenants() -> dict[str, str]:
    """key -> tenant, from "tenant:key" pairs."""
    pairs = (item.split(":", 1) for item in settings.api_keys.get_secret_value().split(",") if ":" in item)
    return {key.strip(): tenant.strip() for tenant, key in pairs}


def require_tenant(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    """The tenant the bearer key belongs to."""
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Missing API key",
                            headers={"WWW-Authenticate": "Bearer"})
    for key, tenant in _tenants().items():
        if hmac.compare_digest(credentials.credentials, key):
            return tenant
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid API key", headers={"WWW-Authenticate": "Bearer"})
