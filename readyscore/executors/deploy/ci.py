"""CI/CD pipelines: do they run the tests, a security scan, a deployment; are third-party actions pinned.

Pipelines are read as text, line by line (comment lines skipped), because every CI system spells a
command differently but the commands themselves (`pytest`, `trivy`, `helm upgrade`) are the same.
GitHub Actions `uses:` references are read from the parsed YAML so each can cite its line.
"""

from __future__ import annotations

import posixpath
import re

from readyscore.executors.deploy import makefile
from readyscore.executors.deploy.findings import RuleOutcome
from readyscore.executors.deploy.inventory import CiFile, Inventory
from readyscore.executors.deploy.yamldoc import YList, YMap
from readyscore.model import EvidenceStrength

NO_CI = "no CI pipeline in the tree (repo-ci-pipeline reports that once)"

# `(?!\w)` keeps a tool's name inside a variable from counting as running it (`PYTEST_FLAGS: ...`,
# `export PYTEST_MAXFAIL=3`); `_found` keeps a scanner's name at the end of a path from counting
# (`rm -rf /opt/hostedtoolcache/CodeQL`) while `github/codeql-action/init@v3` still does.
# `make test` is not here: a make call counts only when the Makefile's target runs one of these
# (makefile.py), because `check:` is often linters only.
TESTS = re.compile(
    r"\b(py\.?test|python\d?(\.\d+)? -m (pytest|unittest)|tox\b|nox\b|hatch (test|run test)|"
    r"(npm|yarn|pnpm|bun)( run)? test\b|go test\b|cargo (test|nextest)\b|mvn .*\b(test|verify)\b|gradlew? .*\btest\b|"
    r"dotnet test\b|rspec\b|jest\b|vitest\b|playwright test\b|ginkgo\s+(run\b|-|\./)|phpunit\b|ctest\b)(?!\w)", re.IGNORECASE)
SECURITY_SCAN = re.compile(
    r"\b(bandit|pip-audit|safety (check|scan)|trivy|grype|snyk|semgrep|codeql|gitleaks|trufflehog|checkov|tfsec|"
    r"kics|zaproxy|owasp/zap|zap-(baseline|full-scan)|osv-scanner|dependency-review-action|anchore/scan-action|"
    r"scorecard-action|npm audit|yarn audit|gosec|govulncheck|cargo[- ]audit|brakeman|docker scout|"
    r"sonar(qube|cloud|-scanner)|readyscore audit|hadolint|kubesec|kube-score|polaris audit)\b", re.IGNORECASE)
DEPLOY = re.compile(
    r"\b(kubectl (apply|set image|rollout|replace|create)|helm(file)? (upgrade|install|sync|apply)|argocd app sync|"
    r"flux reconcile|kustomize build|skaffold (run|deploy)|gcloud (run deploy|app deploy|deploy|functions deploy)|"
    r"aws (ecs update-service|deploy |lambda update-function-code|cloudformation deploy)|sam deploy|cdk deploy|"
    r"terraform apply|pulumi up|serverless deploy|sls deploy|fly(ctl)? deploy|az (webapp|containerapp|aks)\b|"
    r"heroku container:release|kamal deploy|azure/k8s-deploy|amazon-ecs-deploy-task-definition|"
    r"deploy-cloudrun|azure/webapps-deploy|render-deploy|railway up|vercel .*--prod|ansible-playbook|"
    r"docker stack deploy|nomad job run|kubectl argo rollouts)", re.IGNORECASE)
PUBLISH = re.compile(r"\b(docker (image )?push|buildx build .*--push|docker/build-push-action|kaniko|"
                     r"jib:build|ko (build|publish)|crane push)\b", re.IGNORECASE)
# A pipeline that stands up a throwaway cluster (kind, minikube, k3d) installs the chart to test it:
# its `helm install` is an end-to-end test, not a deployment.
THROWAWAY_CLUSTER = re.compile(
    r"\b(kind create cluster|helm/kind-action|engineerd/setup-kind|container-tools/kind-action|"
    r"minikube (start|docker-env|image load)|minikube-setup|setup-minikube|use-context (minikube|kind-)|"
    r"k3d cluster create|k3d-action|setup-k3d|k3s-action)", re.IGNORECASE)
GITOPS_KINDS = {"Application", "ApplicationSet", "HelmRelease", "GitRepository"}
_SHA = re.compile(r"^[0-9a-f]{40}$")
_FIRST_PARTY = ("actions/", "github/")


# A workflow's or a step's `name:` is a label (`name: Go Test`), not a command.
_LABEL = re.compile(r"^(-\s*)?(name|description)\s*:")


def _command_lines(ci: CiFile):
    comment = "//" if ci.system == "jenkins" else "#"
    for number, line in enumerate(ci.text.splitlines()[:20_000], start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith(comment) and not _LABEL.match(stripped):
            yield number, stripped


_SHELL_STEP = re.compile(r"\b(sh|bat|powershell)\s*\(?\s*(['\"])(.+?)\2")
_CD = re.compile(r"^cd\s+([\w./-]+)\s*(&&|;|$)")


def _step_workdirs(ci: CiFile) -> dict[int, str]:
    """Line -> the working directory a GitHub Actions `run:` line executes in: the step's
    `working-directory`, else the job's or the workflow's `defaults.run.working-directory`, changed by a
    plain `cd dir` line earlier in the same run block. Lines outside any step run at the root."""
    found: dict[int, str] = {}
    data = ci.data
    if ci.system != "github-actions" or not isinstance(data, YMap) or not isinstance(data.get("jobs"), YMap):
        return found
    lines = ci.text.splitlines()

    def default(holder: object) -> str | None:
        run = holder.get("defaults", {}).get("run", {}) if isinstance(holder, YMap) else {}
        value = run.get("working-directory") if isinstance(run, dict) else None
        return value if isinstance(value, str) else None

    top = default(data)
    for job in data["jobs"].values():
        if not isinstance(job, YMap) or not isinstance(job.get("steps"), YList):
            continue
        job_dir = default(job) or top
        for step in job["steps"]:
            if not isinstance(step, YMap) or not isinstance(step.get("run"), str):
                continue
            workdir = step.get("working-directory") if isinstance(step.get("working-directory"), str) else job_dir
            workdir = workdir or "."
            if "${{" in workdir:
                workdir = "${{"  # decided at run time: no Makefile can be named
            start = step.line_of("run")
            for number in range(start, min(start + step["run"].count("\n") + 2, len(lines) + 1)):
                found[number] = workdir
                cd = _CD.match(lines[number - 1].strip())
                if cd and workdir != "${{" and cd.group(2) != "&&" and "$" not in cd.group(1):
                    workdir = posixpath.normpath(posixpath.join(workdir, cd.group(1)))
    return found


def _make_runs_tests(reader: makefile.MakeReader, line: str, workdir: str) -> tuple[bool, str]:
    """(whether a make call on this line runs tests, what was found); (False, '') when it makes none."""
    line = re.sub(r"^(-\s*)?(run|script):\s*", "", line)
    cd = _CD.match(line)
    if cd and cd.group(2) and "$" not in cd.group(1):
        workdir = posixpath.normpath(posixpath.join(workdir, cd.group(1)))
    quoted = _SHELL_STEP.search(line)  # Jenkins `sh 'make test'`: the command is the quoted text
    calls = makefile.make_calls(quoted.group(3) if quoted else line)
    notes = []
    for call in calls:
        if workdir == "${{":
            notes.append("make in a working directory set at run time")
            continue
        verdict = reader.judge(call, workdir)
        if verdict.runs_tests:
            return True, verdict.detail
        notes.append(verdict.detail)
    return False, "; ".join(notes)


def _continued(lines: list[str], number: int) -> str:
    """The command starting at `number` with its backslash-continued lines (`make \\` then targets)."""
    text, index = lines[number - 1].strip(), number
    while text.endswith("\\") and index < len(lines) and index - number < 20:
        text = text[:-1] + " " + lines[index].strip()
        index += 1
    return text


def _found(pattern: re.Pattern[str], line: str) -> re.Match[str] | None:
    for match in pattern.finditer(line):
        before = line[match.start() - 1] if match.start() else ""
        after = line[match.end()] if match.end() < len(line) else ""
        if before != "/" or after in ("-", "@", "/"):
            return match
    return None


def rule_pipeline_runs(inv: Inventory, what: str) -> RuleOutcome:
    """Any pipeline doing it is enough: one workflow tests, another deploys."""
    outcome = RuleOutcome(what="pipelines")
    if not inv.ci:
        outcome.not_applicable = NO_CI
        return outcome
    pattern = {"tests": TESTS, "security_scan": SECURITY_SCAN, "deploys": DEPLOY}[what]
    partial = []
    reader = makefile.MakeReader(inv.all_files or inv.files, TESTS)
    unconfirmed: list[str] = []  # make calls whose Makefile target runs no tests (or cannot be read)
    for ci in inv.ci:
        if what == "deploys" and any(THROWAWAY_CLUSTER.search(line) for _, line in _command_lines(ci)):
            continue
        workdirs = _step_workdirs(ci) if what == "tests" else {}
        lines = ci.text.splitlines()
        for number, line in _command_lines(ci):
            match = _found(pattern, line)
            if match:
                outcome.good(ci.path, number, f"{ci.system}: `{match.group(0)}`")
                break
            if what == "tests" and re.search(r"\b(g?make|\$\(MAKE\))\b", line):
                runs, detail = _make_runs_tests(reader, _continued(lines, number), workdirs.get(number, "."))
                if runs:
                    outcome.good(ci.path, number, f"{ci.system}: make: {detail}")
                    break
                if detail and len(unconfirmed) < 3:
                    unconfirmed.append(f"{ci.path}:{number}: {detail}")
            if what == "deploys" and (publish := PUBLISH.search(line)):
                partial.append((ci, number, publish.group(0)))
    if what == "deploys" and not outcome.findings:
        gitops = [o for o in inv.k8s if o.kind in GITOPS_KINDS
                  and o.api_version.split("/")[0].endswith(("argoproj.io", "fluxcd.io"))]
        for obj in gitops[:3]:
            outcome.good(obj.path, obj.line, f"deployed by GitOps: {obj.kind} {obj.name}")
        if not gitops and partial:
            ci, number, text = partial[0]
            outcome.good(ci.path, number, f"{ci.system}: publishes an image (`{text}`) but no deployment step",
                         score=0.5, strength=EvidenceStrength.DECLARED)
            outcome.summary = "the pipeline publishes an image but nothing deploys it"
    if what == "security_scan" and not outcome.findings:
        for name in (".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json", ".github/renovate.json"):
            if name in inv.dependency_bots:
                outcome.good(name, None, f"{name}: dependency updates, but no scan in the pipeline",
                             score=0.5, strength=EvidenceStrength.DECLARED)
    if not outcome.findings:
        label = {"tests": "runs the tests", "security_scan": "runs a security scan (SAST, dependency or image scan)",
                 "deploys": "deploys"}[what]
        seen_make = f" (make calls not counted: {'; '.join(unconfirmed)})" if unconfirmed else ""
        for ci in inv.ci:
            outcome.bad(ci.path, 1, f"{ci.system}: nothing here {label}{seen_make}")
    elif all(f.score < 1 for f in outcome.findings if f.ok):
        # Weaker evidence only: partial credit, never a gate pass.
        for finding in outcome.findings:
            finding.ok, finding.unknown = False, True
    return outcome


def _uses(data: object):
    """(reference, line) of every `uses:` in a workflow: job-level (reusable workflows) and step-level."""
    jobs = data.get("jobs") if isinstance(data, YMap) else None
    if not isinstance(jobs, YMap):
        return
    for job in jobs.values():
        if not isinstance(job, YMap):
            continue
        if isinstance(job.get("uses"), str):
            yield job["uses"], job.line_of("uses")
        steps = job.get("steps")
        if isinstance(steps, YList):
            for step in steps:
                if isinstance(step, YMap) and isinstance(step.get("uses"), str):
                    yield step["uses"], step.line_of("uses")


def rule_actions_pinned(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="third-party actions and orbs")
    workflows = [ci for ci in inv.ci if ci.system in ("github-actions", "circleci")]
    if not workflows:
        outcome.not_applicable = "no GitHub Actions workflow or CircleCI config"
        return outcome
    for ci in workflows:
        if ci.system == "circleci":
            orbs = ci.data.get("orbs") if isinstance(ci.data, YMap) else None
            for name, ref in (orbs.items() if isinstance(orbs, YMap) else []):
                version = str(ref).rpartition("@")[2]
                if re.fullmatch(r"\d+\.\d+\.\d+", version):
                    outcome.good(ci.path, orbs.line_of(name), f"orb {ref} pinned")
                else:
                    outcome.bad(ci.path, orbs.line_of(name), f"orb {ref} floats (pin an exact x.y.z version)")
            continue
        for ref, line in _uses(ci.data):
            if ref.startswith("./") or ref.startswith(_FIRST_PARTY):
                continue  # local actions and GitHub's own are trusted with a tag
            if ref.startswith("docker://"):
                pinned = "@sha256:" in ref
            else:
                pinned = bool(_SHA.match(ref.rpartition("@")[2]))
            if pinned:
                outcome.good(ci.path, line, f"{ref.split('@')[0]} pinned to a commit")
            else:
                outcome.bad(ci.path, line, f"{ref}: a tag or branch can be moved to new code; pin the commit SHA")
    if not outcome.findings:
        outcome.not_applicable = "no third-party actions used"
    return outcome
