"""Which image names a Dockerfile is built as, and whether the repository uses that image as a base.

A Dockerfile's image name is not in the Dockerfile: CI gives it. This reads the names from the
places a repository says so, and nothing else:

- GitHub Actions `docker/build-push-action` steps whose `file:` (or `context:` + Dockerfile) is this
  Dockerfile: their `tags:`, or the `images:` of the `docker/metadata-action` step their tags come
  from; `${{ env.X }}` and `${{ matrix.X }}` are expanded from the workflow, so a matrix of tags
  gives one name per entry;
- `docker build` / `docker buildx build` / `podman build` lines with `-f <this Dockerfile>` and `-t`;
- Compose services that build this Dockerfile and name an `image:`.

Names are compared without registry aliases (`docker.io/`, `library/`) and, for workloads, without
the tag: a chart runs `acme/api:{{ .Values.tag }}` of the image CI tags `acme/api:1.2.3`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from itertools import product

from readyscore.executors.deploy.compose import built_from
from readyscore.executors.deploy.dockerfile import Dockerfile
from readyscore.executors.deploy.inventory import Inventory
from readyscore.executors.deploy.yamldoc import YList, YMap

_EXPR = re.compile(r"\$\{\{\s*(env|matrix)\.([A-Za-z0-9_-]+)\s*\}\}")
_BUILD_LINE = re.compile(r"\b(docker|podman)\s+(buildx\s+)?build\b")
MAX_EXPANSIONS = 64


@dataclass(frozen=True)
class ImageRef:
    repo: str  # normalised repository (`quay.io/acme/api`, `acme/api`)
    tag: str | None  # None when it is set at run time (`${{ github.sha }}`)

    def __str__(self) -> str:
        return f"{self.repo}:{self.tag}" if self.tag else self.repo


def normalise(reference: str) -> ImageRef | None:
    """`docker.io/library/python:3.12` -> ImageRef('python', '3.12'); None for a name set at run time."""
    reference = reference.strip().strip("'\"").split("@", 1)[0]
    if not reference or reference.startswith("-"):
        return None
    last = reference.rsplit("/", 1)[-1]
    repo, tag = (reference.rsplit(":", 1) if ":" in last else (reference, None))
    for alias in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if repo.startswith(alias):
            repo = repo[len(alias):]
    if repo.startswith("library/"):
        repo = repo[len("library/"):]
    if "${" in repo or "{{" in repo or "$(" in repo or not repo:
        return None
    if tag is not None and ("${" in tag or "{{" in tag or "{" in tag or not tag):
        tag = None
    return ImageRef(repo.lower(), tag)


def _expand(text: str, env: dict[str, str], matrix: dict[str, list[str]]) -> list[str]:
    keys = sorted({(kind, name) for kind, name in _EXPR.findall(text)})
    choices = []
    for kind, name in keys:
        if kind == "env":
            choices.append([env[name]] if name in env else [None])
        else:
            choices.append(matrix.get(name) or [None])
    out = []
    for combo in list(product(*choices))[:MAX_EXPANSIONS]:
        value = text
        for (kind, name), chosen in zip(keys, combo):
            if chosen is not None:
                value = re.sub(r"\$\{\{\s*" + kind + r"\." + re.escape(name) + r"\s*\}\}",
                               lambda _m, c=chosen: str(c), value)
        out.append(value)
    return out


def _env(holder: object) -> dict[str, str]:
    env = holder.get("env") if isinstance(holder, YMap) else None
    return {str(k): str(v) for k, v in env.items() if isinstance(v, (str, int, float))} if isinstance(env, dict) else {}


def _matrix(job: YMap) -> dict[str, list[str]]:
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    values: dict[str, list[str]] = {}
    if not isinstance(matrix, dict):
        return values
    for key, value in matrix.items():
        if isinstance(value, list) and key not in ("include", "exclude"):
            values.setdefault(str(key), []).extend(str(v) for v in value if isinstance(v, (str, int, float)))
    for entry in matrix.get("include") or []:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if isinstance(value, (str, int, float)):
                    values.setdefault(str(key), []).append(str(value))
    return values


def _lines(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [part for part in re.split(r"[\n,]", value) if part.strip()]
    return []


def _step_dockerfile(step_with: dict) -> str | None:
    context = step_with.get("context") if isinstance(step_with.get("context"), str) else "."
    if "${{" in context or "://" in context:
        return None
    file = step_with.get("file") if isinstance(step_with.get("file"), str) else None
    if file and "${{" in file:
        return None
    return posixpath.normpath(file if file else posixpath.join(context, "Dockerfile"))


def _actions_refs(inv: Inventory, dockerfile: Dockerfile) -> list[ImageRef]:
    refs: list[ImageRef] = []
    for ci in inv.ci:
        if ci.system != "github-actions" or not isinstance(ci.data, YMap) or not isinstance(ci.data.get("jobs"), YMap):
            continue
        top_env = _env(ci.data)
        for job in ci.data["jobs"].values():
            if not isinstance(job, YMap) or not isinstance(job.get("steps"), YList):
                continue
            env, matrix = {**top_env, **_env(job)}, _matrix(job)
            steps = [s for s in job["steps"] if isinstance(s, YMap)]
            meta_images = {str(s.get("id")): _lines((s.get("with") or {}).get("images")) for s in steps
                           if str(s.get("uses", "")).startswith("docker/metadata-action") and s.get("id")}
            for step in steps:
                uses = str(step.get("uses", ""))
                with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
                if not uses.startswith("docker/build-push-action") or _step_dockerfile(with_) != dockerfile.path:
                    continue
                names = []
                for tag in _lines(with_.get("tags")):
                    used = re.search(r"steps\.([A-Za-z0-9_-]+)\.outputs\.tags", tag)
                    names += meta_images.get(used.group(1), []) if used else [tag]
                for name in names:
                    for expanded in _expand(name.strip(), {**env, **_env(step)}, matrix):
                        ref = normalise(expanded)
                        if ref is not None:
                            refs.append(ref)
    return refs


def _command_refs(inv: Inventory, dockerfile: Dockerfile) -> list[ImageRef]:
    refs: list[ImageRef] = []
    for ci in inv.ci:
        text = ci.text.replace("\\\n", " ")
        for line in text.splitlines()[:20_000]:
            if not _BUILD_LINE.search(line):
                continue
            words = line.split()
            files = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-f", "--file")]
            files += [w.split("=", 1)[1] for w in words if w.startswith("--file=")]
            if not any(posixpath.normpath(f.strip("'\"")) == dockerfile.path for f in files):
                continue
            tags = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-t", "--tag")]
            tags += [w.split("=", 1)[1] for w in words if w.startswith("--tag=")]
            refs += [ref for ref in (normalise(t) for t in tags) if ref is not None]
    return refs


def built_images(inv: Inventory, dockerfile: Dockerfile) -> list[ImageRef]:
    """Every name the repository builds this Dockerfile as (empty when none is said)."""
    key = f"built_images:{dockerfile.path}"
    if key not in inv.cache:
        refs = _actions_refs(inv, dockerfile) + _command_refs(inv, dockerfile)
        for compose in inv.compose:
            for service in compose.services.values():
                if (isinstance(service, dict) and isinstance(service.get("image"), str)
                        and built_from(compose.path, service) == dockerfile.path):
                    ref = normalise(service["image"])
                    if ref is not None:
                        refs.append(ref)
        inv.cache[key] = list(dict.fromkeys(refs))
    return inv.cache[key]


def runs_image(image: object, refs: list[ImageRef]) -> bool:
    """A workload's image is one of these builds (the repository name decides; tags vary by release)."""
    ref = normalise(image) if isinstance(image, str) else None
    return ref is not None and any(ref.repo == built.repo for built in refs)


# A value passed as a base image: `builder-base-image: quay.io/acme/base:grpc`, `BASE_IMAGE=...`,
# `--build-arg BUILDER_IMAGE=...`. The key must say base/builder/from, and the value must be a tag
# this repository builds: a push or a cache reference of the same name is not a base.
_BASE_VALUE = re.compile(r"(?i)\b[\w.-]*(base|builder|from)[\w.-]*\s*[:=]\s*[\"']?([\w./:@-]+)")


def used_as_base(inv: Inventory, dockerfile: Dockerfile) -> str | None:
    """Where the repository starts another build FROM this Dockerfile's image (None when it does not)."""
    key = f"used_as_base:{dockerfile.path}"
    if key not in inv.cache:  # asked by each Dockerfile rule; the .github files are read once
        inv.cache[key] = _used_as_base(inv, dockerfile)
    return inv.cache[key]


def _used_as_base(inv: Inventory, dockerfile: Dockerfile) -> str | None:
    tagged = {str(ref) for ref in built_images(inv, dockerfile) if ref.tag}
    if not tagged:
        return None
    for other in inv.dockerfiles:
        if other.path == dockerfile.path:
            continue
        for stage in other.stages:
            ref = normalise(stage.image_resolved)
            if ref is not None and str(ref) in tagged:
                return f"{other.path}:{stage.line} starts FROM {ref}"
    files = inv.all_files or inv.files
    if files is None:
        return None
    texts = [(ci.path, ci.text) for ci in inv.ci]
    for entry in files.glob(".github/*.yml", ".github/*.yaml", ".github/**/*.yml", ".github/**/*.yaml"):
        if entry.rel not in {path for path, _ in texts}:
            texts.append((entry.rel, files.read_text(entry.rel, limit=1024 * 1024) or ""))
    for path, text in texts:
        for number, line in enumerate(text.splitlines()[:50_000], start=1):
            if line.lstrip().startswith("#"):
                continue
            for match in _BASE_VALUE.finditer(line):
                ref = normalise(match.group(2))
                if ref is not None and str(ref) in tagged:
                    return f"{path}:{number} passes {ref} as a base image"
    return None
