"""Whole live audits (`readyscore audit --url`) of hostile targets, every one a real loopback server.

The audits run at the same time, each in its own child process with a hard timeout (the hang
detector), under a project config with short budgets. Each must end with a valid report.json and
a readable reason for every check it could not evaluate; a target that never answered must not
pass a single check.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_targets import UNRESOLVABLE_URL, refused_port, serve

from readyscore.redact import mask
from readyscore.report import load_report

from robust_helpers import REPO, assert_html_is_inert, assert_readable

DEADLINE_S = 45  # --deadline of each audit
HARD_TIMEOUT_S = 100  # past this the child is a hang, and the test fails
CONFIG = """\
schema_version: 1
live:
  request_timeout_s: 2
  stream_deadline_s: 3
{extra_live}  burst: {requests: 6, concurrency: 2, duration_s: 2, recovery_max_wait_s: 1}
llm:
  request_timeout_s: 2
  max_seconds_per_probe: 4
  max_requests_per_probe: 2
"""
SILENT_TARGETS = {"refused", "unresolvable", "tls-self-signed", "tls-expired"}  # nothing ever answers
BEHAVIOURS = ["silence", "drip", "reset_mid_stream", "sse_forever", "huge_body", "gzip_bombed", "invalid_utf8",
              "redirect_loop", "redirect_chain", "markup", "echo_credentials"]
API_KEY = "sk-robustness-audit-0123456789abcdef"
EVERY_FORMAT = "terminal,json,html,sarif,junit,markdown"


@dataclass
class AuditRun:
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    output: Path


@pytest.fixture(scope="module")
def audits(tmp_path_factory, certificates) -> dict[str, AuditRun]:
    """Every hostile target audited at once (they mostly wait on sockets, so in parallel they fit)."""
    base = tmp_path_factory.mktemp("audits")
    with ExitStack() as stack:
        urls = {name: stack.enter_context(serve(name)).url for name in BEHAVIOURS}
        urls["tls-self-signed"] = stack.enter_context(serve("plain_ok", tls=certificates.self_signed)).url
        urls["tls-expired"] = stack.enter_context(serve("plain_ok", tls=certificates.expired)).url
        urls["refused"] = f"http://127.0.0.1:{refused_port()}"
        urls["unresolvable"] = UNRESOLVABLE_URL
        started, children = {}, {}
        for name, url in urls.items():
            folder = base / name
            folder.mkdir()
            # The expired certificate is signed by a CA the audit trusts: only its age is wrong.
            extra = f"  ca_bundle: {certificates.ca_pem}\n" if name == "tls-expired" else ""
            config = CONFIG.replace("{extra_live}", extra)
            (folder / "readyscore.yaml").write_text(config)
            args = [sys.executable, "-m", "readyscore", "audit", "--url", url, "--config",
                    str(folder / "readyscore.yaml"), "--sources", "live", "--format", EVERY_FORMAT,
                    "--timeout", "20", "--deadline", str(DEADLINE_S), "--output", str(folder / "out")]
            started[name] = time.monotonic()
            children[name] = subprocess.Popen(
                args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env={**os.environ, "COLUMNS": "200", "READYSCORE_API_KEY": API_KEY})
        runs = {}
        for name, child in children.items():
            remaining = max(1.0, HARD_TIMEOUT_S - (time.monotonic() - started[name]))
            try:
                out, err = child.communicate(timeout=remaining)
                code = child.returncode
            except subprocess.TimeoutExpired:
                child.kill()
                out, err = child.communicate()
                code = None
            runs[name] = AuditRun(code, out, err, time.monotonic() - started[name], base / name / "out")
        return runs


ALL_TARGETS = [*BEHAVIOURS, *sorted(SILENT_TARGETS)]


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_TARGETS)
def test_a_live_audit_of_a_hostile_target_ends_with_a_report(audits, name):
    run = audits[name]
    assert run.code is not None, f"the audit of {name} hung past {HARD_TIMEOUT_S} s:\n{run.stderr[-2000:]}"
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr[-3000:]
    assert run.code in (0, 1), f"exit {run.code}: {run.stderr[-2000:]}"
    report = load_report(run.output / "report.json")
    assert report.duration_s < DEADLINE_S + 5
    crashed = [f"{r.check_id}: {r.message}" for r in report.results if "the check crashed" in r.message]
    assert not crashed, "\n".join(crashed)
    for result in report.results:
        if result.status.value in ("error", "not_evaluated"):
            assert_readable(result.message)
    assert (run.output / "report.html").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SILENT_TARGETS))
def test_a_target_that_never_answered_passes_nothing(audits, name):
    report = load_report(audits[name].output / "report.json")
    live = [r for r in report.results if r.source.value == "live"]
    assert live, "no live check ran"
    passed = [f"{r.check_id}: {r.message}" for r in live if r.status.value in ("pass", "partial", "warn")]
    assert not passed, "checks passed against a target that never answered:\n" + "\n".join(passed)
    assert report.score is None or report.coverage < 1


@pytest.mark.slow
def test_the_reachability_problem_is_named(audits):
    """Somewhere in the report a person reads why: refused, does not resolve, certificate."""
    words = {"refused": "refused", "unresolvable": "resolve", "tls-self-signed": "certificate",
             "tls-expired": "expired"}
    for name, word in words.items():
        text = (audits[name].output / "report.json").read_text(encoding="utf-8").lower()
        assert word in text, f"{name}: the report never says '{word}'"


@pytest.mark.slow
def test_markup_from_the_target_stays_text_in_every_report(audits):
    out = audits["markup"].output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in html, "the target's markup is shown (escaped), or the test proves nothing"
    assert_html_is_inert(html)
    markdown = (out / "report.md").read_text(encoding="utf-8") if (out / "report.md").exists() else ""
    assert "<script>" not in markdown, "raw markup in the Markdown report renders on GitHub"


@pytest.mark.slow
def test_the_api_key_echoed_by_the_target_is_masked_everywhere(audits):
    run = audits["echo_credentials"]
    files = sorted(p.name for p in run.output.iterdir())
    assert {"report.json", "report.html"} <= set(files), files
    everything = "\n".join([run.stdout, run.stderr] + [(run.output / f).read_text(encoding="utf-8") for f in files])
    assert API_KEY not in everything, "the API key leaked into an output"
    assert f"Bearer {API_KEY}" not in everything
    assert API_KEY[8:24] not in everything, "a long fragment of the key leaked"
    assert mask(API_KEY) in everything, "the echo reached the report (masked), or the test proves nothing"


def _processes_mentioning(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and int(pid) != os.getpid():
            found.append(f"{pid}: {cmdline[:200]}")
    return found


@pytest.mark.slow
def test_a_sigterm_while_probes_hang_on_a_silent_target_leaves_a_valid_incomplete_report(tmp_path):
    """SIGINT and SIGTERM at other stages are pinned in tests/integration and tests/load; here the
    probes are stuck in reads the target never answers, which no cancel flag can reach."""
    import signal

    from readyscore.engine import CANCEL_GRACE_S

    (tmp_path / "readyscore.yaml").write_text("schema_version: 1\nlive:\n  request_timeout_s: 60\n"
                                              "llm:\n  request_timeout_s: 60\n")
    out = tmp_path / "interrupted-out"
    with serve("silence") as server:
        child = subprocess.Popen(
            [sys.executable, "-m", "readyscore", "audit", "--url", server.url, "--config",
             str(tmp_path / "readyscore.yaml"), "--sources", "live", "-q", "--format", "json,html",
             "--output", str(out)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.requests, "the audit never reached the target"
        time.sleep(0.5)  # the probes are now waiting on a target that will never answer
        signalled = time.monotonic()
        child.send_signal(signal.SIGTERM)
        try:
            _, stderr = child.communicate(timeout=CANCEL_GRACE_S + 15)
        except subprocess.TimeoutExpired:
            child.kill()
            raise AssertionError("SIGTERM did not stop an audit whose probes hang") from None
        stopped_after = time.monotonic() - signalled
    assert child.returncode == 130, stderr[-2000:]
    assert stopped_after < CANCEL_GRACE_S + 8, f"stopped {stopped_after:.1f} s after SIGTERM"
    assert "Traceback" not in stderr
    report = load_report(out / "report.json")
    assert report.complete is False and report.incomplete_reason == "interrupted"
    assert all(r.status.value != "pass" for r in report.results if r.source.value == "live")
    assert (out / "report.html").is_file()
    assert not _processes_mentioning(str(out)), "a process of the audit outlived it"
