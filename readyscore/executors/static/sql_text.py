"""Which formatted parts of an SQL string are the service's own constant text.

Careful code builds a query whose shape varies from pieces it wrote itself and binds the values:

    clauses = ["id = :id"]
    if owner is not None:
        clauses.append("owner = :owner")
    conn.execute(text(f"SELECT * FROM t WHERE {' AND '.join(clauses)}"), params)

or loops over a tuple of table names in a migration. Such a string is formatted, but nothing from
outside reaches it, so it is no injection. A formatted part counts as constant text only when it
is built from literals, and every binding of every name in it (in its function; at module level
for a name the function does not bind) is one of the shapes read here: a literal, a join, an
f-string, `+`/`%` or a conditional of such parts, a loop over literals, a list (or dict) of
literals grown only by `append`/`extend`/`insert`/`x[k] = ...` of literals, anywhere in the module
for a module-level one. Anything else (a parameter, an attribute, a call's result, a collection
handed to another function or changed by another method, which may add outside data to it) is
outside data, and the string stays a finding. Names are followed a few steps deep, no further.
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass, field

from readyscore.executors.static.pyfacts import Nodes, walk

MAX_DEPTH = 8  # names followed through names
# Calls that read a list without keeping it: handing a list to them does not let it grow.
READS_ONLY = {"len", "list", "tuple", "sorted", "set", "str", "any", "all", "enumerate", "reversed"}
STRING_METHODS = {"upper", "lower", "strip", "lstrip", "rstrip", "title", "casefold"}
GROWERS = {"append", "extend", "insert"}
# Methods that read a list or dict, or only take items out of it: calling them adds nothing. Any
# other method called on a collection (update, setdefault ...) may put outside data into it.
KEEPS_CONTENT = {"get", "keys", "values", "items", "copy", "index", "count", "pop", "remove", "clear", "sort",
                 "reverse", "join"}


@dataclass
class _Bindings:
    """How each name of one scope is bound."""

    values: dict[str, list[ast.AST]] = field(default_factory=dict)  # x = v, x += v, x: T = v, (x := v)
    loops: dict[str, list[ast.AST]] = field(default_factory=dict)  # for x in v
    grown: dict[str, list[ast.AST]] = field(default_factory=dict)  # x.append(v), x.insert(i, v), x[k] = v
    keyed: dict[str, list[ast.AST]] = field(default_factory=dict)  # x[k] = v: the keys k
    extended: dict[str, list[ast.AST]] = field(default_factory=dict)  # x.extend(v)
    other: set[str] = field(default_factory=set)  # bound any other way
    handed: set[str] = field(default_factory=set)  # handed to a call, or a method called, that may change it

    def binds(self, name: str) -> bool:
        return name in self.values or name in self.loops or name in self.other


def _bindings(statements: list[ast.AST], params: list[str]) -> _Bindings:
    found = _Bindings(other=set(params))
    for node in walk(statements):
        kind = node.__class__
        if kind is ast.Assign:
            for target in node.targets:
                _bind(found, target, node.value)
        elif kind is ast.AnnAssign or kind is ast.NamedExpr:
            if node.value is not None:
                _bind(found, node.target, node.value)
        elif kind is ast.AugAssign:
            if isinstance(node.target, ast.Name) and isinstance(node.op, ast.Add):
                found.values.setdefault(node.target.id, []).append(node.value)
            else:
                _bind(found, node.target, None)
        elif kind is ast.For or kind is ast.AsyncFor:
            if isinstance(node.target, ast.Name):
                found.loops.setdefault(node.target.id, []).append(node.iter)
            elif isinstance(node.target, ast.Tuple) and all(isinstance(e, ast.Name) for e in node.target.elts):
                # `for name, target in INDEXES`: each name holds a part of an item, so it is constant
                # text when every item is (DocsGPT's migration loops over a tuple of literal triples).
                for element in node.target.elts:
                    found.loops.setdefault(element.id, []).append(node.iter)
            else:
                _bind(found, node.target, None)
        elif kind is ast.Call:
            _call(found, node)
        elif kind in (ast.withitem,):
            if node.optional_vars is not None:
                _bind(found, node.optional_vars, None)
        elif kind is ast.comprehension:
            _bind(found, node.target, None)
        elif kind in (ast.Global, ast.Nonlocal):
            found.other.update(node.names)
        elif kind in (ast.Import, ast.ImportFrom):
            found.other.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif kind is ast.ExceptHandler and node.name:
            found.other.add(node.name)
        elif kind is ast.Delete:
            for target in node.targets:
                _bind(found, target, None)
    return found


def _argument(func: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, name: str) -> ast.AST | None:
    """What a call passes for the parameter `name` (its default when it passes nothing); None when
    that cannot be told (`*args`, `**kwargs` at the call)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    args = func.args
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    if name in positional:
        index = positional.index(name)
        if index < len(call.args):
            return call.args[index]
        defaults_start = len(positional) - len(args.defaults)
        return args.defaults[index - defaults_start] if index >= defaults_start else None
    kwonly = [a.arg for a in args.kwonlyargs]
    return args.kw_defaults[kwonly.index(name)] if name in kwonly else None


def _bind(found: _Bindings, target: ast.AST, value: ast.AST | None) -> None:
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):  # x[k] = v puts v into x
        if value is None:
            found.handed.add(target.value.id)
        else:
            found.grown.setdefault(target.value.id, []).append(value)
            found.keyed.setdefault(target.value.id, []).append(target.slice)
    elif isinstance(target, ast.Name):
        if value is None:
            found.other.add(target.id)
        else:
            found.values.setdefault(target.id, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):  # unpacking: which part goes where is not followed
        for element in target.elts:
            _bind(found, element.value if isinstance(element, ast.Starred) else element, None)


def _call(found: _Bindings, node: ast.Call) -> None:
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        name = func.value.id
        if func.attr == "extend" and node.args:
            found.extended.setdefault(name, []).append(node.args[0])
        elif func.attr in GROWERS and node.args:
            found.grown.setdefault(name, []).append(node.args[-1])
        elif func.attr not in KEEPS_CONTENT:
            found.handed.add(name)
    reader = (isinstance(func, ast.Attribute) and func.attr == "join") or (
        isinstance(func, ast.Name) and func.id in READS_ONLY)
    if not reader:  # a list handed to another function may be added to there (a string cannot change)
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(argument, ast.Name):
                found.handed.add(argument.id)


def _operands(expr: ast.BinOp) -> list[ast.AST] | None:
    """The operands of a chain of `+` and `%` (None: another operator in it)."""
    found, stack = [], [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, (ast.Add, ast.Mod)):
                return None
            stack += [node.right, node.left]
        else:
            found.append(node)
    return found


class ConstantText:
    """Answers, for an expression at a line of one module, whether it is constant text."""

    def __init__(self, tree: ast.Module, nodes: Nodes):
        self._tree = tree
        self._nodes = nodes
        self._functions = sorted(nodes.of(ast.FunctionDef, ast.AsyncFunctionDef), key=lambda f: f.lineno)
        self._starts = [f.lineno for f in self._functions]
        self._scopes: dict[int, _Bindings] = {}
        self._scope_functions: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}  # id(scope) -> its function
        self._module: _Bindings | None = None
        self._calls: dict[str, list[ast.Call] | None] | None = None
        self._hopping = False

    def constant(self, expr: ast.AST, line: int) -> bool:
        try:
            return self._text(expr, self._scope_at(line), {}, 0)
        except RecursionError:  # a pathological expression: not shown to be constant, so it stays a finding
            return False

    # -- scopes ---------------------------------------------------------------------------------
    def function_at(self, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The innermost function holding the line (None: module level)."""
        for index in range(bisect.bisect_right(self._starts, line) - 1, -1, -1):
            func = self._functions[index]
            if func.lineno <= line <= (func.end_lineno or func.lineno):
                return func
        return None

    def _scope_at(self, line: int) -> _Bindings | None:
        """The bindings of the innermost function holding the line (None: module level)."""
        func = self.function_at(line)
        if func is None:
            return None
        found = self._scopes.get(id(func))
        if found is None:
            args = func.args
            params = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
            params += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
            found = self._scopes[id(func)] = _bindings(func.body, params)
            self._scope_functions[id(found)] = func
        return found

    def _module_scope(self) -> _Bindings:
        """Module-level bindings; a module-level collection may be grown or handed on anywhere in
        the module, so those are read from every function too."""
        if self._module is None:
            statements = [s for s in self._tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                              ast.ClassDef))]
            self._module = _bindings(statements, [])
            everywhere = _bindings(self._tree.body, [])
            self._module.grown, self._module.extended = everywhere.grown, everywhere.extended
            self._module.keyed, self._module.handed = everywhere.keyed, everywhere.handed
        return self._module

    def _owner(self, name: str, scope: _Bindings | None) -> _Bindings | None:
        if scope is not None and scope.binds(name):
            return scope
        module = self._module_scope()
        return module if module.binds(name) else None

    # -- expressions ----------------------------------------------------------------------------
    def _text(self, expr: ast.AST, scope: _Bindings | None, loops: dict[str, ast.AST], depth: int) -> bool:
        """A string (or number) built from literals only."""
        if depth > MAX_DEPTH:
            return False
        kind = expr.__class__
        if kind is ast.Constant:
            return True
        if kind is ast.JoinedStr:
            return all(self._text(v, scope, loops, depth) for v in expr.values)
        if kind is ast.FormattedValue:
            return self._text(expr.value, scope, loops, depth)
        if kind is ast.BinOp:  # a long `+` chain is a deep tree: its operands are gathered, not recursed into
            operands = _operands(expr)
            return operands is not None and all(self._text(o, scope, loops, depth) for o in operands)
        if kind is ast.IfExp:
            return self._text(expr.body, scope, loops, depth) and self._text(expr.orelse, scope, loops, depth)
        if kind in (ast.Tuple, ast.List, ast.Set):
            return self._items(expr, scope, loops, depth)
        if kind is ast.Dict:  # shown as text, keys and values both
            return self._collection(expr, "keys", scope, depth) and self._collection(expr, "values", scope, depth)
        if kind is ast.Subscript:  # COLUMNS[key]: one of the literals, or a KeyError
            if isinstance(expr.value, ast.Name):
                return self._named(expr.value.id, scope, loops, depth, want="values")
            return self._collection(expr.value, "values", scope, depth)
        if kind is ast.Call:
            return self._call_text(expr, scope, loops, depth)
        if kind is ast.Name:
            return self._named(expr.id, scope, loops, depth)
        return False

    # -- one hop through a private helper's parameter ----------------------------------------------
    def _parameter_text(self, name: str, scope: _Bindings) -> bool:
        """A parameter of a module-level private function (`def _recreate(values)`) is constant text
        when the module calls the function, and only calls it, passing constant text for it: DocsGPT's
        alembic migrations hand module constants to such a helper. One hop, no further."""
        func = self._scope_functions.get(id(scope))
        if self._hopping or func is None or not func.name.startswith("_") or func not in self._tree.body:
            return False
        if _bindings(func.body, []).binds(name):  # rebound in the body, not only what callers pass
            return False
        calls = self._calls_of(func.name)
        if not calls:
            return False
        self._hopping = True
        try:
            for call in calls:
                argument = _argument(func, call, name)
                if argument is None or not self._text(argument, self._scope_at(call.lineno), {}, 0):
                    return False
            return True
        finally:
            self._hopping = False

    def _calls_of(self, name: str) -> list[ast.Call] | None:
        """The module's calls of a module-level function by name; None when the name is also used
        any other way (handed on as a callback, its callers could pass anything)."""
        if self._calls is None:
            calls: dict[str, list[ast.Call]] = {}
            loads: dict[str, int] = {}
            for node in self._nodes.of(ast.Call):  # the module's nodes, already grouped by type
                if isinstance(node.func, ast.Name):
                    calls.setdefault(node.func.id, []).append(node)
            for node in self._nodes.of(ast.Name):
                if isinstance(node.ctx, ast.Load):
                    loads[node.id] = loads.get(node.id, 0) + 1
            self._calls = {n: (found if loads.get(n, 0) == len(found) else None) for n, found in calls.items()}
        return self._calls.get(name, [])

    def _call_text(self, call: ast.Call, scope: _Bindings | None, loops: dict[str, ast.AST], depth: int) -> bool:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return False
        if func.attr == "join" and len(call.args) == 1 and not call.keywords:
            return self._text(func.value, scope, loops, depth) and self._items(call.args[0], scope, loops, depth)
        if func.attr == "format":
            return self._text(func.value, scope, loops, depth) and all(
                self._text(a.value if isinstance(a, ast.Starred) else a, scope, loops, depth)
                for a in [*call.args, *(k.value for k in call.keywords)])
        if func.attr in STRING_METHODS and not call.args and not call.keywords:
            return self._text(func.value, scope, loops, depth)
        return False

    def _items(self, expr: ast.AST, scope: _Bindings | None, loops: dict[str, ast.AST], depth: int) -> bool:
        """A collection whose every item is constant text."""
        if depth > MAX_DEPTH:
            return False
        kind = expr.__class__
        if kind in (ast.Tuple, ast.List, ast.Set):
            return all(self._items(e.value, scope, loops, depth) if isinstance(e, ast.Starred)
                       else self._text(e, scope, loops, depth) for e in expr.elts)
        if kind in (ast.ListComp, ast.GeneratorExp, ast.SetComp):
            inner = dict(loops)
            for generator in expr.generators:
                if not isinstance(generator.target, ast.Name) or generator.is_async \
                        or not self._items(generator.iter, scope, inner, depth + 1):
                    return False
                inner[generator.target.id] = generator.iter
            return self._text(expr.elt, scope, inner, depth + 1)
        if kind is ast.Call:
            func = expr.func
            if isinstance(func, ast.Name) and func.id in ("sorted", "list", "tuple", "set", "reversed") \
                    and len(expr.args) == 1:
                return self._items(expr.args[0], scope, loops, depth + 1)
            if isinstance(func, ast.Attribute) and func.attr in ("keys", "values") and not expr.args:
                if isinstance(func.value, ast.Name):
                    return self._named(func.value.id, scope, loops, depth, want=func.attr)
                return isinstance(func.value, ast.Dict) and self._collection(func.value, func.attr, scope, depth + 1)
            return False
        if kind is ast.Name:
            return self._named(expr.id, scope, loops, depth, want="items")
        return False

    def _collection(self, value: ast.AST, want: str, scope: _Bindings | None, depth: int) -> bool:
        """A collection read as `want`: iterated ("items"; a dict is not followed), indexed or its
        .values() read ("values"), its .keys() read ("keys")."""
        if want == "items":
            return self._items(value, scope, {}, depth)
        if isinstance(value, ast.Dict):
            parts = value.keys if want == "keys" else value.values
            return all(p is not None and self._text(p, scope, {}, depth) for p in parts)
        return want == "values" and self._items(value, scope, {}, depth)

    def _named(self, name: str, scope: _Bindings | None, loops: dict[str, ast.AST], depth: int,
               want: str = "text") -> bool:
        """A name read as text, or as a collection (`want`, as in _collection)."""
        if name in loops:  # a comprehension's variable: an item of its iterable
            return True
        owner = self._owner(name, scope)
        if owner is None:
            return False
        if name in owner.other:
            return want == "text" and name not in owner.values and name not in owner.loops \
                and self._parameter_text(name, owner)
        if want != "text" and name in owner.handed:
            return False
        values = owner.values.get(name, [])
        iterables = owner.loops.get(name, [])
        if not values and not iterables:
            return False
        deeper = depth + 1
        for value in values:
            if not (self._text(value, owner, {}, deeper) if want == "text"
                    else self._collection(value, want, owner, deeper)):
                return False
        if not all(self._items(iterable, owner, {}, deeper) for iterable in iterables):
            return False
        added = [*owner.grown.get(name, []), *(owner.keyed.get(name, []) if want == "keys" else [])]
        return all(self._text(v, owner, {}, deeper) for v in added) and all(
            self._items(v, owner, {}, deeper) for v in owner.extended.get(name, []))
