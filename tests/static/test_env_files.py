"""repo-no-env-file: a committed .env fails; a Next.js/Vite `.env.development` whose every key is a
browser-public variable (NEXT_PUBLIC_*, VITE_*, REACT_APP_* ...) is configuration the framework
ships to every visitor, meant to be committed (Xinference's frontend). One other key fails it,
unless the file names no credential at all and is not `.env` or `.env.local` (a settings preset)."""

from __future__ import annotations

import pytest
from static_helpers import write_tree

CHECK = "repo-no-env-file"


@pytest.mark.parametrize(("files", "status"), [
    ({"frontend/.env.development": "NEXT_PUBLIC_API_URL=http://127.0.0.1:9997\n"}, "pass"),
    ({"web/.env.production": "# public\nVITE_API_BASE=/api\n\nVITE_TITLE=Chat\n"}, "pass"),
    ({"frontend/.env.development": "NEXT_PUBLIC_API_URL=http://x\nOPENAI_API_KEY=sk-live\n"}, "fail"),
    ({"frontend/.env.development": "NEXT_PUBLIC_API_URL=http://x\nsome text that is no assignment\n"}, "fail"),
    ({".env": "PORT=8000\n"}, "fail"),
    ({".env": ""}, "fail"),  # nothing to show it is browser configuration
    ({".env.example": "OPENAI_API_KEY=\n"}, "pass"),
    # A template per variant (api-for-open-llm) is a template; the variant's own file is not.
    ({".env.vllm.example": "MODEL_NAME=qwen\nOPENAI_API_KEY=\n"}, "pass"),
    ({"deploy/prod.env.sample": "DB_PASSWORD=\n"}, "pass"),
    ({".env.vllm": "MODEL_NAME=qwen\nOPENAI_API_KEY=sk-live\n"}, "fail"),
    ({".env.example.bak": "OPENAI_API_KEY=sk-live\n"}, "fail"),
    # A settings preset that holds no credential is configuration (envoyproxy/ai-gateway's aigw
    # presets), a file of placeholders a template (TensorZero's CI); one whose credential-named key
    # holds a value that is one, or that holds a URL with a password, is not.
    ({".env.ollama": "CHAT_MODEL=qwen2.5:0.5b\nEMBEDDINGS_MODEL=all-minilm:33m\n"}, "pass"),
    ({"cmd/aigw/.env.otel.host": "# OTLP\nOTEL_EXPORTER_OTLP_ENDPOINT=http://host.docker.internal:4317\n"}, "pass"),
    ({".env.otel": "OTEL_ENDPOINT=http://x:4317\nOTEL_API_KEY=\n"}, "pass"),
    ({"ci/dummy-env-file.env": 'export ANTHROPIC_API_KEY="dummy_anthropic_key"\nexport AWS_REGION="us-east-1"\n'}, "pass"),
    ({".env.otel": "OTEL_ENDPOINT=http://x:4317\nOTEL_API_KEY=Zx9vQ2mLp7Rk4tWq\n"}, "fail"),
    ({".env.staging": "DATABASE_URL=postgres://app:hunter2@db:5432/app\n"}, "fail"),
    ({"deploy/prod.env": "PORT=8000\nJWT_SECRET=abc\n"}, "fail"),
    # `.env` and `.env.local` are where an app's secrets go: whatever they hold.
    ({".env.local": "PORT=8000\n"}, "fail"),
    ({"web/.env.development.local": "VITE_TITLE=Chat\nPORT=1\n"}, "fail"),
])
def test_committed_env_files(static_audit, tmp_path, files, status):
    root = write_tree(tmp_path / "x", {"app.py": "print('hi')\n", **files})
    result = static_audit(root, [CHECK])[CHECK]
    assert result.status.value == status, (result.message, result.evidence)
