"""Rules over Docker Compose services, each citing the service's key or the field at fault."""

from __future__ import annotations

import posixpath
from typing import Any

from readyscore.executors.deploy.findings import RuleOutcome
from readyscore.executors.deploy.inventory import ComposeFile, Inventory
from readyscore.executors.deploy.secretnames import is_reference, is_secret_name, mask
from readyscore.executors.static.secret_rules import classify
from readyscore.executors.deploy.yamldoc import YMap, as_dict, as_list, dig, line_at

NO_COMPOSE = "no Compose file in the tree"
RESTART_OK = {"always", "unless-stopped", "on-failure"}


# Services started only with one of these profiles are test clients and dev tools
# (`docker compose --profile test run chat-completion`), not part of what is deployed.
TOOLING_PROFILES = {"test", "tests", "testing", "e2e", "debug", "dev", "development", "tools", "tooling", "ci",
                    "example", "examples", "demo"}


def _one_shot(compose: ComposeFile) -> set[str]:
    """Services another service waits on to *finish* (`condition: service_completed_successfully`): jobs that
    pull a model or run a migration and exit. A healthcheck or a restart policy makes no sense for them."""
    done = set()
    for service in compose.services.values():
        depends = service.get("depends_on") if isinstance(service, dict) else None
        if isinstance(depends, dict):
            done |= {str(other) for other, spec in depends.items()
                     if isinstance(spec, dict) and spec.get("condition") == "service_completed_successfully"}
    return done


def _tooling(service: YMap) -> bool:
    profiles = service.get("profiles")
    return isinstance(profiles, list) and bool(profiles) and all(
        str(p).lower() in TOOLING_PROFILES for p in profiles)


def _services(inv: Inventory, outcome: RuleOutcome, readiness: bool = False, long_running: bool = False):
    """Every service. Readiness rules skip test and dev-tool services (security rules still read them:
    a privileged test client is still privileged); `long_running` also skips one-shot jobs."""
    if not inv.compose:
        outcome.not_applicable = NO_COMPOSE
    for compose in inv.compose:
        jobs = _one_shot(compose) if long_running else set()
        for name, service in compose.services.items():
            if isinstance(service, YMap) and not (readiness and _tooling(service)) and str(name) not in jobs:
                yield compose, str(name), service


def _line(compose: ComposeFile, name: str, *path: Any) -> int | None:
    return line_at(compose.data, "services", name, *path)


def built_from(compose_path: str, service: dict) -> str | None:
    """The Dockerfile a Compose service builds (`build: ctx` or `build: {context, dockerfile}`), as a tree path."""
    build = service.get("build")
    if isinstance(build, str):
        context, name = build, "Dockerfile"
    elif isinstance(build, dict):
        context, name = str(build.get("context") or "."), str(build.get("dockerfile") or "Dockerfile")
    else:
        return None
    if "://" in context or "${" in context or "${" in name:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(compose_path), context, name))


def _image_healthcheck(inv: Inventory, compose: ComposeFile, service: YMap) -> tuple[str, int] | None:
    """A service without its own healthcheck inherits the HEALTHCHECK of the image it builds (Compose runs it)."""
    source = built_from(compose.path, service)
    for dockerfile in inv.dockerfiles:
        if dockerfile.path == source and dockerfile.final is not None:
            for stage in dockerfile.lineage(dockerfile.final):
                checks = stage.all("HEALTHCHECK")
                if checks and checks[0].value.strip().upper() != "NONE":
                    return dockerfile.path, checks[0].line
    return None


def rule_healthcheck(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="services")
    for compose, name, service in _services(inv, outcome, readiness=True, long_running=True):
        check = service.get("healthcheck")
        inherited = None if check else _image_healthcheck(inv, compose, service)
        if isinstance(check, dict) and not check.get("disable") and check.get("test") not in (None, ["NONE"], "NONE"):
            outcome.good(compose.path, _line(compose, name, "healthcheck"), f"service {name}: healthcheck")
        elif inherited:
            outcome.good(compose.path, _line(compose, name, "build"),
                         f"service {name}: the image it builds has a HEALTHCHECK ({inherited[0]}:{inherited[1]})")
        else:
            outcome.bad(compose.path, _line(compose, name, "healthcheck") if check else _line(compose, name),
                        f"service {name}: no healthcheck")
    return outcome


def rule_restart(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="services")
    for compose, name, service in _services(inv, outcome, readiness=True, long_running=True):
        policy = service.get("restart")
        swarm = dig(service, "deploy", "restart_policy", "condition")
        if str(policy) in RESTART_OK or swarm in ("any", "on-failure"):
            outcome.good(compose.path, _line(compose, name, "restart"), f"service {name}: restart {policy or swarm}")
        else:
            where = _line(compose, name, "restart") if policy is not None else _line(compose, name)
            outcome.bad(compose.path, where, f"service {name}: restart policy {policy or 'not set (no)'}: "
                                             "a crashed service stays down")
    return outcome


def rule_resources(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="services")
    for compose, name, service in _services(inv, outcome, readiness=True):
        limits = dig(service, "deploy", "resources", "limits")
        memory = (isinstance(limits, dict) and limits.get("memory")) or service.get("mem_limit")
        if memory:
            outcome.good(compose.path, _line(compose, name, "deploy") or _line(compose, name, "mem_limit"),
                         f"service {name}: memory limit {memory}")
        else:
            outcome.bad(compose.path, _line(compose, name), f"service {name}: no memory limit "
                                                            "(deploy.resources.limits.memory or mem_limit)")
    return outcome


def rule_no_privileged(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="services")
    for compose, name, service in _services(inv, outcome):
        faults = []
        if service.get("privileged") is True:
            faults.append(("privileged", "privileged: true"))
        for key in ("network_mode", "pid", "ipc"):
            if str(service.get(key, "")) == "host":
                faults.append((key, f"{key}: host"))
        for cap in as_list(service.get("cap_add")):
            if str(cap).upper() in ("ALL", "SYS_ADMIN", "NET_ADMIN"):
                faults.append(("cap_add", f"cap_add {cap}"))
        for volume in as_list(service.get("volumes")):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else as_dict(volume).get("source")
            if source in ("/var/run/docker.sock", "/run/docker.sock"):
                faults.append(("volumes", "mounts the Docker socket (root on the host)"))
        for key, message in faults:
            outcome.bad(compose.path, _line(compose, name, key), f"service {name}: {message}")
        if not faults:
            outcome.good(compose.path, _line(compose, name), f"service {name}: no privileged mode or host namespaces")
    return outcome


def _environment(service: YMap) -> list[tuple[str, Any, int | None]]:
    env = service.get("environment")
    out = []
    if isinstance(env, YMap):
        out = [(str(k), v, env.line_of(k)) for k, v in env.items()]
    elif isinstance(env, list):
        for index, item in enumerate(env):
            if isinstance(item, str):
                key, _, value = item.partition("=")
                out.append((key, value if "=" in item else None, env.line_of(index)))
    return out


def rule_no_inline_secrets(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="services")
    for compose, name, service in _services(inv, outcome):
        faults = 0
        for key, value, line in _environment(service):
            if (is_secret_name(key) and isinstance(value, str | int) and str(value).strip()
                    and not is_reference(str(value)) and "${" not in str(value)
                    and classify(str(value), key) is not None):  # not "unused", "random_string", a placeholder
                faults += 1
                outcome.bad(compose.path, line, f"service {name}: {key} is written inline ({mask(str(value))}); "
                                                "use an env_file kept out of git, `secrets:` or ${VAR}")
        if not faults:
            outcome.good(compose.path, _line(compose, name), f"service {name}: no inline credentials")
    return outcome


def rule_depends_healthy(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="dependencies")
    for compose, name, service in _services(inv, outcome, readiness=True):
        depends = service.get("depends_on")
        if isinstance(depends, list):
            for index, other in enumerate(depends):
                outcome.bad(compose.path, depends.line_of(index),
                            f"service {name} depends on {other} only being started, not healthy")
        elif isinstance(depends, YMap):
            for other, spec in depends.items():
                condition = spec.get("condition") if isinstance(spec, dict) else None
                if condition in ("service_healthy", "service_completed_successfully"):
                    outcome.good(compose.path, depends.line_of(other), f"service {name} waits for {other}: {condition}")
                else:
                    outcome.bad(compose.path, depends.line_of(other),
                                f"service {name} depends on {other} with condition {condition or 'service_started'}")
    if outcome.not_applicable is None and not outcome.findings:
        outcome.not_applicable = "no Compose service depends on another"
    return outcome
