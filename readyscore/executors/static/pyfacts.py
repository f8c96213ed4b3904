"""Facts about one parsed Python module, for the capability checks.

Capability checks are data (which mechanisms, which names ...); this module extracts, in one pass
over the syntax tree, everything they may ask about, in a JSON-serialisable form that the result
cache can keep: imports, the names the code uses (mentions only) and the wiring facts
(wiring_facts.py) that tell a wired control from a name. Names are resolved through the module's
imports, so `from fastapi.security import HTTPBearer as B` makes `B()` a use of
`fastapi.security.HTTPBearer`.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

MAX_FACTS = 4000  # per kind and file: a generated module must not bloat the cache
MAX_TOKEN_NAMES = {"max_tokens", "max_completion_tokens", "max_output_tokens", "max_new_tokens", "num_predict",
                   "maxoutputtokens", "max_tokens_to_sample"}


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}  # per node type: the fields that can hold nodes
# ASDL's built-in types (the node classes' docstrings declare each field's type, e.g.
# "Name(identifier id, expr_context ctx)"): a field of one of these holds a str, an int or a
# constant, never a node, so the walk need not look at it (Name, Constant and Attribute, the
# commonest nodes, then cost next to nothing). Expression contexts (Load/Store) are left out too.
SCALAR_FIELD_TYPES = frozenset({"identifier", "string", "int", "constant"})
_FIELD_DECLARATION = re.compile(r"(\w+)[*?]? (\w+)")


def child_fields(node_class: type) -> tuple[str, ...]:
    """The fields of a node type that can hold nodes: all but expression contexts and the fields
    its docstring declares of a scalar type. A docstring that does not parse keeps every field."""
    declared: dict[str, str] = {}
    head, paren, rest = (node_class.__doc__ or "").partition("(")
    if paren and head.strip() == node_class.__name__:
        declared = {name: kind for kind, name in _FIELD_DECLARATION.findall(rest.split(")")[0])}
    return tuple(name for name in node_class._fields
                 if name != "ctx" and declared.get(name) not in SCALAR_FIELD_TYPES)


def walk(roots: list[ast.AST]) -> list[ast.AST]:
    """Every node under `roots` (roots included), breadth first; faster than ast.walk (no generator
    per node), and expression contexts (Load/Store) are skipped: they are not nodes worth visiting.
    The hottest loop of a cold audit: each node type's fields are looked up once."""
    order = list(roots)
    append = order.append
    node_type = ast.AST
    index = 0
    while index < len(order):
        node = order[index]
        index += 1
        fields = _CHILD_FIELDS.get(node.__class__)
        if fields is None:
            fields = _CHILD_FIELDS[node.__class__] = child_fields(node.__class__)
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
            elif isinstance(value, node_type):
                append(value)
    return order


class Nodes:
    """Every node of a module, walked once and grouped by type, so each analyser visits only the
    node types it cares about. Expression contexts (Load/Store) are not nodes worth visiting."""

    def __init__(self, tree: ast.AST):
        order = walk([tree])
        self.count = len(order)
        self._by_type: dict[type, list[ast.AST]] = defaultdict(list)
        for node in order:
            self._by_type[type(node)].append(node)

    def of(self, *types: type) -> Iterator[Any]:
        for kind in types:
            yield from self._by_type.get(kind, ())


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class Aliases:
    """What each imported name stands for in this module."""

    def __init__(self, nodes: Nodes):
        self.names: dict[str, str] = {}
        self.imports: dict[str, int] = {}
        for node in nodes.of(ast.Import, ast.ImportFrom):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports.setdefault(alias.name, node.lineno)
                    if alias.asname:
                        self.names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.names[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self.imports.setdefault(node.module, node.lineno)
                for alias in node.names:
                    if alias.name != "*":
                        self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                        # `from opentelemetry import trace` imports the submodule opentelemetry.trace.
                        self.imports.setdefault(f"{node.module}.{alias.name}", node.lineno)

    def qualify(self, node: ast.AST) -> str | None:
        """The fully qualified name a Name/Attribute chain refers to, when it starts at an import."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        base = self.names.get(head)
        if base is None:
            return None
        return f"{base}.{rest}" if rest else base


def _put(bucket: dict[str, int], key: str, line: int) -> None:
    if key not in bucket and len(bucket) < MAX_FACTS:
        bucket[key] = line


def extract_facts(tree: ast.Module, aliases: Aliases, nodes: Nodes) -> dict[str, Any]:
    """imports (module -> line), idents (names, attributes, keys, parameters: mentions only),
    module_dicts (state kept in module-level dicts). The wiring facts come from wiring_facts.py."""
    idents: dict[str, int] = {}
    module_dicts: dict[str, int] = {}
    for node in nodes.of(ast.Name, ast.Attribute, ast.Subscript, ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef, ast.Dict):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                _put(idents, node.id.lower(), line)
        elif isinstance(node, ast.Attribute):
            _put(idents, node.attr.lower(), line)
        elif isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and len(key.value) <= 80:
                _put(idents, key.value.lower(), line)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            _put(idents, node.name.lower(), line)
            if not isinstance(node, ast.ClassDef):
                for arg in [*node.args.args, *node.args.kwonlyargs]:
                    _put(idents, arg.arg.lower(), arg.lineno)
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and len(key.value) <= 80:
                    _put(idents, key.value.lower(), line)

    # State kept in module-level dicts is lost on restart and not shared between replicas.
    for statement in tree.body:
        target, value = None, None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign):
            target, value = statement.target, statement.value
        if isinstance(target, ast.Name) and value is not None:
            is_dict = isinstance(value, ast.Dict) and not value.keys
            is_call = (isinstance(value, ast.Call) and not value.args
                       and (dotted(value.func) or "").split(".")[-1] in ("dict", "defaultdict", "OrderedDict"))
            if is_dict or is_call or (isinstance(value, ast.Call) and dotted(value.func) in (
                    "defaultdict", "collections.defaultdict")):
                _put(module_dicts, target.id, statement.lineno)

    return {"imports": dict(list(aliases.imports.items())[:MAX_FACTS]), "idents": idents,
            "module_dicts": module_dicts}


# Wrappers that keep the client's number the client's: a conversion (`int(params.get("max_tokens",
# 256))`, api-for-open-llm) or a default for when it sent none (`body.get("max_tokens") or 512`).
CONVERSIONS = {"int", "float", "round", "abs"}


def unwrap_client_number(value: ast.AST) -> ast.AST:
    """The value inside conversions and `x or default`: what decides whether it is the client's."""
    while True:
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in CONVERSIONS
                and value.args):
            value = value.args[0]
        elif isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
            value = value.values[0]
        else:
            return value


def _passes_client_value_through(value: ast.AST) -> bool:
    """`body.get("max_tokens")`, `payload["max_tokens"]`, `int(body.get("max_tokens", 256))`: the
    client's number, not a cap."""
    value = unwrap_client_number(value)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "min":
        return False
    if isinstance(value, ast.Subscript) or (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                                            and value.func.attr == "get"):
        return True
    return isinstance(value, ast.Constant) and value.value is None


def caps_tokens(value: ast.AST | None) -> bool:
    return value is not None and not _passes_client_value_through(value)
