"""Live probes of a running LLM service (issue 5).

The registry imports this package; importing it registers every live executor kind. `openai` holds
the OpenAI-compatible request and SSE helpers that the llm probes reuse; `session` the one shared
connection to the target.
"""

from readyscore.executors.live import (  # noqa: F401 - imported to register the executor kinds
    auth,
    cors,
    functional,
    headers,
    health,
    hygiene,
    ratelimit,
    transport,
    validation,
)
