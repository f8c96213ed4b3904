"""Find and parse (never execute) every deployment artefact of the audited tree, once per audit.

The inventory is what every deploy check reads: Dockerfiles, Compose files, Kubernetes objects (from
plain manifests, `kind: List`, Helm templates read without helm, Kustomize bases), CI pipelines,
other YAML and JSON documents (monitoring, CloudFormation, SLOs) and Terraform blocks. Files that
could not be read (invalid, templated, too large, alias bombs) are kept as notes with the reason,
so the report can say plainly what was not evaluated.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml

from readyscore.executors.deploy import hcl, helm
from readyscore.executors.deploy.dockerfile import Dockerfile, parse_dockerfile
from readyscore.executors.deploy.yamldoc import YMap, as_list, load_documents
from readyscore.files import FileIndex
from readyscore.settings.deploy import DeploySettings

CI_PATTERNS = {
    "github-actions": [".github/workflows/*.yml", ".github/workflows/*.yaml"],
    "gitlab-ci": [".gitlab-ci.yml", ".gitlab/ci/**/*.yml", ".gitlab/ci/**/*.yaml"],
    "jenkins": ["Jenkinsfile", "Jenkinsfile.*", "**/Jenkinsfile"],
    "circleci": [".circleci/config.yml", ".circleci/config.yaml"],
    "azure-pipelines": ["azure-pipelines*.yml", "azure-pipelines*.yaml", ".azure-pipelines/*.yml",
                        ".azure-pipelines/*.yaml", ".azuredevops/*.yml"],
    "bitbucket": ["bitbucket-pipelines.yml"],
    "drone": [".drone.yml"],
    "buildkite": [".buildkite/*.yml", ".buildkite/*.yaml"],
    "cloud-build": ["cloudbuild.yaml", "cloudbuild.yml"],
}
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# `#- ../prometheus` in a kustomization: a folder someone switched off (kubebuilder ships several so).
_COMMENTED_ENTRY = re.compile(r"^\s*#\s*-\s*(\.{1,2}/[\w./-]+|[\w-]+/?)\s*$", re.MULTILINE)
NOT_DEPLOYMENT_JSON = frozenset({"package.json", "package-lock.json", "composer.json", "composer.lock",
                                 "jsconfig.json", "renovate.json", "deno.json", "bower.json", "lerna.json"})
TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".gotmpl")
COMPOSE_PREFIXES = ("docker-compose", "compose")
# A template engine's markup where YAML structure goes: a line or a value that *starts* with `{{`, or a
# Jinja block. Expressions inside values (`${{ secrets.X }}` in GitHub Actions, `{{ $labels.pod }}`
# in alert annotations, `"{{args.service}}"` in Argo) are plain strings to YAML and are read normally.
TEMPLATED_YAML = re.compile(r"^\s*(-\s+)?\{\{|:[ \t]+\{\{|\{%-?\s", re.MULTILINE)
DEPENDENCY_BOTS = (".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json", ".github/renovate.json")


@dataclass
class Note:
    path: str
    message: str
    line: int | None = None
    # The file could not be read or parsed at all: nothing can be said about what it holds.
    unread: bool = False


@dataclass
class K8sObject:
    path: str
    line: int
    api_version: str
    kind: str
    name: str
    body: YMap
    source: str = "manifest"  # manifest | helm | kustomize-patch
    chart: str | None = None

    @property
    def where(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class ComposeFile:
    path: str
    data: YMap

    @property
    def services(self) -> dict[str, Any]:
        services = self.data.get("services")
        return services if isinstance(services, dict) else {}


@dataclass
class CiFile:
    path: str
    system: str
    text: str
    data: Any = None  # the parsed YAML of YAML-based pipelines


@dataclass
class YamlDoc:
    path: str
    data: Any
    source: str = "file"


@dataclass
class Kustomization:
    path: str
    data: YMap
    # image name -> "newTag"/"digest" override, which pins an image left untagged in a base
    image_overrides: dict[str, str] = field(default_factory=dict)


@dataclass
class Inventory:
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    dockerignores: list[str] = field(default_factory=list)
    compose: list[ComposeFile] = field(default_factory=list)
    k8s: list[K8sObject] = field(default_factory=list)
    helm_charts: list[str] = field(default_factory=list)
    kustomizations: list[Kustomization] = field(default_factory=list)
    ci: list[CiFile] = field(default_factory=list)
    yaml_docs: list[YamlDoc] = field(default_factory=list)  # every non-Kubernetes, non-Compose document
    json_docs: list[YamlDoc] = field(default_factory=list)
    terraform: list[tuple[str, hcl.Block]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    dependency_bots: list[str] = field(default_factory=list)
    files_read: int = 0
    files: FileIndex | None = None
    # The whole tree, out-of-scope folders included: documents (an SLO in docs/) are read there.
    all_files: FileIndex | None = None
    # Derived views computed on first use (IaC resources ...); recomputing them is harmless.
    cache: dict[str, Any] = field(default_factory=dict)

    def objects(self, *kinds: str) -> list[K8sObject]:
        return [o for o in self.k8s if o.kind in kinds and o.source != "kustomize-patch"]

    def summary(self) -> dict[str, Any]:
        kinds = Counter(o.kind for o in self.k8s)
        return {
            "dockerfiles": [d.path for d in self.dockerfiles][:50],
            "compose_files": [c.path for c in self.compose][:50],
            "kubernetes_objects": dict(kinds.most_common(30)),
            "helm_charts": self.helm_charts[:50],
            "kustomizations": [k.path for k in self.kustomizations][:50],
            "ci_pipelines": [f"{c.system}: {c.path}" for c in self.ci][:50],
            "terraform_files": [path for path, _ in self.terraform][:50],
            "files_read": self.files_read,
            "not_evaluated": [{"path": n.path, "line": n.line, "reason": n.message} for n in self.notes[:100]],
        }


def is_dockerfile(rel: str) -> bool:
    name = posixpath.basename(rel).lower()
    if name.endswith((".md", ".txt", ".rst", ".sh", ".py", ".dockerignore")):
        return False
    return (name in ("dockerfile", "containerfile") or name.startswith(("dockerfile.", "containerfile."))
            or name.endswith((".dockerfile", ".containerfile")))


def _chart_root(rel: str, charts: list[str]) -> str | None:
    """The nearest enclosing Helm chart folder ('' for the root)."""
    best = None
    for chart in charts:
        prefix = f"{chart}/" if chart else ""
        if rel.startswith(prefix) and (best is None or len(chart) > len(best)):
            best = chart
    return best


class _Builder:
    def __init__(self, files: FileIndex, settings: DeploySettings):
        self.files = files
        self.settings = settings
        self.inv = Inventory()
        self.budget = settings.max_files
        self.sizes = {entry.rel: entry.size for entry in files.files}
        self.switched_off: dict[str, str] = {}  # Kustomize folder -> where it is commented out

    def read(self, rel: str) -> str | None:
        if self.budget <= 0:
            self.inv.notes.append(Note(rel, f"not read: over the limit of {self.settings.max_files} deployment files",
                                       unread=True))
            return None
        self.budget -= 1
        entry_size = self.sizes.get(rel, 0)
        if entry_size > self.settings.max_file_bytes:
            self.inv.notes.append(Note(rel, f"not read: {entry_size} bytes is over the "
                                             f"{self.settings.max_file_bytes}-byte limit", unread=True))
            return None
        text = self.files.read_text(rel, limit=self.settings.max_file_bytes)
        if text is None:
            self.inv.notes.append(Note(rel, "not read: binary, unreadable or not UTF-8", unread=True))
            return None
        self.inv.files_read += 1
        return text

    def load_yaml(self, rel: str, text: str) -> list[Any]:
        docs = load_documents(text, max_nodes=self.settings.max_yaml_nodes)
        if docs.problem:
            self.inv.notes.append(Note(rel, docs.problem, docs.problem_line, unread=not docs.documents))
        return docs.documents

    def build(self) -> Inventory:
        files = self.files
        yaml_files = [f.rel for f in files.files if f.rel.endswith((".yaml", ".yml"))]
        charts = sorted({posixpath.dirname(f.rel) for f in files.files if posixpath.basename(f.rel) == "Chart.yaml"})
        self.inv.helm_charts = [c or "." for c in charts]
        self.inv.files = files
        self.inv.dependency_bots = [f.rel for f in files.glob(*DEPENDENCY_BOTS)]
        ci_paths = self._ci()
        kustomize_patches = self._kustomizations()
        chart_values = {chart: (self._chart_file(chart, "values.yaml"), self._chart_file(chart, "Chart.yaml"))
                        for chart in charts}

        for rel in files.files:
            if is_dockerfile(rel.rel):
                text = self.read(rel.rel)
                if text is not None:
                    dockerfile = parse_dockerfile(rel.rel, text)
                    if dockerfile.problem:
                        self.inv.notes.append(Note(rel.rel, f"Dockerfile not evaluated: {dockerfile.problem}"))
                    self.inv.dockerfiles.append(dockerfile)
            elif posixpath.basename(rel.rel) == ".dockerignore" or rel.rel.endswith(".dockerignore"):
                self.inv.dockerignores.append(rel.rel)
            elif rel.rel.endswith(".tf"):
                text = self.read(rel.rel)
                if text is not None:
                    self.inv.terraform.append((rel.rel, hcl.parse(text)))
            elif rel.rel.endswith(".json") and rel.size <= self.settings.max_file_bytes:
                self._json(rel.rel)
            elif rel.rel.endswith(TEMPLATE_SUFFIXES) and any(
                    rel.rel[: -len(s)].endswith((".yaml", ".yml")) for s in TEMPLATE_SUFFIXES):
                self.inv.notes.append(Note(rel.rel, "a template file (Jinja/Go template): not evaluable without rendering"))

        for rel in yaml_files:
            if rel in ci_paths or posixpath.basename(rel) in KUSTOMIZATION_NAMES:
                continue
            chart = _chart_root(rel, charts)
            if chart is not None:
                inside = rel[len(chart) + 1:] if chart else rel
                if inside.startswith("templates/"):
                    self._helm_template(rel, chart, *chart_values[chart])
                continue  # Chart.yaml, values*.yaml and anything else in a chart is not a manifest
            off = next((where for folder, where in self.switched_off.items()
                        if rel.startswith(f"{folder}/") or not folder), None)
            if off is not None:
                self.inv.notes.append(Note(rel, f"not applied: its Kustomize folder is commented out in {off}"))
                continue
            text = self.read(rel)
            if text is None:
                continue
            if TEMPLATED_YAML.search(text):
                self.inv.notes.append(Note(rel, "templated YAML ({{ }}) outside a Helm chart: not evaluable"))
                continue
            source = "manifest"
            if rel in kustomize_patches:
                source = "kustomize-patch"
                self.inv.notes.append(Note(rel, "a Kustomize patch: merged by kustomize at build time, so its "
                                                "fields are not judged on their own (the base is)"))
            self._classify(rel, self.load_yaml(rel, text), source)
        return self.inv

    def _classify(self, rel: str, documents: list[Any], source: str, chart: str | None = None) -> None:
        name = posixpath.basename(rel).lower()
        for doc in documents:
            if not isinstance(doc, YMap):
                continue
            if isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str):
                items = doc.get("items")
                if doc["kind"].endswith("List") and isinstance(items, list):
                    for item in items:
                        if isinstance(item, YMap) and isinstance(item.get("kind"), str):
                            self._add_object(rel, item, source, chart)
                else:
                    self._add_object(rel, doc, source, chart)
            elif name.startswith(COMPOSE_PREFIXES) and isinstance(doc.get("services"), dict):
                self.inv.compose.append(ComposeFile(rel, doc))
            elif isinstance(doc.get("services"), dict) and any(
                    isinstance(s, dict) and ("image" in s or "build" in s) for s in doc["services"].values()):
                self.inv.compose.append(ComposeFile(rel, doc))
            else:
                self.inv.yaml_docs.append(YamlDoc(rel, doc))

    def _add_object(self, rel: str, doc: YMap, source: str, chart: str | None) -> None:
        metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        name = str(metadata.get("name", "?")).replace(helm.TEMPLATED, "{{…}}")
        self.inv.k8s.append(K8sObject(rel, doc.line, str(doc.get("apiVersion", "")), doc["kind"], name, doc,
                                      source, chart))

    def _ci(self) -> set[str]:
        seen: set[str] = set()
        for system, patterns in CI_PATTERNS.items():
            for entry in self.files.glob(*patterns):
                if entry.rel in seen:
                    continue
                seen.add(entry.rel)
                text = self.read(entry.rel)
                if text is None:
                    continue
                data = None
                if entry.rel.endswith((".yml", ".yaml")):
                    documents = self.load_yaml(entry.rel, text)
                    data = documents[0] if documents else None
                self.inv.ci.append(CiFile(entry.rel, system, text, data))
        return seen

    def _switched_off(self, listed: set[str], commented: dict[str, str]) -> None:
        """Kustomize folders named only in a commented-out line (kubebuilder's `#- ../prometheus`) are not
        applied: their objects are noted, not judged, so a ServiceMonitor nobody deploys proves nothing."""
        folders = {posixpath.dirname(f.rel) for f in self.files.files if posixpath.basename(f.rel) in KUSTOMIZATION_NAMES}
        self.switched_off = {folder: where for folder, where in commented.items()
                             if folder in folders and folder not in listed}

    def _kustomizations(self) -> set[str]:
        """Read kustomization files; return the files they use as patches (not whole manifests)."""
        patches: set[str] = set()
        listed: set[str] = set()  # folders some kustomization applies
        commented: dict[str, str] = {}  # folder -> the kustomization that names it only in a comment
        for rel in [f.rel for f in self.files.files if posixpath.basename(f.rel) in KUSTOMIZATION_NAMES]:
            text = self.read(rel)
            documents = self.load_yaml(rel, text) if text else []
            data = documents[0] if documents and isinstance(documents[0], YMap) else None
            if data is None:
                continue
            base = posixpath.dirname(rel)
            for key in ("resources", "bases", "components"):
                for entry in as_list(data.get(key)):
                    if isinstance(entry, str) and "://" not in entry:
                        listed.add(posixpath.normpath(posixpath.join(base, entry)))
            for match in _COMMENTED_ENTRY.finditer(text or ""):
                commented.setdefault(posixpath.normpath(posixpath.join(base, match.group(1))), rel)
            entries: list[Any] = list(as_list(data.get("patchesStrategicMerge")))
            for patch in as_list(data.get("patches")):
                if isinstance(patch, dict) and isinstance(patch.get("path"), str):
                    entries.append(patch["path"])
            for entry in entries:
                if isinstance(entry, str) and "\n" not in entry:
                    patches.add(posixpath.normpath(posixpath.join(base, entry)))
            overrides = {}
            for image in as_list(data.get("images")):
                if isinstance(image, dict) and isinstance(image.get("name"), str):
                    pin = image.get("digest") or image.get("newTag")
                    if pin:
                        overrides[image["name"]] = str(pin)
            self.inv.kustomizations.append(Kustomization(rel, data, overrides))
        self._switched_off(listed, commented)
        return patches

    def _chart_file(self, chart: str, name: str) -> Any:
        rel = f"{chart}/{name}" if chart else name
        if not self.files.exists(rel):
            return {}
        text = self.read(rel)
        documents = self.load_yaml(rel, text) if text else []
        return documents[0] if documents and isinstance(documents[0], dict) else {}

    def _helm_template(self, rel: str, chart: str, values: Any, chart_yaml: Any) -> None:
        text = self.read(rel)
        if text is None:
            return
        try:
            rendered = helm.render(text, values, chart_yaml)
        except (ValueError, TypeError, RecursionError, yaml.YAMLError) as exc:
            self.inv.notes.append(Note(rel, f"Helm template not evaluable without helm: {type(exc).__name__}"))
            return
        before = len(self.inv.notes)
        documents = self.load_yaml(rel, rendered.text)
        if len(self.inv.notes) > before:
            self.inv.notes[-1].message = f"Helm template not evaluable without helm: {self.inv.notes[-1].message}"
            self.inv.notes[-1].line = None  # the line is in our reduced text, not the template
        elif rendered.unresolved:
            more = f" (+{len(rendered.unresolved) - 3} more)" if len(rendered.unresolved) > 3 else ""
            self.inv.notes.append(Note(rel, "Helm template read without helm; not evaluated: "
                                            + "; ".join(rendered.unresolved[:3]) + more))
        self._classify(rel, documents, "helm", chart or ".")

    def _json(self, rel: str) -> None:
        lowered = rel.lower()
        name = posixpath.basename(lowered)
        if name in NOT_DEPLOYMENT_JSON or name.startswith(("tsconfig", ".eslintrc")) or self.budget <= 0:
            return
        self.budget -= 1
        # Only JSON that may be a dashboard or a CloudFormation template is worth parsing.
        text = self.files.read_text(rel, limit=self.settings.max_file_bytes)
        if text is None or not ('"panels"' in text or "AWSTemplateFormatVersion" in text
                                or ("dashboard" in lowered and "{" in text)):
            return
        self.inv.files_read += 1
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            self.inv.notes.append(Note(rel, "invalid JSON"))
            return
        self.inv.json_docs.append(YamlDoc(rel, data, "json"))


def build_inventory(files: FileIndex, settings: DeploySettings) -> Inventory:
    return _Builder(files, settings).build()
