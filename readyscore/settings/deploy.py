"""Settings of the deploy check family (the `deploy:` section of a profile or readyscore.yaml)."""

from pydantic import Field

from readyscore.model import Strict


class DeploySettings(Strict):
    # Deployment files are small; anything larger is generated or hostile and is noted, not read.
    max_file_bytes: int = Field(default=1024 * 1024, ge=1024, le=16 * 1024 * 1024)
    # How many candidate files (YAML, JSON, Terraform, Dockerfiles, CI) one audit reads at most.
    max_files: int = Field(default=5000, ge=1, le=100_000)
    # Nodes one YAML file may expand to (aliases counted every time they are used): stops alias bombs.
    max_yaml_nodes: int = Field(default=200_000, ge=100, le=5_000_000)
