"""Versioned system prompts: prompts/<version>/<name>.yaml, reviewed like code, never edited in place."""
from functools import lru_cache
from pathlib import Path

import yaml

from app.config import settings

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache
def load(name: str, version: str | None = None) -> dict:
    version = version or settings.prompt_version
    data = yaml.safe_load((PROMPTS / version / f"{name}.yaml").read_text(encoding="utf-8"))
    if data.get("version") != version or data.get("name") != name:
        raise ValueError(f"prompt file {version}/{name}.yaml does not declare itself as {name}@{version}")
    return data
