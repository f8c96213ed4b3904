"""Read a Helm template as far as it can be read without helm.

We never run helm (nor any template engine) on an audited tree. Instead a template is reduced to
YAML line by line, using the chart's own values.yaml:

- `{{ .Values.a.b }}` and `{{ .Chart.AppVersion }}` (optionally `| default X`, `| quote`) become the
  value from values.yaml / Chart.yaml;
- a line that is only `{{ toYaml .Values.x | nindent N }}` becomes that value in flow style;
- `{{ if .Values.x }}` / `{{ if not .Values.x }}` / `{{ with .Values.x }}` / `else` / `end` are
  decided from values.yaml when the condition is a plain value (`with` also rebinds `.`, so
  `toYaml .` inside it works); any other condition keeps its body (and says so);
- whatever else (`include`, `tpl`, functions) becomes the placeholder `TEMPLATED`, which the
  checks report as "could not be evaluated" rather than as a pass or a fail.

Line N of the result is line N of the template, so findings cite the template's own lines. The
result is honest about what it could not do: `RenderedTemplate.unresolved` lists it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

TEMPLATED = "TEMPLATED"
_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL)
_DEFAULT = re.compile(r"^default\s+(.+)$")
_TOYAML = re.compile(r"^toYaml\s+(\S+)(?:\s*\|\s*(?:nindent|indent)\s+(\d+))?\s*$")
_CONTROL = re.compile(r"^(if|else if|else|end|range|with|define|block)\b\s*(.*)$")
_MAX_TEMPLATE_LINES = 20_000
_MISSING = object()


@dataclass
class RenderedTemplate:
    text: str
    unresolved: list[str] = field(default_factory=list)  # what could not be evaluated, with lines


ROOT_OBJECTS = ("Values", "Chart", "Release", "Capabilities", "Files", "Template")
_PATH = re.compile(r"^(\$)?((?:\.[A-Za-z_][A-Za-z0-9_-]*)+|\.)$")


def lookup(expression: str, root: dict[str, Any], dot: Any = _MISSING) -> Any:
    """`.Values.a.b`, `.Chart.AppVersion`, `$.Values.x`, or `.`/`.x` against the `with` value; _MISSING
    when the path is not in values.yaml / Chart.yaml or refers to something only helm knows."""
    match = _PATH.match(expression.strip())
    if not match:
        return _MISSING
    parts = [p for p in match.group(2).split(".") if p]
    node = root if match.group(1) or (parts and parts[0] in ROOT_OBJECTS) else dot
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _pipeline_value(expression: str, root: dict[str, Any], dot: Any) -> Any:
    """Evaluate `.Values.x | default y | quote` style pipelines; _MISSING when we cannot."""
    stages = [stage.strip() for stage in expression.split("|")]
    value = lookup(stages[0], root, dot)
    for stage in stages[1:]:
        default = _DEFAULT.match(stage)
        if default:
            if value is _MISSING or value in (None, "", [], {}):
                argument = default.group(1).strip()
                if argument.startswith((".", "$")):
                    value = lookup(argument, root, dot)
                else:
                    try:
                        value = yaml.safe_load(argument)
                    except yaml.YAMLError:
                        return _MISSING
        elif stage in ("quote", "squote", "toString", "trim", "lower", "upper"):
            continue
        else:
            return _MISSING
    return value


def _plain(value: Any) -> Any:
    """YMap/YList back to dict/list so PyYAML's SafeDumper can write them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _condition(expression: str, root: dict[str, Any], dot: Any) -> tuple[bool | None, Any]:
    """(True/False/None when undecidable, the value) for `.Values.x`, `not .Values.x`, `eq .Values.x "y"`."""
    negate = False
    expression = expression.strip()
    joined = re.match(r"^(and|or)\s+([^()\"]+)$", expression)
    if joined:
        # `and .Values.a .Values.b`: one operand known false decides an `and` (true an `or`), even
        # when another is unknown; otherwise every operand must be known. Charts switch optional
        # objects off this way (`if and .Values.x.enabled .Values.y.enabled`).
        results = [_condition(operand, root, dot)[0] for operand in joined.group(2).split()]
        decisive = joined.group(1) == "or"
        if decisive in results:
            return decisive, decisive
        return (None, _MISSING) if None in results else (not decisive, not decisive)
    if expression.startswith("not "):
        negate, expression = True, expression[4:].strip()
    eq = re.match(r'^(eq|ne)\s+(\S+)\s+"([^"]*)"$', expression)
    if eq:
        value = lookup(eq.group(2), root, dot)
        if value is _MISSING:
            return None, _MISSING
        same = _scalar_text(value) == eq.group(3)
        return (same if eq.group(1) == "eq" else not same) != negate, value
    value = lookup(expression, root, dot)
    if value is _MISSING:
        return None, _MISSING
    return bool(value) != negate, value


def chart_object(chart_yaml: Any) -> dict[str, Any]:
    """`.Chart` as templates see it (Chart.yaml's keys, capitalised)."""
    chart = chart_yaml if isinstance(chart_yaml, dict) else {}
    return {key[:1].upper() + key[1:]: value for key, value in chart.items() if isinstance(key, str)}


def render(text: str, values: Any, chart: Any = None) -> RenderedTemplate:
    """Reduce a Helm template to YAML (see the module docstring)."""
    out: list[str] = []
    unresolved: list[str] = []
    root = {"Values": values if isinstance(values, dict) else {}, "Chart": chart_object(chart)}
    # Each open block: [emitting?, decided?, dot] - a decided False block drops its lines; `with`
    # rebinds the dot to its value (unknown inside `range` or an undecided `with`).
    stack: list[list[Any]] = []
    text = _COMMENT.sub("", text)
    for number, line in enumerate(text.splitlines()[:_MAX_TEMPLATE_LINES], start=1):
        stripped = line.strip()
        actions = _ACTION.findall(stripped)
        only_action = bool(actions) and _ACTION.sub("", stripped).strip() == ""
        emitting = all(frame[0] for frame in stack)
        dot = stack[-1][2] if stack else _MISSING
        if only_action and len(actions) == 1 and (control := _CONTROL.match(actions[0])):
            word, rest = control.group(1), control.group(2)
            if word in ("if", "with"):
                decided, value = _condition(rest, root, dot)
                if decided is None:
                    unresolved.append(f"line {number}: condition `{rest[:60]}` kept as if true")
                stack.append([decided is not False, decided is not None, value if word == "with" else dot])
            elif word in ("range", "define", "block"):
                if word == "range":
                    unresolved.append(f"line {number}: `range` body read once")
                stack.append([word == "range", True, _MISSING])
            elif word in ("else", "else if") and stack:
                frame = stack[-1]
                if frame[1]:  # a decided condition: the other branch is its opposite
                    frame[0] = not frame[0]
                # undecided: keep reading both branches
            elif word == "end" and stack:
                stack.pop()
            out.append("")  # keep line numbers aligned with the template
            continue
        if not emitting:
            out.append("")
            continue
        if only_action and len(actions) == 1:
            to_yaml = _TOYAML.match(actions[0])
            indent = len(line) - len(line.lstrip())
            if to_yaml:
                value = lookup(to_yaml.group(1), root, dot)
                pad = " " * (int(to_yaml.group(2)) if to_yaml.group(2) else indent)
                if value is not _MISSING and value not in (None, {}, []):
                    # JSON is YAML flow style: the value stays on this one line, so every line of
                    # the reduced text is the same line of the template and findings cite it.
                    out.append(pad + json.dumps(_plain(value)))
                elif value is _MISSING:
                    unresolved.append(f"line {number}: `{actions[0][:60]}`")
                    out.append(f"{pad}{TEMPLATED}: true")
                else:
                    out.append("")  # an empty value renders nothing, as helm does
                continue
            unresolved.append(f"line {number}: `{actions[0][:60]}`")
            nindent = re.search(r"\bn?indent\s+(\d+)", actions[0])
            pad = " " * (int(nindent.group(1)) if nindent else indent)
            out.append(f"{pad}{TEMPLATED}: true")
            continue

        def substitute(match: re.Match[str], number: int = number, dot: Any = dot) -> str:
            value = _pipeline_value(match.group(1), root, dot)
            if value is _MISSING or isinstance(value, (dict, list)):
                unresolved.append(f"line {number}: `{match.group(1)[:60]}`")
                return TEMPLATED
            return _scalar_text(value)

        out.append(_ACTION.sub(substitute, line))
    return RenderedTemplate("\n".join(out) + "\n", unresolved)
