"""Which .dockerignore filters a build, which probes belong to an image, which Dockerfiles are base images.

Met on real repositories (bench/corpus): vllm production-stack's root .dockerignore lists
src/gateway_inference_extension/, whose Dockerfile is built from its own folder, yet it was credited
for that build; the router's probes excused the sidecar and kubeai's model loader; LocalAI's
Dockerfile.base-grpc-builder (no ENTRYPOINT or CMD, the FROM of other backend builds) was judged as a
service image; llama.cpp's CLI-only images were asked for a HEALTHCHECK. Each rule has its twins: the
exception applies, and a near miss where it must not.
"""

from __future__ import annotations

from readyscore.model import Status

WHOLE_CONTEXT = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\nUSER app\nCMD [\"python\", \"-m\", \"svc\"]\n"


def faults(result):
    return [e.message for e in result.evidence if e.finding]


# --- .dockerignore: a root file that excludes the Dockerfile's own folder is not that build's ---------

def test_a_root_dockerignore_that_names_the_dockerfiles_folder_is_not_its_dockerignore(run, tree):
    result = run(tree({"svc/Dockerfile": WHOLE_CONTEXT, ".dockerignore": ".git\nsvc/\n"}), "deploy-dockerignore")
    assert result.status == Status.FAIL
    assert "the root .dockerignore excludes svc/ itself" in faults(result)[0]


def test_a_root_dockerignore_that_excludes_only_part_of_the_folder_still_filters(run, tree):
    for ignore in (".git\nsvc/tests/\n", ".git\n# svc/\n", ".git\nsvc/\n!svc/configs\n", "*\n!svc\n",
                   ".git\nsvc*.log\n"):
        result = run(tree({"svc/Dockerfile": WHOLE_CONTEXT, ".dockerignore": ignore}), "deploy-dockerignore")
        assert result.status == Status.PASS, ignore


def test_an_excluded_folder_with_its_own_dockerignore_is_filtered(run, tree):
    for own in ("svc/.dockerignore", "svc/Dockerfile.dockerignore"):
        files = {"svc/Dockerfile": WHOLE_CONTEXT, ".dockerignore": "svc/\n", own: ".git\n"}
        assert run(tree(files), "deploy-dockerignore").status == Status.PASS, own


def test_an_ancestor_folder_named_in_the_root_dockerignore_counts_too(run, tree):
    result = run(tree({"src/gw/Dockerfile": WHOLE_CONTEXT, ".dockerignore": "/src/\n"}), "deploy-dockerignore")
    assert result.status == Status.FAIL


# --- HEALTHCHECK: probes count only on workloads that run this image -----------------------------

API = "FROM python:3.12-slim\nUSER app\nCMD [\"uvicorn\", \"api:app\", \"--port\", \"8000\"]\n"
SIDECAR = "FROM python:3.12-slim\nUSER app\nCMD [\"python\", \"download.py\"]\n"
BUILDS = """on: push
env: {IMAGE_NAME: acme/api}
jobs:
  images:
    runs-on: ubuntu-latest
    steps:
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: |
            ghcr.io/${{ env.IMAGE_NAME }}
      - uses: docker/build-push-action@v6
        with: {context: ., file: ./Dockerfile, tags: "${{ steps.meta.outputs.tags }}"}
      - run: docker build -f docker/Dockerfile.sidecar -t ghcr.io/acme/sidecar:1.0 .
"""
WORKLOAD = """apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.0
          livenessProbe: {httpGet: {path: /health, port: 8000}}
        - name: sidecar
          image: ghcr.io/acme/sidecar:1.0
"""


def healthcheck(run, tree, files):
    result = run(tree(files), "deploy-dockerfile-healthcheck")
    return result, {e.path: e for e in result.evidence}


def test_probes_count_for_the_image_the_workload_runs_not_for_the_image_beside_it(run, tree):
    files = {"Dockerfile": API, "docker/Dockerfile.sidecar": SIDECAR, ".github/workflows/images.yml": BUILDS,
             "deploy/api.yaml": WORKLOAD}
    result, _ = healthcheck(run, tree, files)
    assert result.status == Status.FAIL
    assert [e.path for e in result.evidence if e.finding] == ["docker/Dockerfile.sidecar"]


def test_the_sidecar_with_its_own_probe_passes(run, tree):
    probed = WORKLOAD + "          readinessProbe: {exec: {command: [\"true\"]}}\n"
    files = {"Dockerfile": API, "docker/Dockerfile.sidecar": SIDECAR, ".github/workflows/images.yml": BUILDS,
             "deploy/api.yaml": probed}
    result, by_path = healthcheck(run, tree, files)
    assert result.status == Status.PASS
    assert "runs ghcr.io/acme/api:1.0, built from this Dockerfile" in by_path["Dockerfile"].message
    assert "runs ghcr.io/acme/sidecar:1.0, built from this Dockerfile" in by_path["docker/Dockerfile.sidecar"].message


def test_an_image_no_build_names_is_not_excused_by_someone_elses_probes(run, tree):
    unbuilt = BUILDS.replace("      - run: docker build -f docker/Dockerfile.sidecar -t ghcr.io/acme/sidecar:1.0 .\n", "")
    files = {"Dockerfile": API, "docker/Dockerfile.sidecar": SIDECAR, ".github/workflows/images.yml": unbuilt,
             "deploy/api.yaml": WORKLOAD.replace("image: ghcr.io/acme/sidecar:1.0", "image: ghcr.io/acme/api:1.0")}
    result, _ = healthcheck(run, tree, files)
    assert [e.path for e in result.evidence if e.finding] == ["docker/Dockerfile.sidecar"]


def test_a_probe_only_mentioned_in_a_comment_excuses_nothing(run, tree):
    commented = WORKLOAD.replace("livenessProbe:", "# livenessProbe:")
    files = {"Dockerfile": API, ".github/workflows/images.yml": BUILDS, "deploy/api.yaml": commented}
    assert healthcheck(run, tree, files)[1]["Dockerfile"].finding


def test_a_workload_in_the_dockerfiles_component_folder_runs_its_image(run, tree):
    kubebuilder = WORKLOAD.replace("ghcr.io/acme/api:1.0", "controller:latest")
    inside = {"operator/Dockerfile": API, "operator/config/manager/deployment.yaml": kubebuilder}
    result, by_path = healthcheck(run, tree, inside)
    assert "component folder" in by_path["operator/Dockerfile"].message and not by_path["operator/Dockerfile"].finding
    outside = {"operator/Dockerfile": API, "config/manager/deployment.yaml": kubebuilder}
    assert healthcheck(run, tree, outside)[1]["operator/Dockerfile"].finding


# --- Base images: a Dockerfile other builds start FROM is not judged as a service ------------------

BASE = "ARG BASE_IMAGE=ubuntu:22.04\nFROM ${BASE_IMAGE}\nRUN apt-get update && apt-get install -y cmake && rm -rf /var/lib/apt/lists/*\n"
APP = ("FROM ghcr.io/acme/builder:grpc AS build\nRUN make\n"
       "FROM ubuntu:22.04\nCOPY --from=build /out /app\nUSER app\nCMD [\"/app/server\"]\n")
BASE_CI = """on: push
jobs:
  base:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        include:
          - tag: grpc
          - tag: grpc-cuda
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: ./backend/Dockerfile.base-builder
          tags: ghcr.io/acme/builder:${{ matrix.tag }}
          cache-to: type=registry,ref=ghcr.io/acme/builder:cache-${{ matrix.tag }}
"""


def base_tree(tree, **changes):
    files = {"backend/Dockerfile.base-builder": BASE, "app/Dockerfile": APP, ".github/workflows/base.yml": BASE_CI}
    files.update(changes)
    return tree(files)


def test_a_base_image_another_dockerfile_starts_from_is_not_judged_for_user_stages_or_health(run, tree):
    root = base_tree(tree)
    for check in ("deploy-dockerfile-non-root", "deploy-dockerfile-multistage"):
        result = run(root, check)
        assert result.status == Status.PASS, (check, faults(result))
        assert "base images not judged: backend/Dockerfile.base-builder" in result.message
        assert not any(e.path == "backend/Dockerfile.base-builder" for e in result.evidence)


def test_a_base_tag_passed_as_a_builder_image_in_ci_counts(run, tree):
    app = APP.replace("FROM ghcr.io/acme/builder:grpc AS build", "ARG BUILDER_IMAGE\nFROM ${BUILDER_IMAGE} AS build")
    matrix = "backends:\n  - dockerfile: app/Dockerfile\n    builder-base-image: 'ghcr.io/acme/builder:grpc-cuda'\n"
    root = base_tree(tree, **{"app/Dockerfile": app, ".github/backend-matrix.yml": matrix})
    assert run(root, "deploy-dockerfile-non-root").status == Status.PASS


def test_an_image_with_a_cmd_is_judged_even_when_others_start_from_it(run, tree):
    root = base_tree(tree, **{"backend/Dockerfile.base-builder": BASE + "CMD [\"bash\"]\n"})
    result = run(root, "deploy-dockerfile-non-root")
    assert result.status == Status.FAIL and "backend/Dockerfile.base-builder" in {e.path for e in result.evidence}


def test_a_built_image_nobody_starts_from_or_only_mentions_is_judged(run, tree):
    for app in (APP.replace("ghcr.io/acme/builder:grpc", "ubuntu:22.04"),
                "# FROM ghcr.io/acme/builder:grpc\n" + APP.replace("ghcr.io/acme/builder:grpc", "ubuntu:22.04"),
                APP.replace("ghcr.io/acme/builder:grpc", "ghcr.io/acme/builder:cache-grpc")):
        result = run(base_tree(tree, **{"app/Dockerfile": app}), "deploy-dockerfile-non-root")
        assert result.status == Status.FAIL, app
        assert "backend/Dockerfile.base-builder" in {e.path for e in result.evidence if e.finding}


def test_a_base_image_no_build_names_is_judged(run, tree):
    root = base_tree(tree, **{".github/workflows/base.yml": "on: push\njobs: {t: {runs-on: x, steps: [{run: pytest}]}}\n"})
    assert run(root, "deploy-dockerfile-non-root").status == Status.FAIL


# --- Command-line tool images: no server, no health to check ----------------------------------------

CLI = ("FROM ubuntu:22.04 AS build\nRUN make llama-cli\n"
       "FROM ubuntu:22.04 AS runtime\nCOPY --from=build /out/llama-cli /llama-cli\nUSER app\nENTRYPOINT [\"/llama-cli\" ]\n")


def test_a_command_line_tool_image_is_not_asked_for_a_healthcheck(run, tree):
    result = run(tree({".devops/llama-cli.Dockerfile": CLI}), "deploy-dockerfile-healthcheck")
    assert result.status == Status.NOT_APPLICABLE
    assert "command-line tool image: .devops/llama-cli.Dockerfile runs /llama-cli" in result.message
    beside = run(tree({".devops/llama-cli.Dockerfile": CLI, "Dockerfile": API}), "deploy-dockerfile-healthcheck")
    assert [e.path for e in beside.evidence if e.finding] == ["Dockerfile"]
    assert "command-line images not judged" in beside.message
    # It still runs a process as some user: the non-root rule judges it.
    assert run(tree({".devops/llama-cli.Dockerfile": CLI}), "deploy-dockerfile-non-root").status == Status.PASS


def test_a_cli_named_program_that_listens_or_is_wrapped_is_judged(run, tree):
    near_misses = (
        CLI.replace("USER app", "USER app\nEXPOSE 8080"),
        CLI + "CMD [\"serve\"]\n",
        CLI.replace('ENTRYPOINT ["/llama-cli" ]', 'ENTRYPOINT ["/llama-cli", "--port", "8080"]'),
        CLI.replace('ENTRYPOINT ["/llama-cli" ]', 'ENTRYPOINT ["/llama-server"]'),
        CLI.replace('ENTRYPOINT ["/llama-cli" ]', 'ENTRYPOINT ["sh", "-c", "/llama-cli"]'),
        CLI.replace('ENTRYPOINT ["/llama-cli" ]', '# ENTRYPOINT ["/llama-cli" ]\nCMD ["/app/server"]'),
    )
    for text in near_misses:
        result = run(tree({".devops/llama-cli.Dockerfile": text}), "deploy-dockerfile-healthcheck")
        assert result.status == Status.FAIL, text


def test_a_named_dockerfiles_own_ignore_file_filters_a_build_from_an_excluded_folder(run, tree):
    files = {"svc/api.Dockerfile": WHOLE_CONTEXT, ".dockerignore": "svc/\n"}
    assert run(tree(files), "deploy-dockerignore").status == Status.FAIL
    files["svc/api.Dockerfile.dockerignore"] = ".git\n"
    assert run(tree(files), "deploy-dockerignore").status == Status.PASS
