"""Just enough of HCL (Terraform) to find blocks, their labels and their literal attributes, with lines.

Why not python-hcl2: its current release builds a Lark grammar on first use (about 4 s here), and
its serialiser no longer reports line numbers, which every finding must cite. Infrastructure checks
only need block structure (`resource "aws_db_instance" "main" { ... }`) and literal attribute values
(`multi_az = true`), so a small tokenizer that understands strings, `${}` interpolation, heredocs
and comments does the job and never evaluates anything. Expressions stay as their source text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_TOKENS = 400_000
MAX_DEPTH = 64


@dataclass
class Attribute:
    value: Any  # a literal (str, int, float, bool) or the expression's source text
    line: int
    literal: bool


@dataclass
class Block:
    type: str
    labels: list[str]
    line: int
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def attr(self, name: str) -> Attribute | None:
        return self.attributes.get(name)

    def children(self, type_: str) -> list[Block]:
        return [block for block in self.blocks if block.type == type_]

    def walk(self):
        yield self
        for block in self.blocks:
            yield from block.walk()


@dataclass
class _Token:
    kind: str  # ident, string, number, {, }, [, ], (, ), =, nl, other
    text: str
    line: int
    value: Any = None


def _scan_string(text: str, i: int) -> tuple[int, str, bool]:
    """From the opening quote at i: (index after the closing quote, content, has interpolation)."""
    j, depth, out, interpolated = i + 1, 0, [], False
    while j < len(text):
        char = text[j]
        if char == "\\" and j + 1 < len(text):
            out.append(text[j:j + 2])
            j += 2
            continue
        if depth == 0 and char == '"':
            return j + 1, "".join(out), interpolated
        if text.startswith("${", j) or text.startswith("%{", j):
            depth += 1
            interpolated = True
            out.append(text[j:j + 2])
            j += 2
            continue
        if depth and char == "}":
            depth -= 1
        if char == "\n" and depth == 0:  # unterminated string: stop at the end of the line
            return j, "".join(out), interpolated
        out.append(char)
        j += 1
    return j, "".join(out), interpolated


def tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, line, n = 0, 1, len(text)
    while i < n and len(tokens) < MAX_TOKENS:
        char = text[i]
        if char == "\n":
            tokens.append(_Token("nl", "\n", line))
            line += 1
            i += 1
        elif char in " \t\r":
            i += 1
        elif char == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
        elif char == '"':
            end, content, interpolated = _scan_string(text, i)
            tokens.append(_Token("string", text[i:end], line, None if interpolated else content))
            line += text.count("\n", i, end)
            i = end
        elif text.startswith("<<", i) and (i + 2 < n) and (text[i + 2].isalpha() or text[i + 2] == "-"):
            start = i + 3 if text[i + 2] == "-" else i + 2
            j = start
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            marker = text[start:j]
            body_start = text.find("\n", j)
            k, body_end, end = body_start, n, n
            while k != -1:
                next_nl = text.find("\n", k + 1)
                row = text[k + 1: n if next_nl < 0 else next_nl]
                if row.strip() == marker:
                    body_end, end = k, (n if next_nl < 0 else next_nl)
                    break
                k = next_nl
            body = text[body_start + 1:body_end] if body_start >= 0 else ""
            tokens.append(_Token("string", text[i:end], line, body))
            line += text.count("\n", i, end)
            i = end
        elif char.isalpha() or char == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_-."):
                j += 1
            tokens.append(_Token("ident", text[i:j], line))
            i = j
        elif char.isdigit():
            j = i
            while j < n and (text[j].isalnum() or text[j] == "."):
                j += 1
            raw = text[i:j]
            try:
                value: Any = float(raw) if "." in raw else int(raw)
            except ValueError:
                value = None
            tokens.append(_Token("number", raw, line, value))
            i = j
        elif char in "{}[]()=":
            if char == "=" and text.startswith("==", i):
                tokens.append(_Token("other", "==", line))
                i += 2
                continue
            tokens.append(_Token(char, char, line))
            i += 1
        else:
            tokens.append(_Token("other", char, line))
            i += 1
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.i = 0

    def peek(self, offset: int = 0) -> _Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def body(self, into: Block, depth: int) -> None:
        while (token := self.peek()) is not None:
            if token.kind == "}":
                self.i += 1
                return
            if token.kind == "ident" and (after := self.peek(1)) is not None and after.kind == "=":
                self.i += 2
                into.attributes[token.text] = self.expression()
                continue
            if token.kind == "ident":
                labels, j = [], 1
                while (label := self.peek(j)) is not None and label.kind in ("string", "ident"):
                    labels.append(label.value if label.kind == "string" and label.value is not None
                                  else label.text.strip('"'))
                    j += 1
                opener = self.peek(j)
                if opener is not None and opener.kind == "{":
                    self.i += j + 1
                    block = Block(token.text, labels, token.line)
                    if depth >= MAX_DEPTH:
                        self.skip_balanced()
                    else:
                        self.body(block, depth + 1)
                    into.blocks.append(block)
                    continue
            self.i += 1

    def skip_balanced(self) -> None:
        depth = 1
        while (token := self.peek()) is not None and depth:
            depth += {"{": 1, "}": -1}.get(token.kind, 0)
            self.i += 1

    def expression(self) -> Attribute:
        start = self.peek()
        line = start.line if start else 0
        parts: list[_Token] = []
        depth = 0
        while (token := self.peek()) is not None:
            if depth == 0 and token.kind in ("nl", "}"):
                break
            if token.kind in "{[(" and token.kind != "other":
                depth += 1
            elif token.kind in "}])" and token.kind != "other":
                depth -= 1
            if token.kind != "nl":
                parts.append(token)
            self.i += 1
        if len(parts) == 1:
            only = parts[0]
            if only.kind in ("string", "number") and only.value is not None:
                return Attribute(only.value, line, True)
            if only.kind == "ident" and only.text in ("true", "false"):
                return Attribute(only.text == "true", line, True)
        return Attribute(" ".join(part.text for part in parts), line, False)


def parse(text: str) -> Block:
    """The file as a root block whose `blocks` are the top-level blocks. Never raises on bad input."""
    root = Block("<file>", [], 1)
    _Parser(tokenize(text)).body(root, 0)
    return root
