"""False deployment findings met on real repositories (bench/corpus), each pinned with its twins.

Every reading below once produced a finding that was wrong: a Compose job that pulls a model and exits
judged for a healthcheck, a test-client service judged as the deployment, a service that inherits its
image's HEALTHCHECK reported without one, a FROM scratch artefact image reported as running as root,
and an image's missing HEALTHCHECK excused by an unrelated postgres healthcheck. The twins keep the
control absent, only mentioned (commented out) and in a scoped-out folder, so the fix cannot pass
what it should fail.
"""

from __future__ import annotations

from readyscore.model import Status

PULL_JOB = """
services:
  pull:
    image: alpine/ollama
    command: ["ollama", "pull", "llama3"]
    mem_limit: 256m
  api:
    image: acme/api:1.0
    restart: always
    mem_limit: 1g
    healthcheck: {test: ["CMD", "true"]}
    depends_on:
      pull: {condition: service_completed_successfully}
"""


def faults(result):
    return [e.message for e in result.evidence if e.finding]


# --- Compose: one-shot jobs ------------------------------------------------------------------------

def test_a_job_another_service_waits_to_finish_is_not_judged_for_healthcheck_or_restart(run, tree):
    root = tree({"compose.yaml": PULL_JOB})
    for check in ("deploy-compose-healthcheck", "deploy-compose-restart"):
        result = run(root, check)
        assert result.status == Status.PASS, (check, faults(result))
        assert not any("pull" in e.message for e in result.evidence)
    # It is still a container on the host: its memory limit is judged.
    assert any("pull" in e.message for e in run(root, "deploy-compose-resources").evidence)


def test_the_same_service_without_the_completion_condition_is_judged(run, tree):
    started = PULL_JOB.replace("service_completed_successfully", "service_started")
    result = run(tree({"compose.yaml": started}), "deploy-compose-healthcheck")
    assert result.status == Status.FAIL and faults(result) == ["service pull: no healthcheck"]


def test_a_completion_condition_only_mentioned_in_a_comment_does_not_make_a_job(run, tree):
    mentioned = PULL_JOB.replace("pull: {condition: service_completed_successfully}",
                                 "pull: {condition: service_started}  # condition: service_completed_successfully")
    assert run(tree({"compose.yaml": mentioned}), "deploy-compose-restart").status == Status.FAIL


# --- Compose: test and dev-tool profiles -----------------------------------------------------------

TEST_CLIENT = """
services:
  api:
    image: acme/api:1.0
    restart: always
    mem_limit: 1g
    healthcheck: {test: ["CMD", "true"]}
  chat-completion:
    image: curlimages/curl
    profiles: [{profile}]
    command: ["curl", "http://api:8000/v1/chat/completions"]
"""


def test_a_test_profile_client_is_not_the_deployment(run, tree):
    root = tree({"compose.yaml": TEST_CLIENT.replace("{profile}", "test")})
    for check in ("deploy-compose-healthcheck", "deploy-compose-restart", "deploy-compose-resources"):
        assert run(root, check).status == Status.PASS, check


def test_a_service_behind_a_deployment_profile_is_still_judged(run, tree):
    root = tree({"compose.yaml": TEST_CLIENT.replace("{profile}", "gpu")})
    assert faults(run(root, "deploy-compose-healthcheck")) == ["service chat-completion: no healthcheck"]


def test_a_test_profile_client_still_gets_security_findings(run, tree):
    privileged = TEST_CLIENT.replace("{profile}", "test") + "    privileged: true\n"
    assert run(tree({"compose.yaml": privileged}), "deploy-compose-no-privileged").status == Status.FAIL


# --- Compose: a healthcheck inherited from the image the service builds ----------------------------

BUILT = """
services:
  api:
    build: {context: ., dockerfile: Dockerfile}
    restart: always
    mem_limit: 1g
"""


def test_a_service_inherits_the_healthcheck_of_the_image_it_builds(run, tree):
    root = tree({"compose.yaml": BUILT,
                 "Dockerfile": "FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1\n"})
    result = run(root, "deploy-compose-healthcheck")
    assert result.status == Status.PASS and "Dockerfile:2" in result.evidence[0].message


def test_no_inherited_healthcheck_when_the_image_has_none_or_only_mentions_it(run, tree):
    for dockerfile in ("FROM python:3.12-slim\n",
                       "FROM python:3.12-slim\n# HEALTHCHECK CMD curl -f http://localhost:8000/\n",
                       "FROM python:3.12-slim\nHEALTHCHECK NONE\n"):
        root = tree({"compose.yaml": BUILT, "Dockerfile": dockerfile})
        assert run(root, "deploy-compose-healthcheck").status == Status.FAIL, dockerfile


def test_a_pulled_image_does_not_inherit_a_healthcheck_from_a_dockerfile_it_does_not_build(run, tree):
    pulled = BUILT.replace("build: {context: ., dockerfile: Dockerfile}", "image: postgres:16")
    root = tree({"compose.yaml": pulled,
                 "Dockerfile": "FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost:8000/\n"})
    assert run(root, "deploy-compose-healthcheck").status == Status.FAIL


def test_a_build_in_another_folder_resolves_against_the_compose_file(run, tree):
    root = tree({"deploy/compose.yaml": BUILT.replace("context: .", "context: ../server"),
                 "server/Dockerfile": "FROM python:3.12-slim\nHEALTHCHECK CMD true\n",
                 "deploy/Dockerfile": "FROM python:3.12-slim\n"})
    assert run(root, "deploy-compose-healthcheck").status == Status.PASS


def test_a_compose_file_in_a_scoped_out_folder_is_not_judged(run, tree):
    root = tree({"examples/compose.yaml": PULL_JOB.replace("restart: always", "")})
    assert run(root, "deploy-compose-restart").status == Status.NOT_APPLICABLE


# --- Dockerfile: data images built FROM scratch ------------------------------------------------------

SCRATCH_DATA = """
FROM golang:1.24 AS builder
RUN go build -o /out/backend ./cmd/backend
FROM scratch
COPY --from=builder /out/ ./
"""


def test_a_scratch_image_that_runs_nothing_has_no_user_to_drop(run, tree):
    result = run(tree({"backend/Dockerfile.golang": SCRATCH_DATA}), "deploy-dockerfile-non-root")
    assert result.status == Status.NOT_APPLICABLE and "data image" in result.message


def test_a_scratch_image_with_an_entrypoint_runs_as_root(run, tree):
    runnable = SCRATCH_DATA + 'ENTRYPOINT ["/backend"]\n'
    assert run(tree({"Dockerfile": runnable}), "deploy-dockerfile-non-root").status == Status.FAIL


def test_an_entrypoint_only_mentioned_does_not_make_a_scratch_image_runnable(run, tree):
    mentioned = SCRATCH_DATA + '# ENTRYPOINT ["/backend"]\n'
    assert run(tree({"Dockerfile": mentioned}), "deploy-dockerfile-non-root").status == Status.NOT_APPLICABLE


def test_data_images_are_skipped_but_runnable_images_beside_them_are_judged(run, tree):
    root = tree({"backend/Dockerfile.golang": SCRATCH_DATA, "Dockerfile": "FROM python:3.12-slim\nCMD [\"app\"]\n"})
    result = run(root, "deploy-dockerfile-non-root")
    assert result.status == Status.FAIL and {e.path for e in result.evidence} == {"Dockerfile"}
    health = run(root, "deploy-dockerfile-healthcheck")
    assert {e.path for e in health.evidence} == {"Dockerfile"}


# --- Dockerfile HEALTHCHECK: whose orchestrator probe counts ----------------------------------------

APP = "FROM python:3.12-slim\nCMD [\"uvicorn\", \"app:app\"]\n"
POSTGRES_ONLY = """
services:
  db:
    image: postgres:16
    healthcheck: {test: ["CMD", "pg_isready"]}
"""


def test_an_unrelated_services_healthcheck_does_not_excuse_the_image(run, tree):
    result = run(tree({"Dockerfile": APP, "compose.yaml": POSTGRES_ONLY}), "deploy-dockerfile-healthcheck")
    assert result.status == Status.FAIL


def test_a_service_running_the_image_ci_publishes_counts(run, tree):
    compose = POSTGRES_ONLY + """
  api:
    image: "${REGISTRY:-docker.io}/acme/api:latest"
    healthcheck: {test: ["CMD", "true"]}
"""
    workflow = """
        on: push
        jobs:
          image:
            runs-on: ubuntu-latest
            steps:
              - run: docker build -t acme/api:latest . && docker push acme/api:latest
        """
    published = tree({"Dockerfile": APP, "compose.yaml": compose, ".github/workflows/image.yml": workflow})
    result = run(published, "deploy-dockerfile-healthcheck")
    assert result.status == Status.PASS and "service api" in result.evidence[0].message
    # The same service, with the image named nowhere in CI: nothing says it runs this Dockerfile.
    unpublished = tree({"Dockerfile": APP, "compose.yaml": compose,
                        ".github/workflows/image.yml": workflow.replace("acme/api", "acme/other")})
    assert run(unpublished, "deploy-dockerfile-healthcheck").status == Status.FAIL


def test_probes_in_a_chart_that_cannot_be_read_leave_the_healthcheck_not_evaluated(run, tree):
    chart = {
        "Dockerfile": APP,
        "chart/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
        "chart/values.yaml": "replicas: 2\n",
        "chart/templates/deployment.yaml": "{{- range .Values.models }}\nkind: Deployment\n  bad: [\n{{- end }}\n",
    }
    result = run(tree(chart), "deploy-dockerfile-healthcheck")
    assert result.status == Status.PARTIAL, result.message
    assert not faults(result)
    # Without the unreadable chart the same image fails: the partial rests on the chart, not on nothing.
    assert run(tree({"Dockerfile": APP}), "deploy-dockerfile-healthcheck").status == Status.FAIL


# --- Kustomize: a folder switched off by a commented-out entry (kubebuilder's `#- ../prometheus`) ----

MONITOR = """
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: controller-manager-metrics-monitor}
spec:
  endpoints: [{path: /metrics, port: https}]
  selector: {matchLabels: {control-plane: controller-manager}}
"""


def _kubebuilder(resources: str) -> dict[str, str]:
    return {
        "config/default/kustomization.yaml": f"resources:\n- ../manager\n{resources}",
        "config/manager/kustomization.yaml": "resources:\n- manager.yaml\n",
        "config/manager/manager.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n",
        "config/prometheus/kustomization.yaml": "resources:\n- monitor.yaml\n",
        "config/prometheus/monitor.yaml": MONITOR,
    }


def test_a_monitor_in_a_commented_out_kustomize_folder_collects_nothing(run, tree):
    result = run(tree(_kubebuilder("# [PROMETHEUS] uncomment to enable\n#- ../prometheus\n")),
                 "deploy-metrics-collected")
    assert result.status == Status.FAIL, [e.message for e in result.evidence]


def test_the_same_monitor_listed_in_the_kustomization_collects(run, tree):
    result = run(tree(_kubebuilder("- ../prometheus\n")), "deploy-metrics-collected")
    assert result.status == Status.PASS and result.evidence[0].path == "config/prometheus/monitor.yaml"


def test_a_folder_commented_out_in_one_overlay_but_listed_in_another_is_applied(run, tree):
    files = _kubebuilder("#- ../prometheus\n")
    files["config/overlays/prod/kustomization.yaml"] = "resources:\n- ../../default\n- ../../prometheus\n"
    assert run(tree(files), "deploy-metrics-collected").status == Status.PASS


# --- Helm: `if and`/`if or` over values -----------------------------------------------------------

def _chart(enabled: str) -> dict[str, str]:
    return {
        "chart/Chart.yaml": "apiVersion: v2\nname: stack\nversion: 0.1.0\n",
        "chart/values.yaml": f"router:\n  enabled: true\n  serviceMonitor:\n    enabled: {enabled}\n",
        "chart/templates/servicemonitor.yaml": (
            "{{- if and .Values.router.enabled .Values.router.serviceMonitor.enabled -}}\n" + MONITOR.lstrip()
            + "{{- end }}\n"),
    }


def test_a_chart_object_behind_an_and_that_default_values_switch_off_is_not_there(run, tree):
    assert run(tree(_chart("false")), "deploy-metrics-collected").status == Status.FAIL


def test_the_same_chart_object_switched_on_is_there(run, tree):
    assert run(tree(_chart("true")), "deploy-metrics-collected").status == Status.PASS


def test_helm_and_or_conditions_decide_what_they_can():
    from readyscore.executors.deploy.helm import _condition
    root = {"Values": {"on": True, "off": False}}
    assert _condition("and .Values.on .Values.off", root, None)[0] is False
    assert _condition("and .Values.unset .Values.off", root, None)[0] is False
    assert _condition("and .Values.on .Values.unset", root, None)[0] is None
    assert _condition("or .Values.off .Values.on", root, None)[0] is True
    assert _condition("or .Values.off .Values.unset", root, None)[0] is None
    assert _condition("and .Values.on .Values.on", root, None)[0] is True


# --- kube-prometheus-stack values ------------------------------------------------------------------

KPS_VALUES = """
prometheus:
  enabled: true
  additionalServiceMonitors:
    - name: vllm-monitor
      selector: {matchLabels: {app: vllm}}
      endpoints: [{port: service-port}]
"""


def test_kube_prometheus_stack_values_with_service_monitors_collect(run, tree):
    result = run(tree({"observability/kube-prom-stack.yaml": KPS_VALUES}), "deploy-metrics-collected")
    assert result.status == Status.PASS and result.evidence[0].line == 3


def test_kube_prometheus_stack_values_without_monitors_or_only_commented_do_not(run, tree):
    commented = KPS_VALUES.replace("  additionalServiceMonitors:", "  # additionalServiceMonitors:").replace(
        "    - name", "    # - name").replace("      selector", "      # selector").replace(
        "      endpoints", "      # endpoints")
    for text in ("prometheus:\n  enabled: true\n", commented):
        assert run(tree({"observability/kube-prom-stack.yaml": text}), "deploy-metrics-collected").status == Status.FAIL


def test_kube_prometheus_stack_values_in_a_docs_folder_are_not_the_deployment(run, tree):
    assert run(tree({"docs/kube-prom-stack.yaml": KPS_VALUES}), "deploy-metrics-collected").status == Status.FAIL


# --- CI: installing the chart into a throwaway cluster is a test, not a deployment -------------------

def _workflow(setup: str) -> str:
    return f"""
        on: push
        jobs:
          e2e:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
{setup}
              - run: helm install stack ./chart --wait
        """


def test_helm_install_into_a_kind_cluster_is_not_a_deployment(run, tree):
    kind = "              - run: kind create cluster --name e2e\n"
    result = run(tree({".github/workflows/e2e.yml": _workflow(kind)}), "deploy-ci-deploys")
    assert result.status == Status.FAIL


def test_helm_install_into_a_real_cluster_is_a_deployment(run, tree):
    assert run(tree({".github/workflows/deploy.yml": _workflow("")}), "deploy-ci-deploys").status == Status.PASS


def test_a_throwaway_cluster_only_mentioned_in_a_comment_does_not_discount_the_deployment(run, tree):
    mentioned = "              # - run: kind create cluster (we used to test in kind)\n"
    assert run(tree({".github/workflows/deploy.yml": _workflow(mentioned)}), "deploy-ci-deploys").status == Status.PASS


# --- .dockerignore: say where the unfiltered context ends up ----------------------------------------

def test_a_whole_context_copy_in_a_build_stage_says_it_reaches_the_build_not_the_image(run, tree):
    builder = ("FROM golang:1.24 AS builder\nCOPY . .\nRUN go build -o /app\n"
               "FROM alpine:3.20\nCOPY --from=builder /app /app\nUSER 1000\nENTRYPOINT [\"/app\"]\n")
    result = run(tree({"Dockerfile": builder}), "deploy-dockerignore")
    assert result.status == Status.FAIL and "build stage" in result.evidence[0].message
    shipped = "FROM python:3.12-slim\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
    result = run(tree({"Dockerfile": shipped}), "deploy-dockerignore")
    assert result.status == Status.FAIL and "end up in the image" in result.evidence[0].message


# --- CI: a tool's name in a label, a variable or a path is not the tool running ---------------------

def _steps(*lines: str) -> str:
    body = "".join(f"              - run: {line}\n" for line in lines)
    return "on: push\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n" + body.replace("              ", "      ")


def test_a_workflow_named_like_its_tests_but_running_none_runs_no_tests(run, tree):
    named = "name: Go Test\n" + _steps("golangci-lint run")
    assert run(tree({".github/workflows/go.yml": named}), "deploy-ci-tests").status == Status.FAIL
    running = "name: Go Test\n" + _steps("go test ./...")
    result = run(tree({".github/workflows/go.yml": running}), "deploy-ci-tests")
    assert result.status == Status.PASS and result.evidence[0].line == 7


def test_a_test_runner_in_a_variable_name_is_not_a_test_run(run, tree):
    variable = _steps("export PYTEST_MAXFAIL=3 && ./scripts/lint.sh")
    assert run(tree({".github/workflows/e2e.yml": variable}), "deploy-ci-tests").status == Status.FAIL
    assert run(tree({".github/workflows/e2e.yml": _steps("pytest -x tests")}), "deploy-ci-tests").status == Status.PASS


def test_a_scanner_in_a_path_being_deleted_is_not_a_scan(run, tree):
    cleanup = _steps("sudo rm -rf /usr/share/dotnet /opt/hostedtoolcache/CodeQL || true")
    assert run(tree({".github/workflows/build.yml": cleanup}), "deploy-ci-security-scan").status == Status.FAIL


def test_scanner_actions_referenced_by_owner_path_still_scan(run, tree):
    for uses in ("github/codeql-action/init@v3", "securego/gosec@v2.27.1"):
        workflow = ("on: push\njobs:\n  scan:\n    runs-on: ubuntu-latest\n    steps:\n"
                    f"      - uses: {uses}\n")
        assert run(tree({".github/workflows/scan.yml": workflow}), "deploy-ci-security-scan").status == Status.PASS, uses
