"""Reporters render a finished `Report`; they compute nothing of their own.

Each format is a small class with a name, a file name and `render(report) -> str`. The registry
below maps `--format` names to them; `terminal` prints instead of writing a file.
"""

from __future__ import annotations

import importlib

from readyscore.reporters.base import Reporter

# format name -> "module:Class"; imported only when the format is asked for.
_FORMATS = {
    "terminal": "readyscore.reporters.terminal:TerminalReporter",
    "json": "readyscore.reporters.json_report:JsonReporter",
    "html": "readyscore.reporters.html:HtmlReporter",
    "sarif": "readyscore.reporters.sarif:SarifReporter",
    "junit": "readyscore.reporters.junit:JunitReporter",
    "markdown": "readyscore.reporters.markdown:MarkdownReporter",
}
DEFAULT_FORMATS = ("terminal", "json", "html")


def available_formats() -> list[str]:
    return list(_FORMATS)


def get_reporter(name: str) -> Reporter:
    try:
        module_name, class_name = _FORMATS[name].split(":")
    except KeyError:
        raise KeyError(f"unknown format {name!r}; choose from {', '.join(_FORMATS)}") from None
    return getattr(importlib.import_module(module_name), class_name)()
