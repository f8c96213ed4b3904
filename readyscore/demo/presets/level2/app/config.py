from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEALEAF_", env_file=".env", extra="ignore")

    openai_api_key: SecretStr
    openai_base_url: str = "https://api.openai.com/v1"
    # Keys our own clients use, comma-separated (rotated through the secret store).
    api_keys: SecretStr
    database_url: str = "sqlite:///./tealeaf.db"
    rate_limit: str = "20/second"
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_tokens_cap: int = Field(default=1024, ge=1)
    allowed_origins: list[str] = []
    upstream_timeout_s: float = 30.0


settings = Settings()
