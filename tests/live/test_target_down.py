"""A target that does not answer: every live check is not evaluated with one readable reason, and
the rest of the audit still reports."""

from __future__ import annotations

import socket
import time

from readyscore import engine
from readyscore.config import AuditOptions, ProjectConfig, load_profile
from readyscore.model import Source


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_down_target_gives_every_live_check_the_same_reason_and_static_checks_still_run(catalog, tmp_path):
    (tmp_path / "README.md").write_text("# service\n")
    # Enough static evidence for some area to count (a README alone is too little for any score).
    (tmp_path / "app.py").write_text("print('hi')\n")
    # The load family has its own test of a down target; here: the live family and the static one.
    options = AuditOptions(root=tmp_path, url=f"http://127.0.0.1:{closed_port()}", probes=["live-*"],
                           sources={Source.STATIC, Source.LIVE},
                           api_key_env="READYSCORE_TEST_NO_SUCH_VAR", show_progress=False)
    started = time.perf_counter()
    report = engine.audit(catalog, load_profile("default"), ProjectConfig(), options)
    assert time.perf_counter() - started < 10
    live = [r for r in report.results if r.check_id.startswith("live-")]
    assert len(live) >= 18
    reasons = {r.message for r in live}
    assert all(r.status.value == "not_evaluated" for r in live), [(r.check_id, r.status) for r in live]
    assert len(reasons) == 1 and "connection refused" in reasons.pop()
    assert report.sections["live"]["reachable"] is False
    readme = next(r for r in report.results if r.check_id == "repo-readme")
    assert readme.status.value == "pass"
    assert report.score is not None
