"""readyscore: evidence-backed production-readiness audits for LLM services."""

__version__ = "0.1.0"
