"""Capabilities proven by the presence of an artefact anywhere in the deployment: containers, an
orchestrator, autoscaling, monitoring and alerting, SLOs, progressive delivery, several regions, a WAF.

Each rule collects every piece of evidence it can find, in any tool (Kubernetes objects, Helm,
Compose, CI commands, Terraform, CloudFormation, Pulumi), grades it, and, when there is none, says
once what is missing. Weaker evidence (a node autoscaler with no pod autoscaler, routing for alerts
with no alert rule) is reported as `unknown`, which `to_result` turns into `partial`.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from readyscore.executors.deploy import iac, metricnames
from readyscore.executors.deploy.ci import _command_lines
from readyscore.executors.deploy.findings import RuleOutcome
from readyscore.executors.deploy.inventory import Inventory, K8sObject
from readyscore.executors.deploy.k8s import (
    all_workloads,
    containers,
    is_knative_service,
    target_name,
)
from readyscore.executors.deploy.yamldoc import YMap, as_dict, dig, line_at
from readyscore.model import EvidenceStrength

DECLARED = EvidenceStrength.DECLARED


def _first(items: list[Any], n: int = 10) -> list[Any]:
    return items[:n]


def _iac_kinds(inv: Inventory, *prefixes: str) -> list[iac.Resource]:
    return [r for r in iac.resources(inv) if r.kind.startswith(prefixes)]


def rule_containerized(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="container builds")
    for dockerfile in _first([d for d in inv.dockerfiles if d.final is not None]):
        outcome.good(dockerfile.path, dockerfile.final.line, f"builds an image FROM {dockerfile.final.image_resolved}")
    if outcome.findings:
        outcome.summary = f"{len([d for d in inv.dockerfiles if d.final])} Dockerfile(s)"
        return outcome
    for obj in _first(all_workloads(inv)):
        for container, path in containers(obj)[:1]:
            outcome.good(obj.path, line_at(obj.body, *path, "image"),
                         f"{obj.where} runs the prebuilt image {container.get('image')}")
    for compose in inv.compose:
        for name, service in compose.services.items():
            if isinstance(service, dict) and isinstance(service.get("image"), str):
                outcome.good(compose.path, line_at(compose.data, "services", name, "image"),
                             f"service {name} runs the prebuilt image {service['image']}")
    for task in _first(_iac_kinds(inv, "awsecstaskdefinition", "googlecloudrun", "azurermcontainerapp")):
        outcome.good(task.path, task.line, f"{task.type} {task.name} runs a container image")
    if outcome.findings:
        outcome.summary = "no Dockerfile here, but the deployment runs prebuilt container images"
    else:
        outcome.bad(None, None, "no Dockerfile or Containerfile, and no deployment that runs a container image")
        outcome.summary = "the service is not containerized"
    return outcome


ORCHESTRATOR_KINDS = ("awsecsservice", "googlecloudrunservice", "googlecloudrunv2service", "azurermcontainerapp",
                      "awsapprunnerservice", "nomadjob", "azurermcontainergroup")
CLUSTER_KINDS = ("awseksc", "googlecontainercluster", "azurermkubernetescluster", "awsekscluster",
                 "digitaloceankubernetescluster")


def rule_orchestrated(inv: Inventory) -> RuleOutcome:
    """One result for 'is the service run by an orchestrator'. Without Kubernetes this is the one
    failing finding; the per-field Kubernetes checks are then not applicable."""
    outcome = RuleOutcome(what="orchestrated workloads")
    workloads = all_workloads(inv)
    by_source: dict[str, int] = {}
    for obj in workloads:
        by_source[obj.source] = by_source.get(obj.source, 0) + 1
    for obj in _first(workloads):
        origin = f" (Helm chart {obj.chart})" if obj.source == "helm" else ""
        outcome.good(obj.path, obj.line, f"Kubernetes {obj.where}{origin}")
    for resource in _first(_iac_kinds(inv, *ORCHESTRATOR_KINDS)):
        outcome.good(resource.path, resource.line, f"managed orchestrator: {resource.type} {resource.name}")
    nomad = [f.rel for f in inv.files.files if f.rel.endswith((".nomad", ".nomad.hcl"))] if inv.files else []
    for rel in _first(nomad):
        outcome.good(rel, None, "a Nomad job")
    if outcome.findings:
        parts = [f"{count} from {source}" for source, count in sorted(by_source.items())]
        outcome.summary = (f"{len(workloads)} Kubernetes workload(s)" + (f" ({', '.join(parts)})" if parts else "")
                           if workloads else "deployed by a managed orchestrator")
        return outcome
    helm_notes = [n for n in inv.notes if "Helm" in n.message or "templated" in n.message]
    clusters = _iac_kinds(inv, *CLUSTER_KINDS)
    if helm_notes or clusters:
        for note in helm_notes[:5]:
            outcome.unknown(note.path, note.line, note.message)
        for cluster in clusters[:3]:
            outcome.unknown(cluster.path, cluster.line, f"{cluster.type} {cluster.name}: a cluster is provisioned, "
                                                        "but no workload manifests were found")
        outcome.summary = "an orchestrator is set up, but its workloads could not be read"
        return outcome
    if inv.compose:
        outcome.bad(inv.compose[0].path, None, "only Docker Compose: one host, no scheduling, no self-healing "
                                               "across machines")
        outcome.summary = "deployed with Docker Compose only; no orchestrator"
    else:
        outcome.bad(None, None, "no Kubernetes manifests, Helm chart, Kustomize overlay or managed orchestrator")
        outcome.summary = "no orchestrated deployment (Kubernetes, ECS, Cloud Run ...) found"
    return outcome


AUTOSCALING_IAC = ("awsappautoscalingtarget", "awsappautoscalingpolicy", "awsautoscalinggroup",
                   "awsautoscalingpolicy", "awsapplicationautoscaling", "googlecomputeautoscaler",
                   "googlecomputeregionautoscaler", "azurermmonitorautoscalesetting", "awsautoscalingautoscalinggroup")
NODE_AUTOSCALERS = ("NodePool", "Provisioner", "VerticalPodAutoscaler")


def rule_autoscaling(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="autoscalers")
    names = {(o.kind, o.name) for o in all_workloads(inv)}
    for obj in inv.objects("HorizontalPodAutoscaler", "ScaledObject"):
        target = dig(obj.body, "spec", "scaleTargetRef")
        if isinstance(target, dict):
            kind, name = str(target.get("kind", "Deployment")), target_name(target.get("name"))
            note = "" if (kind, name) in names else " (its target is not defined in this tree)"
            outcome.good(obj.path, obj.line, f"{obj.kind} {obj.name} scales {kind}/{name}{note}")
    for obj in [o for o in inv.k8s if is_knative_service(o)]:
        outcome.good(obj.path, obj.line, f"Knative Service {obj.name} autoscales on requests")
    for resource in _first(_iac_kinds(inv, *AUTOSCALING_IAC)):
        outcome.good(resource.path, resource.line, f"{resource.type} {resource.name}")
    if not outcome.findings:
        for obj in inv.objects(*NODE_AUTOSCALERS):
            outcome.unknown(obj.path, obj.line, f"{obj.kind} {obj.name}: scales nodes or sizes pods, "
                                                "not the number of replicas")
    if not outcome.findings:
        outcome.bad(None, None, "no HorizontalPodAutoscaler, KEDA ScaledObject or cloud autoscaling resource")
        outcome.summary = "nothing scales the service with load"
    return outcome


MONITOR_KINDS = ("ServiceMonitor", "PodMonitor", "PodMonitoring", "ClusterPodMonitoring", "VMServiceScrape",
                 "VMPodScrape", "OpenTelemetryCollector", "Probe")


def _annotations(obj: K8sObject) -> dict[str, Any]:
    template = dig(obj.body, "spec", "template", "metadata", "annotations")
    own = dig(obj.body, "metadata", "annotations")
    merged: dict[str, Any] = {}
    for source in (own, template):
        if isinstance(source, dict):
            merged.update(source)
    return merged


def rule_metrics(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="metric collection configs")
    for obj in _first(inv.objects(*MONITOR_KINDS)):
        outcome.good(obj.path, obj.line, f"{obj.kind} {obj.name}")
    for obj in all_workloads(inv):
        annotations = _annotations(obj)
        if str(annotations.get("prometheus.io/scrape", "")).lower() == "true" or any(
                str(k).startswith("ad.datadoghq.com/") for k in annotations):
            outcome.good(obj.path, obj.line, f"{obj.where}: scrape annotations")
    for doc in inv.yaml_docs:
        data = doc.data
        if isinstance(data, YMap) and isinstance(data.get("scrape_configs"), list):
            outcome.good(doc.path, data.line_of("scrape_configs"), "Prometheus scrape configuration")
        elif isinstance(data, YMap) and isinstance(data.get("receivers"), dict) and isinstance(
                dig(data, "service", "pipelines"), dict):
            outcome.good(doc.path, data.line_of("receivers"), "OpenTelemetry Collector pipelines")
        elif isinstance(data, YMap) and isinstance(data.get("prometheus"), YMap):
            # Values for the kube-prometheus-stack chart: the monitors and scrape configs it creates.
            prometheus = data["prometheus"]
            for key, where in (("additionalServiceMonitors", prometheus), ("additionalPodMonitors", prometheus),
                               ("additionalScrapeConfigs", prometheus.get("prometheusSpec"))):
                entries = where.get(key) if isinstance(where, YMap) else None
                if isinstance(entries, list) and entries:
                    outcome.good(doc.path, where.line_of(key), f"kube-prometheus-stack values: prometheus {key}")
    # A collector running beside the service in Compose is weaker evidence (declared) than a config
    # that says what it scrapes: it counts only when no such config was found, so it never pulls
    # a scrape config's pass down to partial.
    for compose in inv.compose if not outcome.findings else []:
        for name, service in compose.services.items():
            image = str(service.get("image", "")) if isinstance(service, dict) else ""
            if re.search(r"prom/prometheus|opentelemetry-collector|grafana/agent|grafana/alloy|datadog/agent", image):
                outcome.good(compose.path, line_at(compose.data, "services", name, "image"),
                             f"service {name} runs {image}", strength=DECLARED)
    if not outcome.findings:
        _metrics_queried(inv, outcome)
    if not outcome.findings:
        outcome.bad(None, None, "no ServiceMonitor/PodMonitor, scrape config, scrape annotation or OpenTelemetry "
                                "Collector config, and no alert rule or dashboard that queries the service's metrics")
        outcome.summary = "no metric collection is configured"
    return outcome


# Collection inferred from the queries, not configured here: less than a scrape config (full marks).
INFERRED_COLLECTION_SCORE = 0.8


def _queries(inv: Inventory) -> list[tuple[str, int | None, str, str]]:
    """(path, line, what, expr) of every alert/recording rule and dashboard query in the tree."""
    queries: list[tuple[str, int | None, str, str]] = []
    sources: list[tuple[str, Any]] = [(o.path, o.body.get("spec")) for o in inv.objects("PrometheusRule", "VMRule")]
    sources += [(d.path, d.data) for d in inv.yaml_docs]
    for path, data in sources:
        groups = data.get("groups") if isinstance(data, dict) else None
        for group in groups if isinstance(groups, list) else []:
            rules = group.get("rules") if isinstance(group, dict) else None
            for rule in rules if isinstance(rules, list) else []:
                if isinstance(rule, YMap) and isinstance(rule.get("expr"), str):
                    kind = "alert" if "alert" in rule else "recording rule"
                    name = str(rule.get("alert") or rule.get("record") or "?")
                    queries.append((path, rule.line_of("expr"), f"{kind} {name}", rule["expr"]))
    for doc in inv.json_docs:
        for expr in metricnames.dashboard_exprs(doc.data):
            queries.append((doc.path, None, "dashboard query", expr))
    return queries


def _metrics_queried(inv: Inventory, outcome: RuleOutcome) -> None:
    """No scrape config here: alert rules or dashboards that query metrics the code exports show
    that something scrapes the service (implemented, short of full marks); queries of other
    metrics only, or metrics in code that nothing queries, are partial at most."""
    code = metricnames.code_metrics(inv.files)
    queries = _queries(inv)
    exported = code.names if code.exposed_at else {}
    for path, line, what, expr in queries:
        shared = sorted(metricnames.promql_names(expr) & exported.keys())
        if shared:
            name, source, source_line = exported[shared[0]]
            outcome.good(path, line, f"{what} queries {name}, which {source}:{source_line} exports (served at "
                                     f"{code.exposed_at[0]}:{code.exposed_at[1]}); no scrape config in the "
                                     "repository, so collection is inferred", score=INFERRED_COLLECTION_SCORE)
            if len(outcome.findings) >= 5:
                break
    if outcome.findings:
        outcome.summary = (f"{len(outcome.findings)} alert rule(s) or dashboard quer(ies) on the service's own "
                           "metrics; add a ServiceMonitor or scrape config for full marks")
        return
    if queries and exported:
        path, line, what, _ = queries[0]
        outcome.unknown(path, line, f"{what} and {len(queries) - 1} more query metrics the code does not export "
                                    f"(it exports {', '.join(sorted(v[0] for v in exported.values())[:5])}); nothing shows the service's "
                                    "own metrics are scraped")
        outcome.summary = "alert rules or dashboards exist, but none queries the service's own metrics"
    elif queries:
        path, line, what, _ = queries[0]
        outcome.unknown(path, line, f"{what} and {len(queries) - 1} more query metrics, but the service's code "
                                    "exports none that they name")
        outcome.summary = "alert rules or dashboards exist, but the service exports no metric they query"


def _rule_groups(data: Any) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(alert rules, recording rules) of a Prometheus rule file or PrometheusRule spec: (name, line)."""
    alerts, records = [], []
    groups = data.get("groups") if isinstance(data, dict) else None
    for group in groups if isinstance(groups, list) else []:
        rules = group.get("rules") if isinstance(group, dict) else None
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, YMap) and isinstance(rule.get("alert"), str):
                alerts.append((rule["alert"], rule.line_of("alert")))
            elif isinstance(rule, YMap) and isinstance(rule.get("record"), str):
                records.append((rule["record"], rule.line_of("record")))
            elif isinstance(rule, YMap) and "condition" in rule and "title" in rule:  # Grafana alerting
                alerts.append((str(rule["title"]), rule.line_of("title")))
    return alerts, records


ALERT_IAC = ("awscloudwatchmetricalarm", "awscloudwatchalarm", "awscloudwatchcompositealarm",
             "googlemonitoringalertpolicy", "azurermmonitormetricalert", "azurermmonitorscheduledqueryrulesalert",
             "datadogmonitor", "newrelicalertpolicy", "newrelicnrqlalertcondition", "grafanarulegroup")


def rule_alerting(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="alerting configs")
    routing = []
    sources: list[tuple[str, Any]] = [(o.path, o.body.get("spec")) for o in inv.objects("PrometheusRule", "VMRule")]
    sources += [(d.path, d.data) for d in inv.yaml_docs]
    for path, data in sources:
        alerts, records = _rule_groups(data)
        for name, line in alerts[:5]:
            outcome.good(path, line, f"alert rule {name}")
        if records and not alerts:
            routing.append((path, records[0][1], f"recording rules only ({records[0][0]} ...)"))
        if isinstance(data, YMap) and isinstance(data.get("route"), dict) and isinstance(data.get("receivers"), list):
            routing.append((path, data.line_of("route"), "Alertmanager routing"))
    for resource in _first(_iac_kinds(inv, *ALERT_IAC)):
        outcome.good(resource.path, resource.line, f"{resource.type} {resource.name}")
    if not outcome.findings:
        for path, line, message in routing:
            outcome.unknown(path, line, f"{message}, but no alert rule fires into it")
    if not outcome.findings:
        outcome.bad(None, None, "no alert rules (PrometheusRule, rule files, cloud alarms)")
        outcome.summary = "nothing alerts when the service degrades"
    return outcome


DASHBOARD_IAC = ("awscloudwatchdashboard", "googlemonitoringdashboard", "grafanadashboard", "datadogdashboard",
                 "azurermportaldashboard")


def rule_dashboards(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="dashboards")
    for doc in inv.json_docs:
        data = doc.data
        inner = data.get("dashboard") if isinstance(data, dict) and isinstance(data.get("dashboard"), dict) else data
        if isinstance(inner, dict) and isinstance(inner.get("panels"), list):
            outcome.good(doc.path, None, f"Grafana dashboard {str(inner.get('title', ''))[:60]} "
                                         f"({len(inner['panels'])} panels)")
    for obj in inv.objects("GrafanaDashboard", "ConfigMap"):
        labels = as_dict(dig(obj.body, "metadata", "labels"))
        if obj.kind == "GrafanaDashboard" or (isinstance(labels, dict) and "grafana_dashboard" in labels):
            outcome.good(obj.path, obj.line, f"{obj.kind} {obj.name}")
    for resource in _first(_iac_kinds(inv, *DASHBOARD_IAC)):
        outcome.good(resource.path, resource.line, f"{resource.type} {resource.name}")
    if not outcome.findings:
        outcome.bad(None, None, "no Grafana dashboard JSON, GrafanaDashboard or cloud dashboard")
        outcome.summary = "no dashboard is kept with the service"
    return outcome


SLO_KINDS = ("PrometheusServiceLevel", "ServiceLevelObjective", "SLO")
SLO_IAC = ("googlemonitoringslo", "datadogservicelevelobjective", "newrelicservicelevel",
           "awsapplicationsignalsservicelevelobjective")
SLO_DOC = re.compile(r"\b\d{2}(\.\d+)?\s?%")
SLO_DOC_PATTERNS = ("**/*slo*.md", "**/*SLO*.md", "**/*sla*.md", "**/*SLA*.md", "**/service-level*.md")


def rule_slo(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="SLO definitions")
    for obj in inv.k8s:
        group = obj.api_version.split("/")[0]
        if group.startswith("openslo") or (obj.kind in SLO_KINDS and group.endswith(("sloth.slok.dev", "pyrra.dev"))):
            outcome.good(obj.path, obj.line, f"{obj.kind} {obj.name} ({group})")
    for doc in inv.yaml_docs:
        if isinstance(doc.data, YMap) and str(doc.data.get("version", "")).startswith("prometheus/v1") and isinstance(
                doc.data.get("slos"), list):
            outcome.good(doc.path, doc.data.line_of("slos"), f"sloth SLOs for {doc.data.get('service', '?')}")
    for resource in _first(_iac_kinds(inv, *SLO_IAC)):
        outcome.good(resource.path, resource.line, f"{resource.type} {resource.name}")
    documents = inv.all_files or inv.files  # an SLO is written down in docs/, which is out of scope
    if not outcome.findings and documents is not None:
        for entry in documents.glob(*SLO_DOC_PATTERNS)[:20]:
            text = documents.read_text(entry.rel, limit=256 * 1024) or ""
            for number, line in enumerate(text.splitlines(), start=1):
                if SLO_DOC.search(line) and re.search(r"(?i)availab|latenc|error|uptime|objective|p9\d", line):
                    outcome.good(entry.rel, number, f"SLO document: {line.strip()[:100]}", strength=DECLARED)
                    break
    if not outcome.findings:
        outcome.bad(None, None, "no SLO definition (OpenSLO, sloth, Pyrra, a cloud SLO, or an SLO document with targets)")
        outcome.summary = "no service-level objectives are defined"
    return outcome


PROGRESSIVE_CI = re.compile(r"\b(kubectl argo rollouts|update-traffic|--no-traffic|flagger|aws deploy create-deployment|"
                            r"--traffic-split|canary|blue[-_ ]?green)\b", re.IGNORECASE)
ROLLBACK_CI = re.compile(r"\b(helm (upgrade .*--atomic|rollback)|kubectl rollout undo|--rollback|rollback)\b",
                         re.IGNORECASE)


def rule_progressive_delivery(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="progressive delivery configs")
    for obj in inv.objects("Rollout"):
        strategy = dig(obj.body, "spec", "strategy")
        kind = next((k for k in ("canary", "blueGreen") if isinstance(strategy, dict) and k in strategy), None)
        if kind:
            outcome.good(obj.path, line_at(obj.body, "spec", "strategy", kind), f"Argo Rollout {obj.name}: {kind}")
    for obj in inv.objects("Canary"):
        if obj.api_version.startswith("flagger.app"):
            outcome.good(obj.path, obj.line, f"Flagger Canary {obj.name}")
    for obj in [o for o in inv.k8s if is_knative_service(o)]:
        traffic = dig(obj.body, "spec", "traffic")
        if isinstance(traffic, list) and len(traffic) > 1:
            outcome.good(obj.path, line_at(obj.body, "spec", "traffic"), f"Knative Service {obj.name}: traffic split")
    for resource in _iac_kinds(inv, "awscodedeploydeploymentgroup"):
        if resource.nested("blue_green_deployment_config") is not None or "BlueGreen" in str(resource.props):
            outcome.good(resource.path, resource.line, f"{resource.type} {resource.name}: blue/green")
    # A pipeline step that names a canary is weaker evidence than the rollout object: looked for
    # only without one, so it cannot lower the strength of a pass the object already earns.
    if not outcome.findings:
        for ci in inv.ci:
            for number, line in _command_lines(ci):
                if PROGRESSIVE_CI.search(line):
                    outcome.good(ci.path, number, f"{ci.system}: `{line[:80]}`", strength=DECLARED)
                    break
    if not outcome.findings:
        for ci in inv.ci:
            for number, line in _command_lines(ci):
                if ROLLBACK_CI.search(line):
                    outcome.unknown(ci.path, number, f"automatic rollback only: `{line[:80]}`")
                    break
    if not outcome.findings:
        outcome.bad(None, None, "no canary or blue-green delivery (Argo Rollouts, Flagger, CodeDeploy, traffic splits)")
        outcome.summary = "every release goes to all users at once"
    return outcome


GLOBAL_DATA = ("awsdynamodbglobaltable", "awsrdsglobalcluster", "googlespannerinstance")


def rule_multi_region(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="regions")
    found = iac.regions(inv)
    global_data = _iac_kinds(inv, *GLOBAL_DATA)
    route_failover = [r for r in _iac_kinds(inv, "awsroute53record")
                      if r.nested("failover_routing_policy") or r.nested("latency_routing_policy")]
    path_regions: dict[str, str] = {}
    for rel in [k.path for k in inv.kustomizations] + [o.path for o in inv.k8s] + [d.path for d in inv.yaml_docs]:
        for region in iac.REGION.findall(posixpath.dirname(rel) + "/" + posixpath.basename(rel)):
            path_regions.setdefault(region, rel)
    if len(found) >= 2:
        for region, (path, line) in list(found.items())[:6]:
            outcome.good(path, line, f"region {region}")
    for resource in global_data + route_failover:
        outcome.good(resource.path, resource.line, f"{resource.type} {resource.name}: cross-region")
    if not outcome.findings and len(path_regions) >= 2:
        for region, rel in list(path_regions.items())[:6]:
            outcome.good(rel, None, f"deployment config for region {region}", strength=DECLARED)
    if not outcome.findings:
        if len(found) == 1:
            region, (path, line) = next(iter(found.items()))
            outcome.bad(path, line, f"a single region ({region}): a regional outage takes the service down")
            outcome.summary = f"deployed to one region only ({region})"
        else:
            outcome.bad(None, None, "no infrastructure code or deployment config names the regions the service runs in")
            outcome.summary = "no evidence of a multi-region deployment"
    return outcome


WAF_KINDS = ("awswafv2webacl", "awswafwebacl", "awswafregionalwebacl", "googlecomputesecuritypolicy",
             "azurermwebapplicationfirewallpolicy", "azurermfrontdoorfirewallpolicy", "azurermcdnfrontdoorfirewallpolicy",
             "cloudflareruleset", "cloudflarewafrule", "cloudflarewafpackage", "fastlyservicewafconfiguration")
DDOS_KINDS = ("awsshieldprotection", "azurermnetworkddosprotectionplan", "googlecomputesecuritypolicy",
              "cloudflarezonesetting")
WAF_ANNOTATIONS = ("alb.ingress.kubernetes.io/wafv2-acl-arn", "alb.ingress.kubernetes.io/waf-acl-id",
                   "nginx.ingress.kubernetes.io/enable-modsecurity", "appgw.ingress.kubernetes.io/waf-policy-for-path",
                   "alb.ingress.kubernetes.io/shield-advanced-protection")


def rule_waf_ddos(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="edge protections")
    waf = _iac_kinds(inv, *WAF_KINDS)
    for resource in _first(waf):
        outcome.good(resource.path, resource.line, f"WAF: {resource.type} {resource.name}")
    for obj in inv.objects("Ingress", "BackendConfig", "GCPBackendPolicy"):
        annotations = as_dict(dig(obj.body, "metadata", "annotations"))
        hits = [a for a in WAF_ANNOTATIONS if isinstance(annotations, dict) and str(annotations.get(a, "")).lower()
                not in ("", "false")]
        if hits:
            outcome.good(obj.path, line_at(obj.body, "metadata", "annotations", hits[0]), f"{obj.where}: {hits[0]}")
        if obj.kind in ("BackendConfig", "GCPBackendPolicy") and (dig(obj.body, "spec", "securityPolicy")
                                                                  or dig(obj.body, "spec", "default", "securityPolicy")):
            outcome.good(obj.path, obj.line, f"{obj.where}: Cloud Armor security policy")
    if not outcome.findings:
        for resource in _iac_kinds(inv, *DDOS_KINDS):
            outcome.unknown(resource.path, resource.line, f"DDoS protection ({resource.type} {resource.name}) "
                                                          "but no web application firewall")
    if not outcome.findings:
        outcome.bad(None, None, "no WAF or DDoS protection (AWS WAF/Shield, Cloud Armor, Azure WAF/DDoS, Cloudflare, "
                                "WAF ingress annotations)")
        outcome.summary = "the service is exposed without a WAF or DDoS protection"
    return outcome



