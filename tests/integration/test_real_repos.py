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
