"""Just enough of the Chrome DevTools Protocol to drive Debian's headless Chromium from a test.

No browser download, no framework: Chromium is started with a throwaway profile and a debugging
port it picks itself (written to DevToolsActivePort), and one page is driven over a WebSocket in
"flat" session mode. Every wait is bounded.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
STARTUP_TIMEOUT_S = 20.0
COMMAND_TIMEOUT_S = 30.0


def find_chromium() -> str | None:
    """Debian's chromium, or READYSCORE_TEST_CHROMIUM (a path; "none" forces the skip)."""
    override = os.environ.get("READYSCORE_TEST_CHROMIUM")
    if override:
        return override if override != "none" and os.access(override, os.X_OK) else None
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


class BrowserError(Exception):
    pass


class Chromium:
    def __init__(self, executable: str, profile_dir: Path):
        import websocket  # websocket-client; imported here so a missing package is a skip, not an error

        self.profile_dir = profile_dir
        profile_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--mute-audio", f"--user-data-dir={profile_dir}",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            port, path = self._wait_for_port()
            # No Origin header: Chromium refuses WebSocket clients that send a foreign one.
            self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=COMMAND_TIMEOUT_S,
                                                  suppress_origin=True)
        except BaseException:
            self.close()
            raise
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def _wait_for_port(self) -> tuple[int, str]:
        marker = self.profile_dir / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError(f"chromium exited at start (code {self.process.returncode})")
            try:
                lines = marker.read_text().split()
                if len(lines) >= 2:
                    return int(lines[0]), lines[1]
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.05)
        raise BrowserError(f"chromium did not open its debugging port within {STARTUP_TIMEOUT_S:.0f} s")

    def send(self, method: str, params: dict | None = None, session: bool | None = None) -> dict[str, Any]:
        """Send one command and wait for its answer; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not False and getattr(self, "session", None):
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)
        raise BrowserError(f"{method}: no answer within {COMMAND_TIMEOUT_S:.0f} s")

    def wait_for_event(self, method: str, timeout: float = COMMAND_TIMEOUT_S) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if event["method"] == method:
                    self.events.remove(event)
                    return event
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except Exception:  # a receive timeout: loop and check the deadline
                pass
            finally:
                self.ws.settimeout(COMMAND_TIMEOUT_S)
        raise BrowserError(f"no {method} within {timeout:.0f} s")

    def open(self, url: str) -> None:
        """Navigate and wait until the page has loaded; the event log starts afresh."""
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.send(domain)
        # Through a blank page: a URL that differs from the current one only by its #fragment would
        # otherwise be a same-document navigation, which never fires a load event.
        for address in ("about:blank", url):
            self.events.clear()
            self.send("Page.navigate", {"url": address})
            self.wait_for_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails'].get('text')}: "
                               f"{result['exceptionDetails'].get('exception', {}).get('description')}")
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors (CSP violations land here)."""
        self.send("Runtime.evaluate", {"expression": "0"})  # flush pending events
        found = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                found.append("exception: " + params["exceptionDetails"].get("text", "?"))
            elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif event["method"] == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log ({params['entry'].get('source')}): {params['entry'].get('text')}")
        return found

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png",
                                                                     "captureBeyondViewport": True})["data"])
        path.write_bytes(data)
        return data

    def pdf(self, path: Path) -> bytes:
        data = base64.b64decode(self.send("Page.printToPDF", {"printBackground": True,
                                                              "preferCSSPageSize": True})["data"])
        path.write_bytes(data)
        return data

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)  # our own session: chromium and its helpers
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=10)
