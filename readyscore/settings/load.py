"""Settings of the load check family (the `load:` section of a profile or readyscore.yaml)."""

from readyscore.model import Strict


class LoadSettings(Strict):
    pass
