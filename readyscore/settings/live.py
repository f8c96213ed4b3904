"""Settings of the live check family (the `live:` section of a profile or readyscore.yaml)."""

from readyscore.model import Strict


class LiveSettings(Strict):
    pass
