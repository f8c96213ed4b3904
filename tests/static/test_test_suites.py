"""repo-tests-present and repo-test-config read the test suites of every language the tool reads:
Helicone's Rust gateway (a crate's tests/ folder, [dev-dependencies]) read "no test files" before.
A file that only mentions testing, or a release profile, is not a suite or its configuration."""

from __future__ import annotations

import pytest
from static_helpers import write_tree

CHECKS = ["repo-tests-present", "repo-test-config"]
CARGO = '[package]\nname = "gw"\n\n[dev-dependencies]\nwiremock = "0.6"\n'


@pytest.mark.parametrize(("files", "expected"), [
    ({"gw/src/main.rs": "fn main() {}\n", "gw/tests/auth.rs": "#[test]\nfn refuses() {}\n", "gw/Cargo.toml": CARGO},
     {"repo-tests-present": "pass", "repo-test-config": "pass"}),
    ({"web/src/chat.ts": "export {};\n", "web/src/chat.spec.ts": "it('answers', () => {});\n",
      "web/vitest.config.ts": "import { defineConfig } from 'vitest/config';\nexport default defineConfig({});\n"},
     {"repo-tests-present": "pass", "repo-test-config": "pass"}),
    ({"api/src/__tests__/routes.js": "test('x', () => {});\n", "api/jest.config.js": "module.exports = {};\n"},
     {"repo-tests-present": "pass", "repo-test-config": "pass"}),
    ({"svc/src/test/java/ChatTest.java": "class ChatTest {}\n"}, {"repo-tests-present": "pass", "repo-test-config": "fail"}),
    # A package.json test script that runs a runner is the suite's configuration (huggingface/chat-ui:
    # Vitest configured inside vite.config.ts); one that only echoes, or none, is not.
    ({"src/chat.spec.ts": "it('answers', () => {});\n",
      "package.json": '{"scripts": {"test": "vitest --project=server"}}\n'},
     {"repo-tests-present": "pass", "repo-test-config": "pass"}),
    ({"src/chat.spec.ts": "it('answers', () => {});\n",
      "package.json": '{"scripts": {"test": "echo \\"Error: no test specified\\" && exit 1", "build": "vite build"}}\n'},
     {"repo-tests-present": "pass", "repo-test-config": "fail"}),
    # No tests: a crate with a release profile and no test-only dependencies, a README that says "tests".
    ({"gw/src/main.rs": "fn main() {}\n", "gw/Cargo.toml": '[package]\nname = "gw"\n\n[profile.release]\nlto = true\n',
      "README.md": "Run the tests with cargo test.\n"},
     {"repo-tests-present": "fail", "repo-test-config": "fail"}),
])
def test_suites_in_every_language(static_audit, tmp_path, files, expected):
    results = static_audit(write_tree(tmp_path / "x", files), CHECKS)
    assert {c: results[c].status.value for c in CHECKS} == expected, {c: results[c].message for c in CHECKS}
