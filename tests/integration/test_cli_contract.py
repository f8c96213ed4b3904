"""The command line's contract, through the real console script as a user runs it: every usage
error is one line naming the option or argument (and the allowed values where there are some),
exit 2, no traceback; repeated list options accumulate like their comma form; the demo's reports
say what was audited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "readyscore"  # the installed console script, not `python -m`


def readyscore(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    assert SCRIPT.exists(), f"the console script is not installed at {SCRIPT}"
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "80"})


def assert_usage_error(proc: subprocess.CompletedProcess, *must_name: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr  # one line: greppable, no usage block, no traceback
    line = lines[0]
    assert line.startswith("error: "), line
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    for word in must_name:
        assert word.lower() in line.lower(), (word, line)
    return line


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "README.md").write_text("# svc\n")
    return root


@pytest.fixture()
def report_json(tmp_path: Path) -> Path:
    """A real report.json, from a quick static audit."""
    root = tmp_path / "small"
    root.mkdir()
    (root / "app.py").write_text("print('hi')\n")
    out = tmp_path / "small-report"
    proc = readyscore("audit", str(root), "--sources", "static", "-o", str(out), "-q", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    return out / "report.json"


# One case per typed option: (command line after `readyscore`, words the error line must contain).
# `{repo}` is the audited folder.
TYPED_OPTIONS = {
    "audit --fail-under above 100": (["audit", "{repo}", "--fail-under", "101"], ["--fail-under", "100"]),
    "audit --fail-under not a number": (["audit", "{repo}", "--fail-under", "abc"], ["--fail-under"]),
    "audit --min-level above 4": (["audit", "{repo}", "--min-level", "7"], ["--min-level", "4"]),
    "audit --timeout zero": (["audit", "{repo}", "--timeout", "0"], ["--timeout", "1"]),
    "audit --deadline not a number": (["audit", "{repo}", "--deadline", "abc"], ["--deadline"]),
    "audit --processes zero": (["audit", "{repo}", "--processes", "0"], ["--processes", "1"]),
    "audit --processes above 64": (["audit", "{repo}", "--processes", "65"], ["--processes", "64"]),
    "audit --fail-on unknown": (["audit", "{repo}", "--fail-on", "bogus"], ["--fail-on", "bogus", "high", "critical"]),
    "audit --format unknown": (["audit", "{repo}", "--format", "pdf"], ["--format", "pdf", "json", "html"]),
    "audit --format unknown, repeated": (["audit", "{repo}", "-f", "json", "-f", "pdf"], ["--format", "pdf", "html"]),
    "audit --sources unknown": (["audit", "{repo}", "--sources", "nope"], ["--sources", "nope", "static", "load"]),
    "audit --url malformed": (["audit", "{repo}", "--url", "http://[::1"], ["--url", "http://[::1"]),
    "audit --url not http": (["audit", "{repo}", "--url", "ftp://example.test"], ["--url", "http://"]),
    "audit --url without a host": (["audit", "{repo}", "--url", "http://"], ["--url"]),
    "audit --url bad port": (["audit", "{repo}", "--url", "http://127.0.0.1:99999"], ["--url", "port"]),
    "demo --preset unknown": (["demo", "--preset", "level9"], ["--preset", "level9", "level1", "level4"]),
    "demo --format unknown": (["demo", "--format", "pdf"], ["--format", "pdf", "json"]),
    "demo --sources unknown": (["demo", "--sources", "nope"], ["--sources", "nope", "static"]),
    "report --format unknown": (["report", "{report}", "--format", "pdf"], ["--format", "pdf", "markdown"]),
    "diff --format unknown": (["diff", "{report}", "{report}", "--format", "pdf"], ["--format", "pdf", "markdown"]),
    "checks list --source unknown": (["checks", "list", "--source", "nope"], ["--source", "nope", "deploy"]),
    "checks list --area unknown": (["checks", "list", "--area", "nope"], ["--area", "nope", "security"]),
    "init --url malformed": (["init", "{repo}", "--url", "http://[::1", "--stdout"], ["--url", "http://[::1"]),
}


@pytest.mark.parametrize("case", list(TYPED_OPTIONS))
def test_a_bad_value_of_a_typed_option_is_one_line_and_exit_2(case, repo, tmp_path, request):
    args, words = TYPED_OPTIONS[case]
    report = request.getfixturevalue("report_json") if any("{report}" in a for a in args) else None
    argv = [a.format(repo=repo, report=report) for a in args]
    proc = readyscore(*argv, cwd=tmp_path)
    assert_usage_error(proc, *words)
    assert not (tmp_path / "reports").exists(), "an audit ran despite the usage error"


# One case per kind of usage error, on several subcommands.
USAGE_ERRORS = {
    "unknown option on audit": (["audit", "--bogus"], ["--bogus"]),
    "unknown short option on report": (["report", "-q", "x.json"], ["-q"]),
    "unknown option on a browse command": (["checks", "list", "--bogus"], ["--bogus"]),
    "unknown command": (["bogus-command"], ["bogus-command"]),
    "unknown sub-command": (["profiles", "bogus"], ["bogus"]),
    "missing argument of report": (["report"], ["report_json"]),
    "missing argument of checks show": (["checks", "show"], ["check_id"]),
    "missing argument of diff": (["diff", "a.json"], ["new"]),
    "missing value of an option": (["audit", ".", "--url"], ["--url"]),
    "extra argument": (["schema", "surplus"], ["surplus"]),
    "regression gate without a baseline": (["audit", "{repo}", "--fail-on-regression"], ["--baseline"]),
    "nothing to audit": (["audit"], ["PATH", "--url"]),
}


@pytest.mark.parametrize("case", list(USAGE_ERRORS))
def test_each_kind_of_usage_error_is_one_line_and_exit_2(case, repo, tmp_path):
    args, words = USAGE_ERRORS[case]
    proc = readyscore(*[a.format(repo=repo) for a in args], cwd=tmp_path)
    assert_usage_error(proc, *words)


def test_a_good_command_line_still_runs(repo, tmp_path):
    """The twin of the cases above: the same options with valid values audit and exit 0."""
    # A README alone is too little evidence for any area to count (no score, which no --fail-under
    # accepts); a line of Python gives two areas enough to be scored.
    (repo / "app.py").write_text("print('hi')\n")
    out = tmp_path / "o"
    proc = readyscore("audit", str(repo), "--fail-under", "0", "--min-level", "0", "--timeout", "30",
                      "--deadline", "120", "--processes", "2", "--fail-on", "critical", "--sources", "static",
                      "-o", str(out), "-q", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "report.json").read_text())["complete"] is True


# --------------------------------------------------------------------------------------------
# Repeated list options accumulate, as their comma form does.


@pytest.mark.parametrize("form", [["-f", "json", "-f", "markdown"], ["--format", "json,markdown"],
                                  ["--format", "json", "--format", "markdown,json"]])
def test_formats_accumulate_whether_repeated_or_comma_separated(form, repo, tmp_path):
    out = tmp_path / "o"
    proc = readyscore("audit", str(repo), "--sources", "static", "-o", str(out), "-q", *form)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]


def test_report_formats_accumulate_too(report_json, tmp_path):
    out = tmp_path / "rendered"
    proc = readyscore("report", str(report_json), "-f", "sarif", "-f", "junit,markdown", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "report.md", "report.sarif"]


def _statuses(report: dict, source: str) -> set[str]:
    return {r["status"] for r in report["results"] if r["source"] == source}


@pytest.mark.parametrize("form", [["--sources", "static", "--sources", "deploy"], ["--sources", "static,deploy"]])
def test_sources_accumulate_whether_repeated_or_comma_separated(form, repo, tmp_path):
    out = tmp_path / "o"
    proc = readyscore("audit", str(repo), *form, "-o", str(out), "-q", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert _statuses(report, "static") - {"not_evaluated"}, "the first --sources was dropped"
    assert _statuses(report, "deploy") - {"not_evaluated"}, "the second --sources was dropped"
    live = [r for r in report["results"] if r["source"] == "live"]
    assert live and all("--sources" in r["message"] for r in live)


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("form", [["--probe", "live-health*", "--probe", "live-cors*"],
                                  ["--probe", "live-health*,live-cors*"]])
def test_probes_accumulate_whether_repeated_or_comma_separated(form, tmp_path):
    out = tmp_path / "o"
    url = f"http://127.0.0.1:{_closed_port()}"  # nothing listens: the selected probes run and fail fast
    proc = readyscore("audit", "--url", url, "--sources", "live", *form, "-o", str(out), "-q", "-f", "json",
                      timeout=180)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    ran = {r["check_id"] for r in report["results"]
           if r["source"] == "live" and "not selected by --probe" not in r["message"]}
    assert ran, "no probe was selected"
    assert any(c.startswith("live-health") for c in ran), ran
    assert any(c.startswith("live-cors") for c in ran), ran
    assert all(c.startswith(("live-health", "live-cors")) for c in ran), ran


# --------------------------------------------------------------------------------------------
# The demo's reports say what was audited; the JSON keeps the real path.


@pytest.mark.slow
def test_the_demo_report_names_the_example_service_its_preset_and_url(tmp_path):
    out = tmp_path / "demo"
    proc = readyscore("demo", "--preset", "level1", "--sources", "static", "-o", str(out),
                      "-f", "terminal", "-f", "json,html", timeout=240)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    target = report["target"]
    assert Path(target["path"]).parts[-3:] == ("demo", "presets", "level1")  # the real path, kept
    assert "example service" in target["label"] and "level1" in target["label"]
    assert target["url"].startswith("http://127.0.0.1:")

    html = (out / "report.html").read_text()
    header = html[html.index("<header>"):html.index("</header>")]
    assert target["label"] in header and target["url"] in header
    assert "presets" not in header and "site-packages" not in header

    terminal = " ".join(proc.stdout.split())  # the panel may wrap; its words stay whole
    assert "example service" in terminal and "level1" in terminal and target["url"] in terminal
    assert "presets/level1" not in terminal and "site-packages" not in terminal


@pytest.mark.parametrize("command", ["audit", "demo"])
def test_help_paragraphs_flow_to_the_terminal_width(command: str) -> None:
    """A wide terminal gets the description in wide lines, not broken where the docstring's source
    lines end (typer 0.29 keeps those breaks unless readyscore flows the paragraphs itself)."""
    proc = subprocess.run([str(SCRIPT), command, "--help"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "240"})
    assert proc.returncode == 0, proc.stderr
    description = proc.stdout.split("Usage:", 1)[1].split("╭", 1)[0]
    lines = [line.strip() for line in description.splitlines()[1:] if line.strip()]
    assert lines, proc.stdout
    # Every paragraph of these docstrings is under 240 characters once flowed: one line each.
    assert all(len(line) > 60 for line in lines[:-1]), lines
    assert len(lines) <= 3, lines
