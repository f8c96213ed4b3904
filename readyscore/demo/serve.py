"""`python -m readyscore.demo`: run the demo service on loopback.

    python -m readyscore.demo --preset level3 --port 0 --set echo_pii=true

When it listens it prints one line to stdout, for scripts and `DemoServer` to read:

    READYSCORE_DEMO_LISTENING http://127.0.0.1:PORT

then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import socket
import sys
import threading
import time

from readyscore.demo.settings import PRESETS, parse_override, preset

LISTENING = "READYSCORE_DEMO_LISTENING"
# Set by DemoServer: the service shuts itself down when that process is gone, so not even a
# SIGKILLed test runner leaves a demo service behind.
PARENT_PID_ENV = "READYSCORE_DEMO_PARENT_PID"


def watch_parent(pid: int, interval_s: float = 0.5) -> None:
    """SIGTERM ourselves (a graceful shutdown) once the parent process has died."""
    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != pid:
                os.kill(os.getpid(), signal.SIGTERM)
                return
    threading.Thread(target=watch, name="demo-parent-watch", daemon=True).start()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m readyscore.demo",
                                     description="The readyscore demo LLM service (deterministic, no weights).")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="level1")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one DemoSettings field (JSON value or plain string); repeatable")
    parser.add_argument("--allow-public", action="store_true",
                        help="allow a non-loopback --host (the level1 preset is insecure on purpose)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not is_loopback(args.host) and not args.allow_public:
        print(f"refusing to listen on {args.host!r}: the demo service is for loopback; pass --allow-public "
              "to override", file=sys.stderr)
        return 2
    try:
        settings = preset(args.preset, dict(parse_override(o) for o in args.overrides))
    except ValueError as exc:
        print(f"invalid settings: {exc}", file=sys.stderr)
        return 2

    if settings.require_auth and not os.environ.get(settings.api_key_env, "").strip():
        # Checked again by the app itself; here it fails fast, before the heavy imports.
        print(f"authentication is on but ${settings.api_key_env} is empty: refusing to start an open service",
              file=sys.stderr)
        return 2

    import uvicorn

    from readyscore.demo import logs
    from readyscore.demo.app import MissingApiKey, create_app

    logs.configure(settings.json_logs)
    try:
        app = create_app(settings)
    except MissingApiKey as exc:
        print(str(exc), file=sys.stderr)
        return 2

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    shown_host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    url = f"http://{shown_host}:{port}"

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if not self.should_exit:
                print(f"{LISTENING} {url}", flush=True)

    config = uvicorn.Config(app, log_config=None, access_log=not settings.json_logs, server_header=False,
                            timeout_graceful_shutdown=3, lifespan="on")
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the handler that
    # was there before it: make that a clean exit, not a death by signal or a KeyboardInterrupt.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    parent = os.environ.get(PARENT_PID_ENV, "")
    if parent.isdigit():
        watch_parent(int(parent))
    AnnouncingServer(config).run(sockets=[sock])
    return 0
