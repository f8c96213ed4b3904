"""LLM-specific live probes, each mapped to the OWASP Top 10 for LLM Applications (2025).

Every verdict is decided by a canary, a nonce, a regular expression or a character n-gram overlap;
no judge model. Importing the package registers the executor kinds.
"""

from readyscore.executors.llm import agency, consumption, injection, leakage, output  # noqa: F401 - registers kinds
