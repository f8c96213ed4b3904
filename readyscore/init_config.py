"""`readyscore init`: a commented readyscore.yaml for the repository in front of it.

It looks (read-only, bounded) at what the tree holds — the language and web framework, container,
Kubernetes, Helm and Terraform files, CI pipelines, test fixtures — and writes a config whose
comments say what was found and which settings matter for it. Every line it writes is valid: the
result loads with the same strict model `readyscore audit` uses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from readyscore.files import FileIndex

MAX_MANIFESTS_READ = 200  # YAML files opened to tell Kubernetes manifests from other YAML
MAX_MANIFEST_BYTES = 64 * 1024
FRAMEWORKS = ("fastapi", "flask", "django", "starlette", "litestar", "aiohttp", "vllm", "litellm",
              "langchain", "llama-index", "openai", "anthropic", "transformers", "express", "nestjs")
_EXPOSE = re.compile(r"^\s*EXPOSE\s+(\d{2,5})", re.MULTILINE | re.IGNORECASE)
_K8S = re.compile(r"^apiVersion:\s*\S+\s*$.*?^kind:\s*\w+", re.MULTILINE | re.DOTALL)


@dataclass
class Detected:
    languages: list[str] = field(default_factory=list)
    frameworks: list[str] = field(default_factory=list)
    dockerfiles: list[str] = field(default_factory=list)
    compose: list[str] = field(default_factory=list)
    kubernetes: list[str] = field(default_factory=list)
    helm: list[str] = field(default_factory=list)
    terraform: bool = False
    ci: list[str] = field(default_factory=list)
    fixtures: list[str] = field(default_factory=list)
    port: int | None = None
    files: int = 0


def detect(root: Path) -> Detected:
    index = FileIndex(root)
    found = Detected(files=len(index.files))
    names = [f.rel for f in index.files]
    if index.glob("pyproject.toml", "setup.py", "setup.cfg", "requirements*.txt", "**/*.py"):
        found.languages.append("Python")
    if index.glob("package.json"):
        found.languages.append("JavaScript/TypeScript")
    if index.glob("go.mod"):
        found.languages.append("Go")

    manifest_text = " ".join((index.read_text(f.rel, limit=256 * 1024) or "").lower() for f in index.glob(
        "pyproject.toml", "requirements*.txt", "requirements/*.txt", "setup.cfg", "Pipfile", "package.json"))
    found.frameworks = [name for name in FRAMEWORKS if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])",
                                                                 manifest_text)]

    found.dockerfiles = [f.rel for f in index.glob("Dockerfile", "**/Dockerfile", "*.Dockerfile", "**/Containerfile")]
    for rel in found.dockerfiles[:5]:
        match = _EXPOSE.search(index.read_text(rel, limit=MAX_MANIFEST_BYTES) or "")
        if match and 1 <= int(match.group(1)) <= 65535:
            found.port = int(match.group(1))
            break
    found.compose = [f.rel for f in index.glob("docker-compose*.y*ml", "compose*.y*ml", "**/docker-compose*.y*ml")]
    found.helm = [str(Path(f.rel).parent) for f in index.glob("Chart.yaml", "**/Chart.yaml")]
    yaml_files = [f for f in index.glob("**/*.yaml", "**/*.yml", "*.yaml", "*.yml")
                  if not f.rel.startswith((".github/", ".gitlab")) and f.rel not in found.compose]
    for entry in yaml_files[:MAX_MANIFESTS_READ]:
        if _K8S.search(index.read_text(entry.rel, limit=MAX_MANIFEST_BYTES) or ""):
            found.kubernetes.append(entry.rel)
    found.terraform = bool(index.glob("**/*.tf", "*.tf"))
    if index.glob(".github/workflows/*.yml", ".github/workflows/*.yaml"):
        found.ci.append("GitHub Actions")
    if ".gitlab-ci.yml" in names:
        found.ci.append("GitLab CI")
    if "Jenkinsfile" in names:
        found.ci.append("Jenkins")
    found.fixtures = sorted({"/".join(rel.split("/")[:2]) for rel in names
                             if re.match(r"^tests?/(fixtures|data|testdata)/", rel)})
    return found


def _listed(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def render_config(found: Detected, profile: str | None = None, url: str | None = None) -> str:
    deploys = bool(found.dockerfiles or found.compose or found.kubernetes or found.helm or found.terraform)
    chosen = profile or "default"
    lines = [
        "# readyscore project config: `readyscore audit .` reads it from the repository root.",
        "# Reference: `readyscore profiles list`, `readyscore checks list`, docs/ci.md.",
        "#",
        "# What `readyscore init` found here:",
        f"#   {found.files} files; language: {', '.join(found.languages) or 'not recognised'}"
        + (f"; frameworks: {', '.join(found.frameworks)}" if found.frameworks else ""),
    ]
    for label, items in (("container", found.dockerfiles), ("compose", found.compose),
                         ("Kubernetes manifests", found.kubernetes), ("Helm charts", found.helm)):
        if items:
            lines.append(f"#   {label}: {_listed(items)}")
    if found.terraform:
        lines.append("#   Terraform files")
    lines.append(f"#   CI: {', '.join(found.ci) if found.ci else 'none found (see docs/ci.md for ready-made recipes)'}")
    lines += ["schema_version: 1", "",
              "# The readiness model: default (balanced), startup (lighter gates), enterprise (strict),",
              "# ci-fast (static and deploy only, for pull requests). `readyscore profiles show NAME`."]
    if not deploys and profile is None:
        lines.append("# No deployment files were found: the deployment gates will hold the level back until they exist.")
    lines += [f"profile: {json.dumps(chosen)}", ""]  # a JSON string is a YAML string, whatever it holds

    placeholder = f"http://127.0.0.1:{found.port}" if found.port else "http://127.0.0.1:8000"
    lines += ["# The running service for the live and load checks (OpenAI-compatible by default).",
              "# Its API key is read from the environment (READYSCORE_API_KEY), never from this file."]
    lines.append(f"url: {json.dumps(url)}" if url else f"# url: {placeholder}")
    lines += ["",
              "# CI gates (the command line's --fail-under / --min-level override them).",
              "# fail_under: 50", "# min_level: 2", ""]

    lines += ["# Paths (globs, relative to this folder) no file-based check reads."]
    excludes = [f"{folder}/**" for folder in found.fixtures]
    if excludes:
        lines.append("# Test fixtures may hold deliberate secrets and bad configs:")
        lines.append("exclude:")
        lines += [f"  - {pattern!r}" if any(c in pattern for c in "*:#") else f"  - {pattern}" for pattern in excludes]
    else:
        lines += ["exclude: []", "#  - 'tests/fixtures/**'"]
    lines += ["",
              "# Accepted risks: a reason, an owner and an expiry; the report shows the score with and",
              "# without them.",
              "suppressions: []",
              "#  - check: repo-no-env-file",
              "#    path: deploy/dev.env",
              "#    reason: local development values only, no real secrets",
              "#    owner: platform-team",
              "#    expires: 2026-12-31",
              "",
              "# Settings of the live probes when the API is not at the OpenAI paths:",
              "# live:",
              "#   chat_path: /v1/chat/completions",
              "#   models_path: /v1/models",
              "#   auth_header: Authorization",
              "#   auth_scheme: Bearer",
              "#   liveness_paths: [/healthz]",
              "#   readiness_paths: [/readyz]"]
    return "\n".join(lines) + "\n"


class InitError(Exception):
    pass


def write_config(root: Path, profile: str | None = None, url: str | None = None, force: bool = False) -> Path:
    from readyscore.config import PROJECT_CONFIG_NAMES

    if not root.is_dir():
        raise InitError(f"{root}: not a folder")
    existing = [root / name for name in PROJECT_CONFIG_NAMES if (root / name).exists()]
    if existing and not force:
        raise InitError(f"{existing[0]} already exists; use --force to overwrite it")
    target = existing[0] if existing else root / PROJECT_CONFIG_NAMES[0]
    from readyscore.report import write_atomic

    write_atomic(target, render_config(detect(root), profile, url))
    return target
