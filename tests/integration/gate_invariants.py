"""What every report must hold, whatever was audited: no met gate rests only on warnings, mentions
or waivers of errors, nor on evidence weaker than the gate accepts (a helper module with a unique
name, imported by the integration tests that check real reports)."""

from __future__ import annotations

from readyscore.config import load_profile
from readyscore.model import EvidenceStrength


def met_gate_violations(report: dict) -> list[str]:
    profile = load_profile(report["profile"]["name"])
    specs = {g.id: (g, profile.min_strength(g)) for spec in profile.levels for g in spec.gates}
    results = {r["check_id"]: r for r in report["results"]}

    def earned(check_id: str, floor: EvidenceStrength) -> bool:
        result = results.get(check_id)
        if result is None:
            return False
        if result["suppressed_by"]:
            return result["status"] in ("fail", "partial", "warn")  # a waived error never counts
        strength = EvidenceStrength(result["strength"]) if result["strength"] else None
        return result["status"] == "pass" and strength is not None and strength >= floor

    problems = []
    for gate in report["gates"]:
        if gate["status"] != "met":
            continue
        spec, floor = specs[gate["id"]]
        ok = all(earned(c, floor) for c in spec.all_of)
        ok &= not spec.any_of or any(earned(c, floor) for c in spec.any_of)
        ok &= not spec.first_of or any(earned(c, floor) for c in spec.first_of)
        if not ok:
            problems.append(gate["id"])
    return problems
