"""The bundled example LLM service that readyscore audits in its demo and its tests.

A deterministic, weight-free, OpenAI-compatible toy service with four presets (level1 .. level4),
each more production-ready than the last, and switches that turn single flaws on or off.

    from readyscore.demo import DemoServer
    with DemoServer("level2", overrides={"echo_pii": False}) as server:
        httpx.get(server.url + "/v1/models", headers={"Authorization": f"Bearer {server.api_key}"})

Importing this package needs neither FastAPI nor uvicorn; running the service does (the `demo`
extra).
"""

from readyscore.demo.runner import DemoServer, DemoServerError
from readyscore.demo.settings import (
    PRESET_TREES,
    PRESETS,
    DemoSettings,
    preset,
    preset_tree,
)

__all__ = ["PRESETS", "PRESET_TREES", "DemoServer", "DemoServerError", "DemoSettings", "preset", "preset_tree"]
