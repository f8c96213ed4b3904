"""Settings of the static check family (the `static:` section of a profile or readyscore.yaml)."""

from readyscore.model import Strict


class StaticSettings(Strict):
    pass
