"""Syntax trees of the service's non-Python code (JavaScript/TypeScript, Go, Rust, Java, C++).

Parsed with ast-grep (tree-sitter grammars compiled into its wheel: nothing is fetched at run time).
From one parse come two things:

- secret-named bindings given a *string literal*: `const apiKey = "..."`, `{token: "..."}`,
  `Password: "..."` in a Go composite literal, `let secret = "..."` in Rust, a Java field. A value
  that is an expression, a member access, a call, a type or an interpolated template is never a
  literal credential, so `apiKey: options.apiKey`, `out.HFTokenSecret = in.HFTokenSecret`,
  `token: string(token)` and `stream_token: &str` are not findings;
- capability facts: the modules imported, and the calls made through them, with each call's
  first name resolved to what it was imported from (`gin.Default()` ->
  `github.com/gin-gonic/gin.Default`, `Router::new()` after `use axum::Router` -> `axum::Router::new`).
  A name alone is not a fact; an import plus a call through it is.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from readyscore.executors.static.polywiring import wiring_facts

LANGUAGES = {".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
             ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
             ".go": "go", ".rs": "rust", ".java": "java",
             ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".hpp": "cpp"}
# The stack a language's facts are looked up under in a check's `stacks:` params.
STACK = {"javascript": "node", "typescript": "node", "tsx": "node", "go": "go", "rust": "rust", "java": "java",
         "cpp": "cpp"}
MAX_MACRO_CHARS = 20_000  # a macro body longer than this is generated code, not a call site
_RUST_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_MACRO_CALL = re.compile(r"(?<![\w:])([A-Za-z_]\w*(?:::[A-Za-z_]\w*)+)\s*\(")
MAX_PARSE_BYTES = 512 * 1024  # generated or bundled files beyond this are not the service's hand-written code

# Nodes that bind a name to a value: (name ..., value) with the value the last named child.
BINDINGS = {
    "javascript": ("variable_declarator", "pair", "assignment_expression", "public_field_definition",
                   "field_definition", "assignment_pattern"),
    "go": ("keyed_element", "const_spec", "var_spec", "short_var_declaration", "assignment_statement"),
    "rust": ("let_declaration", "field_initializer", "const_item", "static_item", "assignment_expression"),
    "java": ("variable_declarator", "assignment_expression", "element_value_pair"),
}
BINDINGS["typescript"] = BINDINGS["tsx"] = BINDINGS["javascript"] + ("required_parameter", "optional_parameter")
STRING_KINDS = frozenset({"string", "template_string", "interpreted_string_literal", "raw_string_literal",
                          "string_literal"})
# Inside a string: interpolation or escapes (the text in the file is not the value; do not claim it).
NOT_PLAIN = frozenset({"template_substitution", "escape_sequence", "interpolation"})
NAME_KINDS = frozenset({"identifier", "property_identifier", "field_identifier", "shorthand_property_identifier",
                        "private_property_identifier", "package_identifier"})
WRAPPERS = frozenset({"expression_list", "literal_element"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


_INVALID_KINDS: set[tuple[str, str]] = set()


def _find(root: Any, kind: str, language: str) -> list[Any]:
    """Every node of `kind`; a kind this grammar does not have finds nothing (ast-grep raises)."""
    if (language, kind) in _INVALID_KINDS:
        return []
    try:
        return root.find_all(kind=kind)
    except RuntimeError:
        _INVALID_KINDS.add((language, kind))
        return []


def language_of(rel: str) -> str | None:
    return LANGUAGES.get(posixpath.splitext(rel)[1].lower())


def _unwrap(node: Any) -> Any:
    while node is not None and node.kind() in WRAPPERS:
        named = [c for c in node.children() if c.is_named()]
        if len(named) != 1:
            return node
        node = named[0]
    return node


def _name_of(node: Any) -> str | None:
    node = _unwrap(node)
    if node is None:
        return None
    kind = node.kind()
    if kind in NAME_KINDS:
        return node.text()
    if kind in ("member_expression", "selector_expression", "field_expression", "field_access", "scoped_identifier"):
        named = [c for c in node.children() if c.is_named()]
        return named[-1].text() if named and named[-1].kind() in NAME_KINDS else None
    if kind in STRING_KINDS:  # {"api_key": "..."} in an object literal
        return _string_value(node)
    return None


def _string_value(node: Any) -> str | None:
    """The literal text of a plain string node, or None (interpolated, escaped, multi-line, not a string)."""
    node = _unwrap(node)
    if node is None or node.kind() not in STRING_KINDS:
        return None
    if any(child.kind() in NOT_PLAIN for child in node.children()):
        return None
    text = node.text()
    for quote in ('"""', "`", '"', "'"):
        if len(text) >= 2 * len(quote) and text.startswith(quote) and text.endswith(quote):
            value = text[len(quote):-len(quote)]
            return None if "\n" in value else value
    return None


def snake(name: str) -> str:
    """`apiKey` -> `api_Key`, so camelCase names meet the same name rules as snake_case ones."""
    return _CAMEL.sub("_", name)


def secret_bindings(root: Any, language: str) -> list[tuple[str, str, int]]:
    """(name, literal value, 1-based line) for every binding whose value is a plain string literal."""
    found = []
    for kind in BINDINGS.get(language, ()):
        for node in _find(root, kind, language):
            named = [c for c in node.children() if c.is_named() and c.kind() not in ("comment", "type_annotation")]
            if len(named) < 2:
                continue
            left, right = _unwrap(named[0]), _unwrap(named[-1])
            if left.kind() == "expression_list" and right.kind() == "expression_list":  # a, b = "x", "y"
                pairs = list(zip([c for c in left.children() if c.is_named()], [c for c in right.children() if c.is_named()]))
            else:
                pairs = [(left, right)]
            for name_node, value_node in pairs:
                value = _string_value(value_node)
                if value is None:
                    continue
                name = _name_of(name_node)
                if name:
                    found.append((name, value, value_node.range().start.line + 1))
    return found


# --- capability facts ------------------------------------------------------------------------

def _go_default_name(path: str) -> str:
    parts = path.split("/")
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        parts = parts[:-1]
    # The package a path names by convention: github.com/redis/go-redis -> redis,
    # github.com/getsentry/sentry-go -> sentry, github.com/hashicorp/golang-lru -> lru.
    name = parts[-1].replace("-", "_").replace(".", "_")
    return name.removeprefix("golang_").removeprefix("go_").removesuffix("_go")


def _imports(root: Any, language: str) -> tuple[dict[str, int], dict[str, str], dict[str, tuple[str, str]]]:
    """Modules imported (-> line), local names -> what they stand for, and local names -> (module or
    package path, the name imported: a name, "default" or "*") for following names across files."""
    modules: dict[str, int] = {}
    local: dict[str, str] = {}
    origins: dict[str, tuple[str, str]] = {}
    if language == "go":
        for spec in _find(root, "import_spec", language):
            path_node = next((c for c in spec.children() if c.kind() in STRING_KINDS), None)
            path = _string_value(path_node) if path_node else None
            if not path:
                continue
            modules.setdefault(path, spec.range().start.line + 1)
            alias = spec.field("name")
            name = alias.text() if alias is not None else _go_default_name(path)
            if name not in ("_", "."):
                local[name] = path
                local.setdefault(_go_default_name(path), path)
                origins[name] = (path, "*")
    elif language in ("javascript", "typescript", "tsx"):
        for statement in _find(root, "import_statement", language):
            source = statement.field("source")
            module = _string_value(source) if source is not None else None
            if not module:
                continue
            modules.setdefault(module, statement.range().start.line + 1)
            for ident in _find(statement, "import_specifier", language):
                name = ident.field("name")
                alias = ident.field("alias")
                if name is not None:
                    local[(alias or name).text()] = f"{module}.{name.text()}"
                    origins[(alias or name).text()] = (module, name.text())
            for clause in _find(statement, "import_clause", language):
                for child in clause.children():
                    if child.kind() == "identifier":
                        local[child.text()] = module
                        origins[child.text()] = (module, "default")
                    elif child.kind() == "namespace_import":
                        ident = next((c for c in child.children() if c.kind() == "identifier"), None)
                        if ident is not None:
                            local[ident.text()] = module
                            origins[ident.text()] = (module, "*")
        for call in _find(root, "call_expression", language):  # const x = require("m")
            callee = call.field("function")
            if callee is None or callee.text() != "require":
                continue
            args = call.field("arguments")
            strings = [c for c in args.children() if c.kind() == "string"] if args is not None else []
            module = _string_value(strings[0]) if strings else None
            if not module:
                continue
            modules.setdefault(module, call.range().start.line + 1)
            parent = call.parent()
            if parent is not None and parent.kind() == "variable_declarator":
                name = parent.field("name")
                if name is not None and name.kind() == "identifier":
                    local[name.text()] = module
                    origins[name.text()] = (module, "*")
                elif name is not None and name.kind() == "object_pattern":
                    for ident in _find(name, "shorthand_property_identifier_pattern", language):
                        local[ident.text()] = f"{module}.{ident.text()}"
                        origins[ident.text()] = (module, ident.text())
    elif language == "rust":
        for use in _find(root, "use_declaration", language):
            line = use.range().start.line + 1
            text = re.sub(r"\s+", "", use.text().removeprefix("pub").strip().removeprefix("use").rstrip(";"))
            crate = re.split(r"::|\{", text, maxsplit=1)[0]
            modules.setdefault(crate, line)
            for path in _expand_rust_use(text):
                leaf = path.rsplit("::", 1)[-1]
                if " as " in leaf or "as" in path.split("::")[-1:]:
                    continue
                if leaf not in ("*", "self"):
                    local[leaf] = path
                    modules.setdefault(path, line)
                    origins[leaf] = (path.rsplit("::", 1)[0], leaf)
    elif language == "java":
        for imp in _find(root, "import_declaration", language):
            text = imp.text().removeprefix("import").strip().rstrip(";").removeprefix("static ").strip()
            modules.setdefault(text, imp.range().start.line + 1)
            local[text.rsplit(".", 1)[-1]] = text
    elif language == "cpp":
        for include in _find(root, "preproc_include", language):
            path = include.field("path")
            if path is not None:
                modules.setdefault(path.text().strip("\"<>"), include.range().start.line + 1)
    return modules, local, origins


def _expand_rust_use(text: str) -> list[str]:
    """`axum::{Router, routing::get}` -> ['axum::Router', 'axum::routing::get'] (one level of braces)."""
    if "{" not in text:
        return [text]
    head, _, rest = text.partition("{")
    inner = rest.rsplit("}", 1)[0]
    out, depth, current = [], 0, ""
    for char in inner:
        if char == "," and depth == 0:
            out.append(current)
            current = ""
            continue
        depth += char == "{"
        depth -= char == "}"
        current += char
    out.append(current)
    return [p for item in out if item for p in _expand_rust_use(head + item)]


def _resolve(callee: str, local: dict[str, str], sep: str) -> str:
    first, dot, rest = callee.partition(sep)
    if first in local:
        return local[first] + (("." if sep == "." else "::") + rest if dot else "")
    return callee


# Rust trait methods that prove a library's use when its trait is imported: `payload.validate()`
# after `use validator::Validate` (or garde's) is `validator::Validate::validate`.
RUST_TRAIT_METHODS = {"validate": "Validate"}


def _rust_trait_method(text: str, local: dict[str, str]) -> str:
    receiver, dot, method = text.rpartition(".")
    trait = RUST_TRAIT_METHODS.get(method)
    if dot and trait in local and "::" not in receiver:
        return f"{trait}::{method}"
    return text


CALL_KINDS = {"javascript": ("call_expression", "new_expression"), "typescript": ("call_expression", "new_expression"),
              "tsx": ("call_expression", "new_expression"), "go": ("call_expression", "type_conversion_expression"), "rust": ("call_expression",),
              "java": ("method_invocation", "object_creation_expression"), "cpp": ("call_expression",)}


def capability_facts(root: Any, language: str, rel: str) -> dict[str, Any]:
    modules, local, origins = _imports(root, language)
    calls: dict[str, int] = {}
    resolved_calls: list[tuple[str, Any]] = []  # calls through an import, for the wiring facts
    sep = "::" if language in ("rust", "cpp") else "."
    for kind in CALL_KINDS.get(language, ()) + (("struct_expression",) if language == "rust" else ()):
        for call in _find(root, kind, language):
            callee = call.field("function") or call.field("constructor") or call.field("type") or call.field("name")
            if language == "java" and kind == "method_invocation":
                target = call.field("object")
                name = call.field("name")
                text = f"{target.text()}.{name.text()}" if target is not None and name is not None else (
                    name.text() if name is not None else "")
            else:
                text = callee.text() if callee is not None else ""
            text = re.sub(r"\s+", "", text)
            if language in ("rust", "cpp"):
                text = re.sub(r"::<.*?>", "", text)  # turbofish: Router::<S>::new
            elif language == "go":
                # lru.New[string, int](128): a generic call, which Go's grammar reads as a conversion
                text = re.sub(r"\[.*\]$", "", text)
            if not text or len(text) > 120:
                continue
            if language == "rust" and kind == "call_expression":
                text = _rust_trait_method(text, local)
            resolved = _resolve(text, local, sep)
            through_import = re.split(r"::|\.|\(", text, maxsplit=1)[0] in local
            if kind == "struct_expression" and not through_import:
                continue  # GovernorLayer { .. } after `use tower_governor::GovernorLayer` constructs; Point { .. } does not matter
            calls.setdefault(resolved, call.range().start.line + 1)
            if through_import:
                resolved_calls.append((resolved, call))
    if language == "rust":  # counter!("x"), tracing::info!(...): macros are Rust's calls too
        for macro in _find(root, "macro_invocation", language):
            name = macro.field("macro")
            if name is not None:
                text = re.sub(r"\s+", "", name.text())
                calls.setdefault(_resolve(text, local, sep), macro.range().start.line + 1)
                if text.split("::", 1)[0] in local:
                    resolved_calls.append((_resolve(text, local, sep), macro))
            # A macro's body is tokens to the grammar, not expressions: `tokio::select! { out =
            # axum_server::bind(addr).serve(app) => ... }` (Helicone's gateway) starts the server in
            # there. A qualified path followed by `(` is read as a call.
            body = _RUST_STRING.sub('""', macro.text())  # println!("axum_server::bind(..)") calls nothing
            if "::" in body and "(" in body and len(body) <= MAX_MACRO_CHARS:
                start = macro.range().start.line + 1
                for found in _MACRO_CALL.finditer(body):
                    calls.setdefault(_resolve(found.group(1), local, sep), start + body.count("\n", 0, found.start()))
    if language == "cpp":  # httplib::Server svr; declares the server without calling anything
        for ident in _find(root, "qualified_identifier", language):
            calls.setdefault(re.sub(r"\s+", "", ident.text()), ident.range().start.line + 1)
    exports: dict[str, int] = {}
    if language in ("javascript", "typescript", "tsx"):
        for statement in _find(root, "export_statement", language):
            for decl in _find(statement, "function_declaration", language):
                name = decl.field("name")
                if name is not None:
                    exports.setdefault(name.text(), decl.range().start.line + 1)
            for decl in _find(statement, "variable_declarator", language):
                name = decl.field("name")
                if name is not None:
                    exports.setdefault(name.text(), decl.range().start.line + 1)
    facts = {"stack": STACK[language], "imports": modules, "calls": calls, "exports": exports}
    facts.update(wiring_facts(root, STACK[language], rel, resolved_calls, origins, modules, language))
    return facts


# `#[cfg(test)]`, `#[cfg(all(test, ...))]`, `#[test]`, `#[tokio::test]`: what follows is compiled for tests only.
_RUST_TEST_ATTRIBUTE = re.compile(r"#\[(?:cfg\((?:all\()?test\b|(?:\w+::)?test\b)")


def rust_test_lines(root: Any) -> list[list[int]]:
    """[first, last] line (1-based) of each Rust item compiled for tests only: a `#[cfg(test)] mod
    tests { ... }` inside a source file, a `#[test]` function. Rust keeps unit tests beside the code
    they test, so a test's fixture key sits in `src/` (TensorZero's GCP provider module)."""
    ranges = []
    for attribute in _find(root, "attribute_item", "rust"):
        item = attribute.next()
        if item is not None and _RUST_TEST_ATTRIBUTE.match(attribute.text()) and item.kind() in ("mod_item", "function_item"):
            ranges.append([attribute.range().start.line + 1, item.range().end.line + 1])
    return ranges


def analyse(text: str, rel: str) -> dict[str, Any] | None:
    """The parse of one non-Python source file: {'bindings': [...], 'facts': {...}, 'test_lines':
    [...]} or None."""
    language = language_of(rel)
    if language is None or len(text) > MAX_PARSE_BYTES:
        return None
    from ast_grep_py import SgRoot  # imported on first use: nothing parses at import time

    root = SgRoot(text, language).root()
    return {"bindings": secret_bindings(root, language), "facts": capability_facts(root, language, rel),
            "test_lines": rust_test_lines(root) if language == "rust" else []}
