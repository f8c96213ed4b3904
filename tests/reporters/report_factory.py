"""Reports for the reporters' tests, made by the real engine over small trees.

The checks and the profile are the fixed fx-* set under tests/fixtures/reporters/, so these tests
do not move when other families add checks to the built-in catalog.
"""

from __future__ import annotations

from pathlib import Path

from readyscore import engine
from readyscore.catalog import load_catalog
from readyscore.config import AuditOptions, ProjectConfig, load_profile
from readyscore.model import Evidence, Status
from readyscore.report import Report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reporters"
CHECKS_DIR = FIXTURES / "checks"
PROFILE = FIXTURES / "profile.yaml"

# A tree that passes everything the static fx-* checks look at.
GOOD_TREE = {
    "README.md": "# service\n",
    "tests/test_app.py": "def test_ok():\n    assert True\n",
    "Dockerfile": "FROM python:3.12-slim\nUSER app\n",
    "app.py": "print('hello')\n",
}
# Fails fx-no-env (with a file location), fx-dockerfile (without one), fx-tests only partly.
BAD_TREE = {
    "README.md": "# service\n",
    "tests/helpers.py": "X = 1\n",
    ".env": "TOKEN=placeholder\n",
    "app.py": "print('hello')\n",
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def audit_tree(root: Path, url: str | None = None) -> Report:
    catalog = load_catalog([CHECKS_DIR], include_builtin=False)
    profile = load_profile(str(PROFILE))
    options = AuditOptions(root=root.resolve(), url=url, show_progress=False)
    return engine.audit(catalog, profile, ProjectConfig(), options)


def audit_files(tmp_path: Path, files: dict[str, str], name: str = "service") -> Report:
    return audit_tree(write_tree(tmp_path / name, files))


def with_result(report: Report, check_id: str, **changes) -> Report:
    """The report with one result changed, as a family's executor could have produced it."""
    results = [r.model_copy(update=changes) if r.check_id == check_id else r for r in report.results]
    return report.model_copy(update={"results": results})


HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def hostile_report(report: Report) -> Report:
    """Markup where a target's words land: messages, evidence, snippets, urls, suppression text."""
    evidence = [
        Evidence(message=f"server said {HOSTILE}", url="http://127.0.0.1:9/<b id=injected-url>x</b>",
                 method="GET", status=500, snippet=f'</pre><b id="injected-snippet">bold</b>{HOSTILE}'),
        Evidence(message="file", path='src/<i id="injected-path">p</i>.py', line=3),
    ]
    return with_result(report, "fx-dockerfile", status=Status.FAIL, message=f"answer was {HOSTILE}",
                       evidence=evidence)
