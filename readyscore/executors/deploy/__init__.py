"""Deployment-file inspection: Dockerfiles, Compose, Kubernetes (manifests, Helm, Kustomize), CI/CD,
monitoring and alerting configs, and infrastructure as code. Everything is parsed, never executed.

Importing the package registers its executor kinds (see `kinds`).
"""

from readyscore.executors.deploy import kinds  # noqa: F401 - registers the executors
