"""Which parts of the audited tree make up the deployable service, and which are tutorials.

Real repositories carry far more than the service: examples/, tutorials/, docs/, samples/,
benchmarks/, test fixtures and walkthrough manifests. Judging those as the service fails a Helm
chart's probes because a tutorial's DaemonSet lacks them. So every path is either *in scope*
(decides readiness checks) or *out of scope* with a reason. Out-of-scope files are still read for
security findings (a real key in a tutorial is still a leaked key), but no readiness check counts
them.

A file under an out-of-scope folder comes back into scope when the repository itself deploys it:
its path is named by a CI pipeline (`docker build -f`, `helm install`, `kubectl apply -f`), by a
Kustomization's resources, or by an Argo CD Application. `readyscore.yaml` has the last word:
`scope.include` globs force paths in, `scope.exclude` globs force them out.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from readyscore.files import FileIndex, matches

# Folder name -> why it is not the service. A folder matches at any depth.
OUT_OF_SCOPE_DIRS: dict[str, str] = {
    **dict.fromkeys(("examples", "example", "samples", "sample", "demo", "demos", "cookbook", "cookbooks",
                     "playground", "notebooks"), "examples and samples"),
    **dict.fromkeys(("tutorials", "tutorial", "walkthrough", "walkthroughs", "quickstart", "quickstarts",
                     "getting-started", "getting_started", "guides", "workshop"), "tutorials and walkthroughs"),
    **dict.fromkeys(("docs", "doc", "documentation", "website", "mkdocs"), "documentation"),
    **dict.fromkeys(("benchmarks", "benchmark", "bench", "benches", "perf", "loadtest", "load-test",
                     "load_tests"), "benchmarks"),
    **dict.fromkeys(("tests", "test", "testing", "testdata", "fixtures", "e2e", "integration-tests",
                     "integration_tests", "__tests__", "spec"), "tests and test fixtures"),
    **dict.fromkeys(("hack", "dev", "devcontainer", ".devcontainer"), "developer tooling"),
    # Offline evaluation harnesses (RouteLLM's evals/ scores routers on MMLU and GSM8K with its own
    # OpenAI clients and pickled result files): they measure the model, they do not serve it.
    **dict.fromkeys(("evals", "evaluation", "evaluations"), "evaluations"),
}
# Folder names that *contain* these words are examples or walkthroughs too ("deployment_on_cloud",
# "k8s-examples", "tutorial-assets").
OUT_OF_SCOPE_WORDS = (("tutorial", "tutorials and walkthroughs"), ("walkthrough", "tutorials and walkthroughs"),
                      ("example", "examples and samples"), ("sample", "examples and samples"),
                      ("quickstart", "tutorials and walkthroughs"), ("on_cloud", "tutorials and walkthroughs"),
                      ("on-cloud", "tutorials and walkthroughs"))
CI_GLOBS = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "Jenkinsfile",
            ".circleci/config.yml", "azure-pipelines*.yml", "cloudbuild.yaml", "Makefile", "makefile",
            "skaffold.yaml", "Tiltfile")
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_PATH_TOKEN = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_./-]*/[A-Za-z0-9_./-]+")
_ARGO_PATH = re.compile(r"^\s*path:\s*[\"']?([A-Za-z0-9_./-]+)", re.MULTILINE)
_DEPLOY_VERB = re.compile(r"(?i)docker\b.*\bbuild|buildx|\bhelm\b|kubectl\b.*\bapply|kustomize|skaffold|"
                          r"\bcontext:|\bfile:|dockerfile|\bchart")
MAX_REFERENCE_BYTES = 512 * 1024


class ScopeConfigError(ValueError):
    pass


@dataclass
class Unit:
    """A deployable unit found in the tree: a Helm chart, a Dockerfile, a Compose file ..."""

    kind: str
    path: str
    in_scope: bool
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "path": self.path, "judged": self.in_scope}
        if self.reason:
            out["left_out_because"] = self.reason
        return out


@dataclass
class Scope:
    out: dict[str, str] = field(default_factory=dict)  # path -> reason, for out-of-scope files
    promoted: dict[str, str] = field(default_factory=dict)  # path -> why it came back in
    units: list[Unit] = field(default_factory=list)

    def in_scope(self, rel: str) -> bool:
        return rel not in self.out

    def reason(self, rel: str) -> str | None:
        return self.out.get(rel)

    def section(self, limit: int = 50) -> dict[str, Any]:
        """The report's account of what was judged and what was left out, grouped by reason."""
        by_reason: dict[str, dict[str, int]] = {}
        for rel, reason in self.out.items():
            top = _out_folder(rel) or rel
            by_reason.setdefault(reason, {})
            by_reason[reason][top] = by_reason[reason].get(top, 0) + 1
        left_out = [{"path": folder, "files": count, "reason": reason}
                    for reason, folders in sorted(by_reason.items()) for folder, count in sorted(folders.items())]
        services = [u.as_dict() for u in self.units]
        return {
            "files_out_of_scope": len(self.out),
            "left_out": left_out[:limit],
            "brought_back_in": [{"path": p, "because": why} for p, why in sorted(self.promoted.items())][:limit],
            "deployable_units": services[:limit],
            "judged": [u.path for u in self.units if u.in_scope][:limit],
        }


def _part_reason(part: str) -> str | None:
    part = part.lower()
    reason = OUT_OF_SCOPE_DIRS.get(part)
    if reason:
        return reason
    if part.startswith(("test-", "test_", "tests-", "e2e-", "e2e_")):  # config/overlays/test-modelcache
        return "tests and test fixtures"
    return next((why for word, why in OUT_OF_SCOPE_WORDS if word in part), None)


def _out_folder(rel: str) -> str | None:
    """The outermost out-of-scope folder of a path ('docs', 'examples/router'), or None."""
    parts = rel.split("/")[:-1]
    for i, part in enumerate(parts):
        if _part_reason(part):
            return "/".join(parts[: i + 1])
    return None


def folder_reason(rel: str) -> str | None:
    return _dir_reason(posixpath.dirname(rel))


@lru_cache(maxsize=65536)
def _dir_reason(folder: str) -> str | None:
    """Per folder, not per file: a 20,000-file tree has a few hundred folders."""
    if not folder:
        return None
    parent, _, part = folder.rpartition("/")
    return _dir_reason(parent) or _part_reason(part)


_CI_NAMES = frozenset({"Makefile", "makefile", "Jenkinsfile", ".gitlab-ci.yml", "skaffold.yaml", "Tiltfile",
                       "cloudbuild.yaml"})


_TOOLBOX_ONLY = frozenset({"tests and test fixtures", "documentation", "benchmarks", "developer tooling",
                           "evaluations"})
# What a pipeline uses from these folders it uses to test, benchmark or document the service, not to
# deploy it: TensorZero's e2e workflows `docker compose up` the stacks under crates/*/tests/e2e and
# ui/fixtures, and push a mock provider's image from tests/ (all judged as its deployment before).
_NEVER_DEPLOYED = frozenset({"tests and test fixtures", "documentation", "benchmarks"})


def _may_be_ci(rel: str) -> bool:
    return (rel.startswith((".github/workflows/", ".circleci/", "azure-pipelines"))
            or posixpath.basename(rel) in _CI_NAMES)


def _deployed_paths(index: FileIndex, known: set[str], folders: set[str]) -> dict[str, str]:
    """Paths (files or folders) the repository itself builds or applies, with the reason."""
    found: dict[str, str] = {}

    def note(path: str, why: str) -> None:
        path = posixpath.normpath(path.strip("'\"")).lstrip("./") if path not in (".", "./") else ""
        if path and (path in known or path in folders):
            found.setdefault(path, why)

    for entry in [f for f in index.files if _may_be_ci(f.rel) and any(matches(f.rel, g) for g in CI_GLOBS)]:
        text = index.read_text(entry.rel, limit=MAX_REFERENCE_BYTES)
        # A Makefile is a developer's toolbox: its `test-e2e` applies test fixtures (kubeai) and its
        # `apidocs` builds a docs image (kserve). It brings back no path scoped out as tests, docs,
        # benchmarks or developer tooling; a pipeline brings back no tests, docs or benchmarks, but
        # can bring back developer tooling or an example it deploys, and a Makefile can for an example.
        toolbox = posixpath.basename(entry.rel) in ("Makefile", "makefile")
        kept_out = _TOOLBOX_ONLY if toolbox else _NEVER_DEPLOYED
        for line in (text or "").splitlines():
            if _DEPLOY_VERB.search(line):  # `pytest examples/` runs a tutorial, it does not deploy it
                for token in _PATH_TOKEN.findall(line):
                    if folder_reason(token.strip("'\"").lstrip("./") + "/x") in kept_out:
                        continue
                    note(token, f"built or applied by {entry.rel}")
    for entry in [f for f in index.files if posixpath.basename(f.rel) in KUSTOMIZATION_NAMES]:
        text = index.read_text(entry.rel, limit=MAX_REFERENCE_BYTES) or ""
        base = posixpath.dirname(entry.rel)
        if folder_reason(entry.rel):
            continue  # a tutorial's kustomization does not deploy anything of the service
        for line in text.splitlines():
            item = line.strip()
            if item.startswith("- ") and not item.startswith("- name"):
                note(posixpath.join(base, item[2:].strip()), f"a resource of {entry.rel}")
    for entry in index.with_suffix(".yaml", ".yml"):
        # Argo CD Applications live in files or folders that say so (argocd/, apps/, application.yaml):
        # reading every YAML file of a large tree to look for them would cost more than the rest.
        if (folder_reason(entry.rel) or entry.size > MAX_REFERENCE_BYTES
                or not any(word in entry.rel.lower() for word in ("argo", "app"))):
            continue
        text = index.read_text(entry.rel, limit=MAX_REFERENCE_BYTES) or ""
        if "argoproj.io" in text and "kind: Application" in text:
            for path in _ARGO_PATH.findall(text):
                note(path, f"deployed by the Argo CD Application in {entry.rel}")
    return found


def _units(index: FileIndex, scope: Scope) -> list[Unit]:
    units: list[Unit] = []
    for entry in index.files:
        rel = entry.rel
        name = posixpath.basename(rel)
        lowered = name.lower()
        kind = None
        if name == "Chart.yaml":
            kind, rel = "helm chart", posixpath.dirname(rel) or "."
        elif lowered in ("dockerfile", "containerfile") or lowered.startswith("dockerfile.") or lowered.endswith(".dockerfile"):
            kind = "container image"
        elif lowered.startswith(("docker-compose", "compose.")) and lowered.endswith((".yml", ".yaml")):
            kind = "compose stack"
        elif name in KUSTOMIZATION_NAMES:
            kind, rel = "kustomization", posixpath.dirname(rel) or "."
        elif name == "main.go" or (name == "main.rs" and rel.endswith("src/main.rs")) or name == "__main__.py":
            kind, rel = "program", posixpath.dirname(rel) or "."
        if kind is None:
            continue
        reason = scope.reason(entry.rel)
        units.append(Unit(kind, rel, reason is None, reason or ""))
    # Terraform roots: folders holding .tf files (modules under a root are counted once, at the root).
    tf_files: dict[str, str] = {}
    for entry in index.with_suffix(".tf"):
        tf_files.setdefault(posixpath.dirname(entry.rel) or ".", entry.rel)
    tf_dirs = sorted(tf_files)
    for folder in tf_dirs:
        if any(folder.startswith(f"{other}/") for other in tf_dirs if other != folder and other != "."):
            continue
        probe = tf_files[folder]
        reason = scope.reason(probe)
        units.append(Unit("terraform root", folder, reason is None, reason or ""))
    return units


def _kept_out_below(rel: str, pattern: str) -> str | None:
    """The reason a path stays out although an include matches it: an include lifts the out-of-scope
    folders it names (`examples/server/**` brings llama.cpp's server in); a tests/ or bench/ folder
    below them keeps its own reason. A pattern that names no folder (`**/*.py`) lifts everything."""
    segments = pattern.split("/")
    prefix = 0
    for segment in segments[:-1]:
        if any(c in segment for c in "*?["):
            break
        prefix += 1
    if prefix == 0:
        return None
    named = set(segments)
    below = [part for part in rel.split("/")[prefix:-1] if part not in named]
    return next((why for part in below if (why := _part_reason(part))), None)


def build_scope(index: FileIndex, include: list[str] | None = None, exclude: list[str] | None = None) -> Scope:
    include, exclude = list(include or []), list(exclude or [])
    scope = Scope()
    candidates = {f.rel: folder_reason(f.rel) for f in index.files}
    known = set(candidates)
    if any(candidates.values()):
        folders = {posixpath.dirname(rel) for rel in known}
        folders |= {"/".join(rel.split("/")[:i]) for rel in folders for i in range(1, rel.count("/") + 1)}
        deployed = _deployed_paths(index, known, folders)
    else:
        deployed = {}
    for rel, reason in candidates.items():
        if any(matches(rel, pattern) for pattern in exclude):
            scope.out[rel] = "excluded from scope by readyscore.yaml"
            continue
        if reason is None:
            continue
        lifting = [pattern for pattern in include if matches(rel, pattern)]
        kept_out = [_kept_out_below(rel, pattern) for pattern in lifting]
        if lifting and None in kept_out:
            scope.promoted[rel] = "included in scope by readyscore.yaml"
            continue
        if lifting:
            scope.out[rel] = f"{kept_out[0]} (below the folder readyscore.yaml includes)"
            continue
        why = next((w for path, w in deployed.items() if rel == path or rel.startswith(f"{path}/")), None)
        if why:
            scope.promoted[rel] = why
            continue
        scope.out[rel] = reason
    scope.units = _units(index, scope)
    return scope
