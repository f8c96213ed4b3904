"""Which variable names hold credentials (shared by the Dockerfile, Compose and Kubernetes rules)."""

from __future__ import annotations

import pytest

from readyscore.executors.deploy.secretnames import is_reference, is_secret_name, mask


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "HF_TOKEN", "DB_PASSWORD", "POSTGRES_PASSWD", "clientSecret",
                                  "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID_SECRET", "privateKey", "JWT_SIGNING_KEY",
                                  "GITHUB_CREDENTIALS", "apikey"])
def test_credential_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["TOKENIZERS_PARALLELISM", "MAX_TOKENS", "DB_PASSWORD_FILE", "TOKEN_URL",
                                  "HF_TOKEN_PATH", "PASSWORD_MIN_LENGTH", "KEY_PREFIX", "LOG_LEVEL", "SECRETS_DIR",
                                  "api_key_header", "OPENAI_API_KEY_ENV"])
def test_names_that_are_not_credentials(name):
    assert not is_secret_name(name)


def test_references_and_masking():
    assert is_reference("${OPENAI_API_KEY}") and is_reference("$(DB_PASSWORD)") and is_reference(" $TOKEN ")
    assert not is_reference("sk-${SUFFIX}") and not is_reference("literal")
    assert mask("short") == "*****"
    assert mask("fixture-literal-0123456789abcdef") == "fi…ef (32 chars)"
