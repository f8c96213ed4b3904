"""Settings of the llm check family (the `llm:` section of a profile or readyscore.yaml)."""

from readyscore.model import Strict


class LlmSettings(Strict):
    pass
