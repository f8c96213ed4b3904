"""Secrets by structure: a literal credential is a string literal (or a plain config scalar) bound
to a credential-named key, never an expression, a reference, a type or an interpolation. Each false
alarm reported on real repositories (issue 17) is a negative here; the real keys stay positive.

Fake values are assembled at run time so the repository holds nothing that looks like a live key.
"""

from __future__ import annotations

import pytest
from static_helpers import write_tree

BODY = "Q7fK2mZp9XvL4tRb8NwY3cHd6JsG1aUe5oTi0kPq"
OPENAI = "sk-" + "proj-" + (BODY * 2)[:48]
LITERAL = "Zx9" + "vQ2mLp7Rk4tW"  # a literal, not provider-shaped
CHECKS = ["static-secrets", "static-secrets-test-fixtures", "static-weak-defaults"]

FALSE_ALARMS = {
    "api/v1/zz_generated.deepcopy.go": ("package v1\nfunc (in *Spec) DeepCopyInto(out *Spec) {\n"
                                        "\tout.HFTokenSecret = in.HFTokenSecret\n\tout.APIKey = in.APIKey\n}\n"),
    "pkg/auth/token.go": "package auth\nfunc f(token []byte) Claims {\n\treturn Claims{token: string(token), Password: pw}\n}\n",
    "router/src/server.rs": ("pub struct Info { pub stream_token: &'static str }\n"
                             "fn f(h: &str) { let decoded_token = decode(h); let api_key = headers.get(\"x\"); }\n"),
    "gateway/src/client.ts": ("export function make(options: Opts) {\n  const cfg = { apiKey: options.apiKey, hasApiKey: !!options.apiKey };\n"
                              "  req.apiKey = process.env.API_KEY;\n  const token = `Bearer ${options.token}`;\n  return cfg;\n}\n"),
    "infra/main.tf": ("module \"obs\" {\n  grafana_admin_password = var.grafana_admin_password\n"
                      "  db_password = \"${var.db_password}\"\n}\n"),
    "docker-compose.yml": ("services:\n  api:\n    image: x\n    environment:\n      - ACCESS_TOKEN_EXPIRE_MINUTES=30\n"
                           "      - REFRESH_TOKEN_TTL=86400\n      - API_KEY_TIMEOUT=5\n"),
    "app/pii.py": "import enum\nclass PIIKind(enum.Enum):\n    EMAIL = \"email\"\n    PASSWORD = \"password\"\n    API_KEY = \"api_key\"\n",
    "docs/deploy.md": ("Connect with `postgresql://user:" + "s3cretPassw0rd@db:5432/app`\n\n"
                       "```yaml\napi_key: " + LITERAL + "\n```\n"),
    "README.md": "Set `OPENAI_API_KEY=sk-...` and `password: changeme` in your env.\n",
    # Xinference: UI strings of a locale file, a console-script entry point, a sentinel string.
    "frontend/src/i18n/locales/ja.ts": ("export default {\n  confirmPassword: 'パスワードの確認',\n"
                                        "  passwordTooShort: 'パスワードは8文字より長くする必要があります',\n};\n"),
    "pyproject.toml": ("[project.scripts]\n"
                       "xinference-reset-auth-password = \"xinference.api.oauth2.advanced.reset_password:main\"\n"),
    "app/frontend_static.py": "_SHELL_TOKEN = \"__shell__\"\n",
    # anything-llm: a form's placeholder with a provider prefix, URL shapes in comments, translations.
    "frontend/src/components/ChromaDBOptions/index.jsx": ("export const F = () => (\n  <input name=\"apiKey\"\n"
                                                         "    placeholder=\"sk-myApiKeyToAccessMyChromaInstance\" />\n);\n"),
    "server/sql/MSSQL.js": "// eg: mssql://user:password@server:port/database?{...opts}\nconst config = {};\n",
    "server/sql/utils.js": "/**\n * scheme://[username[:password]@]host1[:port1][/[endpoint]]\n */\nconst x = 1;\n",
    "frontend/src/locales/de/common.js": ("export default {\n  password: \"Administrator-Kontopasswort\",\n"
                                          "  \"placeholder-password\": \"Passwort\",\n};\n"),
    # envoyproxy/ai-gateway: a stand-in key in a test, MCP progress tokens (request correlation, not
    # credentials), a JSON fragment, Envoy's per-request command operators.
    "internal/autoconfig/openai_test.go": ("package autoconfig\nvar env = map[string]string{\n"
                                           "\t\"AZURE_OPENAI_API_KEY\": \"azure-key-123\",\n}\n"),
    "internal/mcpproxy/handlers.go": ("package mcpproxy\nvar p = mcp.ProgressNotificationParams{ProgressToken: \"1234__i__backend1\"}\n"
                                      "var c = Case{inputProgressToken: \"YWJjZA==__s__backend1\", "
                                      "expUpstreamToken: `\"progressToken\":\"abcd\"`}\n"),
    # vllm-project/aibrix: a provider-shaped key that says it is fake.
    "samples/adapter/adapter-api-key.yaml": ("spec:\n  additionalConfig:\n    api-key: sk-" + BODY[:12] + "Fake"
                                             + BODY[12:40] + "Fake\n"),
    "manifests/envoy.yaml": ("log_format:\n  json_format:\n    used_token: \"%DYNAMIC_METADATA(io.envoy.ai_gateway:used_token)%\"\n"
                             "    api_key: \"%REQ(x-api-key)%\"\n"),
}


@pytest.fixture(scope="module")
def alarms(tmp_path_factory):
    return write_tree(tmp_path_factory.mktemp("alarms"), FALSE_ALARMS)


@pytest.mark.parametrize("path", sorted(FALSE_ALARMS))
def test_false_alarm_from_real_repositories_is_not_a_finding(static_audit, alarms, path):
    results = static_audit(alarms, CHECKS)
    cited = {e.path for check in CHECKS for e in results[check].evidence}
    assert path not in cited, [e.message for check in CHECKS for e in results[check].evidence if e.path == path]


def test_real_keys_stay_findings(static_audit, tmp_path):
    root = write_tree(tmp_path / "real", {
        "Dockerfile": f"FROM python:3.12-slim\nENV OPENAI_API_KEY={OPENAI}\n",
        "app/config.py": f"class Config:\n    SECRET_KEY = \"{LITERAL}\"\n",
        "gateway/src/keys.ts": f"const client = new OpenAI({{ apiKey: \"{LITERAL}\" }});\n",
        "router/cmd/main.go": f"package main\nvar cfg = Config{{Password: \"{LITERAL}\"}}\n",
        "router/src/main.rs": f"fn main() {{ let api_key = \"{LITERAL}\"; }}\n",
        "infra/main.tf": f"resource \"x\" \"y\" {{\n  admin_password = \"{LITERAL}\"\n}}\n",
        # A provider key in a translation file ships to every browser: still critical, not an example.
        "frontend/src/locales/en/common.js": f"export default {{ apiKey: \"{OPENAI}\" }};\n",
        # A password with a digit in an ASCII literal is still one, next to a sentinel-looking name.
        "app/settings.py": "SHELL_TOKEN = \"__sh3ll_" + "Tk9q__\"\n",
        # Random letters with a few digits after them are no numbered words; an access token is one.
        "internal/auth/keys.go": f"package auth\nvar t = Token{{AccessToken: \"GjkLqpwRmZtXbN83\"}}\n",
    })
    results = static_audit(root, CHECKS)
    found = {(e.path, e.line) for e in results["static-secrets"].evidence}
    assert found == {("Dockerfile", 2), ("app/config.py", 2), ("gateway/src/keys.ts", 1), ("router/cmd/main.go", 2),
                     ("router/src/main.rs", 1), ("infra/main.tf", 2), ("app/settings.py", 1),
                     ("frontend/src/locales/en/common.js", 1), ("internal/auth/keys.go", 2)}, \
        results["static-secrets"].message
    assert all(LITERAL not in (e.message + (e.snippet or "")) for e in results["static-secrets"].evidence)


def test_examples_and_docs_are_low_severity_and_only_real_looking(static_audit, tmp_path):
    root = write_tree(tmp_path / "ex", {
        ".env.example": f"OPENAI_API_KEY={OPENAI}\nDB_PASSWORD=devpass123\n",
        "docs/setup.md": f"export OPENAI_API_KEY={OPENAI}\n",
        "examples/client.py": f"API_KEY = \"{LITERAL}\"\nPASSWORD = \"demo-password-1\"\n",
        "tutorials/leak.py": f"client = OpenAI(api_key=\"{OPENAI}\")\n",
    })
    results = static_audit(root, CHECKS)
    high = {e.path for e in results["static-secrets"].evidence}
    low = {(e.path, e.line) for e in results["static-secrets-test-fixtures"].evidence}
    assert high == {"tutorials/leak.py"}  # a provider key in a tutorial's code is a leaked key
    assert low == {(".env.example", 1), ("docs/setup.md", 1)}
    assert results["static-weak-defaults"].status.value != "fail"


def test_a_url_template_in_code_is_no_credential_but_the_same_url_in_config_is_a_weak_default(static_audit, tmp_path):
    """`mssql://user:password@server` in a comment writes out the URL's shape; in a Compose file it
    is what the service connects with."""
    url = "postgresql://user:" + "password@db:5432/app"
    root = write_tree(tmp_path / "x", {
        "server/db.js": f"// eg: {url}\nconst pool = null;\n",
        "docker-compose.yml": f"services:\n  api:\n    image: x\n    environment:\n      DATABASE_URL: {url}\n",
    })
    results = static_audit(root, CHECKS)
    cited = {(e.path, e.line) for check in CHECKS for e in results[check].evidence}
    assert ("docker-compose.yml", 5) in {(e.path, e.line) for e in results["static-weak-defaults"].evidence}
    assert not any(path == "server/db.js" for path, _ in cited)


def test_a_ci_jobs_throwaway_database_password_is_no_weak_default_but_a_literal_secret_there_still_counts(
        static_audit, tmp_path):
    """TensorZero's workflows start Postgres for their tests (`postgres://postgres:postgres@localhost`):
    no deployed credential. The same URL in the service's compose file is a weak default; a literal
    token in a workflow is still a hard-coded secret."""
    workflow = ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    env:\n"
                "      DATABASE_URL: postgres://postgres:postgres@localhost:5432/tests\n"
                f"      DEPLOY_TOKEN: {LITERAL}\n    steps:\n      - run: make test\n")
    compose = "services:\n  api:\n    image: x\n    environment:\n      - DATABASE_URL=postgres://postgres:postgres@db/app\n"
    root = write_tree(tmp_path / "t", {".github/workflows/test.yml": workflow, "docker-compose.yml": compose})
    results = static_audit(root, CHECKS)
    weak = {(e.path, e.line) for e in results["static-weak-defaults"].evidence}
    assert weak == {("docker-compose.yml", 5)}, results["static-weak-defaults"].evidence
    assert {(e.path, e.line) for e in results["static-secrets"].evidence} == {(".github/workflows/test.yml", 7)}


def test_a_key_in_a_rust_test_module_is_a_test_fixture_and_the_same_key_in_the_code_is_not(static_audit, tmp_path):
    """Rust keeps unit tests beside the code (TensorZero's GCP provider holds a sample service-account
    key in its `#[cfg(test)] mod tests`): a test's fixture, reported at low severity; the same key in
    the module's own code is the service's."""
    key = "-----BEGIN RSA PRIVATE KEY-----\\n" + "MIICXAIBAAKBgQ" + BODY + "\\n-----END RSA PRIVATE KEY-----"
    in_tests = (f"pub fn load() {{}}\n\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn parses() {{\n"
                f"        let pem = \"{key}\";\n        assert!(!pem.is_empty());\n    }}\n}}\n")
    in_code = f"pub fn load() -> &'static str {{\n    \"{key}\"\n}}\n"
    root = write_tree(tmp_path / "t", {"crates/core/src/gcp.rs": in_tests, "crates/core/src/other.rs": in_code})
    results = static_audit(root, CHECKS)
    assert {(e.path, e.line) for e in results["static-secrets"].evidence} == {("crates/core/src/other.rs", 2)}
    assert {(e.path, e.line) for e in results["static-secrets-test-fixtures"].evidence} == {("crates/core/src/gcp.rs", 7)}
