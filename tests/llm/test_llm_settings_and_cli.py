"""The `llm:` settings (strict, canary from config or environment), the `frameworks` commands, and the
frameworks section of the JSON and HTML reports."""

from __future__ import annotations

import json

import pytest
from llm_targets import TargetServer
from pydantic import ValidationError
from typer.testing import CliRunner

from readyscore import engine
from readyscore.catalog import load_catalog
from readyscore.cli import app
from readyscore.config import AuditOptions, ProjectConfig, apply_project_settings, load_profile
from readyscore.model import Source
from readyscore.reporters import get_reporter
from readyscore.settings.llm import LlmSettings
from readyscore.yamlfile import ConfigError


def test_settings_are_strict_and_bounded():
    with pytest.raises(ValidationError):
        LlmSettings(sanitize_output=True)  # a typo is an error, not a silent default
    with pytest.raises(ValidationError):
        LlmSettings(max_requests_per_probe=0)
    with pytest.raises(ValidationError):
        LlmSettings(system_prompt_canary="short")


def test_the_server_canary_comes_from_the_config_or_the_named_variable(monkeypatch):
    assert LlmSettings().server_canary() is None
    assert LlmSettings(system_prompt_canary="CANARY-1234").server_canary() == "CANARY-1234"
    monkeypatch.setenv("MY_CANARY", "  CANARY-from-env  ")
    assert LlmSettings(system_prompt_canary_env="MY_CANARY").server_canary() == "CANARY-from-env"
    monkeypatch.setenv("MY_CANARY", "tiny")
    assert LlmSettings(system_prompt_canary_env="MY_CANARY").server_canary() is None


def test_a_project_config_error_in_the_llm_section_names_the_field():
    project = ProjectConfig(llm={"redacts_pii": "sometimes"}, origin="readyscore.yaml")
    with pytest.raises(ConfigError) as caught:
        apply_project_settings(load_profile("default"), project)
    assert caught.value.field == "llm.redacts_pii"


runner = CliRunner()


def test_frameworks_list_and_show():
    listed = runner.invoke(app, ["frameworks", "list"])
    assert listed.exit_code == 0 and "owasp-llm-2025" in listed.output and "aws-genai-lens" in listed.output
    shown = runner.invoke(app, ["frameworks", "show", "owasp-llm-2025"], terminal_width=200)
    assert shown.exit_code == 0
    assert "LLM07:2025" in shown.output and "llm-system-prompt-leak" in shown.output
    assert "judge model" in shown.output  # LLM09 says why it is not covered


def test_frameworks_show_unknown_is_a_usage_error():
    result = runner.invoke(app, ["frameworks", "show", "nope"])
    assert result.exit_code != 0


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """One audit of a plain, well-behaved endpoint: its JSON and HTML reports."""
    with TargetServer("ok") as url:
        project = ProjectConfig(llm={"request_timeout_s": 2})
        profile = apply_project_settings(load_profile("default"), project)
        report = engine.audit(load_catalog(), profile, project,
                              AuditOptions(url=url, probes=["llm-*"], sources={Source.LIVE}, show_progress=False))
    folder = tmp_path_factory.mktemp("report")
    (folder / "report.json").write_text(get_reporter("json").render(report))
    return report, folder


def test_the_report_shows_the_owasp_mapping(audited):
    report, folder = audited
    data = json.loads((folder / "report.json").read_text())
    owasp = next(f for f in data["sections"]["frameworks"]["frameworks"] if f["id"] == "owasp-llm-2025")
    rows = {r["id"]: r for r in owasp["requirements"]}
    assert rows["LLM01:2025"]["status"] == "passed"
    assert rows["LLM06:2025"]["status"] == "not_applicable"
    assert rows["LLM09:2025"]["status"] == "not_covered" and not rows["LLM09:2025"]["covered"]
    assert rows["LLM10:2025"]["status"] == "failed"  # the plain server answers 200 to twice its window
    html = get_reporter("html").render(report)
    assert 'id="framework-owasp-llm-2025"' in html and "LLM07:2025" in html and "System Prompt Leakage" in html


def test_frameworks_show_reads_statuses_from_a_report(audited):
    _, folder = audited
    result = runner.invoke(app, ["frameworks", "show", "owasp-llm-2025", "--report", str(folder / "report.json")],
                           terminal_width=220)
    assert result.exit_code == 0, result.output
    assert "not applicable" in result.output and "failed" in result.output and "passed" in result.output


def test_an_llm_check_with_bad_params_is_rejected_at_load(tmp_path):
    from readyscore.catalog import load_check_file

    path = tmp_path / "my-injection.yaml"
    path.write_text("id: my-injection\ntitle: My injection probe\narea: security\nlevel: 3\nweight: 1\n"
                    "severity: high\nsource: live\nkind: llm_injection\nparams:\n  variants: [direct, telepathy]\n"
                    "rationale: r\nremediation: r\n")
    with pytest.raises(ConfigError) as caught:
        load_check_file(path)
    assert caught.value.field == "params.variants.1" and caught.value.line == 10
    path.write_text(path.read_text().replace("[direct, telepathy]", "[direct, chatml]"))
    assert load_check_file(path).params.variants == ["direct", "chatml"]
