"""Does a variable name say it holds a credential? Shared by the Dockerfile, Compose and Kubernetes rules.

Names are split into words (`HF_API_TOKEN` -> hf, api, token) so that `TOKENIZERS_PARALLELISM` or
`MAX_TOKENS` are not mistaken for secrets, and names that point *at* a secret (`DB_PASSWORD_FILE`,
`TOKEN_URL`) are not flagged: the value there is a path or an address, which is the safe pattern.
"""

from __future__ import annotations

import re
from itertools import pairwise

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")
SECRET_WORDS = frozenset({"password", "passwd", "pwd", "secret", "token", "credential", "credentials",
                          "apikey", "passphrase", "privatekey"})
SECRET_PAIRS = frozenset({("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"),
                          ("auth", "key"), ("signing", "key"), ("encryption", "key"), ("client", "secret")})
NOT_A_SECRET_SUFFIX = frozenset({"file", "path", "dir", "url", "uri", "name", "header", "type", "length",
                                 "limit", "max", "min", "ttl", "expiry", "timeout", "ref", "env", "endpoint",
                                 "enabled", "id", "count", "size",
                                 # durations and counts: ACCESS_TOKEN_EXPIRE_MINUTES=30 is a setting, not a credential
                                 "minutes", "minute", "seconds", "second", "secs", "sec", "hours", "hour", "days",
                                 "day", "ms", "expire", "expires", "expiration", "lifetime", "duration",
                                 "interval", "age", "retries", "attempts", "number", "num", "len"})
# Values that only point at a secret held elsewhere.
_REFERENCE = re.compile(r"^\s*(\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*)\s*$")


def words(name: str) -> list[str]:
    return [part.lower() for part in _WORD_SPLIT.split(name) if part]


def is_secret_name(name: str) -> bool:
    parts = words(name)
    if not parts or parts[-1] in NOT_A_SECRET_SUFFIX:
        return False
    if any(part in SECRET_WORDS for part in parts):
        return True
    return any(pair in SECRET_PAIRS for pair in pairwise(parts))


def is_reference(value: str) -> bool:
    """`${VAR}`, `$(VAR)`, `$VAR`: the value comes from the environment, not from the file."""
    return bool(_REFERENCE.match(value))


def mask(value: str) -> str:
    """At most the first and last two characters of a secret, never the whole of a short one."""
    value = str(value)
    if len(value) <= 8:
        return "*" * min(len(value), 8)
    return f"{value[:2]}…{value[-2:]} ({len(value)} chars)"
