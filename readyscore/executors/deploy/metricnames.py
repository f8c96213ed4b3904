"""Which metrics the service's code exports, and which metrics its alert rules and dashboards query.

Alert rules that query the service's own metrics are evidence that something scrapes them, even
without a scrape config in the repository (Prometheus Operator installs with cluster-wide discovery
keep it elsewhere). This module only reads: names from `prometheus_client` metric constructors in the
service's Python code, whether that code exposes them (a `/metrics` route, `make_asgi_app`,
`start_http_server` ...), and the metric names in PromQL expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from readyscore.files import FileIndex

MAX_CODE_FILES = 2000
# Not the service's own code: its tests, vendored environments, examples and docs.
NOT_SERVICE_CODE = re.compile(r"(^|/)(tests?|testing|docs?|examples?|\.?venv|site-packages|node_modules|"
                              r"migrations)(/|$)|(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")
CLIENT = re.compile(r"^\s*(from\s+prometheus_client(\.\w+)*\s+import|import\s+prometheus_client)", re.MULTILINE)
CONSTRUCTOR = re.compile(r"\b(?:prometheus_client\.)?(Counter|Gauge|Histogram|Summary|Info|Enum)\(\s*"
                         r"(?:name\s*=\s*)?[rRbBuU]?[\"']([a-zA-Z_:][a-zA-Z0-9_:]*)[\"']")
EXPOSITION = re.compile(r"\b(make_asgi_app|make_wsgi_app|start_http_server|start_wsgi_server|generate_latest)\s*\(|"
                        r"[\"']/metrics/?[\"']")
# Series a client library adds to a metric's name: counters get _total, histograms _bucket ...
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created", "_info")
PROMQL_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`")
PROMQL_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclass
class CodeMetrics:
    names: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # base name -> (name, path, line)
    exposed_at: tuple[str, int] | None = None  # where the code serves them


def code_metrics(files: FileIndex | None) -> CodeMetrics:
    found = CodeMetrics()
    if files is None:
        return found
    sources = [e for e in files.with_suffix(".py") if not NOT_SERVICE_CODE.search(e.rel)][:MAX_CODE_FILES]
    for entry in sources:
        text = files.read_text(entry.rel) or ""
        if "prometheus_client" not in text and "/metrics" not in text:
            continue
        if CLIENT.search(text):
            for match in CONSTRUCTOR.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.names.setdefault(base_name(match.group(2)), (match.group(2), entry.rel, line))
        exposition = EXPOSITION.search(text)
        if exposition and found.exposed_at is None:
            found.exposed_at = (entry.rel, text.count("\n", 0, exposition.start()) + 1)
    return found


def promql_names(expr: str) -> set[str]:
    """Every identifier of a PromQL expression that could be a metric name, as base names (label
    values in quotes are dropped; functions and keywords stay, and simply never match a metric)."""
    return {base_name(token) for token in PROMQL_NAME.findall(PROMQL_STRING.sub(" ", expr))}


def dashboard_exprs(data: Any, depth: int = 0) -> list[str]:
    """The `expr` of every query in a Grafana dashboard (panels, rows, nested panels)."""
    if depth > 12:
        return []
    if isinstance(data, dict):
        found = [data["expr"]] if isinstance(data.get("expr"), str) else []
        for value in data.values():
            if isinstance(value, (dict, list)):
                found += dashboard_exprs(value, depth + 1)
        return found
    if isinstance(data, list):
        return [expr for item in data[:500] for expr in dashboard_exprs(item, depth + 1)]
    return []
