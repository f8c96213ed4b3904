"""Settings of the deploy check family (the `deploy:` section of a profile or readyscore.yaml)."""

from readyscore.model import Strict


class DeploySettings(Strict):
    pass
