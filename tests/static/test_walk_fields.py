"""pyfacts.walk skips the fields that cannot hold a node (identifiers, strings, ints, constants, as
the node classes' docstrings declare them); it must still visit exactly the nodes, in exactly the
order, that a walk over every field (expression contexts left out) visits."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import pytest

from readyscore.executors.static import pyfacts

TRICKY = '''
from . import a as b, c
import os.path as p
global_name = 1
def f(x: int, /, y=lambda: 2, *args: "str", z: list[int] = [], **kw) -> dict:
    global g
    nonlocal_ = f"{x!r:>{y}} {z=}"
    match x:
        case Point(x=0, y=[1, *rest]) | {"k": v, **others} as whole:
            pass
        case str() if x:
            raise ValueError("no") from None
    try:
        pass
    except* (OSError, ValueError) as group:
        pass
    async def inner():
        async with a as b, c:
            yield [i async for i in b if await i]
    return {k: v for k, v in kw.items()}, ..., 1j, b"x", (yield)
class C(Base, metaclass=M):
    x: int = 1
    @decorator(arg=1)
    def m(self): del self.x[0:1:2]; assert self, "m"
'''


def full_walk(roots: list[ast.AST]) -> list[ast.AST]:
    """The reference: every field of every node, breadth first, expression contexts left out."""
    order = list(roots)
    index = 0
    while index < len(order):
        node = order[index]
        index += 1
        for name in node._fields:
            if name == "ctx":
                continue
            value = getattr(node, name, None)
            if isinstance(value, list):
                order.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                order.append(value)
    return order


def stdlib_sample(count: int = 60) -> list[Path]:
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    return files[:: max(1, len(files) // count)]


def test_the_walk_visits_what_a_walk_over_every_field_visits():
    trees = [ast.parse(TRICKY)]
    for path in stdlib_sample():
        try:
            trees.append(ast.parse(path.read_text(encoding="utf-8")))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
    assert len(trees) > 40
    for tree in trees:
        assert [id(n) for n in pyfacts.walk([tree])] == [id(n) for n in full_walk([tree])]


def test_every_parsed_node_type_keeps_its_node_fields():
    # A field typed as a node (expr, stmt, arg, alias, pattern ...) is never left out.
    for name in dir(ast):
        cls = getattr(ast, name)
        if isinstance(cls, type) and issubclass(cls, ast.AST) and cls._fields:
            kept = pyfacts.child_fields(cls)
            for field in cls._fields:
                if field not in kept:
                    assert field == "ctx" or any(f"{kind} {field}" in (cls.__doc__ or "") or
                                                 f"{kind}? {field}" in (cls.__doc__ or "") or
                                                 f"{kind}* {field}" in (cls.__doc__ or "")
                                                 for kind in pyfacts.SCALAR_FIELD_TYPES), (name, field)


@pytest.mark.parametrize("doc", [None, "", "not the signature", "Odd(garbled", "Name(identifier id, expr_context ctx)"])
def test_a_docstring_that_does_not_parse_or_names_another_class_keeps_every_field(doc):
    class Odd(ast.AST):
        _fields = ("id", "value", "ctx")
    Odd.__doc__ = doc
    assert pyfacts.child_fields(Odd) == ("id", "value")
