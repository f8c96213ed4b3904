"""Shared pieces of the fault-injection suite: certificates, the CLI as a subprocess, report checks.

A module of its own (not conftest.py): several test folders have a conftest.py, and importing
"conftest" by name would get whichever was imported first."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from hostile_targets import make_certificates  # noqa: E402

REPO = HERE.parents[1]


@pytest.fixture(scope="session")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    output: Path

    @property
    def report(self) -> dict:
        return json.loads((self.output / "report.json").read_text(encoding="utf-8"))

    def all_output(self) -> str:
        """Everything the run showed or wrote: terminal, logs and every report file."""
        parts = [self.stdout, self.stderr]
        if self.output.is_dir():
            parts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(self.output.iterdir())
                      if p.is_file()]
        return "\n".join(parts)


def readyscore(*args: str, output: Path, timeout: float = 90, env: dict | None = None,
               cwd: Path | None = None, user: str | None = None) -> Run:
    """Run the real CLI in a child process; `timeout` is the hang detector (the test fails on it)."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "readyscore", *args, "--output", str(output)], capture_output=True, text=True,
        timeout=timeout, cwd=cwd or REPO, user=user,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})})
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started, output)


def assert_no_traceback(run: Run) -> None:
    assert "Traceback (most recent call last)" not in run.stderr + run.stdout, run.stderr[-3000:]
    assert "internal error" not in run.stderr, run.stderr[-3000:]


def assert_readable(message: str) -> None:
    """A sentence for a person: not empty, not a repr of an exception object, not a traceback."""
    assert message and message.strip(), "empty message"
    assert "Traceback" not in message and "object at 0x" not in message, message
    assert len(message) < 2000, message[:200]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _template_tags() -> set[str]:
    """Every tag name the report's own templates write: anything else came from the data."""
    folder = REPO / "readyscore" / "reporters" / "templates"
    source = "\n".join(p.read_text(encoding="utf-8") for p in folder.rglob("*.j2"))
    return {t.lower() for t in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", source)}


def assert_html_is_inert(html: str) -> None:
    """Nothing in the page runs or loads except the report's own nonce-tagged script."""
    parser = _Tags()
    parser.feed(html)
    csp = re.search(r"script-src 'nonce-([^']+)'", html)
    assert csp, "the Content-Security-Policy with a script nonce is missing"
    allowed = _template_tags()
    for tag, attrs in parser.tags:
        assert tag in allowed, f"<{tag}> is not written by the template: markup from the data got through"
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"<{tag}> carries event handlers {handlers}"
        for name in ("href", "src", "action", "formaction"):
            assert not (attrs.get(name) or "").strip().lower().startswith(("javascript:", "data:text/html")), attrs
        if tag == "script":
            assert attrs.get("nonce") == csp.group(1) and "src" not in attrs, f"a foreign script: {attrs}"
