"""Kubernetes workloads: where the pod template is, which containers it runs, and the per-field rules.

Every rule looks at each container (or workload) and cites the line of the key at fault, or of the
container when the key is missing. Values a Helm template left unresolved (`TEMPLATED`) are
reported as not evaluated, never as a pass.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from readyscore.executors.deploy.findings import RuleOutcome
from readyscore.executors.deploy.helm import TEMPLATED
from readyscore.executors.deploy.inventory import Inventory, K8sObject
from readyscore.executors.deploy.secretnames import NOT_A_SECRET_SUFFIX, is_reference, is_secret_name, mask, words
from readyscore.executors.deploy.yamldoc import YMap, as_dict, as_list, dig, line_at
from readyscore.executors.static.secret_rules import holds_credential

# Kinds whose pod template runs the service (a knative Service is handled by its apiVersion).
SERVING_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Rollout", "DeploymentConfig"}
BATCH_KINDS = {"Job", "CronJob"}
WORKLOAD_KINDS = SERVING_KINDS | BATCH_KINDS
REPLICATED_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "Rollout", "DeploymentConfig"}
NO_K8S = "no Kubernetes workloads in the tree (deploy-orchestrated reports that once)"
GPU_RESOURCE = re.compile(r"^(nvidia\.com/(gpu|mig-.+)|amd\.com/gpu|gpu\.intel\.com/.+|google\.com/tpu|"
                          r"habana\.ai/gaudi|aws\.amazon\.com/neuron(core|device)?)$")
DANGEROUS_CAPS = {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "NET_RAW"}


def is_knative_service(obj: K8sObject) -> bool:
    return obj.kind == "Service" and obj.api_version.startswith("serving.knative.dev/")


def pod_spec_path(obj: K8sObject) -> tuple[str, ...] | None:
    if obj.kind == "Pod":
        return ("spec",)
    if obj.kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    if obj.kind in WORKLOAD_KINDS or is_knative_service(obj):
        return ("spec", "template", "spec")
    return None


def serving_workloads(inv: Inventory) -> list[K8sObject]:
    return [o for o in inv.k8s if o.source != "kustomize-patch"
            and (o.kind in SERVING_KINDS or is_knative_service(o)) and pod_spec_path(o) is not None
            and isinstance(dig(o.body, *pod_spec_path(o)), dict)]


def all_workloads(inv: Inventory) -> list[K8sObject]:
    return [o for o in inv.k8s if o.source != "kustomize-patch" and pod_spec_path(o) is not None
            and (o.kind in WORKLOAD_KINDS or is_knative_service(o)) and isinstance(dig(o.body, *pod_spec_path(o)), dict)]


def containers(obj: K8sObject, *, init: bool = False) -> list[tuple[YMap, tuple[Any, ...]]]:
    """(container, its path in the object) for the main containers, plus init containers if asked."""
    spec_path = pod_spec_path(obj)
    if spec_path is None:
        return []
    out = []
    for key in ("containers", "initContainers") if init else ("containers",):
        items = dig(obj.body, *spec_path, key)
        if isinstance(items, list):
            out.extend((c, (*spec_path, key, i)) for i, c in enumerate(items) if isinstance(c, YMap))
    return out


def templated(value: Any) -> bool:
    if isinstance(value, str):
        return TEMPLATED in value
    if isinstance(value, dict):
        return TEMPLATED in value or any(templated(v) for v in list(value.values())[:50])
    return False


def label(obj: K8sObject, container: YMap) -> str:
    return f"{obj.where} container {container.get('name', '?')}"


def patched_by(inv: Inventory, obj: K8sObject, container: YMap, key: str) -> tuple[str, int | None] | None:
    """Where a Kustomize patch sets `key` on this container, if one does. Patches are merged only by
    kustomize at build time, so a field they set is neither missing nor proven here."""
    patches = inv.cache.get("kustomize_patches")
    if patches is None:  # by (kind, name), once per audit: every rule asks for every container
        patches = {}
        for patch in inv.k8s:
            if patch.source == "kustomize-patch":
                patches.setdefault((patch.kind, patch.name), []).append(patch)
        inv.cache["kustomize_patches"] = patches
    for patch in patches.get((obj.kind, obj.name), ()):
        for candidate, path in containers(patch):
            if candidate.get("name") == container.get("name") and key in candidate:
                return patch.path, line_at(patch.body, *path, key)
    return None


def fault(outcome: RuleOutcome, inv: Inventory, obj: K8sObject, container: YMap, key: str,
          line: int | None, message: str) -> None:
    """A missing or wrong field, unless a Kustomize patch sets it (then: not evaluated)."""
    patch = patched_by(inv, obj, container, key)
    if patch is None:
        outcome.bad(obj.path, line, message)
    else:
        outcome.unknown(patch[0], patch[1], f"{message} in the base; the Kustomize patch {patch[0]} sets "
                                            f"{key}, merged only at build time")


def _no_workloads(inv: Inventory, outcome: RuleOutcome, serving_only: bool = True) -> bool:
    workloads = serving_workloads(inv) if serving_only else all_workloads(inv)
    if not inv.k8s or not all_workloads(inv):
        outcome.not_applicable = NO_K8S
        return True
    if not workloads:
        outcome.not_applicable = "no long-running Kubernetes workloads (only batch jobs)"
        return True
    return False


def rule_probe(inv: Inventory, probe: str) -> RuleOutcome:
    outcome = RuleOutcome(what="containers")
    if _no_workloads(inv, outcome):
        return outcome
    for obj in serving_workloads(inv):
        for container, path in containers(obj):
            value = container.get(probe)
            where = label(obj, container)
            if isinstance(value, dict) and not templated(value) and value:
                outcome.good(obj.path, line_at(obj.body, *path, probe), f"{where}: {probe} set")
            elif value is not None and templated(value) or (value is None and TEMPLATED in container):
                outcome.unknown(obj.path, line_at(obj.body, *path), f"{where}: {probe} comes from a Helm value "
                                                                      "that could not be read")
            else:
                fault(outcome, inv, obj, container, probe, line_at(obj.body, *path), f"{where}: no {probe}")
    return outcome


def _limit_range_defaults(inv: Inventory) -> tuple[bool, bool]:
    """Whether a LimitRange gives containers default requests / limits."""
    requests = limits = False
    for obj in inv.objects("LimitRange"):
        for item in as_list(dig(obj.body, "spec", "limits")):
            if isinstance(item, dict) and item.get("type", "Container") == "Container":
                requests |= isinstance(item.get("defaultRequest"), dict)
                limits |= isinstance(item.get("default"), dict)
    return requests, limits


def rule_resources(inv: Inventory) -> RuleOutcome:
    """requests.cpu, requests.memory and limits.memory: what the scheduler and the OOM killer need.

    A CPU limit is not required: it throttles latency-sensitive servers and is widely left unset."""
    outcome = RuleOutcome(what="containers")
    if _no_workloads(inv, outcome, serving_only=False):
        return outcome
    default_requests, default_limits = _limit_range_defaults(inv)
    for obj in all_workloads(inv):
        for container, path in containers(obj):
            where = label(obj, container)
            resources = container.get("resources")
            if templated(resources) or (resources is None and TEMPLATED in container):
                outcome.unknown(obj.path, line_at(obj.body, *path, "resources"),
                                f"{where}: resources come from a Helm value that could not be read")
                continue
            resources = resources if isinstance(resources, dict) else {}
            missing = []
            for section, key, defaulted in (("requests", "cpu", default_requests),
                                            ("requests", "memory", default_requests),
                                            ("limits", "memory", default_limits)):
                if dig(resources, section, key) in (None, "") and not defaulted:
                    missing.append(f"{section}.{key}")
            if missing:
                fault(outcome, inv, obj, container, "resources", line_at(obj.body, *path, "resources"),
                      f"{where}: missing {', '.join(missing)}")
            else:
                outcome.good(obj.path, line_at(obj.body, *path, "resources"), f"{where}: requests and memory limit set")
    return outcome


def rule_gpu(inv: Inventory, model_server_images: list[str]) -> RuleOutcome:
    outcome = RuleOutcome(what="model-server containers")
    if _no_workloads(inv, outcome, serving_only=False):
        return outcome
    pattern = re.compile("|".join(f"(?:{p})" for p in model_server_images), re.IGNORECASE)
    for obj in all_workloads(inv):
        for container, path in containers(obj):
            image = str(container.get("image", ""))
            if not pattern.search(image):
                continue
            where = f"{label(obj, container)} ({image})"
            wanted = [k for section in ("limits", "requests")
                      for k in as_dict(dig(container, "resources", section)) if GPU_RESOURCE.match(str(k))]
            if wanted:
                outcome.good(obj.path, line_at(obj.body, *path, "resources"), f"{where}: requests {wanted[0]}")
            elif templated(container.get("resources")):
                outcome.unknown(obj.path, line_at(obj.body, *path, "resources"), f"{where}: resources templated")
            else:
                outcome.bad(obj.path, line_at(obj.body, *path, "resources") or line_at(obj.body, *path),
                            f"{where}: a model server with no GPU/accelerator request")
    if not outcome.findings:
        outcome.not_applicable = "no model-server containers (vLLM, TGI, Triton, Ollama ...) found"
    return outcome


def target_name(name: Any) -> str:
    """A name as the inventory shows it (Helm-templated parts as {{…}})."""
    return str(name).replace(TEMPLATED, "{{…}}")


def _scalers(inv: Inventory) -> dict[tuple[str, str, str | None], tuple[int, K8sObject]]:
    """(kind, name, chart) of a scaled workload -> (minimum replicas, the scaler). Within one Helm
    chart a templated target name (`include "x.fullname"`) matches the chart's templated workload."""
    out: dict[tuple[str, str, str | None], tuple[int, K8sObject]] = {}
    for obj in inv.objects("HorizontalPodAutoscaler", "ScaledObject"):
        target = dig(obj.body, "spec", "scaleTargetRef")
        if not isinstance(target, dict):
            continue
        if obj.kind == "ScaledObject":
            minimum = dig(obj.body, "spec", "minReplicaCount")
            minimum = 0 if minimum is None else minimum
        else:
            minimum = dig(obj.body, "spec", "minReplicas")
            minimum = 1 if minimum is None else minimum
        kind = str(target.get("kind", "Deployment"))
        out[(kind, target_name(target.get("name")), obj.chart)] = (minimum if isinstance(minimum, int) else -1, obj)
    return out


def rule_replicas(inv: Inventory, minimum: int) -> RuleOutcome:
    outcome = RuleOutcome(what="replicated workloads")
    if _no_workloads(inv, outcome):
        return outcome
    scalers = _scalers(inv)
    overrides = {}
    for kustomization in inv.kustomizations:
        items = kustomization.data.get("replicas")
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("count"), int):
                overrides[str(item.get("name"))] = (item["count"], kustomization.path,
                                                    line_at(kustomization.data, "replicas", index, "count"))
    for obj in serving_workloads(inv):
        if obj.kind not in REPLICATED_KINDS:
            continue
        scaler = scalers.get((obj.kind, obj.name, obj.chart))
        if scaler is not None and scaler[0] >= 0:
            count, source = scaler
            where, path, line = f"{obj.where}: {source.kind} {source.name} keeps at least {count}", source.path, source.line
        elif obj.name in overrides:
            count, kpath, kline = overrides[obj.name]
            where, path, line = f"{obj.where}: kustomize sets {count} replicas", kpath, kline
        else:
            raw = dig(obj.body, "spec", "replicas")
            if templated(raw):
                outcome.unknown(obj.path, line_at(obj.body, "spec", "replicas"), f"{obj.where}: replicas templated")
                continue
            count = 1 if raw is None else raw
            where, path, line = f"{obj.where}: {count} replica(s)", obj.path, line_at(obj.body, "spec", "replicas")
            if raw is None:
                where = f"{obj.where}: replicas not set (defaults to 1)"
        if isinstance(count, int) and count >= minimum:
            outcome.good(path, line, where)
        else:
            outcome.bad(path, line, f"{where}; at least {minimum} are needed to survive a pod or node loss")
    if not outcome.findings:
        outcome.not_applicable = "no replicated workloads (Deployments, StatefulSets, Rollouts)"
    return outcome


def _context(obj: K8sObject, container: YMap, key: str) -> tuple[Any, str]:
    """A securityContext field: the container's value, else the pod's; and which level set it."""
    container_ctx = container.get("securityContext")
    if isinstance(container_ctx, dict) and key in container_ctx:
        return container_ctx[key], "container"
    pod_ctx = dig(obj.body, *pod_spec_path(obj), "securityContext")
    if isinstance(pod_ctx, dict) and key in pod_ctx:
        return pod_ctx[key], "pod"
    return None, ""


def _security_line(obj: K8sObject, path: tuple[Any, ...], key: str) -> int | None:
    return line_at(obj.body, *path, "securityContext", key)


def rule_security(inv: Inventory, field_name: str) -> RuleOutcome:
    outcome = RuleOutcome(what="containers")
    if _no_workloads(inv, outcome, serving_only=False):
        return outcome
    for obj in all_workloads(inv):
        spec = dig(obj.body, *pod_spec_path(obj))
        for container, path in containers(obj, init=True):
            where = label(obj, container)
            if templated(container.get("securityContext")) or ("securityContext" not in container
                                                               and TEMPLATED in container):
                outcome.unknown(obj.path, line_at(obj.body, *path), f"{where}: securityContext templated")
                continue
            line = _security_line(obj, path, field_name)
            if field_name == "runAsNonRoot":
                non_root, _ = _context(obj, container, "runAsNonRoot")
                user, _ = _context(obj, container, "runAsUser")
                if user == 0:
                    outcome.bad(obj.path, _security_line(obj, path, "runAsUser"), f"{where}: runAsUser 0 (root)")
                elif non_root is True or (isinstance(user, int) and user > 0):
                    outcome.good(obj.path, line, f"{where}: runs as non-root")
                else:
                    fault(outcome, inv, obj, container, "securityContext", line, f"{where}: runAsNonRoot not set (the image's user decides)")
            elif field_name == "allowPrivilegeEscalation":
                host = [k for k in ("hostNetwork", "hostPID", "hostIPC") if isinstance(spec, dict) and spec.get(k) is True]
                privileged = dig(container, "securityContext", "privileged") is True
                escalation = dig(container, "securityContext", "allowPrivilegeEscalation")
                if privileged:
                    outcome.bad(obj.path, _security_line(obj, path, "privileged"), f"{where}: privileged")
                elif host:
                    outcome.bad(obj.path, line_at(obj.body, *pod_spec_path(obj), host[0]),
                                f"{where}: shares the node's {', '.join(host)}")
                elif escalation is False:
                    outcome.good(obj.path, line, f"{where}: allowPrivilegeEscalation false")
                else:
                    fault(outcome, inv, obj, container, "securityContext", line, f"{where}: allowPrivilegeEscalation not false")
            elif field_name == "readOnlyRootFilesystem":
                if dig(container, "securityContext", "readOnlyRootFilesystem") is True:
                    outcome.good(obj.path, line, f"{where}: read-only root filesystem")
                else:
                    fault(outcome, inv, obj, container, "securityContext", line, f"{where}: root filesystem is writable")
            elif field_name == "capabilities":
                caps = as_dict(dig(container, "securityContext", "capabilities"))
                drop = {str(c).upper() for c in as_list(caps.get("drop"))}
                add = {str(c).upper().removeprefix("CAP_") for c in as_list(caps.get("add"))}
                risky = sorted(add & DANGEROUS_CAPS)
                if risky:
                    outcome.bad(obj.path, line_at(obj.body, *path, "securityContext", "capabilities", "add"),
                                f"{where}: adds {', '.join(risky)}")
                elif "ALL" in drop:
                    outcome.good(obj.path, line, f"{where}: drops ALL capabilities")
                else:
                    fault(outcome, inv, obj, container, "securityContext", line, f"{where}: capabilities not dropped (drop: [ALL])")
    return outcome


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    return name, tag, digest or None


def judge_image(image: str, overrides: dict[str, str] | None = None) -> tuple[str, float, str]:
    """('ok'|'bad'|'unknown', score, message) for one image reference."""
    if TEMPLATED in image or "$" in image:
        return "unknown", 0.0, f"image {image} is templated"
    name, tag, digest = split_image(image)
    if digest:
        return "ok", 1.0, f"image pinned by digest ({name}@{digest[:19]}…)"
    if overrides and name in overrides:
        return "ok", 0.8, f"image {name} pinned by kustomize to {overrides[name]}"
    if tag is None:
        return "bad", 0.0, f"image {image} has no tag (means :latest)"
    if tag.lower() in ("latest", "main", "master", "stable", "edge", "nightly"):
        return "bad", 0.0, f"image {image} uses the moving tag :{tag}"
    return "ok", 0.8, f"image {image} pinned by tag (a digest is stronger)"


def rule_image_pinned(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="container images")
    if _no_workloads(inv, outcome, serving_only=False):
        return outcome
    overrides: dict[str, str] = {}
    for kustomization in inv.kustomizations:
        overrides.update(kustomization.image_overrides)
    for obj in all_workloads(inv):
        for container, path in containers(obj, init=True):
            image = container.get("image")
            line = line_at(obj.body, *path, "image")
            where = label(obj, container)
            if not isinstance(image, str) or not image:
                outcome.unknown(obj.path, line, f"{where}: no image")
                continue
            verdict, score, message = judge_image(image, overrides)
            getattr(outcome, {"ok": "good", "bad": "bad", "unknown": "unknown"}[verdict])(
                obj.path, line, f"{where}: {message}", **({"score": score} if verdict == "ok" else {}))
    return outcome


# Key words that say a Secret's entry is a setting, not a credential (with secretnames' suffixes).
SETTING_WORDS = NOT_A_SECRET_SUFFIX | {"provider", "host", "hostname", "port", "user", "username", "region", "model",
                                       "mode", "level", "bucket", "namespace", "database", "db"}


def rule_secrets_by_reference(inv: Inventory) -> RuleOutcome:
    """Credentials reach containers through secretKeyRef/envFrom, never as literal values in a file."""
    outcome = RuleOutcome(what="workloads and config objects")
    if not inv.k8s:
        outcome.not_applicable = NO_K8S
        return outcome
    for obj in all_workloads(inv):
        faults = 0
        for container, path in containers(obj, init=True):
            for index, item in enumerate(as_list(container.get("env"))):
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    continue
                value = item.get("value")
                if (is_secret_name(item["name"]) and isinstance(value, str) and value.strip()
                        and not is_reference(value) and not templated(value)):
                    faults += 1
                    outcome.bad(obj.path, line_at(obj.body, *path, "env", index, "value"),
                                f"{label(obj, container)}: {item['name']} is a literal value ({mask(value)}); "
                                "use valueFrom.secretKeyRef")
        if not faults:
            outcome.good(obj.path, obj.line, f"{obj.where}: no literal credentials in env")
    for obj in inv.objects("Secret", "ConfigMap"):
        for section in ("data", "stringData"):
            values = obj.body.get(section)
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                literal = isinstance(value, str) and value.strip() and not templated(value) and not is_reference(value)
                if literal and (is_secret_name(str(key)) or (obj.kind == "Secret" and _secret_entry_is_credential(str(key), value, section))):
                    outcome.bad(obj.path, values.line_of(key) if isinstance(values, YMap) else obj.line,
                                f"{obj.where}: {key} holds a literal credential ({mask(value)}); keep secrets out of "
                                "the repository (External Secrets, Sealed Secrets, a vault)")
    if not outcome.findings:
        outcome.not_applicable = "no Kubernetes workloads or config objects"
    return outcome


def _secret_entry_is_credential(key: str, value: str, section: str) -> bool:
    """A Secret's entry is a credential unless it is plainly a setting: a key named for an address,
    a user, a port or a provider, or a number or a boolean, and holding no credential (a provider
    key, a private key, a URL with a password). DocsGPT's Secret also carries LLM_PROVIDER
    ("docsgpt"), a broker URL without a password and a port: settings filed in a Secret. `data` is
    base64; a value that does not decode to text (key material) stays a credential."""
    if section == "data":
        try:
            value = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except ValueError:  # binascii.Error and UnicodeDecodeError are both ValueErrors
            return True
    if holds_credential(value):
        return True
    parts = words(key)
    setting = (bool(parts) and parts[-1] in SETTING_WORDS) or value.strip().isdigit() \
        or value.strip().lower() in ("true", "false")
    return not setting


def _selector_matches(selector: Any, labels: Any) -> bool | None:
    """Does a label selector select these labels? None when it cannot be told (expressions, templated)."""
    if not isinstance(selector, dict):
        return None
    match_labels = selector.get("matchLabels", {} if "matchExpressions" not in selector else None)
    if match_labels is None or templated(selector):
        return None
    if not isinstance(match_labels, dict):
        return None
    labels = labels if isinstance(labels, dict) else {}  # a pod without labels is selected by none
    if selector.get("matchExpressions"):
        return None
    return all(labels.get(k) == v for k, v in match_labels.items())


def pod_labels(obj: K8sObject) -> Any:
    if obj.kind == "Pod":
        return dig(obj.body, "metadata", "labels")
    if obj.kind == "CronJob":
        return dig(obj.body, "spec", "jobTemplate", "spec", "template", "metadata", "labels")
    return dig(obj.body, "spec", "template", "metadata", "labels")


def rule_pdb(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="replicated workloads")
    if _no_workloads(inv, outcome):
        return outcome
    pdbs = inv.objects("PodDisruptionBudget")
    for obj in serving_workloads(inv):
        if obj.kind not in REPLICATED_KINDS:
            continue
        labels = pod_labels(obj)
        verdicts = [(pdb, _selector_matches(dig(pdb.body, "spec", "selector"), labels)) for pdb in pdbs]
        covering = [pdb for pdb, verdict in verdicts if verdict]
        if covering:
            outcome.good(covering[0].path, covering[0].line, f"{obj.where}: PodDisruptionBudget {covering[0].name}")
        elif any(verdict is None for _, verdict in verdicts):
            outcome.unknown(obj.path, obj.line, f"{obj.where}: a PodDisruptionBudget selector could not be evaluated")
        else:
            outcome.bad(obj.path, obj.line, f"{obj.where}: no PodDisruptionBudget selects its pods")
    if not outcome.findings:
        outcome.not_applicable = "no replicated workloads"
    return outcome


NETWORK_POLICY_KINDS = ("NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy",
                        "GlobalNetworkPolicy")


def rule_network_policy(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="workloads")
    if _no_workloads(inv, outcome):
        return outcome
    policies = inv.objects(*NETWORK_POLICY_KINDS)
    for obj in serving_workloads(inv):
        labels = pod_labels(obj)
        covering, undecided = None, None
        for policy in policies:
            selector = dig(policy.body, "spec", "podSelector")
            if selector is None:
                selector = dig(policy.body, "spec", "endpointSelector")
            if policy.kind == "GlobalNetworkPolicy" or (isinstance(selector, dict) and not selector):
                covering = policy  # an empty selector (or a cluster-wide policy) covers every pod
                break
            verdict = _selector_matches(selector, labels)
            if verdict:
                covering = policy
                break
            if verdict is None:
                undecided = policy
        if covering is not None:
            outcome.good(covering.path, covering.line, f"{obj.where}: covered by {covering.kind} {covering.name}")
        elif undecided is not None:
            outcome.unknown(obj.path, obj.line, f"{obj.where}: {undecided.kind} {undecided.name} could not be evaluated")
        else:
            outcome.bad(obj.path, obj.line, f"{obj.where}: no NetworkPolicy selects its pods (all traffic allowed)")
    return outcome
