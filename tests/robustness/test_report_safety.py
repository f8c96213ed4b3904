"""What an audited repository plants in the reports: markup that must stay text, and secrets that
must appear masked (first and last few characters at most) in every format and on the terminal.

The browser half (the page really running nothing) is tests/browser/; here the HTML is parsed and
held to the tags the templates write, and every output is searched for the raw secrets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from readyscore.redact import Redactor, mask
from readyscore.report import load_report

from robust_helpers import assert_html_is_inert, assert_no_traceback, readyscore

# Shaped like real keys so the scanner's provider rules match; generated for this test, never valid.
OPENAI_KEY = "sk-proj-" + "Zq7" * 12 + "x9Tr"
AWS_KEY_ID = "AKIA" + "Q7ZX4M2P9LKD3WVB"
MARKUP = '<script>alert("repo")</script><img src=x onerror=alert(1)>'
EVERY_FORMAT = "terminal,json,html,sarif,junit,markdown"


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaky") / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "README.md").write_text(f"# {MARKUP}\n")
    (root / "tests" / "test_app.py").write_text("def test_ok():\n    assert True\n")
    (root / "settings.py").write_text(f'OPENAI_API_KEY = "{OPENAI_KEY}"\nAWS_ACCESS_KEY_ID = "{AWS_KEY_ID}"\n')
    (root / f"{MARKUP.replace('/', '_')}.py").write_text(f'# {MARKUP}\nAPI_KEY = "{OPENAI_KEY}"\n')
    (root / ".env").write_text(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    (root / "docker-compose.yml").write_text(
        f"services:\n  app:\n    image: app\n    environment:\n      OPENAI_API_KEY: {OPENAI_KEY}\n"
        f"      NOTE: '{MARKUP}'\n")
    run = readyscore("audit", str(root), "--sources", "static,deploy", "--format", EVERY_FORMAT,
                     output=tmp_path_factory.mktemp("leaky-out"), timeout=120)
    assert_no_traceback(run)
    assert run.code in (0, 1), run.stderr[-2000:]
    return run


def test_found_secrets_are_reported_masked_and_never_in_full(audited):
    report = load_report(audited.output / "report.json")
    secrets = report.result("static-secrets")
    assert secrets is not None and secrets.status.value == "fail", "the planted keys were not found"
    assert any(e.path == "settings.py" for e in secrets.evidence)
    everything = audited.all_output()
    for secret in (OPENAI_KEY, AWS_KEY_ID):
        assert secret not in everything, f"{secret[:6]}… appears in full in an output"
    assert OPENAI_KEY[6:30] not in everything, "a long fragment of a key appears"


def test_every_format_was_written(audited):
    names = {p.name for p in audited.output.iterdir()}
    assert {"report.json", "report.html", "report.sarif", "junit.xml", "report.md"} <= names, names
    assert "Score" in audited.stdout or "Level" in audited.stdout  # the terminal summary was printed


def test_markup_from_the_tree_stays_text_in_the_html(audited):
    html = (audited.output / "report.html").read_text(encoding="utf-8")
    assert "onerror=alert(1)&gt;" in html or "onerror=alert(1)&#34;" in html or "&lt;img" in html, \
        "the file name with markup is shown (escaped), or the test proves nothing"
    assert_html_is_inert(html)


def test_markup_from_the_tree_is_not_raw_in_the_markdown(audited):
    path = audited.output / "report.md"
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and "<img " not in text


def test_the_redactor_masks_keys_headers_and_bearer_tokens():
    """The unit under all of the above: what it keeps of a secret is at most its ends."""
    redactor = Redactor([OPENAI_KEY])
    text = (f"key={OPENAI_KEY}; Authorization: Bearer abcdefghijklmnop; x-api-key: zyxwvutsrq123;"
            f' "Authorization": "Basic dXNlcjpwYXNzd29yZA=="')
    out = redactor.redact(text)
    assert OPENAI_KEY not in out and mask(OPENAI_KEY) in out
    for raw in ("abcdefghijklmnop", "zyxwvutsrq123", "dXNlcjpwYXNzd29yZA=="):
        assert raw not in out, out
    assert redactor.redact("an ordinary sentence about keys") == "an ordinary sentence about keys"  # safe twin
    assert len(mask("short")) <= 8 and "short" not in mask("short")


@pytest.mark.parametrize("path", [Path("report.json")])
def test_rerendering_a_report_keeps_it_inert(audited, path, tmp_path):
    """`readyscore report` renders from the JSON alone: the escaping must not depend on the audit."""
    run = readyscore("report", str(audited.output / path), "--format", "html,markdown,sarif,junit",
                     output=tmp_path, timeout=60)
    assert run.code == 0, run.stderr
    assert_html_is_inert((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert OPENAI_KEY not in run.all_output()
