"""The command-line options of the resilience run, turned into a `ResilienceTarget` (or a usage
error a person can act on). Kept apart from cli.py so the audit command only forwards them."""

from __future__ import annotations

from readyscore.cli_common import UsageError
from readyscore.config import ResilienceTarget

UPSTREAM_ENV_HELP = ("Resilience: the environment variable the service reads its provider URL from; readyscore "
                     "starts --service-cmd with it set to its fake upstream (e.g. OPENAI_BASE_URL).")
SERVICE_CMD_HELP = ("Resilience: the command that starts the service ({port} is replaced by a free loopback port, "
                    "also passed as $PORT); readyscore stops it and all its children afterwards.")
SERVICE_URL_HELP = "Resilience: where the started service answers (default: --url, else http://127.0.0.1:{port})."
UPSTREAM_LISTEN_HELP = ("Resilience: HOST:PORT where the already running service calls its provider; readyscore's "
                        "fake upstream listens there.")


class ResilienceOptionError(UsageError):
    """A resilience option that makes no sense alone or with another: exit 2, one line."""


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ResilienceOptionError(f"--upstream-listen {value!r}: give HOST:PORT, e.g. 127.0.0.1:8099")
    return host, int(port)


def resilience_target(upstream_env: str | None, service_cmd: str | None, service_url: str | None,
                      upstream_listen: str | None, url: str | None) -> ResilienceTarget | None:
    if not any((upstream_env, service_cmd, service_url, upstream_listen)):
        return None
    if upstream_listen and (service_cmd or upstream_env):
        raise ResilienceOptionError("--upstream-listen is for a service that is already running; it does not go "
                                    "with --service-cmd/--upstream-env")
    if upstream_listen:
        if service_url:
            raise ResilienceOptionError("--service-url goes with --service-cmd; with --upstream-listen the service "
                                        "is probed at --url")
        if not url:
            raise ResilienceOptionError("--upstream-listen needs --url (the running service to send probes through)")
        host, port = parse_listen(upstream_listen)
        return ResilienceTarget(listen_host=host, listen_port=port)
    if not service_cmd or not upstream_env:
        raise ResilienceOptionError("--upstream-env NAME and --service-cmd '…' go together: readyscore starts the "
                                    "service with NAME set to its fake upstream's URL")
    if not upstream_env.replace("_", "").isalnum() or upstream_env[0].isdigit():
        raise ResilienceOptionError(f"--upstream-env {upstream_env!r}: not an environment variable name")
    if service_url and not service_url.startswith(("http://", "https://")):
        raise ResilienceOptionError(f"--service-url {service_url!r}: give an http:// or https:// URL")
    return ResilienceTarget(upstream_env=upstream_env, service_cmd=service_cmd, service_url=service_url)
