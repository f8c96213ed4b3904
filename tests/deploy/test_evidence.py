"""Capabilities proven by any artefact: monitoring, alerting, SLOs, autoscaling, progressive delivery,
and the Level 4 infrastructure evidence (regions, WAF/DDoS, resilient databases, encryption)."""

from __future__ import annotations

import pytest

from readyscore.model import Status

CAPABILITIES = ["deploy-containerized", "deploy-orchestrated", "deploy-autoscaling", "deploy-metrics-collected",
                "deploy-alerting", "deploy-dashboards", "deploy-slo-defined", "deploy-progressive-delivery",
                "deploy-multi-region", "deploy-waf-ddos", "deploy-managed-db-resilient", "deploy-encryption-at-rest"]


@pytest.mark.parametrize("check", CAPABILITIES)
def test_good_tree_proves_every_capability(run, check):
    result = run("good", check)
    assert result.status == Status.PASS, (check, result.message)
    assert result.evidence and result.evidence[0].path


@pytest.mark.parametrize("check", [c for c in CAPABILITIES if c not in (
    "deploy-containerized", "deploy-orchestrated", "deploy-managed-db-resilient", "deploy-encryption-at-rest")])
def test_bare_tree_fails_each_capability_once(run, check):
    result = run("bad", check)
    assert result.status == Status.FAIL and len(result.evidence) == 1


def test_alert_rules_cite_the_rule(run):
    alert = run("good", "deploy-alerting").evidence[0]
    assert (alert.path, alert.line) == ("k8s/policies.yaml", 29) and "LlmApiHighErrorRate" in alert.message


def test_routing_or_recording_rules_alone_are_partial(run, tree):
    root = tree({"alertmanager.yml": "route: {receiver: team}\nreceivers: [{name: team}]\n",
                 "rules.yml": "groups:\n  - name: g\n    rules:\n      - record: x:y\n        expr: up\n"})
    result = run(root, "deploy-alerting")
    assert result.status == Status.PARTIAL and {e.path for e in result.evidence} == {"alertmanager.yml", "rules.yml"}


def test_metrics_from_otel_collector_or_scrape_annotations(run, tree):
    otel = tree({"otel.yaml": "receivers: {otlp: {}}\nexporters: {prometheus: {}}\n"
                              "service: {pipelines: {metrics: {receivers: [otlp], exporters: [prometheus]}}}\n"})
    annotated = tree({"d.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          template:
            metadata:
              annotations: {prometheus.io/scrape: "true"}
            spec: {containers: [{name: api, image: acme/api:1.0}]}
        """})
    assert run(otel, "deploy-metrics-collected").status == Status.PASS
    assert run(annotated, "deploy-metrics-collected").status == Status.PASS


def test_slo_as_code_or_as_a_document(run, tree):
    openslo = tree({"slo.yaml": "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: availability}\n"})
    doc = tree({"docs/SLO.md": "# SLOs\n\nAvailability: 99.9% of requests succeed over 30 days.\n"})
    vague = tree({"docs/SLO.md": "# SLOs\n\nWe aim to be fast.\n"})
    assert run(openslo, "deploy-slo-defined").status == Status.PASS
    result = run(doc, "deploy-slo-defined")
    assert result.status == Status.PASS and result.strength == "declared" and result.evidence[0].line == 3
    assert run(vague, "deploy-slo-defined").status == Status.FAIL


def test_progressive_delivery_and_rollback_only(run, tree):
    rollback = tree({".github/workflows/cd.yml": "on: push\njobs:\n  d:\n    steps:\n"
                                                 "      - run: helm upgrade --install api ./chart --atomic\n"})
    flagger = tree({"canary.yaml": "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: api}\n"})
    assert run(rollback, "deploy-progressive-delivery").status == Status.PARTIAL
    assert run(flagger, "deploy-progressive-delivery").status == Status.PASS


def test_autoscaling_node_autoscaler_alone_is_partial(run, tree):
    root = tree({"karpenter.yaml": "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: gpu}\n"})
    assert run(root, "deploy-autoscaling").status == Status.PARTIAL


def test_one_region_fails_two_pass(run, tree):
    one = tree({"main.tf": 'provider "aws" {\n  region = "us-east-1"\n}\n'})
    two = tree({"Pulumi.prod-us.yaml": "config:\n  aws:region: us-east-1\n",
                "Pulumi.prod-eu.yaml": "config:\n  aws:region: eu-west-1\n"})
    result = run(one, "deploy-multi-region")
    assert result.status == Status.FAIL and (result.evidence[0].path, result.evidence[0].line) == ("main.tf", 2)
    assert run(two, "deploy-multi-region").status == Status.PASS


def test_waf_from_cloudformation_or_ingress_and_ddos_only(run, tree):
    cfn = tree({"stack.yaml": """
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          Acl:
            Type: AWS::WAFv2::WebACL
            Properties:
              Scope: !Ref Scope
        """})
    ingress = tree({"ing.yaml": """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: api
          annotations:
            alb.ingress.kubernetes.io/wafv2-acl-arn: arn:aws:wafv2:us-east-1:123:regional/webacl/x
        """})
    shield = tree({"main.tf": 'resource "aws_shield_protection" "api" {\n  name = "api"\n}\n'})
    result = run(cfn, "deploy-waf-ddos")
    assert result.status == Status.PASS and (result.evidence[0].path, result.evidence[0].line) == ("stack.yaml", 3)
    assert run(ingress, "deploy-waf-ddos").evidence[0].line == 6
    assert run(shield, "deploy-waf-ddos").status == Status.PARTIAL


def test_managed_databases_need_backups_and_multi_az(run, tree):
    bad = tree({"db.tf": """
        resource "aws_db_instance" "main" {
          engine = "postgres"
        }
        resource "google_sql_database_instance" "db" {
          settings {
            availability_type = "ZONAL"
          }
        }
        """})
    good = tree({"db.tf": """
        resource "google_sql_database_instance" "db" {
          settings {
            availability_type = "REGIONAL"
            backup_configuration {
              enabled = true
            }
          }
        }
        """})
    result = run(bad, "deploy-managed-db-resilient")
    assert result.status == Status.FAIL and [e.line for e in result.evidence] == [1, 4]
    assert "multi-AZ" in result.evidence[0].message and "REGIONAL" in result.evidence[1].message
    assert run(good, "deploy-managed-db-resilient").status == Status.PASS


def test_encryption_at_rest_cites_the_attribute(run, tree):
    bad = tree({"s.tf": 'resource "aws_ebs_volume" "v" {\n  size      = 100\n  encrypted = false\n}\n'})
    cfn = tree({"s.yaml": "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
                          "      StorageEncrypted: true\n      MultiAZ: true\n      BackupRetentionPeriod: 7\n"})
    result = run(bad, "deploy-encryption-at-rest")
    assert result.status == Status.FAIL and result.evidence[0].line == 3
    assert run(cfn, "deploy-encryption-at-rest").status == Status.PASS
    assert run(cfn, "deploy-managed-db-resilient").status == Status.PASS


def test_prebuilt_images_count_as_containerized(run, tree):
    root = tree({"compose.yaml": "services:\n  vllm:\n    image: vllm/vllm-openai:v0.6.3\n"})
    result = run(root, "deploy-containerized")
    assert result.status == Status.PASS and "prebuilt" in result.message


def test_ecs_service_is_orchestrated(run, tree):
    root = tree({"ecs.tf": 'resource "aws_ecs_service" "api" {\n  desired_count = 2\n}\n'})
    assert run(root, "deploy-orchestrated").status == Status.PASS


def test_unreadable_helm_chart_is_partial_not_a_silent_pass(run, tree):
    root = tree({"chart/Chart.yaml": "apiVersion: v2\nname: x\nversion: 0.1.0\n",
                 "chart/templates/d.yaml": "{{- range .Values.x }}\n- : : {{ . }}\n{{- end }}\n"})
    result = run(root, "deploy-orchestrated")
    assert result.status == Status.PARTIAL and "chart/templates/d.yaml" in {e.path for e in result.evidence}
