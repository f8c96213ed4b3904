"""Hard-coded secrets: provider keys, private keys, literal passwords and signing secrets.

Two kinds of rule:
- provider formats (OpenAI, Anthropic, Hugging Face, AWS, GitHub, Slack, Stripe, Google ...) and
  private-key blocks, matched in any text file: such a string is a credential wherever it sits;
- a secret-named setting (`*_password`, `*_secret`, `*api_key`, `*_token` ...) given a literal, in
  Python (from the syntax tree: assignments, keyword arguments, dict entries, parameter defaults,
  `os.getenv` fallbacks) and in config files, .env files, YAML, Dockerfiles and manifests (by line).

A value is not a secret when it is empty, an environment or template reference (`${X}`, `{{ x }}`,
`os.environ[...]`), an obvious placeholder ("sk-your-key-here", "<token>", "xxxx", "changeit-
in-prod"), or too short and uniform to be one. Weak defaults ("changeme", "admin", "password")
are their own finding. A finding records where the value is (line, start, end), never the value
itself, so the cache on disk holds no secret.
"""

from __future__ import annotations

import ast
import bisect
import math
import re
from typing import Any

MAX_PER_FILE = 50

# (rule id, label, literal triggers, pattern). Patterns are anchored on the provider's fixed prefix
# and a minimum length, so documentation-style stand-ins ("sk-...", "hf_xxx") do not match. A rule's
# regex only runs on text that contains one of its triggers: `in` is far cheaper than a regex scan.
PROVIDER_RULES: list[tuple[str, str, tuple[str, ...], str]] = [
    ("anthropic-key", "Anthropic API key", ("sk-ant-",), r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{32,}"),
    ("openai-key", "OpenAI API key", ("sk-",),
     r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{32,}|\bsk-(?!ant-)[A-Za-z0-9]{32,}\b"),
    ("huggingface-token", "Hugging Face token", ("hf_",), r"\bhf_[A-Za-z0-9]{30,}\b"),
    ("aws-access-key-id", "AWS access key id", ("AKIA", "ASIA", "ABIA", "ACCA"), r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    ("github-token", "GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
     r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{50,}"),
    ("slack-token", "Slack token", ("xox",), r"\bxox[abposr]-[A-Za-z0-9-]{20,}"),
    ("slack-webhook", "Slack webhook URL", ("hooks.slack.com",),
     r"https://hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]{16,}"),
    ("stripe-key", "Stripe secret key", ("_live_", "_test_"), r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}"),
    ("google-api-key", "Google API key", ("AIza",), r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("groq-key", "Groq API key", ("gsk_",), r"\bgsk_[A-Za-z0-9]{40,}\b"),
    ("replicate-token", "Replicate token", ("r8_",), r"\br8_[A-Za-z0-9]{32,}\b"),
    ("private-key", "private key", ("PRIVATE KEY",),
     r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----"),
]
_RULES = [(rule, triggers, re.compile(pattern)) for rule, _, triggers, pattern in PROVIDER_RULES]
_PROVIDER = re.compile("|".join(f"(?:{pattern})" for _, _, _, pattern in PROVIDER_RULES))
LABELS = {rule: label for rule, label, _, _ in PROVIDER_RULES}
AWS_SECRET = re.compile(r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])")
# Anchored on "://" (a fast literal search); the scheme before it is checked separately.
URL_CREDENTIALS = re.compile(r"://[^\s:/@'\"]{1,64}:([^\s@/'\"]{1,128})@[^\s'\"]+")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{1,20}$")

SECRET_NAME = re.compile(
    r"(password|passwd|passphrase|pwd|secret|secret_?key|api_?key|apikey|access_?key|private_?key|"
    r"signing_?key|client_?secret|auth_?token|access_?token|refresh_?token|bearer_?token|token|jwt_?secret|"
    r"webhook_?secret|encryption_?key|master_?key)$", re.IGNORECASE)
# Tokenizer vocabulary and similar settings that end in "token" but are not credentials.
# MCP's progress tokens correlate notifications with a request; a "used token" is a count.
NOT_SECRET_NAME = re.compile(r"(?i)(?:^|_)(pad|bos|eos|unk|sep|cls|mask|start|end|stop|special|eot|image|audio|"
                             r"default|placeholder|csrf|next|page|continuation|max|min|num|n|progress|used)_?token$")
# In config files: `KEY=value`, `key: value`, `"key": "value"`, `ENV KEY=value`, `- KEY=value`.
CONFIG_ASSIGN = re.compile(
    r"""(?im)^[ \t]*(?:export[ \t]+|ENV[ \t]+|ARG[ \t]+|-[ \t]+)?["']?([A-Za-z0-9_.\-]{2,80})["']?[ \t]*[:=][ \t]*"""
    r"""(["']?)([^\s"'#,}\]]{1,200})\2[ \t]*,?[ \t]*(?:#.*)?$""")

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[A-Z]?[a-z]+")
WORDS_ONLY = re.compile(r"_*[A-Za-z]+(?:[_.:/-]+[A-Za-z]+)*_*")  # also a sentinel such as "__shell__"
# `package.module:function`: an entry point or an import string (pyproject's [project.scripts]).
OBJECT_REFERENCE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
PASSWORD_NAME = re.compile(r"(?i)(password|passwd|pwd|passphrase)$")
PROVIDER_PREFIX = re.compile(r"(sk|pk|rk|hf|gh[pousr]|xox[a-z]|gsk|r8)[-_]")
EXAMPLE_HOSTS = re.compile(r"@(?:[\w.-]+\.)?example\.(?:com|org|net)\b|@host\b|@hostname\b")
PROVIDER_RULE_IDS = frozenset(rule for rule, _, _, _ in PROVIDER_RULES) | {"aws-secret-key"}

WEAK_DEFAULTS = {
    "changeme", "change_me", "change-me", "changeit", "password", "passw0rd", "password1", "password123", "admin",
    "admin123", "administrator", "secret", "root", "toor", "123456", "12345678", "123456789", "qwerty", "letmein",
    "default", "pass", "guest", "supersecret", "super-secret", "super_secret", "mysecret", "my-secret", "secretkey",
    "secret_key", "secret-key", "dev", "development", "insecure", "test", "testing", "postgres", "mysql", "redis",
    "abc123", "welcome", "welcome1", "p@ssw0rd", "s3cret", "s3cr3t", "your-secret-key", "mysecretkey",
}
PLACEHOLDER_MARKERS = ("your", "example", "placeholder", "xxxx", "dummy", "sample", "redacted", "replace", "insert",
                       "todo", "fixme", "fake", "<", ">", "...", "***", "changeit-", "change-this", "change_this",
                       "put-", "enter-", "my-api-key", "api-key-here", "key-here", "here", "none", "null", "nil",
                       "undefined", "not-set", "notset", "unset", "tbd", "foobar", "0000000", "not-a-real", "not_a_real",
                       "notreal", "test-key", "test_key", "testkey", "invalid")
# Also Envoy's command operators (`%DYNAMIC_METADATA(ns:key)%`, `%REQ(x-api-key)%`): filled in per request.
ENV_REFERENCE = re.compile(r"^\$\{?[A-Za-z_]|\$\{|\{\{|%\(|^%[A-Z_]+%$|^%[A-Z_]+\(.*\)%$|os\.environ|getenv|"
                           r"secretKeyRef|^!|^\[\[")
# Separated words with a small number after them ("azure-key-123", "api_key_2"): a stand-in a test
# passes around. The separator matters: "GjkLqpwRmZtXbN83" is random letters, not words.
NUMBERED_WORDS = re.compile(r"(?P<words>[A-Za-z]+(?:[_.-][A-Za-z]+)+)[-_]?\d{1,4}")
# Words that make a provider-shaped key a stand-in (AIBrix's samples: "sk-kFJ12nKsFake...BFake"). In
# a random key of 50 characters a given four letters turn up about once in 20,000 keys.
PROVIDER_STAND_IN_MARKERS = ("xxxx", "your", "example", "0000000", "fake", "dummy", "placeholder", "redacted")
STAND_IN_PREFIXES = ("test-", "test_", "fake-", "fake_", "mock-", "mock_", "dummy-", "dummy_")


def holds_credential(text: str) -> bool:
    """A provider-format key (a private key's PEM included) or a URL with a password in `text`."""
    return bool(_PROVIDER.search(text) or URL_CREDENTIALS.search(text))


def says_it_is_a_stand_in(value: str) -> bool:
    """Empty, a reference, or a value that says it stands in for one (`<token>`, `your-key-here`,
    `dummy_anthropic_key`, `test-token`); a well-known weak default (`changeme`) does not: it is
    what a service runs with when nobody changes it."""
    value = value.strip().strip("\"'")
    lowered = value.lower()
    if not value or ENV_REFERENCE.search(value):
        return True
    if lowered in WEAK_DEFAULTS or lowered.startswith("django-insecure-"):
        return False
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS) or lowered.startswith(STAND_IN_PREFIXES)


def classify(value: str, name: str = "") -> str | None:
    """'secret', 'weak' (a well-known default) or None (not a credential)."""
    value = value.strip().strip("\"'")
    lowered = value.lower()
    if not value or ENV_REFERENCE.search(value):
        return None
    if name and lowered.replace("-", "_") == name.lower().replace("-", "_").rsplit(".", 1)[-1]:
        return None  # class Kind(Enum): PASSWORD = "password" names a kind of data, it holds none
    if lowered in WEAK_DEFAULTS or lowered.startswith("django-insecure-"):
        return "weak"
    if says_it_is_a_stand_in(value):
        return None  # "<token>", "your-key-here", "test-token-123": a stand-in
    if PROVIDER_PREFIX.match(lowered) and not _PROVIDER.fullmatch(value):
        return None  # "sk-test123", "sk-this-is-the-secret-key": a provider prefix on a stand-in
    if lowered in ("true", "false", "yes", "no", "on", "off") or re.fullmatch(r"[\d.:_-]+", value):
        return None
    if len(value) < 8 or len(set(value)) < 5:
        return None
    if re.fullmatch(r"[A-Z][A-Z0-9_]+", value):
        return None  # the name of an environment variable, not its value
    if " " in value or value.startswith(("/", "./", "~", "http://", "https://", "file:")):
        return None
    if name and lowered.replace("-", "_") == name.lower().replace("-", "_"):
        return None
    if not value.isascii():
        return None  # text in another script ('パスワードの確認'): a UI string, not a credential
    if OBJECT_REFERENCE.fullmatch(value) and "." in value:
        return None  # "xinference.api.oauth2.reset_password:main" names the code to run
    if '"' in value:
        return None  # a fragment of JSON or code (`"progressToken":"abcd"`), not a credential
    if WORDS_ONLY.fullmatch(value) or NUMBERED_WORDS.fullmatch(value):
        # Words without digits ("model-secret", "custom_api_key", "vllmApiKey", "random_string",
        # "urn:ietf:params:oauth:token-type:access_token"), or with a small number after them
        # ("azure-key-123"), name a secret, a metric or a placeholder; as a password, a plain word
        # is a weak one.
        return "weak" if PASSWORD_NAME.search(name) else None
    return "secret"


def is_secret_name(name: str) -> bool:
    name = _CAMEL.sub("_", name.strip().strip("\"'"))  # apiKey -> api_Key, maxTokens -> max_Tokens
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET_NAME.search(name) and len(name) <= 80


class _Lines:
    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        for match in re.finditer("\n", text):
            self.starts.append(match.end())

    def locate(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index]


def _finding(kind: str, rule: str, line: int, start: int, end: int, label: str, how: str = "") -> dict[str, Any]:
    return {"kind": kind, "rule": rule, "line": line, "start": start, "end": end, "label": label, "how": how}


def looks_random(value: str) -> bool:
    """Unmistakably a generated credential rather than a word or an example: long, several
    character classes, high entropy. Used where values are usually examples (docs, *.example)."""
    if len(value) < 16 or " " in value:
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    counts = {c: value.count(c) for c in set(value)}
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return classes >= 3 and entropy >= 3.5


def _mark(found: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Each finding says whether it is strong: a provider format or an unmistakably random value.
    (A boolean, not the value: the cache on disk holds no secret.)"""
    if not found:
        return found
    lines = text.split("\n")
    for item in found:
        line = lines[item["line"] - 1] if 0 < item["line"] <= len(lines) else ""
        item["strong"] = item["rule"] in PROVIDER_RULE_IDS or looks_random(line[item["start"]:item["end"]])
    return found


_TEMPLATE_USERS = {"user", "username", "usr", "login", "name"}
_TEMPLATE_PASSWORDS = {"password", "pass", "passwd", "pwd", "pw", "secret"}


def _url_template(url: str, password: str, in_code: bool) -> bool:
    """`scheme://[username[:password]@]host` anywhere, and in code (its comments and docstrings)
    `mssql://user:password@server:port/db`: the URL's shape written out, not a credential. In a
    config file, `user:password` is what the service connects with: a weak default."""
    if any(c in password for c in "[]{}()"):
        return True
    if not in_code:
        return False
    user = url[3:].split(":", 1)[0].strip("[").lower()
    return user in _TEMPLATE_USERS and password.lower() in _TEMPLATE_PASSWORDS


def _spelled_out(value: str) -> bool:
    """A provider prefix on words, not on a random body: `sk-myApiKeyToAccessMyChromaInstance` (a
    form's placeholder) reads as camel-case words, each a capital, lower-case letters and a vowel.
    A generated body (Hugging Face's tokens have no digits either) breaks that shape somewhere in
    its first few words: the chance that eight random chunks all keep it is about 1 in 100,000."""
    body = value.split("-", 1)[-1] if value.startswith("sk-") else value.split("_", 1)[-1]
    if not body.isalpha():
        return False
    words = [w for w in _CAMEL.split(body) if w]
    return len(words) >= 3 and all(_WORD.fullmatch(w) and set(w.lower()) & set("aeiouy") for w in words)


def scan_text(text: str, structured: bool, quoted_only: bool = False, urls: bool = True) -> list[dict[str, Any]]:
    """Provider formats anywhere; `structured` (config, env, YAML ... not code): also `key = value`
    lines. `quoted_only`: formats where an unquoted value is an expression or a reference (HCL
    `var.x`, TOML and JSON numbers): only a quoted string is a literal. `urls`: passwords in
    connection URLs (not in docs, where they are examples)."""
    found: list[dict[str, Any]] = []
    lines: _Lines | None = None

    def where(offset: int) -> tuple[int, int]:
        nonlocal lines
        lines = lines or _Lines(text)
        return lines.locate(offset)

    for rule, triggers, pattern in _RULES:
        if not any(trigger in text for trigger in triggers):
            continue
        for match in pattern.finditer(text):
            value = match.group(0)
            if rule != "private-key" and (any(m in value.lower() for m in PROVIDER_STAND_IN_MARKERS)
                                          or len(set(value)) < 10 or _spelled_out(value)):
                continue
            line, col = where(match.start())
            found.append(_finding("secret", rule, line, col, col + len(value), LABELS[rule]))
    checks = []
    if "secret" in text.lower() and "aws" in text.lower():
        checks.append((AWS_SECRET, "aws-secret-key", "AWS secret access key"))
    if urls and "://" in text and "@" in text:
        checks.append((URL_CREDENTIALS, "url-credentials", "password in a connection URL"))
    for pattern, rule, label in checks:
        for match in pattern.finditer(text):
            if pattern is URL_CREDENTIALS and (not _SCHEME.search(text, max(0, match.start() - 21), match.start())
                                               or EXAMPLE_HOSTS.search(match.group(0))):
                continue
            if pattern is URL_CREDENTIALS and _url_template(match.group(0), match.group(1), in_code=not structured):
                continue
            kind = classify(match.group(1))
            if kind:
                line, col = where(match.start(1))
                found.append(_finding(kind, rule, line, col, col + len(match.group(1)), label))
    if structured:
        for match in CONFIG_ASSIGN.finditer(text):
            name, value = match.group(1), match.group(3)
            if quoted_only and (not match.group(2) or "${" in value):
                continue
            if not is_secret_name(name.rsplit(".", 1)[-1]) or _PROVIDER.fullmatch(value):
                continue  # provider keys were reported above
            kind = classify(value, name)
            if kind:
                line, col = where(match.start(3))
                found.append(_finding(kind, "secret-setting", line, col, col + len(value),
                                      f"literal value for {name[:60]}"))
    return _mark(_dedupe(found), text)


def scan_bindings(bindings: list[tuple[str, str, int]], text: str) -> list[dict[str, Any]]:
    """Findings from a syntax tree's (name, string literal, line) bindings (polyglot.secret_bindings)."""
    source_lines = text.split("\n")
    found = []
    for name, value, line in bindings:
        if not is_secret_name(name) or _PROVIDER.fullmatch(value) or not (0 < line <= len(source_lines)):
            continue
        kind = classify(value, name)
        if not kind:
            continue
        start = source_lines[line - 1].find(value)
        if start < 0:
            continue
        found.append(_finding(kind, "secret-setting", line, start, start + len(value), f"literal value for {name[:60]}",
                              "assigned"))
    return _mark(_dedupe(found), text)


def _dedupe(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for item in sorted(found, key=lambda f: (f["line"], f["start"])):
        key = (item["line"], item["start"])
        if key not in seen and len(out) < MAX_PER_FILE:
            seen.add(key)
            out.append(item)
    return out


def _const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _target_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _const_str(node.slice)
    return None


ENV_GETTERS = ("getenv", "get", "setdefault")


def scan_python(nodes: Any, text: str) -> list[dict[str, Any]]:
    """`nodes`: the module's `pyfacts.Nodes`."""
    """Secret-named settings given a literal, from the syntax tree; values located in the line text."""
    source_lines = [line.rstrip("\r") for line in text.split("\n")]
    found: list[dict[str, Any]] = []

    def report(name: str, node: ast.AST, how: str) -> None:
        value = _const_str(node)
        if value is None or "\n" in value or not is_secret_name(name) or _PROVIDER.fullmatch(value):
            return
        kind = classify(value, name)
        line = getattr(node, "lineno", 0)
        if not kind or not (0 < line <= len(source_lines)):
            return
        start = source_lines[line - 1].find(value)
        if start < 0:
            return  # written with escapes: cannot point at it, so do not claim it
        found.append(_finding(kind, "secret-setting", line, start, start + len(value), f"literal value for {name[:60]}", how))

    for node in nodes.of(ast.Assign, ast.AnnAssign, ast.Call, ast.Dict, ast.FunctionDef, ast.AsyncFunctionDef):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                name = _target_name(target)
                if name:
                    report(name, node.value, "assigned")
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            name = _target_name(node.target)
            if name:
                report(name, node.value, "assigned")
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg:
                    report(keyword.arg, keyword.value, "passed")
            func = node.func
            tail = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if tail in ENV_GETTERS and len(node.args) >= 2:
                env_name = _const_str(node.args[0])
                if env_name and ("environ" in ast.unparse(func) or tail == "getenv"):
                    report(env_name, node.args[1], "fallback")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                name = _const_str(key)
                if name:
                    report(name, value, "assigned")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            positional = [*node.args.posonlyargs, *node.args.args]
            for arg, default in zip(positional[len(positional) - len(node.args.defaults):], node.args.defaults):
                report(arg.arg, default, "default")
            for arg, default in zip(node.args.kwonlyargs, node.args.kw_defaults):
                if default is not None:
                    report(arg.arg, default, "default")
    return _mark(_dedupe(found), text)
