"""Build the real-repository corpus: small deterministic snapshots of public LLM-serving repositories.

Reads local git mirrors (one per repository, at the pinned commit in manifest.json) and keeps only
what readyscore's file checks decide on, within a size budget per repository:

1. deployment and config files: Dockerfiles, Compose, YAML (Helm charts, manifests, CI), Terraform,
   .env files, go.mod / package.json / Cargo.toml / pyproject.toml / requirements*.txt;
   plus every .dockerignore and `*.Dockerfile` (outside the budget, so that adding them later did
   not change which other files fit: without them every whole-context COPY read as unignored and
   llama.cpp's images as missing); and, also outside the budget, the makefiles a CI pipeline may run:
   the root Makefile and `*.mk`, and those in a folder the CI files name (`make -C backend/x test`,
   `working-directory: server`), so that `make check` is judged by what its target runs; and the
   `.github/*.yml` data files a workflow names (LocalAI's backend-matrix.yml, which says which builds
   start FROM the base images CI pushes);
2. the root README and SECURITY/RUNBOOK files;
3. source files (Python, Go, TS/JS, Rust, C++) that build a server, name a credential or carry a
   provider-shaped key, smallest paths first.

Each snapshot is one .tar.gz with sorted members, zero mtimes and no owners, so rebuilding it from
the same commit gives the same bytes. Usage: python bench/corpus/make_corpus.py MIRRORS_DIR
(MIRRORS_DIR/<owner>+<name>/repo is a bare clone holding the pinned commit).
"""

from __future__ import annotations

import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_FILE = 64 * 1024
MAX_SERVER_FILE = 320 * 1024  # the file that builds the server is often the largest of the service
BUDGET = 900 * 1024
MAX_MAKEFILE = 256 * 1024
DEPLOY = re.compile(r"(^|/)(Dockerfile[^/]*|[^/]*\.dockerfile|docker-compose[^/]*\.ya?ml|compose\.ya?ml|Chart\.yaml|"
                    r"values[^/]*\.yaml|kustomization\.ya?ml|go\.mod|package\.json|Cargo\.toml|pyproject\.toml|"
                    r"requirements[^/]*\.txt|\.env[^/]*|[^/]*\.tf|[^/]*\.tfvars|Jenkinsfile|\.gitlab-ci\.yml)$")
YAML = re.compile(r"\.ya?ml$")
DOCS = re.compile(r"^(README\.md|SECURITY\.md|RUNBOOK\.md|docs/[^/]*\.md)$")
CODE = re.compile(r"\.(py|go|ts|tsx|js|mjs|rs|cpp|cc|hpp)$")
SKIP = re.compile(r"(^|/)(node_modules|vendor|third_party|\.git)/|\.min\.js$|package-lock\.json$")
SERVER = re.compile(r"ListenAndServe|http\.Serve\(|gin\.Default|gin\.New\(|chi\.NewRouter|echo\.New|express\(|Fastify\(|"
                    r"new Hono|Router::new|HttpServer::new|httplib::Server|FastAPI\(|Flask\(")
MAKEFILE = re.compile(r"(^|/)(Makefile|GNUmakefile|makefile|[^/]*\.mk)$")
RELEVANT = re.compile(r"(?i:api_?key|secret|password|token)\s*[:=]\s*[\"'`]|sk-[A-Za-z0-9]{20}|hf_[A-Za-z0-9]{20}")


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def select(repo: Path, commit: str) -> list[tuple[str, bytes]]:
    listing = git(repo, "ls-tree", "-r", "-l", commit).decode().splitlines()
    entries, makefiles, ci_data = [], [], []
    for line in listing:
        meta, path = line.split("\t", 1)
        size = meta.split()[3]
        if MAKEFILE.search(path) and size.isdigit() and int(size) <= MAX_MAKEFILE and not SKIP.search(path):
            makefiles.append(path)  # LocalAI's root Makefile is 85 KB
        elif re.fullmatch(r"\.github/[^/]+\.ya?ml", path) and size.isdigit() and int(size) <= MAX_MAKEFILE:
            ci_data.append(path)
        limit = MAX_SERVER_FILE if CODE.search(path) else MAX_FILE
        if size.isdigit() and int(size) <= limit and not SKIP.search(path):
            entries.append((path, int(size)))
    tiers: list[list[str]] = [[], [], [], [], []]
    # Kept outside the budget so that adding them did not shift which other files fit.
    # `*.Dockerfile` (llama.cpp's .devops/cuda.Dockerfile, kserve's python/*.Dockerfile) joined them later.
    ignores = [path for path, _ in entries if path.rsplit("/", 1)[-1] == ".dockerignore" or path.endswith(".Dockerfile")]
    for path, _ in sorted(entries, key=lambda e: (e[0].count("/"), e[0])):
        if path in ("README.md", "readme.md", "README.rst") or DEPLOY.search(path) or (YAML.search(path) and ("/.github/" in f"/{path}" or "helm" in path or "deploy" in path
                                                            or "k8s" in path or "kubernetes" in path or "charts" in path)):
            tiers[0].append(path)
        elif DOCS.search(path):
            tiers[1].append(path)
        elif CODE.search(path):
            tiers[2].append(path)
            tiers[3].append(path)
        elif YAML.search(path):
            tiers[4].append(path)
    chosen, used, taken = [], 0, set()
    sizes = dict(entries)
    for tier, paths in enumerate(tiers):
        for path in paths:
            if path in taken or used + sizes[path] > BUDGET or (tier == 3 and sizes[path] > MAX_FILE):
                continue
            data = git(repo, "show", f"{commit}:{path}")
            text = data.decode("utf-8", "replace")
            if tier == 2 and not SERVER.search(text):  # servers first, then files naming credentials
                continue
            if tier == 3 and not RELEVANT.search(text):
                continue
            taken.add(path)
            chosen.append((path, data))
            used += len(data)
    for path in ignores:
        chosen.append((path, git(repo, "show", f"{commit}:{path}")))
    ci_text = "\n".join(git(repo, "show", f"{commit}:{path}").decode("utf-8", "replace")
                        for path, _ in entries if path.startswith(".github/workflows/"))
    for path in ci_data:
        if path.rsplit("/", 1)[-1] in ci_text and path not in taken:
            chosen.append((path, git(repo, "show", f"{commit}:{path}")))
    for path in makefiles:
        folder = path.rpartition("/")[0]
        if not folder or folder in ci_text:
            chosen.append((path, git(repo, "show", f"{commit}:{path}")))
    return sorted(chosen)


def write_tar(target: Path, files: list[tuple[str, bytes]]) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path, data in files:
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode, info.uid, info.gid = len(data), 0, 0o644, 0, 0
            tar.addfile(info, io.BytesIO(data))
    with open(target, "wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())


def main() -> None:
    mirrors = Path(sys.argv[1])
    manifest = json.loads((HERE / "manifest.json").read_text())
    for item in manifest["repositories"]:
        repo = mirrors / item["repo"].replace("/", "+") / "repo"
        files = select(repo, item["commit"])
        write_tar(HERE / f"{item['name']}.tar.gz", files)
        print(f"{item['name']}: {len(files)} files, {sum(len(d) for _, d in files) // 1024} KiB")


if __name__ == "__main__":
    main()
