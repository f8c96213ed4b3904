"""Which libraries the service declares: requirements files, pyproject, Pipfile, setup.cfg.

A declared dependency is weaker evidence than a use in code (DESIGN: declared < implemented), so
the capability checks fall back on it only when the code shows nothing. Names are normalised the
way pip does (PEP 503), so `Flask_Limiter` and `flask-limiter` are the same project.

Lock files (poetry.lock, uv.lock, pdm.lock, Pipfile.lock) are not read: they list every package
the declared ones pull in, so a service that only installs jupyterlab "declares" prometheus-client,
python-json-logger and tenacity there (langserve's poetry.lock did). The service's own choice is in
the file the lock was made from, as go.mod's `// indirect` requirements are left out for Go.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from readyscore.executors.base import AuditContext

REQUIREMENT_GLOBS = ("requirements*.txt", "requirements/*.txt", "requirements*.in", "requirements/*.in",
                     "**/requirements*.txt")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _line_of(text: str, name: str) -> int | None:
    match = re.search(rf"(?im)^.*?\b{re.escape(name)}\b", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _from_requirement_lines(lines: list[str]) -> list[str]:
    names = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-") or "://" in line:
            continue
        match = _NAME.match(line)
        if match:
            names.append(match.group(1))
    return names


def _from_pyproject(data: dict[str, Any]) -> list[str]:
    project = data.get("project") or {}
    lines = list(project.get("dependencies") or [])
    for group in (project.get("optional-dependencies") or {}).values():
        lines.extend(group or [])
    for group in (data.get("dependency-groups") or {}).values():
        lines.extend(item for item in group or [] if isinstance(item, str))
    names = _from_requirement_lines([line for line in lines if isinstance(line, str)])
    poetry = (data.get("tool") or {}).get("poetry") or {}
    tables = [poetry.get("dependencies") or {}, poetry.get("dev-dependencies") or {}]
    tables += [(group or {}).get("dependencies") or {} for group in (poetry.get("group") or {}).values()]
    for table in tables:
        if isinstance(table, dict):
            names.extend(name for name in table if name.lower() != "python")
    return names


def declared_dependencies(ctx: AuditContext) -> dict[str, tuple[str, int | None]]:
    """normalised name -> (file, line) where it is first declared."""
    files = ctx.scoped_files  # an example's requirements.txt declares nothing about the service
    found: dict[str, tuple[str, int | None]] = {}

    def add(names: list[str], rel: str, text: str) -> None:
        for name in names:
            found.setdefault(normalise(name), (rel, _line_of(text, name)))

    for entry in files.glob(*REQUIREMENT_GLOBS):
        text = files.read_text(entry.rel)
        if text is not None:
            add(_from_requirement_lines(text.splitlines()), entry.rel, text)
    for entry in files.glob("pyproject.toml"):
        text = files.read_text(entry.rel)
        if text is None:
            continue
        try:
            add(_from_pyproject(tomllib.loads(text)), entry.rel, text)
        except (tomllib.TOMLDecodeError, AttributeError, TypeError):
            continue  # a broken pyproject declares nothing we can trust
    for entry in files.glob("Pipfile"):
        text = files.read_text(entry.rel)
        if text is None:
            continue
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            continue
        add([*(data.get("packages") or {}), *(data.get("dev-packages") or {})], entry.rel, text)
    for entry in files.glob("setup.cfg"):
        text = files.read_text(entry.rel)
        if text is not None and "install_requires" in text:
            block = text.split("install_requires", 1)[1].split("\n[", 1)[0]
            add(_from_requirement_lines([line for line in block.splitlines()[1:] if line.startswith((" ", "\t"))]),
                entry.rel, text)
    return found


def shared_dependencies(ctx: AuditContext) -> dict[str, tuple[str, int | None]]:
    return ctx.shared("static.dependencies", lambda: declared_dependencies(ctx))
