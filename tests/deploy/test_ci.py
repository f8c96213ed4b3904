"""CI/CD pipeline rules on fixture trees and their twins."""

from __future__ import annotations

from readyscore.model import Status

SHA = "e92bafb6253dcd438e0484186d7669ea7a8ca1cc"


def test_good_pipeline_tests_scans_deploys_and_pins(run):
    for check in ("deploy-ci-tests", "deploy-ci-security-scan", "deploy-ci-deploys", "deploy-ci-actions-pinned"):
        result = run("good", check)
        assert result.status == Status.PASS, (check, result.message)
    tests = run("good", "deploy-ci-tests").evidence[0]
    assert (tests.path, tests.line) == (".github/workflows/ci.yml", 9)


def test_bad_pipeline(run):
    assert run("bad", "deploy-ci-tests").status == Status.FAIL  # "pytest" only appears in a comment
    assert run("bad", "deploy-ci-security-scan").status == Status.FAIL
    deploys = run("bad", "deploy-ci-deploys")
    assert deploys.status == Status.PARTIAL and "publishes an image" in deploys.message
    pinned = run("bad", "deploy-ci-actions-pinned")
    assert pinned.status == Status.FAIL
    assert [(e.path, e.line) for e in pinned.evidence] == [(".github/workflows/ci.yml", 8)]


def test_first_party_and_local_actions_need_no_sha(run, tree):
    root = tree({".github/workflows/ci.yml": f"""
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: ./.github/actions/setup
              - uses: docker://alpine@sha256:{"ab" * 32}
              - uses: pypa/gh-action-pypi-publish@{SHA}
          reuse:
            uses: acme/workflows/.github/workflows/deploy.yml@main
        """})
    result = run(root, "deploy-ci-actions-pinned")
    assert result.status == Status.FAIL and [e.line for e in result.evidence] == [11]
    assert result.metrics["good"] == 2


def test_other_ci_systems_are_read(run, tree):
    gitlab = tree({".gitlab-ci.yml": "test:\n  script:\n    - python -m pytest\nscan:\n  script:\n    - trivy fs .\n"
                                     "deploy:\n  script:\n    - kubectl apply -k overlays/prod\n"})
    jenkins = tree({"Jenkinsfile": "pipeline {\n  stages {\n    // pytest would go here\n"
                                   "    stage('t') { steps { sh 'make test' } }\n  }\n}\n",
                    "Makefile": "test:\n\tpython -m pytest\n"})  # make test counts through its Makefile
    assert run(gitlab, "deploy-ci-tests").status == Status.PASS
    assert run(gitlab, "deploy-ci-security-scan").evidence[0].line == 6
    assert run(gitlab, "deploy-ci-deploys").status == Status.PASS
    assert run(gitlab, "deploy-ci-actions-pinned").status == Status.NOT_APPLICABLE
    result = run(jenkins, "deploy-ci-tests")
    assert result.status == Status.PASS and result.evidence[0].line == 4


def test_gitops_counts_as_deployment(run, tree):
    root = tree({".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    steps:\n      - run: pytest\n",
                 "argocd/app.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: api}\n"})
    result = run(root, "deploy-ci-deploys")
    assert result.status == Status.PASS and result.evidence[0].path == "argocd/app.yaml"


def test_dependency_bot_alone_is_partial_credit(run, tree):
    root = tree({".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    steps:\n      - run: pytest\n",
                 ".github/dependabot.yml": "version: 2\n"})
    assert run(root, "deploy-ci-security-scan").status == Status.PARTIAL


def test_no_pipeline_is_left_to_repo_ci_pipeline(run):
    for check in ("deploy-ci-tests", "deploy-ci-security-scan", "deploy-ci-deploys", "deploy-ci-actions-pinned"):
        assert run("none", check).status == Status.NOT_APPLICABLE
