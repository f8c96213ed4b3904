"""`--fail-on-contradicted-claims`: the CI gate over a report's judged claims."""

from __future__ import annotations

from readyscore.claims.records import ClaimStatus
from readyscore.model import Status

CHECK_ID = "repo-claims-substantiated"


def contradicted_claims_failure(report) -> str | None:
    """Why the gate fails (None: it holds). A judge that crashed fails it too: an unjudged
    claim must not pass a gate silently."""
    contradicted = [c for c in report.claims if c.status == ClaimStatus.CONTRADICTED]
    if contradicted:
        first = contradicted[0]
        return (f"{len(contradicted)} readiness claim(s) contradicted by the evidence, first "
                f"{first.path}:{first.line} \u201c{first.text[:80]}\u201d")
    result = report.result(CHECK_ID)
    if result is not None and result.status == Status.ERROR:
        return f"the claims could not be judged: {result.message}"
    return None
