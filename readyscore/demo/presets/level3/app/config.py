from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEALEAF_", env_file=".env", extra="ignore")

    openai_api_key: SecretStr
    openai_base_url: str = "https://api.openai.com/v1"
    # Keys our own clients use, comma-separated (mounted from the tealeaf-secrets Secret).
    api_keys: SecretStr
    database_url: str = "postgresql+psycopg://tealeaf@db:5432/tealeaf"
    rate_limit: str = "20/second"
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_tokens_cap: int = Field(default=1024, ge=1)
    allowed_origins: list[str] = ["https://chat.example.com"]
    upstream_connect_timeout_s: float = 3.0
    upstream_read_timeout_s: float = 60.0
    upstream_retries: int = Field(default=3, ge=0, le=5)
    log_level: str = "INFO"
    environment: str = "production"
    service_version: str = "1.4.2"
    sentry_dsn: str | None = None
    moderation_model: str = "omni-moderation-latest"


settings = Settings()
