"""Bounded, line-aware YAML reading for audited deployment files.

`yaml.safe_load` builds Python objects in which an alias is the *same* object as its anchor, so a
"billion laughs" file is small in memory but explodes for any code that walks it, and a recursive
anchor (`&a [*a]`) never ends. We therefore only *compose* the documents (nodes keep their marks and
aliases stay shared) and build plain Python values ourselves, counting every node we visit: past
`max_nodes` or `max_depth` the document is abandoned with a reason instead of hanging.

Mappings become `YMap` (a dict that knows the line of itself and of each key) and sequences `YList`
(a list that knows the line of each item), so a finding can cite the key at fault. Merge keys
(`<<: *defaults`) are resolved the way YAML 1.1 says: explicit keys win over merged ones.
Unknown tags (CloudFormation's `!Ref`, `!Sub`) are read as their plain value, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# libyaml's composer is about ten times faster than the pure-Python one and keeps the same marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_NODES = 200_000
MAX_DEPTH = 200
MAX_DOCUMENTS = 500


class YMap(dict):
    """A mapping from YAML that remembers its own line and the line of each key (1-based)."""

    line: int = 0

    def __init__(self, *args: Any, line: int = 0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class YList(list):
    """A sequence from YAML that remembers its own line and the line of each item."""

    line: int = 0

    def __init__(self, *args: Any, line: int = 0):
        super().__init__(*args)
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class YamlTooComplex(ValueError):
    """The document expands past the node or depth budget (alias bombs, recursive anchors)."""


@dataclass
class YamlDocs:
    """The documents of one file, or why they could not be read."""

    documents: list[Any] = field(default_factory=list)
    problem: str | None = None  # set when the file (or a document in it) could not be read
    problem_line: int | None = None


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Builder:
    """Turns composed nodes into YMap/YList/scalars within a node budget."""

    def __init__(self, max_nodes: int, max_depth: int):
        self.budget = max_nodes
        self.max_depth = max_depth
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: Node, depth: int = 0, active: frozenset[int] = frozenset()) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise YamlTooComplex("the document expands past the node budget (an alias bomb or a huge file)")
        if depth > self.max_depth:
            raise YamlTooComplex(f"the document nests deeper than {self.max_depth} levels")
        if id(node) in active:
            raise YamlTooComplex(f"a recursive anchor at line {_line(node)} refers to itself")
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        inner = active | {id(node)}
        if isinstance(node, SequenceNode):
            items = YList(line=_line(node))
            for child in node.value:
                items.append(self.build(child, depth + 1, inner))
                items.item_lines.append(_line(child))
            return items
        if isinstance(node, MappingNode):
            return self._mapping(node, depth, inner)
        return None

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == "tag:yaml.org,2002:str":
            return node.value  # most scalars: no constructor needed
        if node.tag.startswith("tag:yaml.org,2002:"):
            try:
                return self.constructor.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError, TypeError, OverflowError):
                return node.value
        return node.value  # a local tag (!Ref, !Sub ...): its plain text is what we can judge

    def _mapping(self, node: MappingNode, depth: int, active: frozenset[int]) -> YMap:
        mapping = YMap(line=_line(node))
        merged: list[tuple[Any, Any, int]] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    built = self.build(source, depth + 1, active)
                    if isinstance(built, YMap):
                        merged.extend((k, v, built.line_of(k)) for k, v in built.items())
                continue
            key = self.build(key_node, depth + 1, active)
            try:
                hash(key)
            except TypeError:
                key = str(key)
            mapping[key] = self.build(value_node, depth + 1, active)
            mapping.key_lines[key] = _line(key_node)
        for key, value, line in merged:  # explicit keys win over merged ones
            if key not in mapping:
                mapping[key] = value
                mapping.key_lines[key] = line
        return mapping


def load_documents(text: str, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH,
                   max_documents: int = MAX_DOCUMENTS) -> YamlDocs:
    """Every document of a YAML stream, bounded. Never raises on bad input."""
    out = YamlDocs()
    builder = _Builder(max_nodes, max_depth)
    try:
        # libyaml composes recursively in C: flow nesting 100,000 deep overflows the stack (a
        # segfault, no report). Such text goes to the pure-Python composer (RecursionError).
        loader = _LOADER if text.count("[") + text.count("{") < 10_000 else yaml.SafeLoader
        for index, node in enumerate(yaml.compose_all(text, Loader=loader)):
            if index >= max_documents:
                out.problem = f"more than {max_documents} documents; the rest were not read"
                break
            out.documents.append(None if node is None else builder.build(node))
    except YamlTooComplex as exc:
        out.problem = str(exc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        out.problem = f"invalid YAML: {exc.problem or exc.context}"
        out.problem_line = mark.line + 1 if mark else None
    except yaml.YAMLError as exc:
        out.problem = f"invalid YAML: {exc}"
    except RecursionError:
        out.problem = "the YAML nests too deeply to read"
    return out


def dig(data: Any, *path: Any) -> Any:
    """data[p0][p1]... or None when any step is missing or of the wrong type."""
    node = data
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or not -len(node) <= part < len(node):
                return None
        elif not isinstance(node, dict):
            return None
        node = node[part] if isinstance(part, int) else node.get(part)
        if node is None:
            return None
    return node


def line_at(data: Any, *path: Any) -> int | None:
    """The line of the deepest existing key on `path` (the key at fault, or its nearest parent)."""
    node = data
    line = getattr(data, "line", None)
    for part in path:
        if isinstance(node, YMap) and part in node:
            line = node.line_of(part)
            node = node[part]
        elif isinstance(node, YList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.line_of(part)
            node = node[part]
        else:
            break
    return line


def as_list(value: Any) -> list[Any]:
    """The value if it is a sequence, else []: audited files put anything anywhere."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[Any, Any]:
    """The value if it is a mapping, else {}."""
    return value if isinstance(value, dict) else {}
