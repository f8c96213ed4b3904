import hmac

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.config import settings

bearer = HTTPBearer(auto_error=False)


def _known_keys() -> list[str]:
    return [k.strip() for k in settings.api_keys.get_secret_value().split(",") if k.strip()]


def require_api_key(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Missing API key",
                            headers={"WWW-Authenticate": "Bearer"})
    token = credentials.credentials
    if not any(hmac.compare_digest(token, key) for key in _known_keys()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid API key",
                            headers={"WWW-Authenticate": "Bearer"})
    return token
