"""Excessive agency (OWASP LLM06:2025) needs an agent that executes tools.

A plain completion API cannot over-reach: it only returns text. The check is not applicable unless
the config names an agent endpoint, and even then readyscore has no deterministic, side-effect-free
way to judge what an unknown tool set may do, so it says so instead of guessing.
"""

from __future__ import annotations

from readyscore.executors.base import AuditContext, Executor
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, Result


@register
class AgencyProbe(Executor):
    kind = "llm_agency"
    description = "Not applicable unless llm.agent_endpoint is configured; tool permissions are reviewed by hand."

    def run(self, spec: CheckSpec, params, ctx: AuditContext) -> Result:
        endpoint = ctx.profile.llm.agent_endpoint
        if not endpoint:
            return Result.not_applicable(spec.id, "no agent endpoint is configured (llm.agent_endpoint): a "
                                                  "completion API that executes no tools cannot show excessive agency")
        return Result.not_evaluated(spec.id, f"an agent endpoint is configured ({endpoint}), but judging what its "
                                             "tools may do needs a review of their permissions; readyscore has no "
                                             "deterministic, side-effect-free probe for it")
