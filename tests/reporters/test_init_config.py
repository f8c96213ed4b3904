"""`readyscore init`: what it finds in a repository, and that what it writes is a valid config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from report_factory import write_tree
from typer.testing import CliRunner

from readyscore.cli import app
from readyscore.config import load_project_config
from readyscore.init_config import detect, render_config

SERVICE = {
    "requirements.txt": "fastapi==0.110.0\nuvicorn==0.29.0\nopenai==1.30.0\n",
    "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    "Dockerfile": "FROM python:3.12-slim\nEXPOSE 9000\nUSER app\n",
    "deploy/k8s/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n",
    "deploy/values.yaml": "replicas: 2\n",  # YAML, but not a manifest
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
    "tests/fixtures/leaky/.env": "TOKEN=deliberate\n",
    "tests/test_api.py": "def test_ok():\n    pass\n",
}


def readyscore(*args: str, cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", "readyscore", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NO_COLOR": "1"})


def test_detects_language_framework_deployment_ci_and_fixtures(tmp_path):
    found = detect(write_tree(tmp_path / "svc", SERVICE))
    assert found.languages == ["Python"]
    assert {"fastapi", "openai"} <= set(found.frameworks) and "flask" not in found.frameworks
    assert found.dockerfiles == ["Dockerfile"] and found.port == 9000
    assert found.kubernetes == ["deploy/k8s/deployment.yaml"]
    assert found.ci == ["GitHub Actions"] and found.fixtures == ["tests/fixtures"]


def test_the_written_config_loads_with_the_strict_model_and_says_what_it_found(tmp_path):
    root = write_tree(tmp_path / "svc", SERVICE)
    path = root / "readyscore.yaml"
    path.write_text(render_config(detect(root)))
    config = load_project_config(path)
    assert config.profile == "default" and config.url is None
    assert config.exclude == ["tests/fixtures/**"] and config.suppressions == []
    text = path.read_text()
    assert "# url: http://127.0.0.1:9000" in text  # the port the Dockerfile exposes
    assert "Kubernetes manifests: deploy/k8s/deployment.yaml" in text and "CI: GitHub Actions" in text


def test_an_empty_folder_still_gets_a_valid_config_that_says_what_is_missing(tmp_path):
    (tmp_path / "empty").mkdir()
    path = tmp_path / "empty" / "readyscore.yaml"
    path.write_text(render_config(detect(tmp_path / "empty"), url="http://127.0.0.1:1/#a: b"))
    config = load_project_config(path)
    assert config.url == "http://127.0.0.1:1/#a: b" and config.exclude == []
    assert "No deployment files were found" in path.read_text()
    assert "CI: none found" in path.read_text()


def test_init_writes_refuses_to_overwrite_and_the_audit_then_uses_the_config(tmp_path):
    root = write_tree(tmp_path / "svc", {"README.md": "# svc\n", "app.py": "print(1)\n"})
    first = CliRunner().invoke(app, ["init", str(root), "--profile", "startup"])
    assert first.exit_code == 0, first.output
    assert "profile: \"startup\"" in (root / "readyscore.yaml").read_text()
    again = readyscore("init", str(root))  # as a user meets it: one line, exit 2, no traceback
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    assert CliRunner().invoke(app, ["init", str(root), "--force"]).exit_code == 0
    assert "profile: \"default\"" in (root / "readyscore.yaml").read_text()

    (root / "readyscore.yaml").write_text((root / "readyscore.yaml").read_text().replace('"default"', '"startup"'))
    audited = readyscore("audit", str(root), "-o", str(tmp_path / "out"), "-q", "-f", "json", "--sources", "static")
    assert audited.returncode == 0, audited.stderr
    assert '"name": "startup"' in (tmp_path / "out" / "report.json").read_text()


def test_init_rejects_a_bad_url_or_profile_without_writing(tmp_path):
    root = write_tree(tmp_path / "svc", {"README.md": "# svc\n"})
    assert readyscore("init", str(root), "--url", "ftp://x").returncode == 2
    assert CliRunner().invoke(app, ["init", str(root), "--profile", "nonexistent"]).exit_code != 0
    assert not (root / "readyscore.yaml").exists()
    printed = CliRunner().invoke(app, ["init", str(root), "--stdout"])
    assert printed.exit_code == 0 and printed.stdout.startswith("# readyscore project config")
    assert not (root / "readyscore.yaml").exists()
