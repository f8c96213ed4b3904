"""Executors over the shared analysis: syntax-tree hazards and hard-coded secrets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from readyscore.executors.base import MAX_FINDINGS, AuditContext, Executor, result
from readyscore.executors.registry import register
from readyscore.executors.static.analysis import FileAnalysis, analysis_timeout, file_kind, shared_analysis
from readyscore.executors.static.coverage import shared_coverage
from readyscore.executors.static.secret_rules import PROVIDER_RULE_IDS
from readyscore.executors.static.hazards import HAZARDS
from readyscore.executors.static.verdicts import hazard_verdict
from readyscore.model import CheckSpec, Evidence, Result, Status
from readyscore.redact import mask

HazardName = Literal["cors-wildcard", "debug-mode", "http-timeout", "sql-injection", "unsafe-deserialization",
                     "eval-request-data", "bind-all-interfaces", "exception-leak",
                     "blocking-in-async"]
assert set(HazardName.__args__) == set(HAZARDS)


class HazardParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hazard: HazardName
    # Other kinds that are the same failure seen from this check (a debug literal is also an error
    # answer that carries tracebacks): their findings count here too.
    also: list[HazardName] = Field(default_factory=list)
    what: str = Field(description="what a finding is, for messages ('outbound HTTP calls without a timeout')")
    # Pass only where the safe twin was seen (an outbound call with a timeout): code with no such call
    # at all has nothing to judge, and its pass would rest on nothing the control does.
    needs_sighting: str | None = Field(default=None, description="what was looked for, for the not-applicable "
                                                                 "message ('an outbound HTTP client readyscore reads')")


@register
class CodeHazard(Executor[HazardParams]):
    kind = "code_hazard"
    Params = HazardParams
    description = "Fails on an LLM-service hazard found in the syntax tree of the service's Python code."

    def timeout_s(self, params: HazardParams, ctx: AuditContext) -> float:
        return analysis_timeout(ctx)

    def run(self, spec: CheckSpec, params: HazardParams, ctx: AuditContext) -> Result:
        analysis = shared_analysis(ctx)
        coverage = shared_coverage(ctx)
        modules = analysis.python_code()
        kinds = {params.hazard, *params.also}
        # Every finding is reported; waivers are scoring's business (readyscore/waivers.py).
        findings = [(module, hazard) for module in modules for hazard in module.hazards
                    if hazard["hazard"] in kinds and not hazard.get("safe")]
        if any(hazard.get("handled") for _, hazard in findings):
            carried = _classes_carrying_text(modules)
            kept = [(m, h, carried(h["handled"]) if h.get("handled") else "") for m, h in findings]
            findings = [(m, {**h, "message": h["message"] + why} if why else h) for m, h, why in kept if why is not None]
        sighted = [(module, h) for module in modules for h in module.hazards
                   if h["hazard"] == params.hazard and h.get("safe")]
        worst = " (some with credentials allowed)" if any(h.get("severity") == "high" for _, h in findings) else ""
        files = len({module.source.rel for module, _ in findings})
        verdict = hazard_verdict(params.what, len(findings), files, coverage, extra=worst)
        metrics = {"findings": len(findings), "files_analysed": len(modules),
                   "unread_files": [path for path, _, _ in coverage.unread]}
        if verdict.status == Status.PASS and params.needs_sighting and not sighted:
            return Result(check_id=spec.id, status=Status.NOT_APPLICABLE, metrics=metrics,
                          message=f"nothing to judge: no {params.needs_sighting} in {len(modules)} Python file(s)")
        if verdict.status in (Status.NOT_APPLICABLE, Status.NOT_EVALUATED):
            return Result(check_id=spec.id, status=verdict.status, message=verdict.message,
                          evidence=list(verdict.evidence), metrics=metrics)
        secrets = analysis.all_secret_values()
        evidence = [Evidence(message=hazard["message"], path=module.source.rel, line=hazard["line"],
                             snippet=module.snippet(hazard["line"], secrets), finding=True, rule=hazard["hazard"])
                    for module, hazard in findings[:MAX_FINDINGS]]
        if params.needs_sighting and verdict.status == Status.PASS:  # what the pass rests on
            evidence += [Evidence(message=f"guarded: {h['message']}", path=module.source.rel, line=h["line"],
                                  snippet=module.snippet(h["line"], secrets)) for module, h in sighted[:3]]
        return result(spec, verdict.status, verdict.message, evidence=evidence + list(verdict.evidence),
                      metrics=metrics, findings=len(findings))


def _classes_carrying_text(modules: list[FileAnalysis]) -> Callable[[str], str | None]:
    """Whether a handled exception class can carry a caught exception's text: always for a class
    the service does not define (a library's: its text is anyone's); for the service's own, only
    when it or a subclass is raised somewhere with such text. text-generation-webui's handler of
    its `OpenAIError` sends `exc.message`, which every raiser writes for the client; the handler of
    its `AnthropicError` sends the same, and one raiser passes `str(e)` of any failure."""
    bases: dict[str, set[str]] = {}
    for module in modules:
        for name, facts in ((module.facts.get("wiring") or {}).get("classes") or {}).items():
            bases.setdefault(name, set()).update(b.rsplit(".", 1)[-1] for b in facts.get("bases") or [])
    raised = {name for module in modules for name in module.raised_with_text}

    def carries(handled: str) -> str | None:
        """None: it cannot; otherwise what to add to the finding's message ("" for a library's class)."""
        if handled not in bases:
            return ""
        family, grown = {handled}, True
        while grown:  # the class and every subclass of it the service defines
            more = {name for name, parents in bases.items() if parents & family} - family
            family |= more
            grown = bool(more)
        raisers = sorted(family & raised)
        return f" ({raisers[0]} is raised with a caught exception's text)" if raisers else None
    return carries


def _example_context(module: FileAnalysis) -> bool:
    """Docs, *.example files and what is out of the service's scope (tutorials, examples/): values
    there are usually examples."""
    return file_kind(module.source.rel) in ("doc", "example") or not module.source.in_scope


# CI pipeline definitions: a weak password there (the postgres user with the password postgres, on
# localhost) belongs to a throwaway service a test job starts, not to the deployed service.
CI_PIPELINE_PREFIXES = (".github/workflows/", ".circleci/", ".buildkite/")
CI_PIPELINE_NAMES = (".gitlab-ci.yml", "bitbucket-pipelines.yml", ".drone.yml", ".travis.yml")


def _ci_pipeline(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return rel.startswith(CI_PIPELINE_PREFIXES) or name in CI_PIPELINE_NAMES or name.startswith("azure-pipelines")


def _counts(module: FileAnalysis, secret: dict, scope: str) -> bool:
    """Which check a finding belongs to. The service's own files: every literal. A provider-format
    key is a leaked key wherever it sits (a tutorial's code included), except in docs and example
    files, which with tests go to the low-severity check, and there only when the value is
    unmistakably real (a provider format, or long, mixed and random). A weak default in a CI
    pipeline is a test job's throwaway service: no check counts it (a literal secret there still does)."""
    if secret["kind"] == "weak" and _ci_pipeline(module.source.rel):
        return False
    is_test = module.source.is_test or secret.get("in_test", False)  # a Rust `#[cfg(test)]` module too
    example = _example_context(module)
    provider = secret["rule"] in PROVIDER_RULE_IDS
    in_docs = file_kind(module.source.rel) in ("doc", "example")
    high = not is_test and (not example or (provider and not in_docs))
    if scope == "code":
        return high
    if is_test:
        return True
    return not high and secret.get("strong", provider)


class SecretsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Literal["code", "tests"] = Field(description="the service's files, or test fixtures only")
    finding: Literal["secret", "weak"] = Field(description="real-looking secrets, or well-known weak defaults")
    what: str


@register
class SecretsScan(Executor[SecretsParams]):
    kind = "secrets_scan"
    Params = SecretsParams
    description = ("Fails on hard-coded provider keys, private keys and literal secrets (or weak defaults) in code, "
                   "config, .env, YAML, Dockerfiles and manifests; values are masked and redacted everywhere.")

    def timeout_s(self, params: SecretsParams, ctx: AuditContext) -> float:
        return analysis_timeout(ctx)

    def run(self, spec: CheckSpec, params: SecretsParams, ctx: AuditContext) -> Result:
        analysis = shared_analysis(ctx)
        if params.scope == "tests":
            files = [f for f in analysis.files if f.source.is_test or _example_context(f)
                     or any(secret.get("in_test") for secret in f.secrets)]
        else:
            files = [f for f in analysis.files if not f.source.is_test]
        if not files:
            where = "test fixture" if params.scope == "tests" else "text"
            return Result.not_applicable(spec.id, f"no {where} files to scan")
        findings = [(module, secret) for module in files for secret in module.secrets
                    if secret["kind"] == params.finding and _counts(module, secret, params.scope)]
        metrics = {"findings": len(findings), "files_scanned": len(files),
                   "rules": sorted({s["rule"] for _, s in findings})}
        if not findings:
            return result(spec, Status.PASS, f"no {params.what} in {len(files)} file(s)", metrics=metrics, findings=0)
        values = analysis.all_secret_values()
        evidence = []
        for module, secret in findings[:MAX_FINDINGS]:
            value = module.secret_value(secret)
            how = {"fallback": " (an environment fallback)", "default": " (a parameter default)"}.get(secret.get("how"), "")
            evidence.append(Evidence(message=f"{secret['label']}{how}: {mask(value)}", path=module.source.rel,
                                     line=secret["line"], snippet=module.snippet(secret["line"], values),
                                     finding=True, rule=secret["rule"]))
        files_hit = len({module.source.rel for module, _ in findings})
        return result(spec, Status.FAIL, f"{len(findings)} {params.what} in {files_hit} file(s)",
                      evidence=evidence, metrics=metrics, findings=len(findings))
