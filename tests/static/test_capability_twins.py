"""Every capability check against four twins of one small service (trees generated here):

- implemented: the real mechanism, wired into the serving path -> pass, strength implemented;
- mention: only a name (a variable, a setting, a constant) -> fail, shown as a mention;
- stub: a function with the control's name, on the route, that cannot change the outcome (returns
  its argument or a constant) -> fail, shown as a mention;
- declared: only a dependency, a config key or a marker file -> partial, strength declared.

A pass must rest on evidence that would be absent if the control were absent: each twin differs
from the implemented one only in what makes the control real.
"""

from __future__ import annotations

import pytest
from static_helpers import write_tree


def app(head: str = "", body: str = "", params: str = "", deco: str = "", tail: str = "") -> str:
    """A FastAPI service with one chat route; the twins fill in the control."""
    lines = "\n    ".join(line for line in body.strip("\n").split("\n")) if body else "pass"
    return (f"from fastapi import Depends, FastAPI, HTTPException, Request\n{head}\n\napp = FastAPI()\n\n\n"
            f"@app.post(\"/chat\")\n{deco}def chat(request: Request{params}):\n    {lines}\n"
            f"    return {{\"ok\": True}}\n{tail}")


PLAIN = app()
CHAT_CLIENT = "from openai import OpenAI\nclient = OpenAI(timeout=30)"

TWINS: dict[str, dict[str, dict[str, str]]] = {
    "static-cap-auth": {
        "implemented": {"app.py": app("from fastapi.security import HTTPBearer\nbearer = HTTPBearer()",
                                      params=", credentials=Depends(bearer)")},
        "mention": {"app.py": app("api_key = None\nAUTH_ENABLED = False")},
        "stub": {"app.py": app("def verify_token(request: Request):\n    return True",
                               params=", ok=Depends(verify_token)")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\nPyJWT==2.8.0\n"},
    },
    "static-cap-rate-limit": {
        "implemented": {"app.py": app("from slowapi import Limiter\nfrom slowapi.util import get_remote_address\n"
                                      "limiter = Limiter(key_func=get_remote_address)",
                                      deco='@limiter.limit("10/minute")\n')},
        "mention": {"app.py": app("rate_limit = None")},
        "stub": {"app.py": app("def check_rate_limit(request: Request):\n    return None",
                               params=", ok=Depends(check_rate_limit)")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\nslowapi==0.1.9\n"},
    },
    "static-cap-input-validation": {
        "implemented": {"app.py": app("from pydantic import BaseModel, Field\n\n\nclass Ask(BaseModel):\n"
                                      "    prompt: str = Field(min_length=1, max_length=8000)",
                                      params=", body: Ask")},
        "mention": {"app.py": app("validation_enabled = True")},
        "stub": {"app.py": app("def validate_prompt(body: dict):\n    return body", params=", body: dict",
                               body="validate_prompt(body)")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\njsonschema==4.21.1\n"},
    },
    "static-cap-persistence": {
        "implemented": {"app.py": app("from sqlalchemy import create_engine, text\n"
                                      "engine = create_engine('postgresql+psycopg://app@db/app')",
                                      body="with engine.begin() as connection:\n"
                                           "    connection.execute(text('INSERT INTO log VALUES (1)'))")},
        "mention": {"app.py": app("DATABASE_URL = 'postgresql://db/app'")},
        "stub": {"app.py": app("class Repository:\n    def save(self, item):\n        pass\n\n\nrepository = "
                               "Repository()", body="repository.save(1)")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\nSQLAlchemy==2.0.25\n"},
    },
    "static-cap-migrations": {
        "implemented": {"app.py": PLAIN, "alembic/versions/0001_init.py":
                        "from alembic import op\n\n\ndef upgrade():\n    op.create_table('log')\n"},
        "mention": {"app.py": app("MIGRATIONS_DIR = 'migrations'")},
        "stub": {"app.py": app("def run_migrations():\n    pass", tail="\nrun_migrations()\n")},
        "declared": {"app.py": PLAIN, "alembic.ini": "[alembic]\nscript_location = alembic\n"},
    },
    "static-cap-retries": {
        "implemented": {"app.py": app("from tenacity import retry, stop_after_attempt, wait_exponential\n\n\n"
                                      "@retry(stop=stop_after_attempt(3), wait=wait_exponential(max=10))\n"
                                      "def complete():\n    return 1", body="complete()")},
        "mention": {"app.py": app("MAX_RETRIES = 3")},
        "stub": {"app.py": app("def with_retry(fn):\n    return fn\n\n\n@with_retry\ndef complete():\n    return 1",
                               body="complete()")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\ntenacity==8.2.3\n"},
    },
    "static-cap-circuit-breaker": {
        "implemented": {"app.py": app("import pybreaker\nbreaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)"
                                      "\n\n\n@breaker\ndef complete():\n    return 1", body="complete()")},
        "mention": {"app.py": app("CIRCUIT_BREAKER_THRESHOLD = 5")},
        "stub": {"app.py": app("def circuit_breaker(fn):\n    return fn\n\n\n@circuit_breaker\ndef complete():\n"
                               "    return 1", body="complete()")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\npybreaker==1.2.0\n"},
    },
    "static-cap-caching": {
        "implemented": {"app.py": app("from cachetools import TTLCache\nanswers = TTLCache(maxsize=100, ttl=60)",
                                      body="answers['q'] = 1")},
        "mention": {"app.py": app("CACHE_TTL = 60")},
        "stub": {"app.py": app("def get_cached(key):\n    return None", body="get_cached('q')")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\ncachetools==5.3.2\n"},
    },
    "static-cap-structured-logging": {
        "implemented": {"app.py": app("import structlog\nlog = structlog.get_logger()", body="log.info('chat')")},
        "mention": {"app.py": app("structured_logging = True")},
        "stub": {"app.py": app("import logging\n\n\nclass JsonFormatter(logging.Formatter):\n    pass")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\nstructlog==24.1.0\n"},
    },
    "static-cap-metrics": {
        "implemented": {"app.py": app("from prometheus_client import Counter\nREQUESTS = Counter('requests_total', 'r')",
                                      body="REQUESTS.inc()")},
        "mention": {"app.py": app("METRICS_ENABLED = True")},
        "stub": {"app.py": app("def record_metric(name):\n    pass", body="record_metric('chat')")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\nprometheus-client==0.20.0\n"},
    },
    "static-cap-tracing": {
        "implemented": {"app.py": app("from opentelemetry import trace\ntracer = trace.get_tracer(__name__)",
                                      body="with tracer.start_as_current_span('chat'):\n    pass")},
        "mention": {"app.py": app("TRACING_ENABLED = True")},
        "stub": {"app.py": app("def start_span(name):\n    return None", body="start_span('chat')")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\nopentelemetry-sdk==1.22.0\n"},
    },
    "static-cap-error-tracking": {
        "implemented": {"app.py": app("import os\nimport sentry_sdk\nsentry_sdk.init(dsn=os.environ.get('SENTRY_DSN'))")},
        "mention": {"app.py": app("SENTRY_DSN = None")},
        "stub": {"app.py": app("def init_sentry():\n    pass", tail="\ninit_sentry()\n")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\nsentry-sdk==1.40.0\n"},
    },
    "static-cap-llm-safeguards": {
        "implemented": {"app.py": app("def is_safe(text):\n    return 'ignore previous instructions' not in text.lower()",
                                      params=", prompt: str = ''",
                                      body="if not is_safe(prompt):\n    raise HTTPException(400, 'rejected')")},
        "mention": {"app.py": app("GUARDRAILS = []")},
        "stub": {"app.py": app("def is_safe(text):\n    return True", params=", prompt: str = ''",
                               body="if not is_safe(prompt):\n    raise HTTPException(400, 'rejected')")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\nguardrails-ai==0.4.0\n"},
    },
    "static-cap-max-tokens": {
        "implemented": {"app.py": app(CHAT_CLIENT, params=", body: dict",
                                      body="client.chat.completions.create(model='m', messages=body['messages'], "
                                           "max_tokens=256)")},
        "mention": {"app.py": app("MAX_TOKENS = 1024")},
        # The stub passes the client's own number through: not a cap.
        "stub": {"app.py": app(CHAT_CLIENT, params=", body: dict",
                               body="client.chat.completions.create(model='m', messages=body['messages'], "
                                    "max_tokens=body.get('max_tokens'))")},
        "declared": {"app.py": PLAIN, "config.yaml": "model: gpt-4o-mini\nmax_tokens: 1024\n"},
    },
    "static-cap-pii-redaction": {
        "implemented": {"app.py": app("import re\n\n\ndef redact(text):\n    return re.sub(r'\\S+@\\S+', '[email]', text)",
                                      params=", prompt: str = ''", body="prompt = redact(prompt)")},
        "mention": {"app.py": app("PII_FIELDS = ['email']")},
        "stub": {"app.py": app("def no_redaction_yet(x):\n    return x", params=", prompt: str = ''",
                               body="prompt = no_redaction_yet(prompt)")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\npresidio-analyzer==2.2.0\n"},
    },
    "static-cap-token-accounting": {
        "implemented": {"app.py": app(CHAT_CLIENT + "\nUSAGE = []",
                                      body="answer = client.chat.completions.create(model='m', messages=[])\n"
                                           "USAGE.append(answer.usage.prompt_tokens)")},
        "mention": {"app.py": app("prompt_tokens = 0")},
        "stub": {"app.py": app("def token_count(text):\n    return 0", body="token_count('x')")},
        "declared": {"app.py": PLAIN, "requirements.txt": "fastapi\ntiktoken==0.5.2\n"},
    },
    "static-cap-token-budgets": {
        "implemented": {"app.py": app("USED = {}\nMONTHLY_LIMIT = 1000\n\n\ndef check_budget(tenant: str = 'a'):\n"
                                      "    if USED.get(tenant, 0) > MONTHLY_LIMIT:\n"
                                      "        raise HTTPException(429, 'budget exhausted')",
                                      params=", ok=Depends(check_budget)")},
        "mention": {"app.py": app("MONTHLY_BUDGET = 1000")},
        "stub": {"app.py": app("def check_budget(tenant: str = 'a'):\n    return True",
                               params=", ok=Depends(check_budget)")},
        "declared": {"app.py": PLAIN, "settings.toml": "monthly_token_budget = 5000000\n"},
    },
    "static-cap-prompt-versioning": {
        "implemented": {"app.py": app("import pathlib\n\nimport yaml\n\n\ndef load_prompt(name):\n"
                                      "    return yaml.safe_load(pathlib.Path(f'prompts/{name}.yaml').read_text())",
                                      body="load_prompt('system')"),
                        "prompts/system.yaml": "version: 3\ntemplate: hi\n"},
        "mention": {"app.py": app("PROMPT_VERSION = 'v3'")},
        "stub": {"app.py": app("def load_prompt(name):\n    return name", body="load_prompt('system')")},
        "declared": {"app.py": PLAIN, "prompts/system.yaml": "version: 3\ntemplate: hi\n"},
    },
    "static-cap-audit-log": {
        "implemented": {"app.py": app("import json\n\n\ndef write_audit(event):\n"
                                      "    with open('/var/log/audit.jsonl', 'a') as handle:\n"
                                      "        handle.write(json.dumps(event))", body="write_audit({'e': 'chat'})")},
        "mention": {"app.py": app("AUDIT_LOG_PATH = '/var/log/audit.jsonl'")},
        "stub": {"app.py": app("def audit_log(event):\n    pass", body="audit_log({'e': 'chat'})")},
        "declared": {"app.py": PLAIN, "config.yaml": "audit_log_path: /var/log/audit.jsonl\n"},
    },
    "static-cap-http-api": {
        "implemented": {"app.py": PLAIN},
        "mention": {"app.py": "API_PREFIX = '/v1'\n", "README.md": "An HTTP API built with FastAPI.\n"},
        "stub": {"app.py": "def chat(request):\n    return {}\n"},
        "declared": {"app.py": "print('no server yet')\n", "requirements.txt": "fastapi==0.110.0\n"},
    },
}
EXPECTED = {"implemented": ("pass", "implemented"), "mention": ("fail", "mention"), "stub": ("fail", "mention"),
            "declared": ("partial", "declared")}
# Twins that name nothing the check could show (its mention is in a README, or it has no name to match).
SILENT = {("static-cap-http-api", "mention"), ("static-cap-http-api", "stub")}
CASES = [(check, twin) for check in TWINS for twin in EXPECTED]


def test_every_capability_check_has_its_four_twins(full_catalog):
    capability_checks = {e.spec.id for e in full_catalog if e.spec.kind == "code_capability"}
    assert capability_checks == set(TWINS)
    assert all(set(twins) == set(EXPECTED) for twins in TWINS.values())


@pytest.mark.parametrize("check_id, twin", CASES, ids=[f"{c}-{t}" for c, t in CASES])
def test_twin(static_audit, tmp_path, check_id, twin):
    root = write_tree(tmp_path / twin, TWINS[check_id][twin])
    result = static_audit(root, [check_id])[check_id]
    status, strength = EXPECTED[twin]
    assert result.status.value == status, (result.message, result.evidence)
    if (check_id, twin) in SILENT:
        assert result.strength is None, result
    else:
        assert result.strength is not None and result.strength.value == strength, (result.message, result.evidence)
        assert result.evidence and all(e.strength.value == strength for e in result.evidence if e.strength)
    if twin == "stub" and (check_id, twin) not in SILENT:
        assert any(word in " ".join(e.message for e in result.evidence) for word in ("stub", "names", "no cap")), \
            result.evidence


def test_retries_are_no_circuit_breaker(static_audit, tmp_path):
    """A retry decorator keeps calling a provider that is down, the opposite of a breaker: it passes
    static-cap-retries and is no evidence for static-cap-circuit-breaker (which the Level 4 breaker
    gate reads in a file-only audit)."""
    root = write_tree(tmp_path / "retries", TWINS["static-cap-retries"]["implemented"])
    results = static_audit(root, ["static-cap-retries", "static-cap-circuit-breaker"])
    assert results["static-cap-retries"].status.value == "pass", results["static-cap-retries"].message
    assert results["static-cap-circuit-breaker"].status.value == "fail", results["static-cap-circuit-breaker"].message


@pytest.mark.parametrize("decorator, status", [
    ("from tenacity import retry, stop_after_attempt\n\n\n@retry(stop=stop_after_attempt(3))", "partial"),
    ("from tenacity import retry\n\n\n@retry", "partial"),
    ("import retrying\n\n\n@retrying.retry(stop_max_attempt_number=3)", "partial"),
    ("import retrying\n\n\n@retrying.retry(stop_max_attempt_number=3, wait_exponential_multiplier=100)", "pass"),
    ("import backoff\n\n\n@backoff.on_exception(backoff.expo, ConnectionError, max_tries=3)", "pass"),
])
def test_a_retry_without_a_wait_is_no_backoff(static_audit, tmp_path, decorator, status):
    """tenacity and retrying wait nothing between attempts unless told to: such a decorator retries at
    once (a bare tenacity `@retry` forever), a retry storm rather than backoff. It is shown as
    declared, with what it lacks; backoff's decorators always take a wait generator."""
    tree = {"app.py": app(f"{decorator}\ndef complete():\n    return 1", body="complete()")}
    result = static_audit(write_tree(tmp_path / "t", tree), ["static-cap-retries"])["static-cap-retries"]
    assert result.status.value == status, (result.message, result.evidence)
    if status == "partial":
        assert any("without wait" in e.message and e.line for e in result.evidence), result.evidence


@pytest.mark.parametrize("budget", ["error_budget", "pixel_budget_from_env"])
def test_a_budget_of_something_else_is_no_token_budget(static_audit, tmp_path, budget):
    """An SLO's error budget or Xinference's PDF pixel budget, guarding the route like the real
    twin above does, is not a per-tenant token budget."""
    guard = (f"USED = {{}}\nLIMIT = 1000\n\n\ndef {budget}(tenant: str = 'a'):\n"
             "    if USED.get(tenant, 0) > LIMIT:\n        raise HTTPException(429, 'exhausted')")
    root = write_tree(tmp_path / budget, {"app.py": app(guard, params=f", ok=Depends({budget})")})
    result = static_audit(root, ["static-cap-token-budgets"])["static-cap-token-budgets"]
    assert result.status.value != "pass", (result.message, result.evidence)


def test_a_check_of_the_models_tokenizer_is_no_authentication(static_audit, tmp_path):
    """private-gpt's `_check_tokenizer_mode`, on a route's path and able to refuse, guards the model's
    tokens, not the caller's; `check_token` in the same place is the real twin."""
    guard = ("def {name}(request: Request):\n"
             "    if request.headers.get('x-mode') != 'ok':\n        raise HTTPException(400, 'unsupported')")
    results = {}
    for name in ("check_tokenizer_mode", "check_token"):
        root = write_tree(tmp_path / name, {"app.py": app(guard.format(name=name), params=f", ok=Depends({name})")})
        results[name] = static_audit(root, ["static-cap-auth"])["static-cap-auth"].status.value
    assert results == {"check_tokenizer_mode": "fail", "check_token": "pass"}, results


def test_a_tokenizer_is_no_token_accounting(static_audit, tmp_path):
    """llama-cpp-python's chat formatter loads `AutoTokenizer` on the serving path to run the model,
    and api-for-open-llm decodes token-id input with tiktoken: a server does either, accounting or
    not. Counting the prompt's tokens with tokencost and recording them is the real twin."""
    loads = "from transformers import AutoTokenizer\ntok = AutoTokenizer.from_pretrained('m')"
    decodes = "import tiktoken\nenc = tiktoken.get_encoding('cl100k_base')"
    counts = "from tokencost import count_string_tokens\nUSAGE = []"
    results = {}
    for name, head, body in (("tokenizer", loads, "ids = tok.encode('hi')"),
                             ("decoder", decodes, "text = enc.decode([1, 2, 3])"),
                             ("counted", counts, "USAGE.append(count_string_tokens('hi', 'gpt-4o'))")):
        root = write_tree(tmp_path / name, {"app.py": app(head, body=body)})
        results[name] = static_audit(root, ["static-cap-token-accounting"])["static-cap-token-accounting"].status.value
    assert results == {"tokenizer": "fail", "decoder": "partial", "counted": "pass"}, results


@pytest.mark.parametrize("wired", [True, False])
def test_route_dependencies_named_by_a_module_list(static_audit, tmp_path, wired):
    """text-generation-webui: `check_key = [Depends(verify_api_key)]` once, then
    `@app.post(..., dependencies=check_key)` on each route. The list, named, is the route's
    dependencies; defined and used by no route, it guards nothing."""
    code = ("from fastapi import Depends, FastAPI, Header, HTTPException\n\n"
            "def verify_api_key(authorization: str = Header(None)):\n"
            "    if authorization != 'Bearer k':\n        raise HTTPException(401, 'Unauthorized')\n\n"
            "app = FastAPI()\ncheck_key = [Depends(verify_api_key)]\n\n"
            f"@app.post('/chat'{', dependencies=check_key' if wired else ''})\n"
            "def chat(body: dict):\n    return body\n")
    root = write_tree(tmp_path / "svc", {"app.py": code})
    result = static_audit(root, ["static-cap-auth"])["static-cap-auth"]
    assert result.status.value == ("pass" if wired else "fail"), (result.message, result.evidence)


MODERATION = ("import re\n\nBLOCKED = re.compile(r'ignore previous instructions', re.I)\n\n\n"
              "def check_input(text: str) -> bool:\n    return bool(BLOCKED.search(text))\n")


@pytest.mark.parametrize("use, status", [
    ("decides", "pass"),       # the chat route refuses what the check flags
    ("returns", "fail"),       # text-generation-webui: /v1/moderations sends the flags back, blocks nothing
    ("route-only", "fail"),    # a handler named after moderation that only refuses a missing field
])
def test_a_moderation_verdict_guards_only_when_a_route_decides_on_it(static_audit, tmp_path, use, status):
    routes = {
        "decides": ("@app.post('/chat')\ndef chat(body: dict):\n    flagged = check_input(body['prompt'])\n"
                    "    if flagged:\n        raise HTTPException(400, 'flagged')\n    return {'ok': True}\n"),
        "returns": ("@app.post('/v1/moderations')\ndef handle_moderations(body: dict):\n"
                    "    return {'flagged': check_input(body['input'])}\n"),
        "route-only": ("@app.post('/v1/moderations')\ndef handle_moderations(body: dict):\n"
                       "    if not body.get('input'):\n        raise HTTPException(400, 'missing input')\n"
                       "    return {'results': []}\n"),
    }
    code = "from fastapi import FastAPI, HTTPException\n" + MODERATION + "\napp = FastAPI()\n\n\n" + routes[use]
    root = write_tree(tmp_path / use, {"app.py": code})
    result = static_audit(root, ["static-cap-llm-safeguards"])["static-cap-llm-safeguards"]
    assert result.status.value == status, (result.message, result.evidence)


POETRY_LOCK = ('[[package]]\nname = "jupyterlab"\nversion = "4.5.3"\n\n[[package]]\nname = "tenacity"\n'
               'version = "9.0.0"\n\n[[package]]\nname = "prometheus-client"\nversion = "0.21.0"\n')


@pytest.mark.parametrize("declared_in, status", [
    ('[tool.poetry.dependencies]\npython = "^3.11"\nfastapi = "*"\ntenacity = "^9"\n', "partial"),
    ('[tool.poetry.dependencies]\npython = "^3.11"\nfastapi = "*"\njupyterlab = "^4"\n', "fail"),
])
def test_a_package_only_in_the_lock_file_is_not_declared(static_audit, tmp_path, declared_in, status):
    """A lock file lists what the declared packages pull in (jupyterlab brings tenacity and
    prometheus-client): only the pyproject's own list declares anything (langserve read "declares
    tenacity" and "declares prometheus-client" from its poetry.lock)."""
    tree = {"app.py": PLAIN, "pyproject.toml": declared_in, "poetry.lock": POETRY_LOCK}
    results = static_audit(write_tree(tmp_path / "t", tree), ["static-cap-retries", "static-cap-metrics"])
    assert results["static-cap-retries"].status.value == status, results["static-cap-retries"].evidence
    assert results["static-cap-metrics"].status.value == "fail", results["static-cap-metrics"].evidence
    assert not any(e.path == "poetry.lock" for r in results.values() for e in r.evidence)
