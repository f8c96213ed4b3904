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
