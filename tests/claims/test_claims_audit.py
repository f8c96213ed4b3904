"""Claims through the real engine over real trees (file-only audits): the reference documents as
fixtures, a tree that claims nothing, one whose claims are backed and its twin that lacks them."""

from __future__ import annotations

import shutil

from readyscore.claims.records import ClaimKind, ClaimStatus

from claims_helpers import GATEWAY_CHECKLIST, LLM_SUMMARY, PRESETS, audit_tree, claim_at


def _result(report):
    return report.result("repo-claims-substantiated")


def test_llm_summary_production_readiness_authentication_and_rate_limiting_are_contradicted(tmp_path):
    shutil.copy(LLM_SUMMARY, tmp_path / "PRODUCTION_READINESS.md")
    report = audit_tree(tmp_path)
    ready = claim_at(report, "PRODUCTION_READINESS.md", 3, ClaimKind.STATEMENT)
    assert ready.status == ClaimStatus.CONTRADICTED and ready.claim == ["production-ready"]
    # Its own "For Production, Add:" list is cited against it: authentication, rate limiting, TLS.
    for line in (309, 310, 311):
        assert f"PRODUCTION_READINESS.md:{line}" in ready.reason
    assert "Authentication/authorization" in ready.reason and "Rate limiting" in ready.reason
    assert {"static-cap-auth", "static-cap-rate-limit"} <= set(ready.checks)  # and the evidence fails too
    auth = claim_at(report, "PRODUCTION_READINESS.md", 378)  # "API authentication ready"
    assert auth.status == ClaimStatus.CONTRADICTED and "authentication" in auth.reason
    gdpr = [c for c in report.claims if "gdpr" in c.claim]
    assert gdpr and all(c.status == ClaimStatus.OUT_OF_REACH for c in gdpr)
    assert report.claims[0].status == ClaimStatus.CONTRADICTED  # contradicted first
    result = _result(report)
    assert result.status.value == "fail" and result.evidence[0].path == "PRODUCTION_READINESS.md"


def test_gateway_checklist_claims_are_each_tied_to_their_checks(tmp_path):
    shutil.copy(GATEWAY_CHECKLIST, tmp_path / "PRODUCTION_CHECKLIST.md")
    report = audit_tree(tmp_path)
    ticked = [c for c in report.claims if c.kind == ClaimKind.CHECKLIST]
    assert len(ticked) >= 20
    assert all(c.checks for c in report.claims), [c for c in report.claims if not c.checks]
    assert claim_at(report, "PRODUCTION_CHECKLIST.md", 25).checks == ["live-auth-required", "static-cap-auth"]
    # Ticked "Security headers (nginx)" while the pre-deployment list leaves "Enable security headers" open.
    headers = claim_at(report, "PRODUCTION_CHECKLIST.md", 31)
    assert headers.status == ClaimStatus.CONTRADICTED and "PRODUCTION_CHECKLIST.md:102" in headers.reason
    # A claimed JWT middleware with no code in the tree is not proven either way (no Python source).
    assert claim_at(report, "PRODUCTION_CHECKLIST.md", 25).status == ClaimStatus.UNPROVEN
    ready = next(c for c in report.claims if c.claim == ["production-ready"])
    assert ready.status == ClaimStatus.CONTRADICTED and "Configure rate limiting" in ready.reason


def test_a_repository_that_claims_nothing_reports_no_claims_and_no_failure(tmp_path):
    (tmp_path / "README.md").write_text("# tool\n\nA small chat API.\n\n## Usage\n\nRun it.\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("Meeting notes. Nothing about readiness.\n")
    report = audit_tree(tmp_path)
    assert report.claims == []
    assert _result(report).status.value == "not_applicable"


def test_a_repository_whose_claims_are_backed_reports_them_substantiated(tmp_path):
    # The level2 preset: its README says "An authenticated, rate-limited chat API", and its code is.
    tree = tmp_path / "svc"
    shutil.copytree(PRESETS / "level2", tree)
    report = audit_tree(tree)
    assert report.claims and all(c.status == ClaimStatus.SUBSTANTIATED for c in report.claims), report.claims
    assert set(report.claims[0].claim) == {"authentication", "rate-limiting"}
    assert _result(report).status.value == "pass"


def test_the_same_claims_over_code_without_the_controls_are_contradicted(tmp_path):
    # Twin: the level2 README over the level1 code (no auth, no limiter).
    tree = tmp_path / "svc"
    shutil.copytree(PRESETS / "level1", tree)
    shutil.copy(PRESETS / "level2" / "README.md", tree / "README.md")
    report = audit_tree(tree)
    [claim] = [c for c in report.claims if c.kind == ClaimKind.CAPABILITY]
    assert claim.status == ClaimStatus.CONTRADICTED
    assert "static-cap-auth is fail" in claim.reason and "static-cap-rate-limit is fail" in claim.reason
    assert _result(report).status.value == "fail"


def test_only_mentioning_a_control_in_prose_outside_a_readiness_heading_claims_nothing(tmp_path):
    (tmp_path / "README.md").write_text("# tool\n\nA chat API.\n\n## Background\n\nRate limiting is hard.\n")
    assert audit_tree(tmp_path).claims == []


def test_a_readme_below_the_root_describes_a_component_not_the_service(tmp_path):
    (tmp_path / "README.md").write_text("# tool\n\nA chat API.\n")
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "README.md").write_text("# fixture\n\nA production-ready example.\n")
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "PRODUCTION_READINESS.md").write_text("Status: production-ready\n")
    report = audit_tree(tmp_path)
    assert [(c.path, c.kind.value) for c in report.claims] == [("ops/PRODUCTION_READINESS.md", "statement")]
