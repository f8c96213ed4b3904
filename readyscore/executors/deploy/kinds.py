"""The deploy executor kinds. One kind per artefact family; a check picks its rule with `params.rule`.

All of them read the same inventory (`deploy_inventory`), built once per audit, which also fills
the report's `deploy` section (what was found and what could not be evaluated).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from readyscore.executors.base import AuditContext, Executor
from readyscore.executors.deploy import (
    ci,
    compose,
    dockerfile_rules,
    iac,
    k8s,
    presence,
)
from readyscore.executors.deploy.findings import RuleOutcome, to_result
from readyscore.executors.deploy.inventory import Inventory, build_inventory
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, Evidence, Result, Status

SECTION = "deploy"


def deploy_inventory(ctx: AuditContext) -> Inventory:
    def build() -> Inventory:
        # Only the service's own deployment files decide readiness: a tutorial's DaemonSet or a
        # demo's compose file is left out (readyscore/scope.py), and the report says so.
        inventory = build_inventory(ctx.scoped_files, ctx.profile.deploy)
        inventory.all_files = ctx.files
        ctx.sections[SECTION] = inventory.summary()
        return inventory

    return ctx.shared("deploy.inventory", build)


class _RuleExecutor(Executor):
    """Looks the rule up in `RULES` and turns its outcome into a Result."""

    RULES: ClassVar[dict[str, Callable[..., RuleOutcome]]] = {}

    def outcome(self, inventory: Inventory, params: BaseModel) -> RuleOutcome:
        return self.RULES[params.rule](inventory)

    def run(self, spec: CheckSpec, params: BaseModel, ctx: AuditContext) -> Result:
        inventory = deploy_inventory(ctx)
        outcome = to_result(spec, ctx, self.outcome(inventory, params))
        unread = [note for note in inventory.notes if note.unread]
        if outcome.status == Status.NOT_APPLICABLE and unread:
            # "No Compose file" is not a verdict when a file that may be one could not be read: an
            # alias bomb in docker-compose.yml must not hide the secrets in it.
            return Result.not_evaluated(spec.id, f"{outcome.message}, but {len(unread)} deployment file(s) "
                                                 f"could not be read: " + "; ".join(
                                                     f"{n.path}: {n.message}" for n in unread[:3])).model_copy(
                update={"evidence": [Evidence(message=n.message, path=n.path, line=n.line) for n in unread[:10]]})
        return outcome


class DockerfileParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: Literal["base_pinned", "non_root", "healthcheck", "multistage", "no_secrets", "dockerignore",
                  "no_remote_add", "cache_clean"]


@register
class DockerfileRule(_RuleExecutor):
    kind = "dockerfile"
    Params = DockerfileParams
    description = "A rule over every Dockerfile/Containerfile (parsed with dockerfile-parse, ARG/ENV resolved)."
    RULES: ClassVar[dict[str, Callable[..., RuleOutcome]]] = {
        "base_pinned": dockerfile_rules.rule_base_pinned,
        "non_root": dockerfile_rules.rule_non_root,
        "healthcheck": dockerfile_rules.rule_healthcheck,
        "multistage": dockerfile_rules.rule_multistage,
        "no_secrets": dockerfile_rules.rule_no_secrets,
        "dockerignore": dockerfile_rules.rule_dockerignore,
        "no_remote_add": dockerfile_rules.rule_no_remote_add,
        "cache_clean": dockerfile_rules.rule_cache_clean,
    }


class ComposeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: Literal["healthcheck", "restart", "resources", "no_privileged", "no_inline_secrets", "depends_healthy"]


@register
class ComposeRule(_RuleExecutor):
    kind = "compose"
    Params = ComposeParams
    description = "A rule over every Docker Compose service."
    RULES: ClassVar[dict[str, Callable[..., RuleOutcome]]] = {
        "healthcheck": compose.rule_healthcheck,
        "restart": compose.rule_restart,
        "resources": compose.rule_resources,
        "no_privileged": compose.rule_no_privileged,
        "no_inline_secrets": compose.rule_no_inline_secrets,
        "depends_healthy": compose.rule_depends_healthy,
    }


DEFAULT_MODEL_SERVERS = ["vllm", "text-generation-inference", "tritonserver", "ollama", "sglang", "lmdeploy",
                         "llama[.-]?cpp", "tensorrt-llm", "localai", "ray-llm", "kserve.*huggingface"]


class K8sParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: Literal["liveness_probe", "readiness_probe", "startup_probe", "resources", "gpu", "replicas",
                  "run_as_non_root", "no_privilege_escalation", "readonly_rootfs", "drop_capabilities",
                  "image_pinned", "secrets_by_reference", "pdb", "network_policy"]
    min_replicas: int = Field(default=2, ge=1, le=100)
    # Regexes over container images that mark a model server (which needs an accelerator request).
    model_server_images: list[str] = Field(default_factory=lambda: list(DEFAULT_MODEL_SERVERS), min_length=1)


@register
class K8sRule(_RuleExecutor):
    kind = "k8s_workload"
    Params = K8sParams
    description = ("A rule over Kubernetes workloads (manifests, Lists, Helm templates read without helm, "
                   "Kustomize); not_applicable without Kubernetes.")

    def outcome(self, inventory: Inventory, params: K8sParams) -> RuleOutcome:
        rule = params.rule
        if rule.endswith("_probe"):
            probe = {"liveness_probe": "livenessProbe", "readiness_probe": "readinessProbe",
                     "startup_probe": "startupProbe"}[rule]
            return k8s.rule_probe(inventory, probe)
        if rule == "gpu":
            return k8s.rule_gpu(inventory, params.model_server_images)
        if rule == "replicas":
            return k8s.rule_replicas(inventory, params.min_replicas)
        security = {"run_as_non_root": "runAsNonRoot", "no_privilege_escalation": "allowPrivilegeEscalation",
                    "readonly_rootfs": "readOnlyRootFilesystem", "drop_capabilities": "capabilities"}
        if rule in security:
            return k8s.rule_security(inventory, security[rule])
        return {"resources": k8s.rule_resources, "image_pinned": k8s.rule_image_pinned,
                "secrets_by_reference": k8s.rule_secrets_by_reference, "pdb": k8s.rule_pdb,
                "network_policy": k8s.rule_network_policy}[rule](inventory)


class CiParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: Literal["tests", "security_scan", "deploys", "actions_pinned"]


@register
class CiRule(_RuleExecutor):
    kind = "ci_pipeline"
    Params = CiParams
    description = "What the CI/CD pipelines do: tests, security scans, deployment, pinned third-party actions."

    def outcome(self, inventory: Inventory, params: CiParams) -> RuleOutcome:
        if params.rule == "actions_pinned":
            return ci.rule_actions_pinned(inventory)
        return ci.rule_pipeline_runs(inventory, params.rule)


class PresenceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: Literal["containerized", "orchestrated", "autoscaling", "metrics", "alerting", "dashboards", "slo",
                  "progressive_delivery", "multi_region", "waf_ddos", "managed_db_resilient", "encryption_at_rest"]


@register
class DeployEvidence(_RuleExecutor):
    kind = "deploy_evidence"
    Params = PresenceParams
    description = ("A capability proven by any deployment artefact (Kubernetes, Compose, CI, Terraform, "
                   "CloudFormation, Pulumi, monitoring configs); fails once when there is none.")
    RULES: ClassVar[dict[str, Callable[..., RuleOutcome]]] = {
        "containerized": presence.rule_containerized,
        "orchestrated": presence.rule_orchestrated,
        "autoscaling": presence.rule_autoscaling,
        "metrics": presence.rule_metrics,
        "alerting": presence.rule_alerting,
        "dashboards": presence.rule_dashboards,
        "slo": presence.rule_slo,
        "progressive_delivery": presence.rule_progressive_delivery,
        "multi_region": presence.rule_multi_region,
        "waf_ddos": presence.rule_waf_ddos,
        "managed_db_resilient": iac.rule_managed_db_resilient,
        "encryption_at_rest": iac.rule_encryption_at_rest,
    }
