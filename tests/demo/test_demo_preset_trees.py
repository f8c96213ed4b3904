"""The preset source trees are well-formed fixtures (every file parses) and each level holds
strictly more of the evidence readyscore's static and deploy checks look for."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

PRESETS = Path(__file__).resolve().parents[2] / "readyscore" / "demo" / "presets"
LEVELS = ["level1", "level2", "level3", "level4"]


def files(level: str) -> dict[str, str]:
    root = PRESETS / level
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*"))
            if p.is_file()}


# What a reviewer would look for at each level: (description, path pattern, content pattern or None).
EVIDENCE = {
    "level1": [("an API", r"app/main\.py", r"@app\.post\(\"/v1/chat/completions\"\)"), ("a README", r"README\.md", None)],
    "level2": [("API-key auth", r"app/.*\.py", r"HTTPBearer|APIKeyHeader"),
               ("a rate limiter", r"app/main\.py", r"slowapi"),
               ("validated input", r"app/schemas\.py", r"Field\(.*le="),
               ("persistence", r"app/db\.py", r"sqlalchemy"),
               ("tests", r"tests/test_.*\.py", r"def test_"),
               ("pinned requirements", r"requirements\.txt", r"==\d"),
               ("a .gitignore", r"\.gitignore", r"\.env"),
               ("CI running the tests", r"\.github/workflows/ci\.yml", r"pytest")],
    "level3": [("Prometheus metrics", r"app/.*\.py", r"prometheus_client"),
               ("JSON logs", r"app/.*\.py", r"structlog"),
               ("readiness", r"app/main\.py", r"/readyz"),
               ("retries with timeouts", r"app/upstream\.py", r"tenacity[\s\S]*Timeout"),
               ("tracing", r"app/.*\.py", r"opentelemetry"), ("error tracking", r"app/.*\.py", r"sentry_sdk"),
               ("migrations", r"migrations/versions/0001_.*\.py", r"op\.create_table"),
               ("input moderation with a cache", r"app/moderation\.py", r"^(?=[\s\S]*/moderations)(?=[\s\S]*TTLCache)"),
               ("a non-root image with a health check", r"Dockerfile", r"USER 10001[\s\S]*HEALTHCHECK"),
               ("probes and limits", r"deploy/k8s/.*\.yaml", r"^(?=[\s\S]*readinessProbe)(?=[\s\S]*limits:)"),
               ("alert rules", r"deploy/monitoring/alerts\.yaml", r"PrometheusRule"),
               ("a dashboard", r"deploy/monitoring/dashboard\.json", r"panels"),
               ("CI with a security scan", r"\.github/workflows/ci\.yml", r"bandit"),
               ("a runbook", r"RUNBOOK\.md", None), ("a security policy", r"SECURITY\.md", None)],
    "level4": [("two regions", r"infra/.*\.tf", r"alias\s+=\s+\"secondary\""),
               ("a WAF", r"infra/.*\.tf", r"aws_wafv2_web_acl"),
               ("DDoS protection", r"infra/.*\.tf", r"aws_shield_protection"),
               ("a resilient database", r"infra/rds\.tf", r"multi_az\s+=\s+true[\s\S]*backup_retention_period"),
               ("a canary", r"deploy/k8s/rollout\.yaml", r"kind: Rollout[\s\S]*canary"),
               ("a network policy", r"deploy/k8s/networkpolicy\.yaml", r"NetworkPolicy"),
               # Autoscaling and self-healing are Level 4 in the readiness model.
               ("an autoscaler", r"deploy/k8s/hpa\.yaml", r"HorizontalPodAutoscaler"),
               ("a disruption budget", r"deploy/k8s/pdb\.yaml", r"PodDisruptionBudget"),
               ("declared output sanitising", r"app/output\.py", r"def sanitise"),
               ("SLOs", r"slo/.*\.yaml", r"openslo/v1"),
               ("an audit log with retention", r"app/audit\.py", r"retention"),
               ("a retention policy", r"docs/data-retention\.md", None), ("a privacy notice", r"PRIVACY\.md", None),
               ("PII redaction", r"app/pii\.py", r"REDACTED"),
               ("token budgets", r"app/budgets\.py", r"budget"),
               ("versioned prompts", r"prompts/v1/.*\.yaml", r"version: v1")],
}


def has(tree: dict[str, str], path: str, content: str | None) -> bool:
    return any(re.fullmatch(path, name) and (content is None or re.search(content, text, re.IGNORECASE))
               for name, text in tree.items())


@pytest.mark.parametrize("level", LEVELS)
def test_every_file_parses(level):
    for name, text in files(level).items():
        if name.endswith(".py"):
            ast.parse(text, filename=name)
        elif name.endswith((".yaml", ".yml")):
            list(yaml.safe_load_all(text))
        elif name.endswith(".json"):
            json.loads(text)


@pytest.mark.parametrize("index", range(len(LEVELS)))
def test_each_level_has_its_evidence_and_everything_below(index):
    tree = files(LEVELS[index])
    for level in LEVELS[: index + 1]:
        missing = [what for what, path, content in EVIDENCE[level] if not has(tree, path, content)]
        assert not missing, f"{LEVELS[index]} lacks {level} evidence: {missing}"
    for level in LEVELS[index + 1:]:
        present = [what for what, path, content in EVIDENCE[level] if has(tree, path, content)]
        assert not present, f"{LEVELS[index]} already has {level} evidence: {present}"


def test_level1_carries_the_classic_prototype_flaws():
    tree = files("level1")
    main = tree["app/main.py"]
    for flaw in (r'allow_origins=\["\*"\]', r"allow_credentials=True", r"debug=True", r'host="0\.0\.0\.0"',
                 r'OPENAI_API_KEY = "sk-proj-', r"CONVERSATIONS = \{\}"):
        assert re.search(flaw, main), flaw
    assert "timeout" not in main
    assert "FROM python:latest" in tree["Dockerfile"] and "USER" not in tree["Dockerfile"]
    assert ".env" in tree and "==" not in tree["requirements.txt"]


def test_fake_secrets_say_they_are_fake():
    # "not a real key", not "FAKE": a provider-shaped key that says fake is a stand-in to the
    # secret rules, and the level1 tree's key is planted to be found.
    for level in LEVELS:
        for name, text in files(level).items():
            for key in re.findall(r"sk-[A-Za-z0-9_-]{20,}", text):
                assert "not0a0real0key" in key, (level, name)


def test_the_readme_says_the_trees_are_intentional_fixtures():
    text = (PRESETS / "README.md").read_text()
    assert "intentional" in text.lower() and "fixture" in text.lower()
