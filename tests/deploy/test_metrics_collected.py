"""deploy-metrics-collected reads monitoring evidence whole: metrics the code exports plus alert
rules or dashboards that query them are evidence of collection even without a scrape config
(Prometheus Operator installs often discover targets cluster-wide); a scrape config is full marks."""

from __future__ import annotations

import json

from readyscore.model import Status

CODE = {
    "app/__init__.py": "",
    "app/metrics.py": (
        "from prometheus_client import Counter, Histogram, make_asgi_app\n"
        "REQUESTS = Counter('chat_requests_total', 'requests', ['status'])\n"
        "LATENCY = Histogram(\"chat_request_seconds\", 'latency')\n"
        "metrics_app = make_asgi_app()\n"),
}
OWN_RULES = """
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: chat}
spec:
  groups:
    - name: chat
      rules:
        - alert: ChatErrors
          expr: sum(rate(chat_requests_total{status=~"5.."}[5m])) / sum(rate(chat_requests_total[5m])) > 0.02
        - alert: ChatSlow
          expr: histogram_quantile(0.95, sum by (le) (rate(chat_request_seconds_bucket[5m]))) > 3
"""
OTHER_RULES = """
groups:
  - name: cluster
    rules:
      - alert: NodeDown
        expr: up{job="node-exporter", instance="chat_requests_total"} == 0
      - alert: DiskFull
        expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1
"""
SCRAPE = "scrape_configs:\n  - job_name: chat\n    static_configs: [{targets: ['chat:8000']}]\n"


def test_code_metrics_queried_by_alert_rules_pass_as_implemented(run, tree):
    result = run(tree({**CODE, "deploy/alerts.yaml": OWN_RULES}), "deploy-metrics-collected")
    assert result.status == Status.PASS, result.message
    assert 0 < result.score < 1  # inferred collection: short of the full marks of a scrape config
    first = result.evidence[0]
    assert first.path == "deploy/alerts.yaml" and first.line
    assert "chat_requests_total" in first.message and "app/metrics.py:2" in first.message


def test_dashboards_querying_the_code_metrics_count_too(run, tree):
    dashboard = {"title": "chat", "panels": [{"type": "row", "panels": [
        {"targets": [{"expr": "rate(chat_request_seconds_count[1m])"}]}]}]}
    result = run(tree({**CODE, "dash/chat.json": json.dumps(dashboard)}), "deploy-metrics-collected")
    assert result.status == Status.PASS and "dashboard query" in result.evidence[0].message


def test_alert_rules_for_unrelated_metrics_are_partial(run, tree):
    """A metric name inside a label value is not a query of that metric."""
    result = run(tree({**CODE, "rules.yml": OTHER_RULES}), "deploy-metrics-collected")
    assert result.status == Status.PARTIAL, result.message
    assert "does not export" in result.evidence[0].message


def test_alert_rules_without_any_metric_in_code_are_partial(run, tree):
    result = run(tree({"app/main.py": "print('hi')\n", "deploy/alerts.yaml": OWN_RULES}), "deploy-metrics-collected")
    assert result.status == Status.PARTIAL


def test_metric_names_only_in_tests_or_never_served_are_not_exports(run, tree):
    in_tests = {"tests/test_metrics.py": CODE["app/metrics.py"], "deploy/alerts.yaml": OWN_RULES}
    assert run(tree(in_tests), "deploy-metrics-collected").status == Status.PARTIAL
    never_served = {"app/metrics.py": CODE["app/metrics.py"].replace("metrics_app = make_asgi_app()\n", ""),
                    "deploy/alerts.yaml": OWN_RULES}
    assert run(tree(never_served), "deploy-metrics-collected").status == Status.PARTIAL
    counter_of_letters = {"app/words.py": "from collections import Counter\nC = Counter('chat_requests_total')\n"
                                          "ROUTE = '/metrics'\n", "deploy/alerts.yaml": OWN_RULES}
    assert run(tree(counter_of_letters), "deploy-metrics-collected").status == Status.PARTIAL


def test_code_metrics_that_nothing_queries_or_scrapes_fail(run, tree):
    assert run(tree(CODE), "deploy-metrics-collected").status == Status.FAIL


def test_nothing_at_all_fails(run, tree):
    result = run(tree({"app/main.py": "print('hi')\n", "Dockerfile": "FROM python:3.12-slim\n"}),
                 "deploy-metrics-collected")
    assert result.status == Status.FAIL and len(result.evidence) == 1


def test_a_scrape_config_is_full_marks(run, tree):
    result = run(tree({**CODE, "deploy/alerts.yaml": OWN_RULES, "prometheus.yml": SCRAPE}), "deploy-metrics-collected")
    assert result.status == Status.PASS and result.score == 1.0
    assert result.evidence[0].path == "prometheus.yml"


def test_a_service_monitor_is_full_marks(run, tree):
    monitor = ("apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: chat}\n"
               "spec: {selector: {matchLabels: {app: chat}}, endpoints: [{port: http}]}\n")
    result = run(tree({**CODE, "deploy/alerts.yaml": OWN_RULES, "deploy/monitor.yaml": monitor}),
                 "deploy-metrics-collected")
    assert result.status == Status.PASS and result.score == 1.0 and "ServiceMonitor" in result.evidence[0].message


COMPOSE_PROMETHEUS = ("services:\n  prometheus:\n    image: prom/prometheus:latest\n"
                      "    volumes: ['./prometheus.yml:/etc/prometheus/prometheus.yml']\n")


def test_a_prometheus_container_beside_the_scrape_config_does_not_pull_it_down(run, tree):
    """lmdeploy ships a Prometheus scrape config beside its monitoring Compose file: the scrape config is
    the evidence; the container that runs it is no weaker evidence against it."""
    result = run(tree({**CODE, "monitoring/prometheus.yml": SCRAPE, "monitoring/docker-compose.yaml": COMPOSE_PROMETHEUS}),
                 "deploy-metrics-collected")
    assert result.status == Status.PASS and result.score == 1.0, result.message
    assert result.strength is not None and result.strength.value == "implemented"


def test_a_prometheus_container_alone_is_declared(run, tree):
    """Graded partial by scoring (declared evidence: at most partial until implemented)."""
    result = run(tree({**CODE, "docker-compose.yaml": COMPOSE_PROMETHEUS}), "deploy-metrics-collected")
    assert result.strength is not None and result.strength.value == "declared", result.message
    assert "prom/prometheus" in result.evidence[0].message
