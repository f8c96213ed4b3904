"""Print a pip constraints file that pins every direct dependency to the lowest version pyproject allows.

`pip install -c <this output> -e ".[test]"` then installs what a user with old packages has: each
direct dependency at its lower bound (transitive ones resolve as pip chooses, like uv's
`--resolution lowest-direct`). A dependency without a `>=` bound is left free.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

LOWER_BOUND = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*[^;]*?>=\s*([0-9][^,;\s]*)")


def lower_bounds(pyproject: Path, extras: list[str]) -> dict[str, str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project.get("dependencies", []))
    for extra in extras:
        requirements += project.get("optional-dependencies", {}).get(extra, [])
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = LOWER_BOUND.match(requirement)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            pins[name] = match.group(2)
    return pins


def main(argv: list[str]) -> int:
    extras = argv[1:] or ["test"]
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    for name, version in sorted(lower_bounds(pyproject, extras).items()):
        print(f"{name}=={version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
