"""Hard-coded secrets: each provider format and literal setting is found with file and line, masked
in every output; environment look-ups, empty values and placeholders are not; weak defaults are
their own finding; keys in test fixtures count at a lower severity.

The fake keys are assembled at run time so that this repository never holds a string that looks
like a live credential.
"""

from __future__ import annotations

import json

import pytest
from static_helpers import explain, write_tree

from readyscore.reporters import available_formats, get_reporter

SECRET_CHECKS = ["static-secrets", "static-secrets-test-fixtures", "static-weak-defaults"]
BODY = "Q7fK2mZp9XvL4tRb8NwY3cHd6JsG1aUe5oTi0kPq"  # 40 characters, mixed: looks random


def fake(prefix: str, length: int = 40, alphabet: str = BODY) -> str:
    return prefix + (alphabet * 4)[:length]


KEYS = {
    "openai": fake("sk-" + "proj-", 48),
    "anthropic": fake("sk-" + "ant-api03-", 90),
    "huggingface": fake("hf" + "_", 34, "QfKmZpXvLtRbNwYcHdJsGaUeoTikPq"),
    "aws": "AKIA" + "Q7FK2MZP9XVL4TRB",
    "github": fake("gh" + "p_", 36),
    "slack": "xox" + "b-" + "1234567890-" + BODY[:24],
    "stripe": fake("sk" + "_live_", 24),
}
PRIVATE_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow" + BODY + "\n-----END RSA PRIVATE KEY-----\n"
DB_PASSWORD = "Zx9" + "vQ2mLp7Rk4tW"
SIGNING_SECRET = "n8Gq" + "Vx3LpZk7Wm2R"


def leaky_tree(root):
    return write_tree(root, {
        "service/llm.py": (
            "import os\n"
            "from openai import OpenAI\n"
            f"client = OpenAI(api_key=\"{KEYS['openai']}\")\n"
            f"ANTHROPIC_KEY = \"{KEYS['anthropic']}\"\n"
            f"JWT_SECRET = os.getenv(\"JWT_SECRET\", \"{SIGNING_SECRET}\")\n"
            "ADMIN_PASSWORD = os.environ.get(\"ADMIN_PASSWORD\", \"changeme\")\n"
            "def connect(password=\"admin\"):\n"
            "    return password\n"),
        "config/settings.yaml": f"database:\n  host: db\n  password: \"{DB_PASSWORD}\"\nhf_token: {KEYS['huggingface']}\n",
        ".env": f"AWS_ACCESS_KEY_ID={KEYS['aws']}\nGITHUB_TOKEN={KEYS['github']}\nSECRET_KEY=secret\n",
        "Dockerfile": f"FROM python:3.12-slim\nENV SLACK_BOT_TOKEN={KEYS['slack']}\n",
        "k8s/deployment.yaml": f"env:\n  - name: STRIPE_KEY\n    value: {KEYS['stripe']}\n",
        "deploy/key.pem": PRIVATE_KEY,
        "config/db.ini": f"[db]\nurl = postgresql://app:{DB_PASSWORD}@db:5432/app\n",
        "tests/test_client.py": f"API_KEY = \"{KEYS['openai'][:-4]}WXYZ\"\n",
    })


def clean_tree(root):
    return write_tree(root, {
        "service/llm.py": (
            "import os\n"
            "from openai import OpenAI\n"
            "client = OpenAI(api_key=os.environ[\"OPENAI_API_KEY\"])\n"
            "ANTHROPIC_KEY = os.getenv(\"ANTHROPIC_API_KEY\")\n"
            "JWT_SECRET = os.environ.get(\"JWT_SECRET\", \"\")\n"
            "EXAMPLE_KEY = \"sk-your-key-here\"\n"
            "token_type = \"bearer\"\n"
            "pad_token = \"<|endoftext|>\"\n"
            "PASSWORD_ENV = \"DB_PASSWORD\"\n"
            "def connect(password=None):\n"
            "    return password\n"),
        "config/settings.yaml": "database:\n  host: db\n  password: ${DB_PASSWORD}\nhf_token: \"{{ hf_token }}\"\n",
        ".env.example": "OPENAI_API_KEY=sk-...\nAWS_ACCESS_KEY_ID=<your-access-key>\nSECRET_KEY=\n",
        "Dockerfile": "FROM python:3.12-slim\nENV SLACK_BOT_TOKEN=\"\"\nARG GITHUB_TOKEN\n",
        "k8s/deployment.yaml": ("env:\n  - name: STRIPE_KEY\n    valueFrom:\n      secretKeyRef: {name: stripe, key: key}\n"
                                "  - name: API_TOKEN\n    value: $(API_TOKEN)\n"),
        "config/db.ini": "[db]\nurl = postgresql://app:${DB_PASSWORD}@db:5432/app\n",
        "README.md": "Set `OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` and run.\n",
        "tests/test_client.py": "API_KEY = \"sk-test-not-a-real-key\"\n",
    })


@pytest.fixture
def leaky(static_audit, tmp_path):
    return static_audit(leaky_tree(tmp_path / "leaky"), SECRET_CHECKS)


def test_every_provider_format_and_literal_is_found(leaky):
    result = leaky["static-secrets"]
    assert result.status.value == "fail", explain(leaky)
    found = {(e.path, e.line) for e in result.evidence}
    assert found == {
        ("service/llm.py", 3), ("service/llm.py", 4), ("service/llm.py", 5),
        ("config/settings.yaml", 3), ("config/settings.yaml", 4),
        (".env", 1), (".env", 2), ("Dockerfile", 2), ("k8s/deployment.yaml", 3), ("deploy/key.pem", 1),
        ("config/db.ini", 2),
    }, result.evidence
    labels = " ".join(e.message for e in result.evidence)
    for label in ("OpenAI API key", "Anthropic API key", "Hugging Face token", "AWS access key id", "GitHub token",
                  "Slack token", "Stripe secret key", "private key", "password in a connection URL",
                  "an environment fallback"):
        assert label in labels


def test_weak_defaults_are_their_own_finding(leaky):
    result = leaky["static-weak-defaults"]
    assert result.status.value == "fail"
    assert {(e.path, e.line) for e in result.evidence} == {("service/llm.py", 6), ("service/llm.py", 7), (".env", 3)}


def test_keys_in_test_fixtures_are_reported_apart_at_lower_severity(leaky, static_audit):
    assert leaky["static-secrets-test-fixtures"].status.value == "fail"
    assert [e.path for e in leaky["static-secrets-test-fixtures"].evidence] == ["tests/test_client.py"]
    assert "tests/test_client.py" not in {e.path for e in leaky["static-secrets"].evidence}
    report = static_audit.last
    severities = {r.check_id: r.severity.value for r in report.results}
    assert severities["static-secrets-test-fixtures"] == "low" and severities["static-secrets"] == "critical"


def test_clean_twin_passes(static_audit, tmp_path):
    results = static_audit(clean_tree(tmp_path / "clean"), SECRET_CHECKS)
    assert {k: r.status.value for k, r in results.items()} == {k: "pass" for k in SECRET_CHECKS}, explain(results)


def test_no_output_format_shows_a_secret(static_audit, tmp_path):
    static_audit(leaky_tree(tmp_path / "leaky"), SECRET_CHECKS)
    report = static_audit.last
    values = [*KEYS.values(), DB_PASSWORD, SIGNING_SECRET, "MIIEow" + BODY]
    rendered = {name: get_reporter(name).render(report) for name in available_formats() if name != "terminal"}
    assert {"json", "html", "sarif"} <= set(rendered)
    for name, text in rendered.items():
        for value in values:
            assert value not in text, f"{name} shows {value[:6]}..."
    evidence = json.loads(rendered["json"])
    messages = [e["message"] for r in evidence["results"] for e in r["evidence"]]
    assert any("…" in m for m in messages)  # masked, first and last characters only

