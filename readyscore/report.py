"""report.json: the contract every other format renders from.

`REPORT_SCHEMA_VERSION` changes whenever a field is renamed or removed or its meaning changes;
adding an optional field is a minor change (the `x.y` minor part). `readyscore schema` prints the
JSON Schema generated from these models; docs/report.schema.json is kept in step by a test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from readyscore import __version__
from readyscore.claims.records import ClaimRecord
from readyscore.model import Area, Evidence, EvidenceStrength, Reference, Severity, Source, Status
from readyscore.prediction import Prediction
from readyscore.scoring import AreaScore, GateOutcome, PendingGate, RoadmapItem
from readyscore.waivers import SuppressionInfo

REPORT_SCHEMA_VERSION = "1.6"


class ToolInfo(BaseModel):
    name: str = "readyscore"
    version: str = __version__


class Target(BaseModel):
    path: str | None = None
    url: str | None = None
    label: str | None = Field(default=None, description=(
        "what was audited, in words, where the path would mislead (the demo: the bundled example "
        "service and its preset); reports show it instead of the path"))


class ProfileInfo(BaseModel):
    name: str
    origin: str
    description: str = ""
    levels: list[dict[str, Any]] = Field(default_factory=list,
                                         description="the ladder: level, name, min_score")


class CheckResult(BaseModel):
    check_id: str
    title: str
    area: Area
    level: int
    source: Source
    severity: Severity
    weight: float
    status: Status
    score: float
    message: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    strength: EvidenceStrength | None = None
    remediation: str = ""
    rationale: str = ""
    references: list[Reference] = Field(default_factory=list)
    maps_to: list[str] = Field(default_factory=list)
    duration_s: float = 0.0
    metrics: dict[str, Any] = Field(default_factory=dict)
    suppressed_by: str | None = None
    findings: int | None = Field(default=None, description="faults found in all (evidence with finding: true "
                                                           "lists them up to a cap); null: not reported one by one")
    measured_status: Status | None = Field(default=None, description="what the check measured, when the "
                                           "evidence-strength rule changed its status (a mention: fail; "
                                           "declared only: partial)")


class WithoutWaivers(BaseModel):
    score: float | None
    level: int
    level_name: str
    level_if_verified: int | None = None


class Report(BaseModel):
    schema_version: str = REPORT_SCHEMA_VERSION
    tool: ToolInfo = Field(default_factory=ToolInfo)
    target: Target
    profile: ProfileInfo
    started_at: dt.datetime
    finished_at: dt.datetime
    duration_s: float
    complete: bool = True
    incomplete_reason: str | None = None
    score: float | None = Field(description="0-100; null when nothing could be evaluated. When a source was "
                                            "not gathered (no --url) it is an estimate: checks of that source "
                                            "count at the result their file evidence predicts (predictions)")
    measured_score: float | None = Field(default=None, description="the score of the measured results alone; "
                                         "equals score when nothing was predicted. level rests on it")
    predictions: list[Prediction] = Field(default_factory=list, description=(
        "checks whose source this audit did not gather, with the result the file evidence of the same "
        "control predicts; counted in score, never in gates or level"))
    sources_gathered: list[Source] = Field(default_factory=list, description="the sources whose checks ran")
    level: int
    level_name: str
    coverage: float = Field(description="share (0-1) of the readiness model's weight that was evaluated")
    level_if_verified: int | None = Field(default=None, description="the level reached if every pending gate "
                                         "(one only a source this audit did not gather could settle) were met; "
                                         "equals level when nothing is pending")
    pending_gates: list[PendingGate] = Field(default_factory=list)
    without_waivers: WithoutWaivers
    areas: dict[str, AreaScore]
    gates: list[GateOutcome]
    next_level: int | None
    held_back_by: list[str]
    roadmap: list[RoadmapItem]
    counts: dict[str, int]
    suppressions: list[SuppressionInfo] = Field(default_factory=list)
    results: list[CheckResult]
    skipped_files: dict[str, int] = Field(default_factory=dict,
                                          description="files the checks passed over, by reason")
    # Family sections (load statistics, framework mappings ...) keyed by family name.
    sections: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    claims: list[ClaimRecord] = Field(default_factory=list,
                                      description="what the repository says about its own readiness, each "
                                                  "claim judged against the evidence; contradicted first")

    def result(self, check_id: str) -> CheckResult | None:
        return next((r for r in self.results if r.check_id == check_id), None)


def _score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.0f}"


def waiver_line(report: Report) -> str | None:
    """"With waivers … · without waivers …" when waivers change the score or the level, else None."""
    raw = report.without_waivers
    if raw.score == report.score and raw.level == report.level:
        return None
    return (f"with waivers: {_score_text(report.score)}/100 · Level {report.level}; "
            f"without waivers (every finding counted): {_score_text(raw.score)}/100 · Level {raw.level}")


def estimate_line(report: Report) -> str | None:
    """"Estimated: 16 live and resilience checks predicted from the files; measured alone 75" when
    the score counts predictions for checks whose source the audit did not gather."""
    if not report.predictions:
        return None
    sources = sorted({p.source.value for p in report.predictions if p.source is not None})
    count = len(report.predictions)
    return (f"Estimated score: {count} {' and '.join(sources)} check{'s' if count != 1 else ''} counted at the "
            f"result the files predict; measured alone {_score_text(report.measured_score)}/100 "
            f"(run with --url to measure them)")


def verification_line(report: Report) -> str | None:
    """"Level 1 proven · Level 3 once a running service confirms 3 gates (run with --url)" when
    gates left pending for lack of a source hold the level below what the gathered evidence supports."""
    target = report.level_if_verified
    if target is None or target <= report.level:
        return None
    gates = [g for g in report.pending_gates if g.level <= target]
    if not gates:  # no gate waits: the measured score is below the band the estimate reaches
        return (f"Level {report.level} proven · Level {target} if the estimate holds: measured "
                f"{_score_text(report.measured_score)}/100, estimated {_score_text(report.score)}/100 "
                f"(run with --url to measure the predicted checks)")
    sources = {g.source for g in gates}
    who = "a running service" if sources <= {Source.LIVE, Source.LOAD, Source.RESILIENCE} else \
        " and ".join(sorted(f"{s.value} evidence" for s in sources))
    options = list(dict.fromkeys(g.option for g in gates))
    return (f"Level {report.level} proven · Level {target} once {who} confirms {len(gates)} "
            f"gate{'s' if len(gates) != 1 else ''} (run with {' / '.join(options)})")


def json_schema() -> dict[str, Any]:
    schema = Report.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"readyscore report, schema {REPORT_SCHEMA_VERSION}"
    return schema


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file in the same folder, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; a report is an artifact others read (CI viewers, a web server).
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class ReportLoadError(Exception):
    pass


def load_report(path: Path) -> Report:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportLoadError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportLoadError(f"{path}: not a readable JSON report ({exc})") from None
    if not isinstance(data, dict):
        raise ReportLoadError(f"{path}: not a readyscore report (expected a JSON object)")
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] != REPORT_SCHEMA_VERSION.split(".")[0]:
        raise ReportLoadError(f"{path}: report schema {version or '?'} is not supported by this "
                              f"readyscore (schema {REPORT_SCHEMA_VERSION})")
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ReportLoadError(f"{path}: field '{field}': {first['msg']}") from None


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            try:  # a file name that is not UTF-8 arrives as surrogate escapes: show its bytes as U+FFFD
                return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            except UnicodeEncodeError:
                return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(v) for v in value]
    return value


def printable(report: Report) -> Report:
    """The report with every string writable as UTF-8.

    Names from the audited tree need not be UTF-8 (Linux allows any bytes); Python hands them over
    as surrogate escapes, which no UTF-8 writer accepts, so one odd file name would cost the whole
    report."""
    try:
        report.model_dump_json()
        return report
    except ValueError:  # pydantic's serialisation error
        return Report.model_validate(_printable(report.model_dump(mode="python")))
