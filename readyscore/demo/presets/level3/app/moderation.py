"""Input moderation: user messages go through the provider's moderation endpoint before the model.
Verdicts are cached by a hash of the text (retries and repeated prompts cost one call)."""
import hashlib

from cachetools import TTLCache

from app import upstream
from app.config import settings

moderation_cache: TTLCache = TTLCache(maxsize=10_000, ttl=600)


def check_input(texts: list[str]) -> list[str]:
    """The moderation categories the texts were flagged for; empty when they may go to the model."""
    cache_key = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()
    if cache_key in moderation_cache:
        return moderation_cache[cache_key]
    response = upstream.client.post("/moderations", json={"model": settings.moderation_model, "input": texts})
    response.raise_for_status()
    flagged = sorted({category for result in response.json()["results"] if result["flagged"]
                      for category, hit in result["categories"].items() if hit})
    moderation_cache[cache_key] = flagged
    return flagged
