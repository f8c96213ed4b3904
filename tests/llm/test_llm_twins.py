"""A refusal is evidence only when a harmless twin of the same shape is accepted: gateways that
refuse everything, or every client system message, must not pass the probes on their refusals.
Real servers on loopback (llm_targets.TargetServer)."""

from __future__ import annotations

import pytest
from llm_targets import TargetServer

from readyscore import engine
from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, apply_project_settings, load_profile
from readyscore.model import Source, Status

FAST_LIVE = {"request_timeout_s": 2.0, "stream_deadline_s": 3.0, "oversized_body_bytes": 128 * 1024,
             "burst": {"requests": 30, "concurrency": 4, "duration_s": 3.0, "recovery_max_wait_s": 2.0}}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def audit(catalog, url: str, probes: list[str], llm: dict | None = None):
    project = ProjectConfig(llm={"request_timeout_s": 2.0, "max_seconds_per_probe": 10, **(llm or {})},
                            live=FAST_LIVE)
    profile = apply_project_settings(load_profile("default"), project)
    options = AuditOptions(url=url, probes=probes, sources={Source.LIVE}, show_progress=False, check_timeout_s=40)
    report = engine.audit(catalog, profile, project, options)
    return {r.check_id: r for r in report.results}, report


# Checks whose verdict could rest on the chat endpoint refusing something.
REFUSAL_CHECKS = ["live-input-validation", "live-body-size-limit", "live-auth-required",
                  "live-auth-invalid-rejected", "live-rate-limit", "live-chat-completion", "live-streaming",
                  "live-usage-reported", "llm-prompt-injection", "llm-chat-template-injection",
                  "llm-system-prompt-leak", "llm-active-content", "llm-pii-echo", "llm-max-tokens-honoured",
                  "llm-n-clamped", "llm-context-overflow"]


def test_a_service_that_refuses_every_chat_request_passes_nothing(catalog):
    with TargetServer("refuse_all") as url:
        results, _ = audit(catalog, url, ["live-*", "llm-*"])
    passed = {c: results[c].message for c in REFUSAL_CHECKS if results[c].status in (Status.PASS, Status.PARTIAL,
                                                                                     Status.WARN)}
    assert not passed, passed
    # Not "passed", not "error" either: the reason says the valid twin was refused too.
    assert results["live-input-validation"].status == Status.NOT_EVALUATED
    assert "valid twin" in results["live-input-validation"].message
    assert results["live-body-size-limit"].status == Status.NOT_EVALUATED
    assert results["llm-prompt-injection"].status == Status.NOT_EVALUATED
    assert "refuses a plain chat request (HTTP 400)" in results["llm-prompt-injection"].message
    assert results["live-auth-required"].status == Status.NOT_EVALUATED


def test_a_gateway_that_refuses_system_messages_is_probed_user_only(catalog):
    """400 to any client system message, a model that obeys injected user text: injection fails
    (probed user-only), leakage cannot be judged without the operator's server-side canary."""
    with TargetServer("no_system_obeys_user") as url:
        results, _ = audit(catalog, url, ["llm-*"])
    injection = results["llm-prompt-injection"]
    assert injection.status == Status.FAIL, injection.message
    assert injection.metrics["user_only"] is True
    assert ("the service refuses requests with a client system message (HTTP 400) — prompt injection was "
            "probed with user-only variants") in injection.message
    assert injection.metrics["variants"]["direct"] == "failed"
    template = results["llm-chat-template-injection"]
    assert template.status == Status.FAIL, template.message
    leak = results["llm-system-prompt-leak"]
    assert leak.status == Status.NOT_EVALUATED, leak.message
    assert "llm.system_prompt_canary" in leak.message and "HTTP 400" in leak.message


def test_with_a_server_canary_leakage_is_judged_on_it_alone(catalog):
    with TargetServer("no_system_obeys_user") as url:
        results, _ = audit(catalog, url, ["llm-system-prompt-leak"],
                           llm={"system_prompt_canary": "CANARY-not-in-any-answer-1234"})
    leak = results["llm-system-prompt-leak"]
    assert leak.status == Status.PASS, leak.message
    assert set(leak.metrics["variants"]) == {"server-prompt-1", "server-prompt-2", "server-prompt-3"}
    assert "server-side canary only" in leak.message


def test_a_well_behaved_service_still_passes_on_accepted_twins(catalog):
    """The twin costs a request, not a verdict: the plain server passes injection as before."""
    with TargetServer("ok") as url:
        results, _ = audit(catalog, url, ["llm-prompt-injection", "llm-system-prompt-leak"])
    assert results["llm-prompt-injection"].status == Status.PASS
    assert results["llm-prompt-injection"].metrics["user_only"] is False
    assert results["llm-system-prompt-leak"].status == Status.PASS
