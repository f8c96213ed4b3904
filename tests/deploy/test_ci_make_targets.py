"""`make <target>` in CI counts as running the tests only when the Makefile's target does.

Met on real repositories (bench/corpus): envoyproxy/ai-gateway and kserve run `make check` in CI, and
their Makefiles say `check: precommit` (linters, formatters, generated-code diffs). The twins keep the
runner present in the target, in a prerequisite, in a `$(MAKE)` sub-call and in another folder's
Makefile, and absent, only mentioned (echo, comment), stubbed (`@true`), listed only
(`pytest --collect-only`) and with no Makefile at all.
"""

from __future__ import annotations

from readyscore.executors.deploy import makefile
from readyscore.model import Status


def workflow(*commands: str, workdir: str | None = None) -> str:
    steps = "".join(
        f"      - run: {command}\n" + (f"        working-directory: {workdir}\n" if workdir else "")
        for command in commands)
    return f"on: push\njobs:\n  check:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"


LINT_ONLY = "check: precommit\n\tgit diff --exit-code\n\nprecommit: lint format\n\nlint:\n\tgolangci-lint run\n\nformat:\n\tgofmt -w .\n"


def ci_tests(run, tree, files: dict[str, str]):
    return run(tree(files), "deploy-ci-tests")


def test_make_check_that_only_lints_runs_no_tests(run, tree):
    result = ci_tests(run, tree, {".github/workflows/ci.yml": workflow("make check"), "Makefile": LINT_ONLY})
    assert result.status == Status.FAIL
    assert "`check` in Makefile runs no test runner" in result.evidence[0].message


def test_make_check_whose_prerequisite_runs_go_test_runs_tests(run, tree):
    makefile_text = LINT_ONLY.replace("precommit: lint format", "precommit: lint format unit") + "\nunit:\n\tgo test ./...\n"
    result = ci_tests(run, tree, {".github/workflows/ci.yml": workflow("make check"), "Makefile": makefile_text})
    assert result.status == Status.PASS
    assert "`unit` in Makefile runs `go test`" in result.evidence[0].message


def test_a_recursive_make_call_in_the_recipe_is_followed(run, tree):
    text = "ci:\n\t@$(MAKE) unit GO_TEST_ARGS=-race\n\nunit:\n\t$(GO_TEST) ./...\n\nGO_TEST ?= go test\n"
    result = ci_tests(run, tree, {".github/workflows/ci.yml": workflow("make ci"), "Makefile": text})
    assert result.status == Status.PASS and "runs `go test`" in result.evidence[0].message


def test_make_test_with_no_makefile_in_the_tree_is_not_evidence(run, tree):
    result = ci_tests(run, tree, {".github/workflows/ci.yml": workflow("make test")})
    assert result.status == Status.FAIL
    assert "no Makefile in the tree" in result.evidence[0].message


def test_a_target_that_only_mentions_or_stubs_the_runner_runs_no_tests(run, tree):
    for recipe in ("\t@echo \"run pytest here\"\n", "\t# pytest -q\n\t@true\n", "\t@true\n",
                   "\tpytest --collect-only -q tests/e2e\n"):
        result = ci_tests(run, tree, {".github/workflows/ci.yml": workflow("make test"), "Makefile": f"test:\n{recipe}"})
        assert result.status == Status.FAIL, recipe


def test_a_missing_target_is_said_and_not_credited_by_its_name(run, tree):
    result = ci_tests(run, tree, {".github/workflows/ci.yml": workflow("make test-unit"), "Makefile": LINT_ONLY})
    assert result.status == Status.FAIL and "no `test-unit` target in Makefile" in result.evidence[0].message


def test_the_makefile_of_the_steps_working_directory_is_read(run, tree):
    files = {"Makefile": LINT_ONLY.replace("check:", "test:"), "server/Makefile": "test:\n\tpython -m pytest -q\n"}
    in_server = ci_tests(run, tree, {**files, ".github/workflows/ci.yml": workflow("make test", workdir="server")})
    assert in_server.status == Status.PASS and "server/Makefile" in in_server.evidence[0].message
    at_root = ci_tests(run, tree, {**files, ".github/workflows/ci.yml": workflow("make test")})
    assert at_root.status == Status.FAIL


def test_make_dash_c_and_cd_name_the_folder(run, tree):
    files = {"backend/Makefile": "test:\n\tcargo test --workspace\n"}
    for command in ("make --jobs=5 --output-sync=target -C backend test", "cd backend && make test"):
        result = ci_tests(run, tree, {**files, ".github/workflows/ci.yml": workflow(command)})
        assert result.status == Status.PASS, command
    for command in ("make -C frontend test", "make -n -C backend test"):
        result = ci_tests(run, tree, {**files, ".github/workflows/ci.yml": workflow(command)})
        assert result.status == Status.FAIL, command


def test_installing_make_is_not_a_make_call():
    assert makefile.make_calls("sudo apt-get install -y make wget") == []
    assert makefile.make_calls("for t in git make gcc; do command -v $t; done") == []
    calls = makefile.make_calls('PATH="$PATH:$HOME/go/bin" make -C backend/x test VAR=1')
    assert [(c.directory, c.targets) for c in calls] == [("backend/x", ["test"])]


def test_a_pattern_rule_and_an_included_makefile_are_read(run, tree):
    files = {".github/workflows/ci.yml": workflow("make test-unit"), "Makefile": "include tools.mk\n",
             "tools.mk": "test-%:\n\tgo test ./$*/...\n"}
    assert ci_tests(run, tree, files).status == Status.PASS


def test_conditionals_and_define_blocks_do_not_cut_or_fake_a_recipe():
    parsed = makefile.parse("Makefile", "define HELP\ntest: fake\n\tpytest\nendef\nX := 1\ntest: unit\n"
                                        "ifeq ($(X),1)\n\tgo test ./...\nendif\nunit:\n\t@true\n")
    assert parsed.rules["test"].prerequisites == ["unit"]
    assert [command for _, command in parsed.rules["test"].recipe] == ["go test ./..."]
    assert "fake" not in parsed.rules and parsed.variables["X"] == "1"
