"""The audited repository's own bandit configuration, found the way bandit's users expect.

Order: `[tool.bandit]` in pyproject.toml, then bandit.yaml / .bandit.yaml / .bandit.yml (passed
with `-c`), then a `.bandit` INI file (passed with `--ini`). Its test selection and skips are left
to bandit; its excluded paths are applied here, because readyscore hands bandit explicit files
(bandit applies exclusions only while it walks folders itself). A config that cannot be read is
reported, and bandit then runs with its defaults rather than not at all.
"""

from __future__ import annotations

import configparser
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from readyscore.executors.static.cache import content_hash
from readyscore.files import matches

YAML_NAMES = ("bandit.yaml", "bandit.yml", ".bandit.yaml", ".bandit.yml")
MAX_CONFIG_BYTES = 256 * 1024


@dataclass
class BanditConfig:
    args: list[str] = field(default_factory=list)  # extra bandit arguments (-c FILE / --ini FILE)
    source: str | None = None  # the file it came from, for the report
    fingerprint: str = "defaults"  # part of the cache key: a changed config re-runs bandit
    exclude: list[str] = field(default_factory=list)  # globs relative to the root
    problem: str | None = None

    def excludes(self, rel: str) -> bool:
        return any(matches(rel, pattern) for pattern in self.exclude)


def _read(path: Path) -> bytes | None:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_CONFIG_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _globs(values: object) -> list[str]:
    """bandit writes excluded paths as a list or a comma-separated string, often with './'."""
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list):
        return []
    out = []
    for value in values:
        if isinstance(value, str) and value.strip():
            value = value.strip()
            while value.startswith("./"):
                value = value[2:]
            out.append(value.rstrip("/") or value)
    return out


def find_bandit_config(root: Path) -> BanditConfig:
    data = _read(root / "pyproject.toml")
    if data is not None:
        try:
            section = tomllib.loads(data.decode("utf-8")).get("tool", {}).get("bandit")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            section = None
            broken = f"pyproject.toml is not valid TOML ({exc}); bandit runs with its defaults"
        else:
            broken = None
        if isinstance(section, dict):
            return BanditConfig(args=["-c", "pyproject.toml"], source="pyproject.toml [tool.bandit]",
                                fingerprint=content_hash(data), exclude=_globs(section.get("exclude_dirs")))
        if broken:
            return BanditConfig(problem=broken)
    for name in YAML_NAMES:
        data = _read(root / name)
        if data is None:
            continue
        try:
            loaded = yaml.safe_load(data.decode("utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            return BanditConfig(problem=f"{name} is not valid YAML ({exc}); bandit runs with its defaults")
        if not isinstance(loaded, dict):
            return BanditConfig(problem=f"{name} is not a mapping; bandit runs with its defaults")
        return BanditConfig(args=["-c", name], source=name, fingerprint=content_hash(data),
                            exclude=_globs(loaded.get("exclude_dirs")))
    data = _read(root / ".bandit")
    if data is not None:
        parser = configparser.ConfigParser()
        try:
            parser.read_string(data.decode("utf-8"))
        except (configparser.Error, UnicodeDecodeError) as exc:
            return BanditConfig(problem=f".bandit is not a valid INI file ({exc}); bandit runs with its defaults")
        if parser.has_section("bandit"):
            return BanditConfig(args=["--ini", ".bandit"], source=".bandit", fingerprint=content_hash(data),
                                exclude=_globs(parser.get("bandit", "exclude", fallback="")))
    return BanditConfig()
