"""Untrusted deployment files: bounded parsing, no crash, no hang, and every skip is noted."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from readyscore.executors.deploy import hcl, helm
from readyscore.executors.deploy.inventory import build_inventory
from readyscore.executors.deploy.yamldoc import YList, YMap, line_at, load_documents
from readyscore.files import FileIndex
from readyscore.model import Status
from readyscore.settings.deploy import DeploySettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deploy"


def notes_by_file(root):
    inventory = build_inventory(FileIndex(root), DeploySettings())
    return inventory, {note.path: note for note in inventory.notes}


def test_bad_files_are_noted_and_the_good_one_still_read():
    started = time.perf_counter()
    inventory, notes = notes_by_file(FIXTURES / "badinput")
    assert time.perf_counter() - started < 5
    assert [o.name for o in inventory.k8s] == ["survivor"]
    assert "node budget" in notes["k8s/bomb.yaml"].message
    assert "recursive anchor" in notes["k8s/recursive.yaml"].message
    assert "recursive anchor" in notes["k8s/recursive2.yaml"].message
    assert notes["k8s/invalid.yaml"].message.startswith("invalid YAML") and notes["k8s/invalid.yaml"].line == 4
    assert "templated" in notes["k8s/templated.yaml"].message
    assert "binary" in notes["k8s/binary.yaml"].message
    assert "k8s/not-k8s.yaml" not in notes  # valid YAML that is not Kubernetes is simply not a manifest
    assert inventory.summary()["not_evaluated"]


def test_notes_reach_the_report_section(run):
    run("badinput", "deploy-orchestrated")
    section = run.context(FIXTURES / "badinput").sections["deploy"]
    reasons = {item["path"]: item["reason"] for item in section["not_evaluated"]}
    assert "k8s/bomb.yaml" in reasons and section["kubernetes_objects"] == {"Deployment": 1}


def test_checks_still_judge_what_could_be_read(run):
    result = run("badinput", "deploy-k8s-liveness-probe")
    assert result.status == Status.FAIL and result.evidence[0].path == "k8s/ok.yaml"


def test_files_over_the_size_limit_are_noted_not_read(tree):
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n"
    root = tree({"big.yaml": manifest + "".join(f"  k{i}: '{'x' * 100}'\n" for i in range(12_000))})
    inventory = build_inventory(FileIndex(root), DeploySettings())
    assert not inventory.k8s and "byte limit" in inventory.notes[0].message


def test_many_documents_in_one_file_are_read_quickly(tree):
    doc = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d%d}\nspec:\n  replicas: 2\n  template:\n"
           "    spec: {containers: [{name: c, image: 'a:1'}]}\n---\n")
    root = tree({"many.yaml": "".join(doc % i for i in range(400))})
    started = time.perf_counter()
    inventory = build_inventory(FileIndex(root), DeploySettings())
    assert len(inventory.k8s) == 400 and time.perf_counter() - started < 5


def test_the_file_budget_is_honoured(tree):
    root = tree({f"m{i}.yaml": "a: 1\n" for i in range(30)})
    inventory = build_inventory(FileIndex(root), DeploySettings(max_files=10))
    assert inventory.files_read == 10 and sum("over the limit" in n.message for n in inventory.notes) == 20


# ---- the bounded YAML reader

def test_alias_bomb_stops_at_the_node_budget_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    started = time.perf_counter()
    docs = load_documents("\n".join(lines), max_nodes=50_000)
    assert "node budget" in docs.problem and time.perf_counter() - started < 2


def test_multi_documents_merge_keys_and_lines():
    docs = load_documents("a: 1\n---\nbase: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n---\n")
    assert docs.problem is None and len(docs.documents) == 3 and docs.documents[2] is None
    second = docs.documents[1]
    assert isinstance(second, YMap) and second["child"] == {"x": 1, "y": 3}
    assert second.line_of("child") == 4 and line_at(second, "child", "y") == 6
    assert line_at(second, "child", "x") == 3  # a merged key points at the anchor it came from


def test_lists_know_item_lines_and_unknown_tags_are_plain_values():
    docs = load_documents("items:\n  - a\n  - !Ref b\n  - !!binary aGk=\n")
    items = docs.documents[0]["items"]
    assert isinstance(items, YList) and items.line_of(1) == 3 and items[1] == "b"


def test_deep_nesting_is_refused():
    assert "deeper" in load_documents("[" * 300 + "]" * 300, max_depth=100).problem


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abc:-[]{}&*!|>'\"#\n @<{}%$.", max_size=200))
def test_yaml_reader_never_raises(text):
    load_documents(text, max_nodes=5_000)


# ---- Helm and HCL readers never raise either

@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="{}-. $|:\nabcif endelsrangwthValus\"'", max_size=200))
def test_helm_reduction_never_raises(text):
    helm.render(text, {"a": {"b": 1}})


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet='{}[]()="#/*<-\n abcEOF${}%.0123', max_size=200))
def test_hcl_reader_never_raises(text):
    hcl.parse(text)


def test_helm_reduction_keeps_lines_and_decides_plain_conditions():
    template = ("kind: Deployment\n{{- if .Values.on }}\nreplicas: {{ .Values.n }}\n{{- else }}\nreplicas: 1\n"
                "{{- end }}\nimage: \"{{ .Values.img | default \"x:1\" }}\"\n")
    rendered = helm.render(template, {"on": True, "n": 4})
    assert rendered.text.splitlines()[2] == "replicas: 4" and rendered.text.splitlines()[4] == ""
    assert 'image: "x:1"' in rendered.text and not rendered.unresolved
    undecided = helm.render("{{ if .Capabilities.APIVersions }}\na: 1\n{{ end }}\n", {})
    assert "a: 1" in undecided.text and "kept as if true" in undecided.unresolved[0]


def test_hcl_blocks_literals_and_lines():
    root = hcl.parse('# c\nresource "aws_db_instance" "db" {\n  multi_az = true // x\n'
                     '  tags = { a = "${var.x}" }\n  policy = <<EOT\n{ "}" }\nEOT\n  port = 5432\n}\n')
    block = root.blocks[0]
    assert (block.type, block.labels, block.line) == ("resource", ["aws_db_instance", "db"], 2)
    assert block.attr("multi_az").value is True and block.attr("multi_az").line == 3
    assert not block.attr("tags").literal and block.attr("policy").value == '{ "}" }'
    assert block.attr("port").value == 5432 and block.attr("port").line == 8


WRONG_TYPES = {
    "k8s/odd.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: [not, a, mapping]
        spec:
          replicas: three
          selector: yes
          template:
            metadata: {labels: [a]}
            spec:
              securityContext: [1, 2]
              hostNetwork: "true"
              containers:
                - just-a-string
                - name: 7
                  image: {not: a string}
                  env: 5
                  envFrom: "x"
                  resources: big
                  securityContext: {capabilities: {drop: ALL, add: 3}, runAsUser: "0"}
                  livenessProbe: []
                - name: c
                  env: [{name: API_TOKEN, value: {nested: 1}}, {value: x}, 3]
        ---
        apiVersion: v1
        kind: List
        items: "nope"
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: h}
        spec: {scaleTargetRef: "Deployment/x", minReplicas: many}
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: p}
        spec: {selector: {matchLabels: [1]}}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: s}
        data: [a, b]
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata: {name: r}
        spec: {groups: {not: a list}}
        """,
    "docker-compose.yml": """
        services:
          a: null
          b:
            image: [x]
            environment: "KEY=1"
            depends_on: 3
            cap_add: SYS_ADMIN
            volumes: [{type: bind, source: /var/run/docker.sock, target: /s}, 4]
            deploy: {resources: {limits: [1]}}
          c: [1, 2]
        """,
    "Dockerfile": "FROM\nUSER\nENV\nARG =\nADD\nCOPY .\nRUN apt-get install\nHEALTHCHECK\n",
    ".github/workflows/ci.yml": "jobs: [1]\n",
    ".circleci/config.yml": "orbs: [x]\n",
    "kustomization.yaml": "patches: 3\nimages: {a: b}\nreplicas: [{name: x, count: two}]\n",
    "main.tf": 'resource "aws_db_instance" {\n  multi_az = \n}\nresource "aws_ebs_volume" "v" "extra" {\n',
    "stack.yaml": "Resources:\n  A: {Type: 5}\n  B: {Type: 'AWS::RDS::DBInstance', Properties: [1]}\n",
    "Pulumi.dev.yaml": "config: [1]\nresources: 3\n",
    "dash.json": '{"dashboard": {"panels": "x"}, "AWSTemplateFormatVersion": 1, "Resources": []}',
}


def test_wrong_types_anywhere_never_crash_a_check(run, catalog, tree):
    root = tree(WRONG_TYPES)
    deploy_checks = [entry.spec.id for entry in catalog if entry.spec.id.startswith("deploy-")]
    statuses = {check: run(root, check).status for check in deploy_checks}  # an exception fails the test
    assert statuses["deploy-orchestrated"] == Status.PASS
