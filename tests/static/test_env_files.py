"""repo-no-env-file: a committed .env fails; a Next.js/Vite `.env.development` whose every key is a
browser-public variable (NEXT_PUBLIC_*, VITE_*, REACT_APP_* ...) is configuration the framework
ships to every visitor, meant to be committed (Xinference's frontend). One other key fails it."""

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
])
def test_committed_env_files(static_audit, tmp_path, files, status):
    root = write_tree(tmp_path / "x", {"app.py": "print('hi')\n", **files})
    result = static_audit(root, [CHECK])[CHECK]
    assert result.status.value == status, (result.message, result.evidence)
