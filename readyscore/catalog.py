"""The check catalog: every `checks/**/<id>.yaml`, validated when loaded.

A duplicate id, an unknown field, a wrong type, an unknown executor kind or params the executor
rejects stop the load with the file, the line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from readyscore import paths
from readyscore.executors import registry
from readyscore.model import CheckSpec, Source
from readyscore.yamlfile import ConfigError, LineDict, load_yaml, require_mapping

MAX_CHECK_FILES = 5000


@dataclass(frozen=True)
class CatalogEntry:
    spec: CheckSpec
    params: BaseModel  # validated by the executor's Params model
    path: Path


class Catalog:
    def __init__(self, entries: list[CatalogEntry]):
        self.entries = {entry.spec.id: entry for entry in entries}

    def __contains__(self, check_id: str) -> bool:
        return check_id in self.entries

    def __iter__(self):
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, check_id: str) -> CatalogEntry | None:
        return self.entries.get(check_id)

    @property
    def specs(self) -> list[CheckSpec]:
        return [entry.spec for entry in self.entries.values()]


def load_check_file(path: Path, trusted: bool = False) -> CatalogEntry:
    """One check definition. `trusted` (the built-in catalog, shipped with readyscore) is first read
    with libyaml, several times faster; any problem is then re-read with the line-aware loader,
    so an error still names its line. A user's check file always takes the bounded loader."""
    if trusted:
        try:
            return _load_check_data(path, _fast_yaml(path))
        except Exception:  # noqa: BLE001 - whatever went wrong, the careful path says it properly
            pass
    return _load_check_data(path, load_yaml(path))


def _fast_yaml(path: Path) -> LineDict:
    import yaml  # noqa: PLC0415 - only here

    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)  # libyaml: the catalog is read at every start
    except AttributeError:  # a PyYAML built without libyaml
        data = yaml.load(text, Loader=yaml.SafeLoader)
    if not isinstance(data, dict):
        raise TypeError("not a mapping")
    mapping = LineDict(data)
    mapping.line, mapping.key_lines = 1, {}
    return mapping


def _load_check_data(path: Path, loaded: object) -> CatalogEntry:
    data = require_mapping(path, loaded, "check definition")
    try:
        spec = CheckSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation(path, data, exc) from None
    if spec.id != path.stem:
        raise ConfigError(path, f"id {spec.id!r} must match the file name ({path.stem!r})",
                          line=data.key_lines.get("id"), field="id")
    try:
        executor = registry.get(spec.kind)
    except registry.UnknownKind:
        known = ", ".join(registry.all_kinds())
        raise ConfigError(path, f"unknown executor kind {spec.kind!r}; known kinds: {known}",
                          line=data.key_lines.get("kind"), field="kind") from None
    try:
        params = executor.parse_params(spec.params)
    except ValidationError as exc:
        raise ConfigError.from_validation(path, data.get("params", {}), exc, prefix=("params",)) from None
    return CatalogEntry(spec=spec, params=params, path=path)


def check_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise ConfigError(directory, "checks folder not found")
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    if len(files) > MAX_CHECK_FILES:
        raise ConfigError(directory, f"holds {len(files)} check files; the limit is {MAX_CHECK_FILES}")
    return files


def load_catalog(extra_dirs: list[Path] | None = None, include_builtin: bool = True) -> Catalog:
    builtin = paths.builtin_checks_dir()
    directories = ([builtin] if include_builtin else []) + list(extra_dirs or [])
    entries: dict[str, CatalogEntry] = {}
    for directory in directories:
        for path in check_files(directory):
            entry = load_check_file(path, trusted=include_builtin and directory == builtin)
            if entry.spec.id in entries:
                first = entries[entry.spec.id].path
                raise ConfigError(path, f"duplicate check id {entry.spec.id!r} (first defined in {first})",
                                  line=1, field="id")
            entries[entry.spec.id] = entry
    for entry in entries.values():
        _check_predictors(entry, entries)
    return Catalog(list(entries.values()))


# A prediction reads file evidence: a predictor of another source would be predicted itself.
_FILE_SOURCES = (Source.STATIC, Source.DEPLOY)


def _check_predictors(entry: CatalogEntry, entries: dict[str, CatalogEntry]) -> None:
    for predictor in entry.spec.predicted_by:
        found = entries.get(predictor)
        if found is None or found.spec.source not in _FILE_SOURCES:
            why = "no such check" if found is None else f"a {found.spec.source.value} check; predictors read files"
            line = load_yaml(entry.path).key_lines.get("predicted_by")  # only on the error path
            raise ConfigError(entry.path, f"predicted_by names {predictor!r}: {why}", line=line, field="predicted_by")
