"""The pure verdicts of the code checks, as tables: findings in, status out (no files, no syntax trees).

Rows: found (implemented), absent, mention-only, stub (a mention too), declared, unreadable (some,
a material share, all), code in another language, and no code at all.
"""

from __future__ import annotations

import pytest

from readyscore.executors.static.coverage import MATERIAL_UNREAD_SHARE, CodeCoverage
from readyscore.executors.static.verdicts import CapabilityFindings, capability_verdict, hazard_verdict
from readyscore.model import Evidence, EvidenceStrength

IMPL = Evidence(message="rate limit on slowapi.Limiter.limit in chat", path="app.py", line=9,
                strength=EvidenceStrength.IMPLEMENTED)
DECL = Evidence(message="declares slowapi", path="requirements.txt", line=2, strength=EvidenceStrength.DECLARED)
NAME = Evidence(message="names rate_limit", path="app.py", line=3, strength=EvidenceStrength.MENTION)
STUB = Evidence(message="stub: is_safe cannot change the outcome", path="app.py", line=5,
                strength=EvidenceStrength.MENTION)

READ = CodeCoverage(read_files=10, read_bytes=10_000)
SOME_UNREAD = CodeCoverage(read_files=19, read_bytes=19_000, unread=(("gen.py", "does not parse", 1000),))
MATERIAL = CodeCoverage(read_files=5, read_bytes=5_000, unread=(("a.py", "does not parse: SyntaxError at line 1", 900),
                                                                  ("b.py", "unreadable, binary or not UTF-8", 900)))
ALL_UNREAD = CodeCoverage(unread=(("a.py", "does not parse", 10),))
OTHER_LANGUAGE = CodeCoverage(other_languages={"TypeScript": 12})
# anything-llm: three Python helper scripts read, a Node server of 1,138 files unread by the check.
MOSTLY_OTHER = CodeCoverage(read_files=3, read_bytes=3_000, other_languages={"JavaScript": 1119, "TypeScript": 19},
                            read_languages={"Python": 3}, python_serves=False)
# langserve: 13 Python files that serve its API beside a 28-file TypeScript playground.
PYTHON_SERVES = CodeCoverage(read_files=13, read_bytes=130_000, other_languages={"TypeScript": 24, "JavaScript": 4},
                             read_languages={"Python": 13}, python_serves=True)
# DocsGPT: a Python service of 443 files beside a 247-file TypeScript frontend.
PYTHON_WITH_FRONTEND = CodeCoverage(read_files=443, read_bytes=443_000, other_languages={"TypeScript": 247},
                                    read_languages={"Python": 443})
NO_CODE = CodeCoverage()


def found(implemented=(), declared=(), mentions=(), coverage=READ) -> CapabilityFindings:
    return CapabilityFindings(what="rate limiting", implemented=list(implemented), declared=list(declared),
                              mentions=list(mentions), coverage=coverage)


@pytest.mark.parametrize("name, findings, status, strength", [
    ("found", found([IMPL], [DECL], [NAME]), "pass", "implemented"),
    ("absent", found(), "fail", None),
    ("mention-only", found(mentions=[NAME]), "fail", "mention"),
    ("stub", found(mentions=[STUB]), "fail", "mention"),
    ("declared", found(declared=[DECL], mentions=[NAME]), "partial", "declared"),
    ("found, some files unread", found([IMPL], coverage=SOME_UNREAD), "pass", "implemented"),
    ("found, a material share unread", found([IMPL], coverage=MATERIAL), "pass", "implemented"),
    ("absent, a material share unread", found(coverage=MATERIAL), "fail", None),
    ("unreadable", found(coverage=ALL_UNREAD), "not_evaluated", None),
    ("mention, all unreadable", found(mentions=[NAME], coverage=ALL_UNREAD), "not_evaluated", None),
    ("another language", found(coverage=OTHER_LANGUAGE), "not_evaluated", None),
    ("declared, another language", found(declared=[DECL], coverage=OTHER_LANGUAGE), "partial", "declared"),
    ("absent from a few scripts, the service in another language", found(coverage=MOSTLY_OTHER), "not_evaluated", None),
    ("mention in a few scripts, the service in another language", found(mentions=[NAME], coverage=MOSTLY_OTHER),
     "not_evaluated", None),
    ("found in a few scripts, the service in another language", found([IMPL], coverage=MOSTLY_OTHER), "pass",
     "implemented"),
    ("absent from a Python service with a frontend", found(coverage=PYTHON_WITH_FRONTEND), "fail", None),
    ("absent from a Python API with a larger playground", found(coverage=PYTHON_SERVES), "fail", None),
    ("no code at all", found(coverage=NO_CODE), "not_applicable", None),
])
def test_capability_verdict(name, findings, status, strength):
    verdict = capability_verdict(findings)
    assert verdict.status.value == status, verdict.message
    assert (verdict.strength.value if verdict.strength else None) == strength


def test_a_mention_is_shown_as_the_evidence_of_a_fail():
    verdict = capability_verdict(found(mentions=[STUB, NAME]))
    assert [e.message for e in verdict.evidence] == [STUB.message, NAME.message]
    assert "only mentioned" in verdict.message and "stub: is_safe" in verdict.message


@pytest.mark.parametrize("coverage", [SOME_UNREAD, MATERIAL])
def test_capability_verdicts_name_the_unread_files(coverage):
    for findings in (found([IMPL], coverage=coverage), found(coverage=coverage), found(mentions=[NAME], coverage=coverage)):
        verdict = capability_verdict(findings)
        for path, _, _ in coverage.unread:
            assert path in verdict.message
            assert any(e.path == path and e.message.startswith("could not read") for e in verdict.evidence)


@pytest.mark.parametrize("name, findings, coverage, status", [
    ("found", 2, READ, "fail"),
    ("absent", 0, READ, "pass"),
    ("absent, some files unread", 0, SOME_UNREAD, "pass"),
    ("absent, a material share unread", 0, MATERIAL, "partial"),
    ("found, a material share unread", 1, MATERIAL, "fail"),
    ("unreadable", 0, ALL_UNREAD, "not_evaluated"),
    ("none in a few scripts, the service in another language", 0, MOSTLY_OTHER, "not_evaluated"),
    ("one in a few scripts, the service in another language", 1, MOSTLY_OTHER, "fail"),
    ("none in a Python service with a frontend", 0, PYTHON_WITH_FRONTEND, "pass"),
    ("none in a Python API with a larger playground", 0, PYTHON_SERVES, "pass"),
    ("another language", 0, OTHER_LANGUAGE, "not_evaluated"),
    ("no code at all", 0, NO_CODE, "not_applicable"),
])
def test_hazard_verdict(name, findings, coverage, status):
    verdict = hazard_verdict("debug modes", findings, 1 if findings else 0, coverage)
    assert verdict.status.value == status, verdict.message
    for path, _, _ in coverage.unread:
        assert path in verdict.message


def test_the_threshold_is_a_share_of_files_or_of_bytes():
    assert MATERIAL_UNREAD_SHARE == 0.10
    # 1 of 10 files (10%, not more) and a small share of bytes: not material.
    assert not CodeCoverage(read_files=9, read_bytes=9_000, unread=(("x.py", "why", 100),)).material
    # 1 of 20 files, but most of the bytes: material.
    assert CodeCoverage(read_files=19, read_bytes=1_000, unread=(("big.py", "too large", 2_000_000),)).material
    # 2 of 11 files: material.
    assert CodeCoverage(read_files=9, read_bytes=9_000, unread=(("a.py", "w", 10), ("b.py", "w", 10))).material


def test_hazard_and_capability_verdicts_agree_on_nothing_to_judge():
    for coverage in (ALL_UNREAD, OTHER_LANGUAGE, NO_CODE, MOSTLY_OTHER):
        assert capability_verdict(found(coverage=coverage)).status == hazard_verdict("x", 0, 0, coverage).status
