"""The CI recipes in docs/recipes/ and the pre-commit hook, exercised as far as a test can: their
YAML is what the CI system expects, and the shell each one runs really runs here — against a small
repository, with the environment the CI system would give it — and produces the files the later
steps upload."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml
from report_factory import write_tree

REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "docs" / "recipes"
SARIF_SCHEMA = json.loads((REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())
TIDY = {
    "README.md": "# service\n",
    ".gitignore": ".env\n.readyscore/\n",
    "SECURITY.md": "Report vulnerabilities to security@example.com\n",
    "requirements.txt": "fastapi==0.110.0\n",
    "app.py": "print('hello')\n",
    "tests/test_app.py": "def test_ok():\n    assert True\n",
}


@pytest.fixture(scope="module")
def waivers(tmp_path_factory) -> dict:
    """Other families keep adding high-severity checks a bare fixture cannot satisfy (authentication,
    rate limiting ...). The fixture waives those in its readyscore.yaml, the way a team records
    accepted risks, so these tests keep exercising the recipes, whatever the catalog holds.
    Found once per module by auditing the fixture."""
    root = write_tree(tmp_path_factory.mktemp("probe") / "repo", TIDY)
    out = root.parent / "out"
    proc = subprocess.run([sys.executable, "-m", "readyscore", "audit", str(root), "--profile", "ci-fast", "-q",
                           "-f", "json", "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads((out / "report.json").read_text())
    high = [r["check_id"] for r in report["results"] if r["status"] == "fail" and r["severity"] in ("high", "critical")]
    assert "repo-no-env-file" not in high
    return {"suppressions": [{"check": check_id, "reason": "recipe test fixture: not a real service",
                              "owner": "tests"} for check_id in high]}


@pytest.fixture()
def tidy_repo(tmp_path, waivers) -> Path:
    """A small repository that passes the recipes' gate (--fail-on high)."""
    root = write_tree(tmp_path / "repo", TIDY)
    (root / "readyscore.yaml").write_text(yaml.safe_dump(waivers))
    return root


def ci_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a CI runner gives a step, with this test's readyscore first on the PATH."""
    bindir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "NO_COLOR": "1",
            "READYSCORE_API_KEY": "", **extra}


def run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def assert_valid_sarif(path: Path) -> dict:
    log = json.loads(path.read_text())
    errors = list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log))
    assert not errors, errors[0].message
    return log


# --------------------------------------------------------------------------------------------
# GitHub Actions


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load((RECIPES / "github-actions.yml").read_text())


def step(workflow: dict, name: str) -> dict:
    return next(s for s in workflow["jobs"]["readiness"]["steps"] if s.get("name") == name)


def test_the_workflow_has_the_permissions_and_steps_code_scanning_needs(workflow):
    assert workflow["permissions"]["security-events"] == "write"
    assert set(workflow[True] if True in workflow else workflow["on"]) == {"pull_request", "push"}  # `on` is YAML 1.1's True
    upload = step(workflow, "Upload the findings to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@") and upload["if"] == "always()"
    assert upload["with"]["sarif_file"] == "readyscore-report/report.sarif"
    artifact = step(workflow, "Keep the HTML report")
    assert artifact["uses"].startswith("actions/upload-artifact@") and artifact["if"] == "always()"
    for s in workflow["jobs"]["readiness"]["steps"]:  # no ${{ }} inside scripts: values go through env
        assert "${{" not in s.get("run", ""), s["name"]


def test_the_workflow_audits_keeps_a_baseline_and_gates_a_regressing_pull_request(workflow, tidy_repo, tmp_path):
    repo = tidy_repo
    audit = step(workflow, "Audit")["run"]
    make_baseline = step(workflow, "Make this audit the baseline of main")["run"]
    gate = step(workflow, "Gate")["run"]

    # 1. A push to main: no baseline yet; the audit passes and becomes the baseline.
    main_out, summary = tmp_path / "main-output", tmp_path / "main-summary.md"
    env = ci_env(tmp_path, GITHUB_OUTPUT=str(main_out), GITHUB_STEP_SUMMARY=str(summary), GITHUB_SHA="a" * 40,
                 READYSCORE_URL="")
    proc = run_step(audit, repo, env)
    assert proc.returncode == 0, proc.stderr
    assert outputs(main_out)["exit"] == "0", proc.stderr
    assert summary.read_text().startswith("<!-- readyscore-report -->")
    assert_valid_sarif(repo / "readyscore-report" / "report.sarif")
    assert (repo / "readyscore-report" / "report.html").is_file()  # what upload-artifact keeps
    assert run_step(make_baseline, repo, env).returncode == 0
    assert (repo / ".readyscore" / "baseline.json").is_file() and (repo / ".readyscore" / "history.jsonl").is_file()

    # 2. A pull request that commits a .env file: regression against main and a high finding.
    shutil.rmtree(repo / "readyscore-report")
    (repo / ".env").write_text("OPENAI_API_KEY=placeholder\n")
    pr_out, pr_summary = tmp_path / "pr-output", tmp_path / "pr-summary.md"
    env = ci_env(tmp_path, GITHUB_OUTPUT=str(pr_out), GITHUB_STEP_SUMMARY=str(pr_summary), GITHUB_SHA="b" * 40,
                 READYSCORE_URL="")
    proc = run_step(audit, repo, env)
    assert proc.returncode == 0  # the step records the exit code; the Gate step fails the job
    assert outputs(pr_out)["exit"] == "1"
    assert "Regression" in pr_summary.read_text() and "repo-no-env-file" in pr_summary.read_text()
    log = assert_valid_sarif(repo / "readyscore-report" / "report.sarif")
    env_results = [r for r in log["runs"][0]["results"] if r["ruleId"] == "repo-no-env-file"]
    assert env_results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".env"
    assert len(json.loads((repo / ".readyscore" / "history.jsonl").read_text().splitlines()[-1])["commit"]) == 12
    assert run_step(gate, repo, {**env, "AUDIT_EXIT": "1"}).returncode == 1


# --------------------------------------------------------------------------------------------
# GitLab CI


def test_the_gitlab_job_publishes_a_junit_report_of_every_check(tidy_repo, tmp_path):
    job = yaml.safe_load((RECIPES / "gitlab-ci.yml").read_text())["readyscore"]
    junit_path = job["artifacts"]["reports"]["junit"]
    assert job["artifacts"]["when"] == "always" and "readyscore-report/" in job["artifacts"]["paths"]
    repo = tidy_repo
    (repo / ".env").write_text("TOKEN=x\n")
    env = ci_env(tmp_path, CI_COMMIT_SHA="c" * 40)
    lines = [line for line in job["script"] if not line.startswith("pip install")]  # installed already
    results = [run_step(line, repo, env) for line in lines]
    assert results[-1].returncode == 1  # the committed .env is a high-severity finding
    root = ET.parse(repo / junit_path).getroot()
    names = {case.get("name").split(":")[0]: case for case in root.iter("testcase")}
    assert int(root.get("tests")) == len(names) > 5
    assert names["repo-no-env-file"].find("failure") is not None and names["repo-readme"].find("failure") is None


# --------------------------------------------------------------------------------------------
# pre-commit


@pytest.fixture(scope="module")
def hook() -> dict:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["readyscore"]
    return hooks[0]


def test_the_hook_manifest_and_the_recipe_are_valid_for_pre_commit(hook):
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    for command in (["validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
                    ["validate-config", str(RECIPES / "pre-commit-config.yaml")]):
        proc = subprocess.run([pre_commit, *command], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    recipe = yaml.safe_load((RECIPES / "pre-commit-config.yaml").read_text())
    assert recipe["repos"][0]["hooks"][0]["id"] == hook["id"]
    assert hook["pass_filenames"] is False and hook["language"] == "python" and "--profile ci-fast" in hook["entry"]


def test_the_hook_passes_a_tidy_repository_and_stops_a_commit_with_a_dotenv(hook, tidy_repo, tmp_path):
    repo = tidy_repo
    env = ci_env(tmp_path)
    command = shlex.split(hook["entry"])
    command[0] = str(Path(sys.executable).parent / command[0])  # what pre-commit's hook env provides
    clean = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert not any((repo / ".readyscore").iterdir())  # the hook writes no report files into the repository
    (repo / ".env").write_text("TOKEN=x\n")
    dirty = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert dirty.returncode == 1 and "repo-no-env-file" in dirty.stderr
