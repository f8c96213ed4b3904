"""Read the user's YAML files so that every error can name the file, the line and the field.

PyYAML forgets where a value came from once it builds Python objects; we keep it by building
mappings as `LineDict`, which remembers the line of each key. Validation errors from pydantic carry
a path of keys (`loc`); `ConfigError.from_validation` walks that path back to a line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

MAX_CONFIG_BYTES = 2 * 1024 * 1024  # a profile, check or project config is never this large


class ConfigError(Exception):
    """A user's file is wrong. Always names where; the CLI prints it and exits 2."""

    def __init__(self, path: str | Path, message: str, line: int | None = None, field: str | None = None):
        self.path = str(path)
        self.line = line
        self.field = field
        self.detail = message
        super().__init__(self.render())

    def render(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        what = f"field '{self.field}': " if self.field else ""
        return f"{where}: {what}{self.detail}"

    @classmethod
    def from_validation(cls, path: str | Path, data: Any, exc: ValidationError,
                        prefix: tuple[str | int, ...] = ()) -> ConfigError:
        """The first validation error, located in the file (other errors follow in the message)."""
        errors = exc.errors()
        first = errors[0]
        # pydantic adds "[key]" when a dict key (not its value) is wrong; the key itself is the field.
        loc = prefix + tuple(part for part in first["loc"] if part != "[key]")
        # pydantic puts the tag of a union or a validator name in loc; keep the parts that index data.
        field = ".".join(str(part) for part in loc) or None
        message = first["msg"]
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        return cls(path, message, line=line_of(data, loc[len(prefix):]), field=field)


class LineDict(dict):
    """A mapping read from YAML that remembers the line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict[Any, int]


MAX_EXPANDED_NODES = 200_000  # a real profile has a few hundred; an alias bomb has billions


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document would have with every alias copied out, computed without
    copying (each node once, memoised), stopping as soon as it passes the limit."""
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        if children_done:
            size = 1 + sum(sizes.get(id(child), 0) for child in children)
            if size > MAX_EXPANDED_NODES:
                return size
            sizes[id(node)] = size
            continue
        if id(node) in entered:
            continue  # a node that contains itself: the constructor reports it as recursive
        entered.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes.get(id(root), 0)


MAX_DEPTH = 64  # nesting; a profile needs about six levels


class _LineLoader(yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent, index):
        # Stop deep nesting with a line number, long before Python's recursion limit.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(problem=f"nests deeper than {MAX_DEPTH} levels",
                                           problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self):
        # Aliases let a few lines stand for billions of values ("billion laughs"); PyYAML shares
        # them, but anything that later walks or serialises the data would expand them.
        node = super().get_single_node()
        if node is not None and _expanded_size(node) > MAX_EXPANDED_NODES:
            raise yaml.MarkedYAMLError(problem=f"aliases expand to more than {MAX_EXPANDED_NODES} values "
                                               "(an alias bomb?)", problem_mark=node.start_mark)
        return node


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark) from None
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def line_of(data: Any, loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest key in `loc` that exists in `data`."""
    line = data.line if isinstance(data, LineDict) else None
    node = data
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            if isinstance(node, LineDict):
                line = node.line
        else:
            break
    return line


def load_yaml(path: Path, text: str | None = None) -> Any:
    """Parse one YAML document from a user's file, with errors that say where."""
    if text is None:
        try:
            size = path.stat().st_size
            if size > MAX_CONFIG_BYTES:
                raise ConfigError(path, f"file is {size} bytes; configuration files are limited to "
                                        f"{MAX_CONFIG_BYTES} bytes")
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(path, "file not found") from None
        except IsADirectoryError:
            raise ConfigError(path, "is a directory, expected a YAML file") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise ConfigError(path, f"cannot read: {exc.strerror}") from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # nosec B506 - _LineLoader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(path, f"invalid YAML: {exc.problem or exc.context}", line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise ConfigError(path, "YAML nests too deeply") from None


def require_mapping(path: Path, data: Any, what: str) -> LineDict:
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigError(path, f"expected a {what} (a YAML mapping), found {kind}", line=1)
    return data  # type: ignore[return-value]
