"""Compose rules: the bad fixture's findings with their lines, and a safe twin without them."""

from __future__ import annotations

from readyscore.model import Status

SAFE = """
services:
  api:
    build: .
    restart: unless-stopped
    environment:
      OPENAI_API_KEY: ${OPENAI_API_KEY}
      LOG_LEVEL: info
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]
    deploy:
      resources:
        limits: {memory: 2g}
    depends_on:
      db: {condition: service_healthy}
  db:
    image: postgres:16
    restart: always
    mem_limit: 1g
    environment:
      - POSTGRES_PASSWORD_FILE=/run/secrets/db
    healthcheck:
      test: ["CMD", "pg_isready"]
"""


def cited(result):
    return [(e.path, e.line) for e in result.evidence]


def test_bad_compose_findings_cite_their_lines(run):
    assert cited(run("bad", "deploy-compose-no-privileged")) == [("docker-compose.yml", 4), ("docker-compose.yml", 5)]
    assert cited(run("bad", "deploy-compose-no-inline-secrets")) == [("docker-compose.yml", 7),
                                                                     ("docker-compose.yml", 13)]
    assert cited(run("bad", "deploy-compose-depends-healthy")) == [("docker-compose.yml", 9)]
    for check in ("deploy-compose-healthcheck", "deploy-compose-restart", "deploy-compose-resources"):
        assert cited(run("bad", check)) == [("docker-compose.yml", 2), ("docker-compose.yml", 10)], check


def test_safe_twin_passes_every_compose_check(run, tree):
    root = tree({"compose.yaml": SAFE})
    for check in ("deploy-compose-no-privileged", "deploy-compose-no-inline-secrets", "deploy-compose-depends-healthy",
                  "deploy-compose-healthcheck", "deploy-compose-restart", "deploy-compose-resources"):
        result = run(root, check)
        assert result.status == Status.PASS, (check, result.message, result.evidence)


def test_inline_secret_values_never_reach_the_report(run):
    result = run("bad", "deploy-compose-no-inline-secrets")
    text = " ".join(e.message for e in result.evidence)
    assert "fixture-literal" not in text and "OPENAI_API_KEY" in text


def test_docker_socket_mount_is_privileged(run, tree):
    root = tree({"compose.yaml": "services:\n  agent:\n    image: x:1\n    volumes:\n"
                                 "      - /var/run/docker.sock:/var/run/docker.sock\n"})
    result = run(root, "deploy-compose-no-privileged")
    assert result.status == Status.FAIL and result.evidence[0].line == 4


def test_no_compose_is_not_applicable(run):
    assert run("good", "deploy-compose-healthcheck").status == Status.NOT_APPLICABLE
