from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEALEAF_", env_file=".env", extra="ignore")

    openai_api_key: SecretStr
    openai_base_url: str = "https://api.openai.com/v1"
    # tenant:key pairs, comma-separated (mounted from the tealeaf-secrets Secret).
    api_keys: SecretStr
    database_url: str = "postgresql+psycopg://tealeaf@db:5432/tealeaf"
    region: str = "eu-west-1"
    rate_limit: str = "20/second"
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_tokens_cap: int = Field(default=1024, ge=1)
    allowed_origins: list[str] = ["https://chat.example.com"]
    upstream_connect_timeout_s: float = 3.0
    upstream_read_timeout_s: float = 60.0
    upstream_retries: int = Field(default=3, ge=0, le=5)
    breaker_fail_max: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=30.0, gt=0)
    fallback_text: str = "The assistant is busy right now; please try again in a minute."
    log_level: str = "INFO"
    environment: str = "production"
    service_version: str = "2.1.0"
    sentry_dsn: str | None = None
    moderation_model: str = "omni-moderation-latest"
    # Compliance and cost controls -----------------------------------------------------------
    audit_log_path: str = "/var/log/tealeaf/audit.jsonl"
    audit_retention_days: int = Field(default=90, ge=1, le=3650)
    default_monthly_token_budget: int = Field(default=5_000_000, ge=0)
    prompt_version: str = "v1"


settings = Settings()
