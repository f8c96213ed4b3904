"""The judge is a pure function of (claims, admissions, results, gate outcomes, score): table tests."""

from __future__ import annotations

import pytest

from readyscore.claims.judge import Evidence, judge
from readyscore.claims.mapping import load_claim_map
from readyscore.claims.records import Admission, Claim, ClaimKind, ClaimStatus
from readyscore.model import EvidenceStrength, Result, Status
from readyscore.scoring import GateOutcome, GateStatus

MAPPING = load_claim_map()
V, I, D = EvidenceStrength.VERIFIED, EvidenceStrength.IMPLEMENTED, EvidenceStrength.DECLARED


def res(status: str, strength=None, message: str = "") -> Result:
    return Result(check_id="x", status=Status(status), strength=strength, message=message)


def gate(gate_id: str, level: int, status: str, checks: list[str], blocking: dict | None = None) -> GateOutcome:
    return GateOutcome(id=gate_id, title=gate_id, level=level, status=GateStatus(status), checks=checks,
                       blocking=blocking or {})


def evidence(results=None, gates=None, score=80.0) -> Evidence:
    return Evidence(results=results or {}, gates=gates or [], score=score,
                    bands={1: 30, 2: 50, 3: 70, 4: 85}, level_names={3: "Production-Ready", 4: "Enterprise-Grade"})


def capability(*refs: str, kind=ClaimKind.CHECKLIST) -> Claim:
    return Claim(text="claim", path="README.md", line=1, kind=kind, refs=list(refs))


def statement(level: int) -> Claim:
    return Claim(text="production-ready", path="README.md", line=1, kind=ClaimKind.STATEMENT,
                 refs=["production-ready"], value=level)


AUTH_MET = gate("authentication", 2, "met", ["live-auth-required", "static-cap-auth"])
AUTH_UNMET = gate("authentication", 2, "unmet", ["live-auth-required", "static-cap-auth"], {"live-auth-required": "fail"})
AUTH_UNEVALUATED = gate("authentication", 2, "not_evaluated", ["live-auth-required", "static-cap-auth"],
                        {"live-auth-required": "not_evaluated", "static-cap-auth": "not_evaluated"})
OPEN_AUTH = Admission("Authentication: to add", "TODO.md", 7, ["authentication"])
LEVEL3 = [gate("tests", 2, "met", ["repo-tests-present"]), AUTH_MET, gate("alerting", 3, "met", ["deploy-alerting"])]

CASES = [
    # (name, claim, admissions, evidence, expected status, words the reason must contain)
    ("gate met", capability("authentication"), [],
     evidence({"live-auth-required": res("pass", V)}, [AUTH_MET]), "substantiated", ["gate authentication met", "verified"]),
    ("gate unmet", capability("authentication"), [],
     evidence({"live-auth-required": res("fail", V)}, [AUTH_UNMET]), "contradicted", ["live-auth-required is fail"]),
    ("gate without evidence names what settles it", capability("authentication"), [],
     evidence({"live-auth-required": res("not_evaluated", message="no --url was given"),
               "static-cap-auth": res("not_evaluated", message="no Python source")}, [AUTH_UNEVALUATED]),
     "unproven", ["--url"]),
    ("own text admits the opposite", capability("authentication"), [OPEN_AUTH],
     evidence({"live-auth-required": res("pass", V)}, [AUTH_MET]), "contradicted", ["TODO.md:7", "to add"]),
    ("check passed, implemented", capability("tracing"), [],
     evidence({"static-cap-tracing": res("pass", I)}), "substantiated", ["static-cap-tracing passed"]),
    # Exporting metrics is the code's (TensorZero, lmdeploy); collecting them is the deployment's.
    ("metrics exported", capability("metrics"), [],
     evidence({"static-cap-metrics": res("pass", I), "deploy-metrics-collected": res("fail")},
              [gate("monitoring", 3, "unmet", ["deploy-metrics-collected"], {"deploy-metrics-collected": "fail"})]),
     "substantiated", ["static-cap-metrics passed"]),
    ("monitoring claimed, nothing collects", capability("monitoring"), [],
     evidence({"static-cap-metrics": res("pass", I), "deploy-metrics-collected": res("fail")},
              [gate("monitoring", 3, "unmet", ["deploy-metrics-collected"], {"deploy-metrics-collected": "fail"})]),
     "contradicted", ["deploy-metrics-collected is fail"]),
    # A gate left unmet by a partial neither backs nor refutes the claim (lorax's Helm chart, which
    # could not be rendered without helm); a failing check refutes it.
    ("gate unmet by a partial", capability("orchestrated"), [],
     evidence({"deploy-orchestrated": res("partial", message="its workloads could not be read")},
              [gate("orchestrated", 3, "unmet", ["deploy-orchestrated"], {"deploy-orchestrated": "partial"})]),
     "unproven", ["deploy-orchestrated is partial"]),
    ("gate unmet by a failure", capability("orchestrated"), [],
     evidence({"deploy-orchestrated": res("fail", message="no orchestrator")},
              [gate("orchestrated", 3, "unmet", ["deploy-orchestrated"], {"deploy-orchestrated": "fail"})]),
     "contradicted", ["deploy-orchestrated is fail"]),
    ("check passed on declared evidence only", capability("tracing"), [],
     evidence({"static-cap-tracing": res("pass", D)}), "unproven", ["only declared", "needs implemented"]),
    ("check failed", capability("tracing"), [],
     evidence({"static-cap-tracing": res("fail", message="no tracer")}), "contradicted", ["no tracer"]),
    ("partial is neither", capability("tracing"), [],
     evidence({"static-cap-tracing": res("partial", D, "declared only")}), "unproven", ["partial"]),
    ("a live claim in a file-only audit", capability("tls"), [],
     evidence({"live-tls": res("not_evaluated", message="no --url was given"),
               "live-https-redirect": res("not_evaluated", message="no --url was given")}), "unproven", ["--url"]),
    ("strongest evaluated evidence decides", capability("cors"), [],
     evidence({"live-cors": res("fail", V, "wildcard"), "static-cors-wildcard": res("pass")}), "contradicted", ["live-cors"]),
    ("an absence claim is backed by a clean scan", capability("timeouts"), [],
     evidence({"static-http-timeout": res("pass")}), "substantiated", []),
    ("worst capability decides a combined claim", capability("tracing", "authentication"), [],
     evidence({"static-cap-tracing": res("pass", I), "live-auth-required": res("fail", V)}, [AUTH_UNMET]),
     "contradicted", ["authentication"]),
    ("level: gates met and score in band", statement(3), [], evidence(gates=LEVEL3, score=80), "substantiated", ["band"]),
    ("level: a lower level's gate unmet", statement(3), [],
     evidence(gates=[gate("tests", 2, "unmet", ["repo-tests-present"], {"repo-tests-present": "fail"}), AUTH_MET]),
     "contradicted", ["tests", "repo-tests-present is fail"]),
    ("level: score below the band", statement(3), [], evidence(gates=LEVEL3, score=62), "contradicted", ["below"]),
    ("level: own admission of a gate it needs", statement(3), [OPEN_AUTH], evidence(gates=LEVEL3), "contradicted",
     ["TODO.md:7"]),
    ("level: an admission of a higher level's need does not count", statement(2),
     [Admission("Multi-region: planned", "TODO.md", 9, ["multi-region"])],
     evidence(gates=LEVEL3 + [gate("multi-region", 4, "unmet", ["deploy-multi-region"], {"deploy-multi-region": "fail"})]),
     "substantiated", []),
    ("level: gates without evidence", statement(3), [],
     evidence(gates=[AUTH_UNEVALUATED]), "unproven", ["authentication"]),
    ("level the profile does not have", statement(4), [],
     Evidence(results={}, gates=LEVEL3, score=99, bands={1: 30, 2: 50, 3: 70}), "unproven", ["no Level 4"]),
    ("score stated above the measured one", Claim("65/100", "R.md", 1, ClaimKind.SCORE, ["score"], value=65), [],
     evidence(score=40), "contradicted", ["40"]),
    ("score stated within tolerance", Claim("65/100", "R.md", 1, ClaimKind.SCORE, ["score"], value=65), [],
     evidence(score=62), "substantiated", []),
    ("score with nothing measured", Claim("65/100", "R.md", 1, ClaimKind.SCORE, ["score"], value=65), [],
     evidence(score=None), "unproven", []),
    ("certifications are out of reach even when controls pass", Claim("SOC 2", "R.md", 1, ClaimKind.COMPLIANCE, ["soc2"]),
     [], evidence({"static-cap-audit-log": res("pass", I), "repo-security-policy": res("pass", I)}), "out_of_reach",
     ["no check can make", "static-cap-audit-log is pass"]),
]


@pytest.mark.parametrize(("name", "claim", "admissions", "evidence_", "status", "words"), CASES, ids=[c[0] for c in CASES])
def test_judge(name, claim, admissions, evidence_, status, words):
    [record] = judge([claim], admissions, MAPPING, evidence_)
    assert record.status == ClaimStatus(status), record.reason
    for word in words:
        assert word in record.reason
    if status != "out_of_reach" and claim.kind != ClaimKind.SCORE and "no Level" not in record.reason:
        assert record.checks, "every judged claim names the checks behind it"


def test_contradicted_claims_come_first():
    claims = [capability("timeouts"), capability("tracing")]
    records = judge(claims, [], MAPPING, evidence({"static-http-timeout": res("pass"),
                                                   "static-cap-tracing": res("fail")}))
    assert [r.status for r in records] == [ClaimStatus.CONTRADICTED, ClaimStatus.SUBSTANTIATED]


def test_no_claims_no_records():
    assert judge([], [OPEN_AUTH], MAPPING, evidence()) == []
