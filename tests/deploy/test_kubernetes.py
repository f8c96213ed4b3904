"""Kubernetes rules on fixture trees: every finding on the bad twin, cited by line, and none on the good twin."""

from __future__ import annotations

import pytest

from readyscore.model import Status

PER_FIELD = [
    "deploy-k8s-liveness-probe", "deploy-k8s-readiness-probe", "deploy-k8s-startup-probe", "deploy-k8s-resources",
    "deploy-k8s-gpu-requests", "deploy-k8s-replicas", "deploy-k8s-run-as-non-root",
    "deploy-k8s-no-privilege-escalation", "deploy-k8s-readonly-rootfs", "deploy-k8s-drop-capabilities",
    "deploy-k8s-image-pinned", "deploy-k8s-secrets-by-reference", "deploy-k8s-pdb", "deploy-k8s-network-policy",
]

# (check, the (file, line) pairs the bad twin must cite)
BAD_LINES = {
    "deploy-k8s-liveness-probe": [("k8s/app.yaml", 14), ("k8s/app.yaml", 21)],
    "deploy-k8s-readiness-probe": [("k8s/app.yaml", 14), ("k8s/app.yaml", 21)],
    "deploy-k8s-resources": [("k8s/app.yaml", 14), ("k8s/app.yaml", 21)],
    "deploy-k8s-gpu-requests": [("k8s/app.yaml", 21)],
    "deploy-k8s-replicas": [("k8s/app.yaml", 5)],
    "deploy-k8s-run-as-non-root": [("k8s/app.yaml", 20), ("k8s/app.yaml", 23)],
    "deploy-k8s-no-privilege-escalation": [("k8s/app.yaml", 12), ("k8s/app.yaml", 24)],
    "deploy-k8s-image-pinned": [("k8s/app.yaml", 15), ("k8s/app.yaml", 22)],
    "deploy-k8s-secrets-by-reference": [("k8s/app.yaml", 18), ("k8s/app.yaml", 31)],
}


@pytest.mark.parametrize("check", PER_FIELD)
def test_good_twin_passes_and_bad_twin_fails(run, check):
    good, bad = run("good", check), run("bad", check)
    assert good.status == Status.PASS, (check, good.message, good.evidence)
    assert bad.status == Status.FAIL, (check, bad.message)
    assert bad.evidence and all(e.path and e.path.startswith("k8s/") for e in bad.evidence)


@pytest.mark.parametrize("check", sorted(BAD_LINES))
def test_findings_cite_the_line_of_the_key_at_fault(run, check):
    cited = [(e.path, e.line) for e in run("bad", check).evidence]
    assert cited == BAD_LINES[check]


def test_probes_shared_through_anchors_and_merge_keys_count(run):
    # fixtures/deploy/good/k8s/app.yaml: readinessProbe: *probe and startupProbe: {<<: *probe, failureThreshold: 60}
    for check in ("deploy-k8s-readiness-probe", "deploy-k8s-startup-probe"):
        result = run("good", check)
        assert result.status == Status.PASS and result.metrics["good"] == 2
    startup = run("good", "deploy-k8s-startup-probe").evidence[0]
    assert startup.line == 33  # the startupProbe key itself, not the anchor it merges


def test_workloads_inside_a_kind_list_are_found(run):
    result = run("good", "deploy-k8s-resources")
    assert {e.path for e in result.evidence} == {"k8s/app.yaml"} and result.metrics["good"] == 2


def test_secret_values_are_masked_in_evidence(run):
    result = run("bad", "deploy-k8s-secrets-by-reference")
    assert all("fixture-literal-0123456789abcdef" not in e.message for e in result.evidence)


def test_no_kubernetes_is_one_failure_not_twenty(run):
    statuses = {check: run("none", check).status for check in PER_FIELD}
    assert set(statuses.values()) == {Status.NOT_APPLICABLE}
    orchestrated = run("none", "deploy-orchestrated")
    assert orchestrated.status == Status.FAIL and len(orchestrated.evidence) == 1


def test_compose_only_is_not_orchestrated(run, tree):
    root = tree({"docker-compose.yml": "services:\n  api:\n    image: acme/api:1.0\n"})
    result = run(root, "deploy-orchestrated")
    assert result.status == Status.FAIL and "Compose" in result.message


def test_batch_jobs_are_not_judged_for_probes_or_replicas(run, tree):
    root = tree({"k8s/job.yaml": """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: reindex}
        spec:
          schedule: "0 * * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: job
                      image: acme/job:1.0
                      resources:
                        requests: {cpu: 100m, memory: 64Mi}
                        limits: {memory: 128Mi}
        """})
    assert run(root, "deploy-k8s-liveness-probe").status == Status.NOT_APPLICABLE
    assert run(root, "deploy-k8s-replicas").status == Status.NOT_APPLICABLE
    assert run(root, "deploy-k8s-resources").status == Status.PASS


def test_hpa_minimum_counts_as_replicas(run, tree):
    deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          template:
            spec:
              containers: [{name: api, image: acme/api:1.0}]
        """
    hpa = """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: api}
        spec:
          scaleTargetRef: {kind: Deployment, name: api}
          minReplicas: %d
        """
    ok = tree({"d.yaml": deployment, "hpa.yaml": hpa % 3})
    low = tree({"d.yaml": deployment, "hpa.yaml": hpa % 1})
    assert run(ok, "deploy-k8s-replicas").status == Status.PASS
    result = run(low, "deploy-k8s-replicas")
    assert result.status == Status.FAIL and result.evidence[0].path == "hpa.yaml"


def test_helm_chart_is_read_with_its_values(run):
    # values.yaml gives replicas 3, a tagged image and resources; the probe is literal; runAsNonRoot
    # comes from toYaml .Values.podSecurityContext. The HPA template is off (autoscaling.enabled false).
    assert run("helm", "deploy-k8s-replicas").status == Status.PASS
    assert run("helm", "deploy-k8s-resources").status == Status.PASS
    assert run("helm", "deploy-k8s-run-as-non-root").status == Status.PASS
    image = run("helm", "deploy-k8s-image-pinned")
    assert image.status == Status.PASS and "1.4.2" in image.evidence[0].message
    assert image.evidence[0].line == 23  # the template's own line
    assert run("helm", "deploy-k8s-readiness-probe").status == Status.FAIL
    assert run("helm", "deploy-autoscaling").status == Status.FAIL


def test_helm_values_left_unresolved_are_not_evaluated_not_passed(run, tree):
    root = tree({
        "chart/Chart.yaml": "apiVersion: v2\nname: x\nversion: 0.1.0\n",
        "chart/values.yaml": "image: {tag: '1.0'}\n",
        "chart/templates/deploy.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: x}
            spec:
              template:
                spec:
                  containers:
                    - name: x
                      image: "acme/x:{{ .Values.image.tag }}"
                      livenessProbe:
                        {{- include "x.probe" . | nindent 24 }}
                      resources:
                        {{- toYaml .Values.resources | nindent 24 }}
            """,
    })
    assert run(root, "deploy-k8s-liveness-probe").status == Status.PARTIAL
    assert run(root, "deploy-k8s-image-pinned").status == Status.PASS
    # .Values.resources is not in values.yaml; an install-time values file may set it: not a pass.
    resources = run(root, "deploy-k8s-resources")
    assert resources.status == Status.PARTIAL and "Helm value" in resources.evidence[0].message


def test_kustomize_overlay_pins_the_image_and_sets_replicas(run):
    image = run("kustomize", "deploy-k8s-image-pinned")
    assert image.status == Status.PASS and "kustomize" in image.evidence[0].message
    replicas = run("kustomize", "deploy-k8s-replicas")
    assert replicas.status == Status.PASS
    assert (replicas.evidence[0].path, replicas.evidence[0].line) == ("overlays/prod/kustomization.yaml", 11)


def test_kustomize_patches_are_not_judged_as_whole_workloads(run):
    # The patch (resources only) is not a second Deployment without probes: one container is judged.
    result = run("kustomize", "deploy-k8s-readiness-probe")
    assert result.status == Status.PASS and result.metrics["good"] == 1


def test_network_policy_selectors(run, tree):
    deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          replicas: 2
          template:
            metadata: {labels: {app: api}}
            spec: {containers: [{name: api, image: acme/api:1.0}]}
        """
    policy = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p}
        spec:
          podSelector: {matchLabels: {app: %s}}
        """
    assert run(tree({"d.yaml": deployment, "p.yaml": policy % "api"}), "deploy-k8s-network-policy").status == Status.PASS
    assert run(tree({"d.yaml": deployment, "p.yaml": policy % "other"}), "deploy-k8s-network-policy").status == Status.FAIL


def test_literal_secret_in_a_configmap_but_not_a_plain_setting(run, tree):
    root = tree({"cm.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cfg}
        data:
          LOG_LEVEL: info
          MAX_TOKENS: "512"
          DB_PASSWORD: fixture-literal-password
        """})
    result = run(root, "deploy-k8s-secrets-by-reference")
    assert result.status == Status.FAIL and [e.line for e in result.evidence] == [7]


def test_a_secrets_settings_are_not_credentials_but_its_keys_are(run, tree):
    """DocsGPT's committed Secret (base64 `data`): the password, the JWT key, an internal key and a
    database URL with a password are credentials; the provider's name, a broker URL without a
    password, a port and a user name are settings filed in a Secret. Undecodable data stays one."""
    import base64

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    entries = {"LLM_PROVIDER": "docsgpt", "INTERNAL_KEY": "internal", "CELERY_BROKER_URL": "redis://redis:6379/0",
               "QDRANT_PORT": "6379", "POSTGRES_URI": "postgresql://docsgpt:docsgpt@postgres:5432/docsgpt",
               "postgres-user": "docsgpt", "postgres-password": "docsgpt",
               "JWT_SECRET_KEY": "docsgpt-dev-jwt-secret-change-me", "openai": "fixture-literal-0123456789abcdef"}
    body = "\n".join(f"  {key}: {b64(value)}" for key, value in entries.items())
    root = tree({"secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: app}}\ndata:\n{body}\n"
                                "  raw-key: '////'\n"})
    result = run(root, "deploy-k8s-secrets-by-reference")
    flagged = sorted(e.message.split(": ", 1)[1].split(" holds", 1)[0] for e in result.evidence)
    assert result.status == Status.FAIL
    assert flagged == sorted(["INTERNAL_KEY", "POSTGRES_URI", "postgres-password", "JWT_SECRET_KEY", "openai",
                              "raw-key"]), flagged


def test_helm_create_style_chart_is_read_as_far_as_it_can_be(run):
    # `with .Values.securityContext` + `toYaml .`, `default .Chart.AppVersion`, an HPA that only
    # renders when autoscaling is enabled (and then replaces spec.replicas), empty resources.
    chart = "charts/gateway/templates/deployment.yaml"
    image = run("helm-scaffold", "deploy-k8s-image-pinned")
    assert image.status == Status.PASS and "gateway:2.1.0" in image.evidence[0].message
    assert run("helm-scaffold", "deploy-k8s-run-as-non-root").status == Status.PASS
    assert run("helm-scaffold", "deploy-k8s-no-privilege-escalation").status == Status.PASS
    replicas = run("helm-scaffold", "deploy-k8s-replicas")
    assert replicas.status == Status.PASS and "keeps at least 2" in replicas.evidence[0].message
    assert run("helm-scaffold", "deploy-autoscaling").status == Status.PASS
    resources = run("helm-scaffold", "deploy-k8s-resources")  # `resources: {}` renders nothing
    assert resources.status == Status.FAIL and (resources.evidence[0].path, resources.evidence[0].line) == (chart, 34)
    liveness = run("helm-scaffold", "deploy-k8s-liveness-probe")
    assert liveness.status == Status.PASS and liveness.evidence[0].line == 30


def test_fields_a_kustomize_patch_sets_are_not_evaluated_rather_than_missing(run):
    # The base has no resources and no securityContext; prod's patches set both for container api.
    resources = run("kustomize", "deploy-k8s-resources")
    assert resources.status == Status.PARTIAL
    assert (resources.evidence[0].path, resources.evidence[0].line) == ("overlays/prod/patch-resources.yaml", 10)
    rootfs = run("kustomize", "deploy-k8s-readonly-rootfs")
    assert rootfs.status == Status.PARTIAL and rootfs.evidence[0].path == "overlays/prod/patch-security.yaml"
    # Nothing patches the liveness probe: still a finding in the base.
    liveness = run("kustomize", "deploy-k8s-liveness-probe")
    assert liveness.status == Status.FAIL and liveness.evidence[0].path == "base/deployment.yaml"
