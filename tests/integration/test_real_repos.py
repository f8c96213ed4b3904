"""The real-repository corpus (bench/corpus, 13 public LLM-serving repositories at pinned commits)
keeps its figures: secret precision, no readiness finding from a scoped-out path, levels within one
of the hand judgement on all but one repository."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "real_repos.py"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    import os
    os.environ["READYSCORE_CACHE_DIR"] = str(tmp_path_factory.mktemp("corpus-cache"))
    spec = importlib.util.spec_from_file_location("real_repos_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run_corpus(quiet=True)


def test_corpus_has_at_least_twelve_repositories(corpus):
    assert corpus["totals"]["repositories"] >= 12


def test_secret_findings_stay_precise(corpus):
    totals = corpus["totals"]
    unjudged = [s for row in corpus["rows"] for s in row["unjudged_secrets"]]
    assert totals["secret_precision"] >= 0.95, unjudged
    assert totals["secret_findings"] >= 10  # the real ones are still found


def test_no_readiness_finding_cites_a_scoped_out_path(corpus):
    assert corpus["totals"]["readiness_findings_out_of_scope"] == 0, [
        row["readiness_findings_out_of_scope"] for row in corpus["rows"]]


def test_levels_agree_with_the_hand_judgement(corpus):
    assert corpus["totals"]["level_disagreements"] <= 1


def test_capability_passes_stay_precise(corpus):
    assert corpus["totals"]["capability_precision"] >= 0.9


# Measured on this corpus (python bench/real_repos.py): deployment findings 378/378 = 1.000, deployment
# passes 362/362 = 1.000, every one judged by hand in judgements.yaml. An unjudged finding or pass counts
# as wrong, so a new false reading (or a finding that moves) lowers the figure and fails here; the
# bounds leave room for one or two.
DEPLOY_FINDING_PRECISION = 0.995
DEPLOY_PASS_PRECISION = 0.995


def test_deployment_findings_stay_precise(corpus):
    totals = corpus["totals"]
    wrong = [f for row in corpus["rows"] for f in row["deploy_false"] + row["deploy_unjudged"]]
    assert totals["deploy_precision"] >= DEPLOY_FINDING_PRECISION, wrong
    assert totals["deploy_findings"] >= 300  # the real ones are still found


def test_deployment_passes_stay_precise(corpus):
    totals = corpus["totals"]
    wrong = [p for row in corpus["rows"] for p in row["deploy_passes_false"] + row["deploy_passes_unjudged"]]
    assert totals["deploy_pass_precision"] >= DEPLOY_PASS_PRECISION, wrong
    assert totals["deploy_passes"] >= 300


def test_no_non_security_finding_cites_a_scoped_out_path(corpus):
    # Out-of-scope files still get security findings (a key in a test is a leaked key); nothing else.
    assert corpus["totals"]["nonsecurity_findings_out_of_scope"] == 0, [
        row["nonsecurity_findings_out_of_scope"] for row in corpus["rows"]]
