"""Per-family settings that a profile (and a project's readyscore.yaml) may set.

One module per family, each owned by that family; `config.Profile` gathers them. Every model is
strict (unknown keys are errors) and has defaults that fit a laptop run.
"""

from readyscore.settings.deploy import DeploySettings
from readyscore.settings.live import LiveSettings
from readyscore.settings.llm import LlmSettings
from readyscore.settings.load import LoadSettings
from readyscore.settings.resilience import ResilienceSettings
from readyscore.settings.static import StaticSettings

__all__ = ["DeploySettings", "LiveSettings", "LlmSettings", "LoadSettings", "ResilienceSettings", "StaticSettings"]
