"""--fail-on-contradicted-claims through the real command line."""

from __future__ import annotations

import shutil
import subprocess
import sys

from claims_helpers import LLM_SUMMARY, PRESETS


def readyscore(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "readyscore", *args], capture_output=True, text=True, timeout=300)


def test_contradicted_claims_fail_the_build_only_with_the_flag(tmp_path):
    shutil.copy(LLM_SUMMARY, tmp_path / "README.md")
    plain = readyscore("audit", str(tmp_path), "-q", "-f", "json", "-o", str(tmp_path / "a"))
    assert plain.returncode == 0, plain.stderr
    gated = readyscore("audit", str(tmp_path), "-q", "-f", "json", "-o", str(tmp_path / "b"),
                       "--fail-on-contradicted-claims")
    assert gated.returncode == 1
    assert "readiness claim(s) contradicted" in gated.stderr and "README.md:3" in gated.stderr


def test_backed_claims_and_no_claims_pass_the_flag(tmp_path):
    backed = tmp_path / "backed"
    shutil.copytree(PRESETS / "level2", backed)
    quiet = tmp_path / "quiet"
    quiet.mkdir()
    (quiet / "README.md").write_text("# tool\n\nA chat API.\n")
    for tree in (backed, quiet):
        run = readyscore("audit", str(tree), "-q", "-f", "json", "-o", str(tmp_path / f"out-{tree.name}"),
                         "--fail-on-contradicted-claims")
        assert run.returncode == 0, run.stderr
