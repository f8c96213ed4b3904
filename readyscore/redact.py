"""Keep secrets out of every report and log line.

The target's API key, any Authorization value and every secret the static scan finds are
registered here; evidence is passed through `redact` before it is stored, and `mask` shows at most
the first and last few characters of a found secret.
"""

from __future__ import annotations

import re
import threading

_AUTH_HEADER = re.compile(r"(?i)(authorization|x-api-key|api-key|proxy-authorization)(\"?\s*[:=]\s*\"?)([^\s\",]+(?: [^\s\",]+)?)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")


def mask(secret: str, keep: int = 4) -> str:
    """`sk-p…wxyz`: enough to recognise a key, never enough to use it."""
    if len(secret) <= keep * 3:
        return "*" * min(len(secret), 8)
    return f"{secret[:keep]}…{secret[-keep:]}"


class Redactor:
    def __init__(self, secrets: list[str] | None = None):
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        for secret in secrets or []:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        # Very short values would redact ordinary words; nobody's key is under six characters.
        if secret and len(secret) >= 6:
            with self._lock:
                self._secrets.add(secret)

    def __call__(self, text: str | None) -> str | None:
        return self.redact(text)

    def redact(self, text: str | None) -> str | None:
        if not text:
            return text
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, mask(secret))
        # A report has thousands of evidence lines and few hold a header or a scheme: the regexes
        # run where their words are. Non-ASCII text always runs them (case-insensitive matching
        # knows Unicode folds that str.lower() does not).
        lowered = text.lower() if text.isascii() else None
        if lowered is None or "authorization" in lowered or "api-key" in lowered:
            text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
        if lowered is None or "bearer" in lowered or "basic" in lowered:
            text = _BEARER.sub(lambda m: f"{m.group(1)} [redacted]", text)
        return text
