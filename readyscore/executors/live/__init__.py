"""Live probes of a running LLM service (issue 5).

The registry imports this package; importing it registers every live executor kind. `openai` holds
the OpenAI-compatible request and SSE helpers that the llm probes reuse.
"""
