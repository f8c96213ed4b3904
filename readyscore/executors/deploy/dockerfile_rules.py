"""Rules over parsed Dockerfiles. Each cites the instruction's line (or the final FROM when one is missing).

Only the stages that end up in the shipped image matter for runtime rules (user, healthcheck, caches):
the final stage and the stages it is built FROM. Builder stages may run as root and keep caches.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex

from readyscore.executors.deploy.compose import built_from
from readyscore.executors.deploy.dockerfile import Dockerfile, Stage
from readyscore.executors.deploy.findings import RuleOutcome
from readyscore.executors.deploy.image_refs import built_images, runs_image, used_as_base
from readyscore.executors.deploy.inventory import Inventory
from readyscore.executors.deploy.k8s import containers, judge_image, serving_workloads
from readyscore.executors.deploy.secretnames import is_reference, is_secret_name, mask
from readyscore.model import EvidenceStrength

NO_DOCKERFILE = "no Dockerfile in the tree (deploy-containerized reports that once)"
_ROOT_USERS = {"root", "0"}
_REMOTE = re.compile(r"^(https?|ftp)://|^git@|\.git(#|$)", re.IGNORECASE)


def _dockerfiles(inv: Inventory, outcome: RuleOutcome) -> list[Dockerfile]:
    usable = [d for d in inv.dockerfiles if d.final is not None]
    if not usable:
        outcome.not_applicable = NO_DOCKERFILE
    return usable


def _shipped(dockerfile: Dockerfile) -> list[Stage]:
    return dockerfile.lineage(dockerfile.final)


def rule_base_pinned(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="base images")
    for dockerfile in _dockerfiles(inv, outcome):
        for stage in dockerfile.stages:
            if stage.image_resolved.lower() == "scratch" or dockerfile.stage_named(stage.image_resolved) is not None:
                continue
            if not stage.resolved:
                outcome.unknown(dockerfile.path, stage.line, f"FROM {stage.image}: a build argument without a default")
                continue
            verdict, score, message = judge_image(stage.image_resolved)
            if verdict == "ok":
                outcome.good(dockerfile.path, stage.line, f"FROM: {message}", score=score)
            elif verdict == "bad":
                outcome.bad(dockerfile.path, stage.line, f"FROM: {message}")
            else:
                outcome.unknown(dockerfile.path, stage.line, f"FROM: {message}")
    return outcome


def is_data_image(dockerfile: Dockerfile) -> bool:
    """An image built FROM scratch with no ENTRYPOINT or CMD runs nothing: it carries files that another
    image copies out (LocalAI's backend images, a binary shipped as an OCI artefact). No process means
    no user to drop and no health to check."""
    shipped = _shipped(dockerfile)
    return (shipped[-1].image_resolved.lower() == "scratch"
            and not any(stage.all("ENTRYPOINT") or stage.all("CMD") for stage in shipped))


def base_image_use(inv: Inventory, dockerfile: Dockerfile) -> str | None:
    """Where the repository builds on this Dockerfile's image, when it is a base image: its shipped
    stages set no ENTRYPOINT or CMD (it runs nothing of its own) and another Dockerfile starts FROM the
    image CI tags it as, or CI passes that tag as a base/builder image. A base image is a toolchain
    other builds start from: it is judged in the images built on it, not for user, stages or health."""
    if any(stage.all("ENTRYPOINT") or stage.all("CMD") for stage in _shipped(dockerfile)):
        return None
    return used_as_base(inv, dockerfile)


def _not_base_images(inv: Inventory, outcome: RuleOutcome, dockerfiles: list[Dockerfile]) -> list[Dockerfile]:
    kept, bases = [], []
    for dockerfile in dockerfiles:
        where = base_image_use(inv, dockerfile)
        if where:
            bases.append(f"{dockerfile.path} ({where})")
        else:
            kept.append(dockerfile)
    if bases:
        outcome.what += f" (base images not judged: {'; '.join(bases[:3])}{' …' if len(bases) > 3 else ''})"
        if dockerfiles and not kept and outcome.not_applicable is None:
            outcome.not_applicable = "every Dockerfile builds a base image other builds start FROM: " + "; ".join(bases[:3])
    return kept


def _runnable(inv: Inventory, outcome: RuleOutcome) -> list[Dockerfile]:
    usable = _dockerfiles(inv, outcome)
    runnable = [d for d in usable if not is_data_image(d)]
    if usable and not runnable:
        outcome.not_applicable = ("every Dockerfile builds a data image (FROM scratch, no ENTRYPOINT or CMD): "
                                  "nothing runs")
    return _not_base_images(inv, outcome, runnable)


def _user_of(value: str) -> str:
    return value.strip().split(":", 1)[0].strip()


def rule_non_root(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="Dockerfiles")
    for dockerfile in _runnable(inv, outcome):
        # The final stage's last USER wins; without one, the user of the stage it is built FROM.
        last = next((stage.all("USER")[-1] for stage in _shipped(dockerfile) if stage.all("USER")), None)
        base = _shipped(dockerfile)[-1]
        if last is None:
            if re.search(r"[:-]nonroot\b", base.image_resolved):
                outcome.good(dockerfile.path, base.line, f"base image {base.image_resolved} runs as nonroot",
                             strength=EvidenceStrength.DECLARED)
            else:
                outcome.bad(dockerfile.path, dockerfile.final.line, "no USER instruction: the container runs as root")
            continue
        value, resolved = last.resolved()
        user = _user_of(value)
        if not resolved:
            outcome.unknown(dockerfile.path, last.line, f"USER {last.value}: set by a build argument without a default")
        elif user.lower() in _ROOT_USERS or not user:
            outcome.bad(dockerfile.path, last.line, f"USER {last.value} resolves to root")
        else:
            shown = user if user == last.value.strip() else f"{last.value.strip()} -> {user}"
            outcome.good(dockerfile.path, last.line, f"runs as USER {shown}")
    return outcome


def _published_here(inv: Inventory, image: object) -> bool:
    """The service runs an image this repository publishes: its `namespace/name` appears in a CI pipeline
    (`docker/metadata-action` images, `docker push`, `-t`). Official images (`postgres`) have no namespace."""
    if not isinstance(image, str) or "/" not in image:
        return False
    name = image.rsplit("@", 1)[0]
    name = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
    repo = "/".join(name.split("/")[-2:])
    return "${" not in repo and any(repo in ci.text for ci in inv.ci)


def _orchestrator_probes(inv: Inventory, dockerfile: Dockerfile) -> tuple[str | None, bool]:
    """(where health is checked for this image's containers, whether that could not be decided).

    Kubernetes ignores HEALTHCHECK and probes the containers it runs, so probes count for an image
    only on a workload that runs it: its container image is a name the repository builds this
    Dockerfile as (image_refs.built_images), or the workload's manifest lives in the Dockerfile's own
    component folder (kubebuilder's operator Dockerfile and the manager Deployment under its config folder). A router's
    probes say nothing about a sidecar or a loader image beside it. A Compose healthcheck counts only
    on a service that builds this Dockerfile or runs an image the repository's CI publishes: a postgres
    service's healthcheck says nothing about the image built here. When the probed workloads run an
    image not established to be this one, the missing HEALTHCHECK is not excused; when workloads could
    not be read (Helm templates, templated YAML), the probes may be there: not decided."""
    refs = built_images(inv, dockerfile)
    folder = posixpath.dirname(dockerfile.path)
    for obj in serving_workloads(inv):
        for container, _ in containers(obj):
            if not (isinstance(container.get("livenessProbe"), dict) or isinstance(container.get("readinessProbe"), dict)):
                continue
            image = container.get("image")
            if runs_image(image, refs):
                return f"{obj.path} ({obj.where} runs {image}, built from this Dockerfile, and has probes)", False
            if folder and obj.path.startswith(f"{folder}/"):
                return f"{obj.path} ({obj.where}, in this Dockerfile's component folder, has probes)", False
    for compose in inv.compose:
        for name, service in compose.services.items():
            if (isinstance(service, dict) and isinstance(service.get("healthcheck"), dict)
                    and (built_from(compose.path, service) == dockerfile.path
                         or ("build" not in service and _published_here(inv, service.get("image"))))):
                return f"{compose.path} (service {name} runs this repository's image and has a healthcheck)", False
    unreadable = any("Helm" in n.message or "templated" in n.message for n in inv.notes)
    return None, unreadable


_CLI_PROGRAM = re.compile(r"(^|[-_])cli$", re.IGNORECASE)
# Anything that says the process listens: a subcommand or flag of a server, or a shell (whose script
# could start anything). Any of them keeps the image judged.
_LISTENS = re.compile(r"(?i)(^|[\s\-_/\"',\[])(serve|server|listen|daemon|start|run-server|web|api|http|grpc|"
                      r"--?port|--?host|--bind|--addr(ess)?|-p)($|[\s=\"',\]:])")
_SHELLS = {"sh", "bash", "dash", "ash", "zsh", "tini", "dumb-init", "gosu", "su-exec", "env", "python", "python3",
           "node", "java", "uvicorn", "gunicorn"}


def _words(instruction) -> list[str]:
    value = instruction.value.strip()
    if value.startswith("["):
        try:
            parsed = json.loads(value)
            return [str(w) for w in parsed] if isinstance(parsed, list) else []
        except ValueError:
            pass
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


def cli_program(dockerfile: Dockerfile) -> str | None:
    """The program of a command-line tool image, or None. Narrow on purpose: the shipped stages EXPOSE
    nothing, the ENTRYPOINT (else the CMD) runs a program named `*-cli`/`*_cli`/`cli` directly (no shell
    or interpreter in between), and neither it nor the CMD carries a port, host or server word. Such an
    image (llama.cpp's llama-cli images) runs a command and exits: there is no server whose health a
    HEALTHCHECK could check. A server named `-cli` that EXPOSEs a port or takes `serve`/`--port` is judged."""
    shipped = _shipped(dockerfile)
    if any(stage.all("EXPOSE") for stage in shipped):
        return None
    entrypoint = next((stage.all("ENTRYPOINT")[-1] for stage in reversed(shipped) if stage.all("ENTRYPOINT")), None)
    cmd = next((stage.all("CMD")[-1] for stage in reversed(shipped) if stage.all("CMD")), None)
    words = (_words(entrypoint) if entrypoint else []) + (_words(cmd) if cmd else [])
    if not words:
        return None
    program = posixpath.basename(words[0])
    if program in _SHELLS or not _CLI_PROGRAM.search(program.rsplit(".", 1)[0]):
        return None
    if any(_LISTENS.search(word) for word in words[1:]):
        return None
    return words[0]


def rule_healthcheck(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="Dockerfiles")
    runnable, tools = [], []
    for dockerfile in _runnable(inv, outcome):
        program = cli_program(dockerfile)
        if program and not any(stage.all("HEALTHCHECK") for stage in _shipped(dockerfile)):
            tools.append(f"{dockerfile.path} runs {program}")
        else:
            runnable.append(dockerfile)
    if tools:
        outcome.what += (f" (command-line images not judged, no server runs: {'; '.join(tools[:3])}"
                         f"{' …' if len(tools) > 3 else ''})")
        if not runnable and outcome.not_applicable is None:
            outcome.not_applicable = "every Dockerfile builds a command-line tool image: " + "; ".join(tools[:3])
    for dockerfile in runnable:
        checks = [i for stage in _shipped(dockerfile) for i in stage.all("HEALTHCHECK")]
        if checks and checks[0].value.strip().upper() != "NONE":
            outcome.good(dockerfile.path, checks[0].line, "HEALTHCHECK defined")
            continue
        elsewhere, undecided = _orchestrator_probes(inv, dockerfile)
        if elsewhere:
            outcome.good(dockerfile.path, dockerfile.final.line,
                         f"no HEALTHCHECK, but the orchestrator checks health: {elsewhere}")
        elif undecided:
            outcome.unknown(dockerfile.path, dockerfile.final.line,
                            "no HEALTHCHECK; the orchestrator's workloads could not be read (Helm or templated "
                            "YAML), so whether they probe this image is not evaluated")
        else:
            outcome.bad(dockerfile.path, (checks[0].line if checks else dockerfile.final.line),
                        "no HEALTHCHECK and no orchestrator probe: a hung server is never restarted")
    return outcome


def rule_multistage(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="Dockerfiles")
    for dockerfile in _not_base_images(inv, outcome, _dockerfiles(inv, outcome)):
        copies_from = [i for i in dockerfile.final.all("COPY") if "--from=" in i.value]
        if len(dockerfile.stages) > 1 and (copies_from or dockerfile.stage_named(dockerfile.final.image_resolved)):
            outcome.good(dockerfile.path, dockerfile.final.line, f"{len(dockerfile.stages)} stages")
        else:
            outcome.bad(dockerfile.path, dockerfile.final.line,
                        "single-stage build: compilers and build caches ship in the image")
    return outcome


def _assignments(value: str) -> list[tuple[str, str]]:
    """KEY=VALUE pairs of an ENV or ARG (also the legacy `ENV KEY value`)."""
    try:
        parts = shlex.split(value, posix=True)
    except ValueError:
        parts = value.split()
    if parts and "=" not in parts[0]:
        return [(parts[0], " ".join(parts[1:]))]
    return [(p.split("=", 1)[0], p.split("=", 1)[1] if "=" in p else "") for p in parts]


def rule_no_secrets(inv: Inventory) -> RuleOutcome:
    """Build arguments and ENV values persist in the image history: credentials never belong there."""
    outcome = RuleOutcome(what="Dockerfiles")
    for dockerfile in _dockerfiles(inv, outcome):
        faults = 0
        for stage in dockerfile.stages:
            for instruction in stage.instructions:
                if instruction.name not in ("ENV", "ARG"):
                    continue
                for key, value in _assignments(instruction.value):
                    if not is_secret_name(key):
                        continue
                    if instruction.name == "ENV" and (not value or is_reference(value)):
                        detail = f"ENV {key} copies a build argument into the image"
                    elif instruction.name == "ENV":
                        detail = f"ENV {key} holds a literal value ({mask(value)})"
                    else:
                        detail = (f"ARG {key}" + (f" defaults to a literal value ({mask(value)})" if value
                                                  else " passes a credential as a build argument"))
                    faults += 1
                    outcome.bad(dockerfile.path, instruction.line,
                                f"{detail}; use `RUN --mount=type=secret` or inject it at run time")
        if not faults:
            outcome.good(dockerfile.path, dockerfile.final.line, "no credentials in ENV or ARG")
    return outcome


def _copies_whole_context(dockerfile: Dockerfile) -> int | None:
    for stage in dockerfile.stages:
        for instruction in stage.instructions:
            if instruction.name not in ("COPY", "ADD") or "--from=" in instruction.value:
                continue
            args = [a for a in instruction.value.split() if not a.startswith("--")]
            if len(args) >= 2 and any(src in (".", "./", "*") for src in args[:-1]):
                return instruction.line
    return None


def _ignore_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regex over a slash path."""
    parts = pattern.split("/")
    regex = ""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex += ".*" if last else "(?:[^/]*/)*"
            continue
        regex += "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in part)
        regex += "" if last else "/"
    return re.compile(regex + "$")


def _ignore_excludes(inv: Inventory, ignore: str, folder: str) -> bool:
    """Whether the .dockerignore at `ignore` names `folder` (or a folder above it) as excluded: the last
    matching line wins, and a later `!` exception that reaches inside the folder keeps it."""
    text = inv.files.read_text(ignore, limit=256 * 1024) if inv.files is not None else None
    if not text:
        return False
    base = posixpath.dirname(ignore)
    target = posixpath.relpath(folder, base) if base else folder
    parents = [target.rsplit("/", depth)[0] for depth in range(target.count("/"), -1, -1)]
    excluded = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = posixpath.normpath(line.lstrip("!").strip().lstrip("/")).rstrip("/")
        if pattern in (".", ""):
            continue
        matcher = _ignore_pattern(pattern)
        if negated and (pattern.startswith(target + "/") or any(matcher.match(p) for p in parents)):
            excluded = False
        elif not negated and pattern in parents:
            # Only a pattern naming the folder outright: an allow-list (`*` then `!app`) excludes the
            # Dockerfile's folder too, and a build from the root is exactly what it is written for.
            excluded = True
    return excluded


def rule_dockerignore(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="Dockerfiles that copy the whole build context")
    contexts = {posixpath.dirname(p) for p in inv.dockerignores}
    for compose in inv.compose:  # a Compose build context other than the Dockerfile's folder
        for service in compose.services.values():
            build = service.get("build") if isinstance(service, dict) else None
            if isinstance(build, dict) and isinstance(build.get("context"), str):
                folder = posixpath.normpath(posixpath.join(posixpath.dirname(compose.path), build["context"]))
                if folder in contexts or (folder == "." and "" in contexts):
                    contexts.add(posixpath.dirname(compose.path))
    for dockerfile in _dockerfiles(inv, outcome):
        line = _copies_whole_context(dockerfile)
        if line is None:
            continue
        folder = posixpath.dirname(dockerfile.path)
        own = f"{dockerfile.path}.dockerignore"
        # The root .dockerignore filters a build from the root, unless it excludes this Dockerfile's very
        # folder: then the build cannot be from the root (it would have nothing to COPY), its context is
        # the folder itself, which has no .dockerignore of its own.
        root_excludes = "" in contexts and folder and folder not in contexts and _ignore_excludes(inv, ".dockerignore", folder)
        if folder in contexts or own in inv.dockerignores or ("" in contexts and not root_excludes):
            outcome.good(dockerfile.path, line, "copies the whole context, filtered by a .dockerignore")
        else:
            shipped = any(i.line == line for stage in _shipped(dockerfile) for i in stage.instructions)
            where = ("the image" if shipped
                     else "a build stage and its cache (the shipped image gets only what is copied out of it)")
            why = (f" (the root .dockerignore excludes {folder}/ itself, so it is not this build's: the context "
                   "is the Dockerfile's folder)") if root_excludes else ""
            outcome.bad(dockerfile.path, line, "copies the whole build context with no .dockerignore "
                                               f"(.git, .env and local secrets end up in {where}){why}")
    if outcome.not_applicable is None and not outcome.findings:
        outcome.not_applicable = "no Dockerfile copies the whole build context"
    return outcome


def rule_no_remote_add(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="Dockerfiles")
    for dockerfile in _dockerfiles(inv, outcome):
        faults = 0
        for stage in dockerfile.stages:
            for instruction in stage.all("ADD"):
                args = instruction.value.split()
                sources = [a for a in args if not a.startswith("--")][:-1]
                if "--checksum=" in instruction.value:
                    continue  # BuildKit verifies the download
                for source in sources:
                    if _REMOTE.search(source):
                        faults += 1
                        outcome.bad(dockerfile.path, instruction.line,
                                    f"ADD {source}: a remote download with no checksum; use "
                                    "`ADD --checksum=` or a verified RUN step")
        if not faults:
            outcome.good(dockerfile.path, dockerfile.final.line, "no unverified remote ADD")
    return outcome


_CACHE_RULES = (
    (re.compile(r"\bapt(-get)?\s+(-\S+\s+)*install\b"), re.compile(r"/var/lib/apt/lists"),
     "apt-get install without removing /var/lib/apt/lists in the same RUN"),
    (re.compile(r"\bapk\s+(-\S+\s+)*add\b"), re.compile(r"--no-cache|/var/cache/apk"), "apk add without --no-cache"),
    (re.compile(r"\b(yum|dnf|microdnf)\s+(-\S+\s+)*install\b"), re.compile(r"\bclean\s+all\b|/var/cache/(yum|dnf)"),
     "yum/dnf install without `clean all`"),
    (re.compile(r"\bpip3?\s+(-\S+\s+)*install\b"), re.compile(r"--no-cache-dir"), "pip install without --no-cache-dir"),
)


def rule_cache_clean(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="Dockerfiles")
    for dockerfile in _dockerfiles(inv, outcome):
        faults = 0
        for stage in _shipped(dockerfile):
            for instruction in stage.all("RUN"):
                if "--mount=type=cache" in instruction.value:
                    continue  # a cache mount never lands in a layer
                text = instruction.value
                for installs, cleans, message in _CACHE_RULES:
                    if not installs.search(text) or cleans.search(text):
                        continue
                    if "pip" in message and (instruction.variables.get("PIP_NO_CACHE_DIR") not in (None, "", "0", "false")):
                        continue
                    faults += 1
                    outcome.bad(dockerfile.path, instruction.line, f"{message}: the cache ships in the layer")
        if not faults:
            outcome.good(dockerfile.path, dockerfile.final.line, "package caches cleaned in the shipped stages")
    return outcome
