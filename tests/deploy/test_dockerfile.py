"""Dockerfile rules: each finding on a bad twin, and its absence on the safe twin."""

from __future__ import annotations

from readyscore.executors.deploy.dockerfile import parse_dockerfile, substitute
from readyscore.model import Status

DIGEST = "sha256:" + "ab" * 32


def lines_of(result):
    return [(e.path, e.line) for e in result.evidence]


def test_user_set_through_an_arg_and_env_is_resolved(run, tree):
    root = tree({"Dockerfile": """
        ARG APP_USER=llm
        FROM python:3.12-slim
        ARG APP_USER
        ENV RUN_AS=${APP_USER}
        USER ${RUN_AS}:${RUN_AS}
        """})
    result = run(root, "deploy-dockerfile-non-root")
    assert result.status == Status.PASS
    assert "llm" in result.evidence[0].message and result.evidence[0].line == 5


def test_user_root_through_an_arg_fails_at_the_user_line(run, tree):
    root = tree({"Dockerfile": """
        FROM python:3.12-slim
        ARG APP_USER=root
        RUN echo hi
        USER $APP_USER
        """})
    result = run(root, "deploy-dockerfile-non-root")
    assert result.status == Status.FAIL
    assert lines_of(result) == [("Dockerfile", 4)]


def test_a_global_arg_not_redeclared_in_the_stage_does_not_resolve(run, tree):
    # Docker scoping: a global ARG is visible in FROM only; USER ${APP_USER} is empty -> undecidable.
    root = tree({"Dockerfile": """
        ARG APP_USER=llm
        FROM python:3.12-slim
        USER ${APP_USER}
        """})
    result = run(root, "deploy-dockerfile-non-root")
    assert result.status == Status.PARTIAL
    assert "build argument" in result.evidence[0].message


def test_no_user_means_root_and_the_final_stage_decides(run, tree):
    root = tree({"Dockerfile": """
        FROM python:3.12-slim AS builder
        USER builder
        FROM python:3.12-slim
        CMD ["python"]
        """})
    result = run(root, "deploy-dockerfile-non-root")
    assert result.status == Status.FAIL and result.evidence[0].line == 3


def test_user_inherited_from_the_stage_the_image_is_built_from(run, tree):
    root = tree({"Dockerfile": """
        FROM python:3.12-slim AS base
        USER 10001
        FROM base
        CMD ["python"]
        """})
    assert run(root, "deploy-dockerfile-non-root").status == Status.PASS


def test_base_image_pins_score_a_digest_above_a_tag(run, tree):
    digest = tree({"Dockerfile": f"FROM python:3.12-slim@{DIGEST}\n"})
    tag = tree({"Dockerfile": "FROM python:3.12-slim\n"})
    latest = tree({"Dockerfile": "FROM python:3.12-slim AS b\nFROM python\n"})
    via_arg = tree({"Dockerfile": "ARG TAG=latest\nFROM python:${TAG}\n"})
    d, t, bad, arg = (run(r, "deploy-dockerfile-base-pinned") for r in (digest, tag, latest, via_arg))
    assert d.status == t.status == Status.PASS and d.score == 1.0 and t.score < 1.0
    assert bad.status == Status.FAIL and lines_of(bad) == [("Dockerfile", 2)]
    assert arg.status == Status.FAIL and "latest" in arg.evidence[0].message


def test_stage_references_and_scratch_are_not_base_images(run, tree):
    root = tree({"Dockerfile": f"FROM golang:1.23@{DIGEST} AS build\nFROM scratch AS out\nFROM build\n"})
    result = run(root, "deploy-dockerfile-base-pinned")
    assert result.status == Status.PASS and result.metrics["good"] == 1


def test_secrets_in_env_and_arg_are_found_and_masked(run, tree):
    secret = "fixture-literal-0123456789abcdef"
    bad = tree({"Dockerfile": f"""
        FROM python:3.12-slim
        ARG HF_TOKEN
        ENV OPENAI_API_KEY={secret} LOG_LEVEL=info
        ENV DB_PASSWORD=${{HF_TOKEN}}
        """})
    safe = tree({"Dockerfile": """
        FROM python:3.12-slim
        ENV TOKENIZERS_PARALLELISM=false MAX_TOKENS=512 HF_TOKEN_FILE=/run/secrets/hf
        RUN --mount=type=secret,id=hf_token cat /run/secrets/hf_token >/dev/null
        """})
    result = run(bad, "deploy-dockerfile-no-secrets")
    assert result.status == Status.FAIL
    assert [line for _, line in lines_of(result)] == [2, 3, 4]
    assert all(secret not in e.message for e in result.evidence)
    assert run(safe, "deploy-dockerfile-no-secrets").status == Status.PASS


def test_healthcheck_missing_passes_when_the_orchestrator_probes(run, tree):
    bare = tree({"Dockerfile": "FROM python:3.12-slim\n"})
    disabled = tree({"Dockerfile": "FROM python:3.12-slim\nHEALTHCHECK NONE\n"})
    own = tree({"Dockerfile": "FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\n"})
    probed = tree({"Dockerfile": "FROM python:3.12-slim\n", "compose.yaml": """
        services:
          api:
            build: .
            healthcheck: {test: ["CMD", "true"]}
        """})
    assert run(bare, "deploy-dockerfile-healthcheck").status == Status.FAIL
    assert run(disabled, "deploy-dockerfile-healthcheck").evidence[0].line == 2
    assert run(own, "deploy-dockerfile-healthcheck").status == Status.PASS
    result = run(probed, "deploy-dockerfile-healthcheck")
    assert result.status == Status.PASS and "compose.yaml" in result.evidence[0].message


def test_multistage_needs_a_copy_from_an_earlier_stage(run, tree):
    single = tree({"Dockerfile": "FROM python:3.12\nRUN pip install x\n"})
    multi = tree({"Dockerfile": "FROM python:3.12 AS b\nRUN make\nFROM python:3.12-slim\nCOPY --from=b /app /app\n"})
    assert run(single, "deploy-dockerfile-multistage").status == Status.FAIL
    assert run(multi, "deploy-dockerfile-multistage").status == Status.PASS


def test_whole_context_copy_needs_a_dockerignore(run, tree):
    files = {"svc/Dockerfile": "FROM python:3.12\nCOPY . /app\n"}
    bare = tree(files)
    ignored = tree({**files, "svc/.dockerignore": ".git\n"})
    named = tree({**files, "svc/Dockerfile.dockerignore": ".git\n"})
    narrow = tree({"Dockerfile": "FROM python:3.12\nCOPY src/ /app/src\n"})
    result = run(bare, "deploy-dockerignore")
    assert result.status == Status.FAIL and lines_of(result) == [("svc/Dockerfile", 2)]
    assert run(ignored, "deploy-dockerignore").status == Status.PASS
    assert run(named, "deploy-dockerignore").status == Status.PASS
    assert run(narrow, "deploy-dockerignore").status == Status.NOT_APPLICABLE


def test_remote_add_without_checksum(run, tree):
    bad = tree({"Dockerfile": "FROM python:3.12\nADD https://example.com/m.bin /m.bin\n"})
    checked = tree({"Dockerfile": f"FROM python:3.12\nADD --checksum={DIGEST} https://example.com/m.bin /m.bin\n"})
    local = tree({"Dockerfile": "FROM python:3.12\nADD app.tar.gz /app\n"})
    assert lines_of(run(bad, "deploy-dockerfile-no-remote-add")) == [("Dockerfile", 2)]
    assert run(checked, "deploy-dockerfile-no-remote-add").status == Status.PASS
    assert run(local, "deploy-dockerfile-no-remote-add").status == Status.PASS


def test_package_caches_in_the_shipped_stage_only(run, tree):
    bad = tree({"Dockerfile": """
        FROM python:3.12-slim
        RUN apt-get update && apt-get install -y curl
        RUN pip install fastapi
        RUN apk add curl
        """})
    clean = tree({"Dockerfile": """
        FROM python:3.12 AS build
        RUN pip install wheel
        FROM python:3.12-slim
        ENV PIP_NO_CACHE_DIR=1
        RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
        RUN pip install fastapi
        RUN --mount=type=cache,target=/var/cache/apk apk add curl
        """})
    result = run(bad, "deploy-dockerfile-cache-clean")
    assert result.status == Status.FAIL and [line for _, line in lines_of(result)] == [2, 3, 4]
    assert run(clean, "deploy-dockerfile-cache-clean").status == Status.PASS


def test_heredoc_bodies_stay_inside_their_run(run, tree):
    root = tree({"Dockerfile": """
        # syntax=docker/dockerfile:1
        FROM python:3.12-slim
        RUN <<EOF
        apt-get update
        apt-get install -y curl
        rm -rf /var/lib/apt/lists/*
        EOF
        USER 10001
        """})
    parsed = parse_dockerfile("Dockerfile", (root / "Dockerfile").read_text())
    assert [i.name for i in parsed.final.instructions] == ["RUN", "USER"]
    assert run(root, "deploy-dockerfile-cache-clean").status == Status.PASS
    assert run(root, "deploy-dockerfile-non-root").status == Status.PASS


def test_variable_substitution_forms():
    assert substitute("${A:-x}-${B}-$C-${D:+on}", {"B": "b", "C": "c", "D": "1"}) == ("x-b-c-on", True)
    assert substitute("${MISSING}", {}) == ("${MISSING}", False)


def test_no_dockerfile_is_one_failure_and_the_rest_not_applicable(run):
    assert run("none", "deploy-containerized").status == Status.FAIL
    for check in ("deploy-dockerfile-non-root", "deploy-dockerfile-base-pinned", "deploy-dockerfile-no-secrets",
                  "deploy-dockerfile-healthcheck", "deploy-dockerignore", "deploy-dockerfile-cache-clean"):
        assert run("none", check).status == Status.NOT_APPLICABLE, check


def test_unparseable_dockerfile_is_noted_not_crashed(run, tree):
    root = tree({"Dockerfile": "RUN echo no from line\n", "app.Dockerfile": "FROM python:3.12\nUSER 1000\n"})
    assert run(root, "deploy-dockerfile-non-root").status == Status.PASS  # the good one still counts
