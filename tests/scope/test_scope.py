"""Scoping: the service's own deployment files decide readiness checks; examples, tutorials, docs,
benchmarks and test fixtures do not, unless the repository itself builds or applies them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, load_profile, load_project_config
from readyscore.executors import registry
from readyscore.executors.base import AuditContext
from readyscore.files import FileIndex
from readyscore.model import Status
from readyscore.scope import build_scope

GOOD_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.2.3
          livenessProbe: {httpGet: {path: /health, port: 8000}}
          readinessProbe: {httpGet: {path: /ready, port: 8000}}
"""
TUTORIAL_DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: device-plugin}
spec:
  selector: {matchLabels: {app: dp}}
  template:
    metadata: {labels: {app: dp}}
    spec:
      containers:
        - name: dp
          image: nvidia/device-plugin:0.14.0
"""
DEMO_COMPOSE = """
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: devpassword123
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def run(root: Path, check_id: str, project: ProjectConfig | None = None):
    entry = load_catalog().get(check_id)
    ctx = AuditContext(profile=load_profile("default"), options=AuditOptions(root=root), project=project or ProjectConfig())
    outcome = registry.get(entry.spec.kind)().run(entry.spec, entry.params, ctx)
    return outcome, ctx


@pytest.fixture
def stack(tmp_path):
    return write(tmp_path / "stack", {
        "deploy/api.yaml": GOOD_DEPLOYMENT,
        "tutorials/assets/device-plugin.yaml": TUTORIAL_DAEMONSET,
        "examples/router-deploy.yaml": TUTORIAL_DAEMONSET.replace("device-plugin", "router"),
        "docs/walkthrough/compose/docker-compose.yml": DEMO_COMPOSE,
    })


@pytest.mark.parametrize("check", ["deploy-k8s-liveness-probe", "deploy-k8s-readiness-probe"])
def test_tutorial_manifests_do_not_decide_probe_checks(stack, check):
    outcome, ctx = run(stack, check)
    assert outcome.status == Status.PASS, outcome.message
    assert all(not e.path or e.path.startswith("deploy/") for e in outcome.evidence)
    section = ctx.sections["scope"]
    left_out = {item["path"]: item["reason"] for item in section["left_out"]}
    assert left_out["tutorials"] == "tutorials and walkthroughs" and left_out["examples"] == "examples and samples"
    assert left_out["docs"] == "documentation"


def test_the_same_manifest_in_the_service_fails(stack):
    """Twin: the DaemonSet without probes fails the check once it is the service's own."""
    write(stack, {"deploy/device-plugin.yaml": TUTORIAL_DAEMONSET})
    outcome, _ = run(stack, "deploy-k8s-liveness-probe")
    assert outcome.status == Status.FAIL
    assert [e.path for e in outcome.evidence if e.path] == ["deploy/device-plugin.yaml"]


def test_demo_compose_passwords_are_not_the_production_deployment(stack):
    outcome, _ = run(stack, "deploy-compose-no-inline-secrets")
    assert outcome.status == Status.NOT_APPLICABLE, outcome.message


def test_a_manifest_ci_applies_comes_back_into_scope(stack):
    write(stack, {".github/workflows/deploy.yml": """
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - run: kubectl apply -f examples/router-deploy.yaml
        """})
    outcome, ctx = run(stack, "deploy-k8s-liveness-probe")
    assert outcome.status == Status.FAIL
    assert {e.path for e in outcome.evidence if e.path} == {"examples/router-deploy.yaml"}
    assert ctx.sections["scope"]["brought_back_in"][0]["because"].startswith("built or applied by .github/workflows")


def test_pytest_over_examples_does_not_bring_them_in(stack):
    write(stack, {".github/workflows/test.yml": "on: push\njobs: {t: {runs-on: x, steps: [{run: pytest examples/}]}}\n"})
    outcome, _ = run(stack, "deploy-k8s-liveness-probe")
    assert outcome.status == Status.PASS


def test_kustomization_resources_are_in_scope(tmp_path):
    root = write(tmp_path / "k", {
        "deploy/kustomization.yaml": "resources:\n  - ../examples/base/api.yaml\n",
        "examples/base/api.yaml": TUTORIAL_DAEMONSET,
    })
    scope = build_scope(FileIndex(root))
    assert scope.in_scope("examples/base/api.yaml")
    assert "kustomization" in scope.promoted["examples/base/api.yaml"]


def test_readyscore_yaml_includes_and_excludes(stack):
    project = ProjectConfig(scope={"include": ["tutorials/assets/**"], "exclude": ["deploy/**"]})
    scope = build_scope(FileIndex(stack), project.scope.include, project.scope.exclude)
    assert scope.in_scope("tutorials/assets/device-plugin.yaml")
    assert scope.reason("deploy/api.yaml") == "excluded from scope by readyscore.yaml"
    outcome, _ = run(stack, "deploy-k8s-liveness-probe", project)
    assert outcome.status == Status.FAIL and outcome.evidence[0].path == "tutorials/assets/device-plugin.yaml"


def test_unknown_scope_key_is_a_clear_error(tmp_path):
    path = tmp_path / "readyscore.yaml"
    path.write_text("schema_version: 1\nscope:\n  include: [a]\n  exclde: [b]\n")
    with pytest.raises(Exception) as info:
        load_project_config(path)
    message = str(info.value)
    assert "readyscore.yaml" in message and "exclde" in message and ":4" in message


def test_several_services_are_named_and_judged_or_not(stack):
    write(stack, {"Dockerfile": "FROM python:3.12\n", "router/Dockerfile": "FROM golang:1.22\n",
                  "examples/toy/Dockerfile": "FROM python:3.12\n", "helm/Chart.yaml": "name: x\nversion: 1\n",
                  "cmd/router/main.go": "package main\nfunc main() {}\n"})
    section = build_scope(FileIndex(stack)).section()
    units = {(u["kind"], u["path"]): u for u in section["deployable_units"]}
    assert units[("container image", "router/Dockerfile")]["judged"]
    assert units[("helm chart", "helm")]["judged"] and units[("program", "cmd/router")]["judged"]
    toy = units[("container image", "examples/toy/Dockerfile")]
    assert not toy["judged"] and toy["left_out_because"] == "examples and samples"
    assert "examples/toy/Dockerfile" not in section["judged"]


@pytest.mark.parametrize("path, reason", [
    ("deployment_on_cloud/azure/nvidia-device-plugin-ds.yaml", "tutorials and walkthroughs"),
    ("config/overlays/test-modelcache/kustomization.yaml", "tests and test fixtures"),
    ("hack/dev-load/pod.yaml", "developer tooling"),
    ("k8s-examples/router.yaml", "examples and samples"),
    ("routellm/evals/mmlu/generate_responses.py", "evaluations"),
])
def test_walkthrough_test_and_dev_folders_found_on_real_repositories(tmp_path, path, reason):
    root = write(tmp_path / "r", {path: TUTORIAL_DAEMONSET, "helm/templates/deployment.yaml": GOOD_DEPLOYMENT})
    scope = build_scope(FileIndex(root))
    assert scope.reason(path) == reason and scope.in_scope("helm/templates/deployment.yaml")


def test_an_argo_cd_application_brings_its_path_into_scope(tmp_path):
    root = write(tmp_path / "argo", {
        "argocd/app.yaml": ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: api}\n"
                            "spec:\n  source:\n    repoURL: https://example.org/x.git\n    path: examples/prod\n"),
        "examples/prod/deploy.yaml": TUTORIAL_DAEMONSET,
        "examples/toy/deploy.yaml": TUTORIAL_DAEMONSET,
    })
    scope = build_scope(FileIndex(root))
    assert scope.in_scope("examples/prod/deploy.yaml") and not scope.in_scope("examples/toy/deploy.yaml")
    assert "Argo CD" in scope.promoted["examples/prod/deploy.yaml"]


def _server_tree(tmp_path: Path) -> Path:
    files = {
        "examples/server/server.cpp": "int main() { return 0; }\n",
        "examples/server/bench/prometheus.yml": "scrape_configs:\n  - job_name: bench\n",
        "examples/server/tests/requirements.txt": "prometheus-client\n",
        "examples/simple/simple.cpp": "int main() { return 0; }\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_an_include_lifts_the_folders_it_names_but_not_a_bench_or_tests_folder_below(tmp_path):
    # llama.cpp's readyscore.yaml includes examples/server/**: its server comes in, the benchmark's
    # scrape config and the tests' requirements (once a metrics pass and a capability pass) do not.
    scope = build_scope(FileIndex(_server_tree(tmp_path)), ["examples/server/**"])
    assert scope.in_scope("examples/server/server.cpp")
    assert not scope.in_scope("examples/server/bench/prometheus.yml")
    assert scope.reason("examples/server/bench/prometheus.yml").startswith("benchmarks")
    assert scope.reason("examples/server/tests/requirements.txt").startswith("tests")
    assert not scope.in_scope("examples/simple/simple.cpp")


def test_an_include_that_names_the_deeper_folder_or_no_folder_brings_it_in(tmp_path):
    root = _server_tree(tmp_path)
    assert build_scope(FileIndex(root), ["examples/server/bench/**"]).in_scope("examples/server/bench/prometheus.yml")
    assert build_scope(FileIndex(root), ["**/prometheus.yml"]).in_scope("examples/server/bench/prometheus.yml")


def test_a_benchmark_scrape_config_below_an_include_collects_no_metrics(tmp_path):
    root = _server_tree(tmp_path)
    narrow, _ = run(root, "deploy-metrics-collected", ProjectConfig(scope={"include": ["examples/server/**"]}))
    assert narrow.status == Status.FAIL
    named, _ = run(root, "deploy-metrics-collected", ProjectConfig(scope={"include": ["examples/server/bench/**"]}))
    assert named.status == Status.PASS


def test_a_test_target_or_test_pipeline_does_not_bring_test_fixtures_in(tmp_path):
    """kubeai's Makefile applies test/e2e manifests in `test-e2e`; kserve's builds docs/apis/Dockerfile.
    A Makefile is a developer's toolbox: those stay scoped out. A pipeline tests with them too
    (TensorZero's e2e workflows `docker compose up` stacks under tests/): they stay out there as well.
    A pipeline or a Makefile applying an example still brings that path in."""
    files = {"deploy/api.yaml": GOOD_DEPLOYMENT, "test/e2e/k6-pod.yaml": TUTORIAL_DAEMONSET,
             "examples/router-deploy.yaml": TUTORIAL_DAEMONSET.replace("device-plugin", "router")}
    makefile = write(tmp_path / "make", {**files, "Makefile": "test-e2e:\n\tkubectl apply -f test/e2e/k6-pod.yaml\n"})
    outcome, ctx = run(makefile, "deploy-k8s-liveness-probe")
    assert outcome.status == Status.PASS, outcome.message
    assert ctx.sections["scope"]["brought_back_in"] == []
    pipeline = write(tmp_path / "ci", {**files, ".github/workflows/e2e.yml":
                                       "on: push\njobs: {t: {runs-on: x, steps: [{run: kubectl apply -f test/e2e/k6-pod.yaml}]}}\n"})
    outcome, ctx = run(pipeline, "deploy-k8s-liveness-probe")
    assert outcome.status == Status.PASS and ctx.sections["scope"]["brought_back_in"] == [], outcome.message
    example = write(tmp_path / "ex", {**files, "Makefile": "deploy:\n\tkubectl apply -f examples/router-deploy.yaml\n"})
    assert run(example, "deploy-k8s-liveness-probe")[0].status == Status.FAIL
    deployed = write(tmp_path / "cd", {**files, ".github/workflows/cd.yml":
                                       "on: push\njobs: {d: {runs-on: x, steps: [{run: kubectl apply -f examples/router-deploy.yaml}]}}\n"})
    assert run(deployed, "deploy-k8s-liveness-probe")[0].status == Status.FAIL
