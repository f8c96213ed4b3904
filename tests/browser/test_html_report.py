"""The HTML report in a real browser: Debian's headless Chromium, driven over the DevTools protocol.

What a lead sees: no console errors under the report's strict CSP; score, level, ladder, area bars,
roadmap, baseline change, trend and check details on screen; working filters; markup from a
target shown as text, never run; a screenshot; a clean PDF. Skipped (never failed) on a machine
without Chromium: `.ci/install-browser.sh` installs it, and CI runs it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reporters"))  # the shared report factory

from cdp import Chromium, find_chromium  # noqa: E402
from report_factory import BAD_TREE, GOOD_TREE, HOSTILE, audit_files, hostile_report  # noqa: E402

from readyscore.baseline import attach, diff_reports  # noqa: E402
from readyscore.history import record  # noqa: E402
from readyscore.model import Status  # noqa: E402
from readyscore.reporters import get_reporter  # noqa: E402

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (run .ci/install-browser.sh; CI does)"),
    pytest.mark.slow,
]
VIEWPORT = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
VISIBLE_JS = """
window.__visible = function (el) {
  if (!el) return false;
  // checkVisibility also sees content a closed <details> hides (content-visibility), which
  // getBoundingClientRect alone does not: it lays such content out when asked.
  var box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
};
"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A failing audit with a baseline and a trend, and the same audit with a hostile target's words."""
    folder = tmp_path_factory.mktemp("browser-reports")
    good, bad = audit_files(folder, GOOD_TREE, "good"), audit_files(folder, BAD_TREE, "bad")
    history = folder / "history.jsonl"
    record(history, good)
    record(history, bad)
    attach(bad, diff_reports(good, bad, "main.json"))
    paths = {"bad": folder / "report.html", "hostile": folder / "hostile.html"}
    paths["bad"].write_text(get_reporter("html").render(bad))
    paths["hostile"].write_text(get_reporter("html").render(hostile_report(bad)))
    return bad, paths


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    pytest.importorskip("websocket", reason="websocket-client is not installed (pip install -e '.[test]')")
    chromium = Chromium(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))
    try:
        chromium.send("Emulation.setDeviceMetricsOverride", VIEWPORT)
        yield chromium
    finally:
        chromium.close()


def load(browser: Chromium, path: Path, fragment: str = "") -> None:
    browser.send("Emulation.setEmulatedMedia", {"media": ""})
    browser.open(path.as_uri() + fragment)
    browser.evaluate(VISIBLE_JS)


def page_state(browser: Chromium, expression: str):
    return json.loads(browser.evaluate(f"JSON.stringify({expression})"))


def test_the_report_loads_without_console_errors_under_its_strict_csp(browser, reports):
    _, paths = reports
    load(browser, paths["bad"])
    assert browser.problems() == []
    state = page_state(browser, """{
        csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]').content,
        scripts: Array.from(document.scripts).map(function (s) { return s.nonce.length > 0; }) }""")
    assert "default-src 'none'" in state["csp"] and "script-src 'nonce-" in state["csp"]
    assert state["scripts"] == [True]  # one script, and it carries the nonce


def test_score_level_ladder_area_bars_roadmap_baseline_and_trend_are_on_screen(browser, reports):
    report, paths = reports
    load(browser, paths["bad"])
    state = page_state(browser, """{
        score: document.getElementById('score').innerText, scoreShown: __visible(document.getElementById('score')),
        level: document.getElementById('level').innerText, levelShown: __visible(document.getElementById('level')),
        rungs: Array.from(document.querySelectorAll('#ladder .rung')).filter(__visible).length,
        current: document.querySelector('#ladder .rung.current .n').innerText,
        bars: Array.from(document.querySelectorAll('#areas .bar')).map(function (bar) {
          var fill = bar.querySelector('span');
          return [__visible(bar), fill ? fill.getBoundingClientRect().width / bar.getBoundingClientRect().width : null]; }),
        roadmap: Array.from(document.querySelectorAll('#roadmap tr')).filter(__visible).length - 1,
        baseline: __visible(document.getElementById('baseline-headline')) && document.getElementById('baseline-headline').innerText,
        trend: __visible(document.getElementById('trend-chart')) && document.querySelectorAll('#trend-chart .trend-point').length }""")
    assert state["scoreShown"] and state["score"].startswith(f"{report.score:.0f}")
    assert state["levelShown"] and state["level"] == f"Level {report.level} · {report.level_name}"
    assert state["rungs"] == len(report.profile.levels) and state["current"].startswith(f"Level {report.level}")
    shown_areas = [a for a in report.areas.values() if a.total]
    assert len(state["bars"]) == len(shown_areas) and all(visible for visible, _ in state["bars"])
    for (_, fraction), area in zip(state["bars"], shown_areas):  # each bar is as long as its score
        assert fraction == pytest.approx((area.score or 0) / 100, abs=0.02)
    assert state["roadmap"] == min(len(report.roadmap), 25) > 0
    assert "Level 3 → 1" in state["baseline"]
    assert state["trend"] == 2


def test_a_check_opens_to_show_its_evidence_fix_and_why(browser, reports):
    _, paths = reports
    load(browser, paths["bad"])
    before = page_state(browser, "__visible(document.querySelector('#check-fx-no-env .evidence'))")
    browser.evaluate("document.querySelector('#check-fx-no-env summary').click()")
    after = page_state(browser, """{
        open: document.getElementById('check-fx-no-env').open,
        evidence: __visible(document.querySelector('#check-fx-no-env .evidence')) &&
                  document.querySelector('#check-fx-no-env .evidence').innerText,
        fix: __visible(document.querySelector('#check-fx-no-env .kv')) &&
             document.querySelector('#check-fx-no-env .kv').innerText }""")
    assert before is False and after["open"] is True
    assert ".env" in after["evidence"] and "rotate its secrets" in after["fix"]

    load(browser, paths["bad"], "#check-fx-tests")  # a roadmap link opens the check it points at
    assert page_state(browser, "document.getElementById('check-fx-tests').open") is True


def test_the_filters_show_only_the_matching_checks(browser, reports):
    report, paths = reports
    load(browser, paths["bad"])
    browser.evaluate("""window.__filter = function (status, area, source) {
        [['f-status', status], ['f-area', area], ['f-source', source]].forEach(function (pair) {
          var select = document.getElementById(pair[0]);
          select.value = pair[1];
          select.dispatchEvent(new Event('change', { bubbles: true }));
        });
        return JSON.stringify({
          shown: Array.from(document.querySelectorAll('#checks details.check')).filter(__visible)
                   .map(function (el) { return el.id.slice(6); }).sort(),
          count: document.getElementById('f-count').innerText });
      };""")

    def shown(status="", area="", source=""):
        return json.loads(browser.evaluate(f"__filter({status!r}, {area!r}, {source!r})"))

    failing = sorted(r.check_id for r in report.results if r.status == Status.FAIL)
    assert shown("fail")["shown"] == failing and shown("fail")["count"] == f"{len(failing)} of {len(report.results)} checks"
    assert shown("fail", "security")["shown"] == ["fx-no-env"]
    assert shown("", "", "live")["shown"] == ["fx-live-health"]
    assert shown("pass", "deployment")["shown"] == []
    assert len(shown()["shown"]) == len(report.results)


def test_markup_from_the_target_is_shown_as_text_and_never_runs(browser, reports):
    _, paths = reports
    load(browser, paths["hostile"])
    browser.evaluate("document.querySelector('#check-fx-dockerfile summary').click()")
    state = page_state(browser, """{
        pwned: typeof window.__pwned,
        injected: document.querySelectorAll('#injected-snippet, #injected-url, #injected-path, img, main script, i#injected-path').length,
        scripts: document.scripts.length,
        text: document.getElementById('check-fx-dockerfile').innerText }""")
    assert state["pwned"] == "undefined" and state["injected"] == 0 and state["scripts"] == 1
    assert HOSTILE in state["text"]  # the words are there, as words
    assert '<b id="injected-snippet">bold</b>' in state["text"] and 'src/<i id="injected-path">p</i>.py' in state["text"]
    assert browser.problems() == []  # nothing even tried to run (a CSP block would be logged)


def test_a_screenshot_of_the_whole_report_is_saved(browser, reports, tmp_path_factory):
    _, paths = reports
    load(browser, paths["bad"])
    path = tmp_path_factory.mktemp("screenshots") / "report.png"
    data = browser.screenshot(path)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert VIEWPORT["width"] - 20 <= width <= VIEWPORT["width"]  # less the scrollbar
    assert height > VIEWPORT["height"]  # the whole page, not just the viewport
    print(f"screenshot: {path}")


def test_it_prints_to_pdf_with_every_check_expanded_and_no_controls(browser, reports, tmp_path_factory):
    report, paths = reports
    load(browser, paths["bad"])
    browser.send("Emulation.setEmulatedMedia", {"media": "print"})
    printed = page_state(browser, """{
        filters: __visible(document.querySelector('.filters')),
        closedButShown: Array.from(document.querySelectorAll('#checks details.check:not([open])')).map(function (el) {
          return __visible(el.querySelector('.kv')); }) }""")
    assert printed["filters"] is False
    assert len(printed["closedButShown"]) == len(report.results) and all(printed["closedButShown"])
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    data = browser.pdf(path)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") and pages >= 2
    assert browser.problems() == []
