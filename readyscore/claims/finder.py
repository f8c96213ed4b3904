"""Find readiness claims, and the admissions that undercut them, in a repository's own documents.

Deterministic: a line is a claim or an admission by its patterns (frameworks/claims.yaml), the
headings and labels above it, and its checkbox state; no model is involved. Everything read is
untrusted: reads are capped per file and in total, binary files are skipped, lines are cut to a
fixed length before any pattern sees them, and fenced or indented code is not prose.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from readyscore.claims.mapping import ClaimMap
from readyscore.claims.records import Admission, Claim, ClaimKind
from readyscore.files import FileIndex, matches

MAX_FILE_BYTES = 512 * 1024  # a 50 MB "README" is read up to here, and said to be cut
MAX_TOTAL_BYTES = 4 * 1024 * 1024
MAX_FILES = 200
MAX_CLAIMS = 400
MAX_ADMISSIONS = 400
MAX_LINE_CHARS = 1000  # patterns only ever see this much of a line
MAX_UNIT_CHARS = 2000  # ... and this much of a paragraph or list item
MAX_TEXT_CHARS = 300  # what a report keeps of a claim's text

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_CHECKBOX = re.compile(r"^\[([ xX✓✔])\]\s*")
_BOLD_ONLY = re.compile(r"^(?:\*\*|__)([^*_]{1,120})(?:\*\*|__)\s*:?\s*$")
# An item that opens with a bold label and goes on: "**Agents (COMING SOON)**: Add guardrails to ...".
_BOLD_LABEL = re.compile(r"^(?:\*\*|__)([^*_]{1,120})(?:\*\*|__)\s*[:\u2014-]?\s*\S")
_FENCE = re.compile(r"^\s*(```|~~~)")
# A reStructuredText or setext underline: the one-line paragraph above it is a heading
# ("How to deploy autoscaling object" over a row of dashes, AIBrix's docs).
_UNDERLINE = re.compile(r"^([=\-~^\"'`*+#:.])\1{2,}\s*$")
_UNDERLINE_DEPTH = {"=": 1, "-": 2}
_RST_CODE_DIRECTIVE = re.compile(r"^\.\.\s+(code-block|code|sourcecode|literalinclude|parsed-literal|prompt)::")
# Preformatted HTML (`<pre><code>`, a README's terminal output) is code too: "100/100" in a progress
# bar states no score (TensorZero's README).
_PRE_OPEN = re.compile(r"<pre[\s>]", re.IGNORECASE)
_PRE_CLOSE = re.compile(r"</pre\s*>", re.IGNORECASE)
# Emoji and their mis-encoded bytes in front of a label ("🔒 **For Production, Add:**").
# Mis-encoded emoji are letters to a regex ("ğŸ”’"), so anything short and not ASCII goes.
_LEADING_SYMBOLS = re.compile(r"^[^A-Za-z0-9*_\[(`\"']{1,12}(?=\*\*|__)")
_TABLE_SEPARATOR = re.compile(r"^\|?[\s:|-]+\|?$")
# Addresses are not words: "https://" in a link says nothing about TLS, and a path in a URL names no
# capability. A markdown link keeps its text; a bare or angle-bracketed address is dropped.
_LINK_TARGET = re.compile(r"\]\((?:[a-z][a-z0-9+.-]*:|/|\.|#)[^)\s]*(?:\s+\"[^\"]*\")?\)", re.IGNORECASE)
_BARE_ADDRESS = re.compile(r"<?\b(?:https?|wss?|ftp)://[^\s)>\]]+>?", re.IGNORECASE)
# A file path names a page, not a capability: an RST toctree entry for the metrics page claims no metrics.
_FILE_PATH = re.compile(r"(?<![\w/])[\w.-]+(?:/[\w.-]+)*\.(?:md|markdown|rst|txt|html?|ipynb|ya?ml|json|py)\b",
                        re.IGNORECASE)
# An admission in running prose counts for its own sentence, and only when the sentence is short:
# "Authentication is not yet implemented." admits a missing control; "Turbomind currently reports
# scheduler metrics for DP 1; per-rank Turbomind metrics with DP greater than 1 are not yet
# supported." narrows one case of a control that is there.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MAX_PROSE_ADMISSION_WORDS = 14
GUIDE_FOLDERS = frozenset({"docs", "doc", "documentation", "guides", "guide", "tutorials", "tutorial", "examples",
                           "example", "samples", "cookbook", "notebooks", "user_guides", "getting_started"})


@dataclass
class Limits:
    file_bytes: int = MAX_FILE_BYTES
    total_bytes: int = MAX_TOTAL_BYTES
    files: int = MAX_FILES
    claims: int = MAX_CLAIMS


@dataclass
class Scope:
    open: bool  # items below it are admissions (a "To add" heading, a "Before production:" label)
    claimy: bool  # sentences below it are claims (a "Security" or "Production readiness" heading)
    depth: int = 7


@dataclass
class Found:
    claims: list[Claim] = field(default_factory=list)
    admissions: list[Admission] = field(default_factory=list)
    files_read: list[str] = field(default_factory=list)
    bytes_read: int = 0
    truncated: list[str] = field(default_factory=list)  # read only up to the per-file or total cap
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> files

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _matches(regex: re.Pattern[str] | None, text: str) -> bool:
    return bool(regex and regex.search(text))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


class _DocumentReader:
    """Walks one document line by line, keeping the headings and labels in force."""

    def __init__(self, mapping: ClaimMap, path: str):
        self.mapping = mapping
        self.syntax = mapping.syntax
        self.path = path
        self.readme = PurePosixPath(path).name.lower().startswith("readme")
        # A changelog records what was done: "add missing docker database deps" is the fix, not an
        # admission that something is missing. Its entries are still claims.
        self.changelog = PurePosixPath(path).name.lower().startswith(("changelog", "changes", "history"))
        self.headings: list[Scope] = []
        self.label: Scope | None = None  # a paragraph label ("**For Production, Add:**")
        self.item_label: Scope | None = None  # a list item that is only a label ("1. **Security**")
        # A README's opening paragraphs describe the service: claims. A README inside a docs,
        # guides or examples folder opens a guide (NeMo-Guardrails' docs/getting_started/*/README.md:
        # "This guide shows you how to create a guardrails configuration").
        self.intro = self.readme and not GUIDE_FOLDERS.intersection(PurePosixPath(path).parts[:-1])
        self.claims: list[Claim] = []
        self.admissions: list[Admission] = []
        marks = [(m, "checked") for m in self.syntax.checked_marks] + [(m, "unchecked") for m in self.syntax.unchecked_marks]
        self.marks = sorted(marks, key=lambda pair: -len(pair[0]))  # longest first: "✔️" before "✔"

    def scope_for(self, text: str, depth: int = 7) -> Scope:
        return Scope(open=_matches(self.syntax.open_scope, text), depth=depth,
                     claimy=_matches(self.syntax.claim_scope, text) and not _matches(self.syntax.advice_scope, text))

    def checkbox(self, body: str) -> tuple[str | None, str]:
        """('checked' | 'unchecked' | None, the text without its box or mark)."""
        match = _CHECKBOX.match(body)
        if match:
            return ("unchecked" if match.group(1) == " " else "checked"), body[match.end():]
        stripped = body.strip()
        for mark, state in self.marks:
            if stripped.startswith(mark):
                return state, stripped[len(mark):].lstrip(" \ufe0f:-")
            if stripped.endswith(mark):
                return state, stripped[: -len(mark)].rstrip(" \ufe0f:-")
        return None, body

    # ----------------------------------------------------------------------------------------

    def read(self, text: str) -> None:
        """Line by line; a paragraph or list item wrapped over several lines is read as one unit
        (a claim does not stop at a line break), cited by its first line."""
        in_fence = in_pre = in_code = False
        previous_blank = True
        unit: list = []  # [first line number, is a list item, text]
        rst = self.path.endswith(".rst")
        literal = False  # RST: the indented block that follows is code ("::", `.. code-block::`)

        def flush() -> None:
            nonlocal literal
            if unit:
                literal = rst and unit[2].rstrip().endswith("::")
                self.on_line(unit[2][:MAX_UNIT_CHARS], unit[1], unit[0])
                unit.clear()

        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw[:MAX_LINE_CHARS]
            if "://" in line or "](" in line:
                line = _BARE_ADDRESS.sub("", _LINK_TARGET.sub("]", line))
            if "." in line:
                line = _FILE_PATH.sub("", line)
            if _FENCE.match(line):
                flush()
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            if in_pre:
                in_pre = not _PRE_CLOSE.search(line)
                continue
            opened = _PRE_OPEN.search(line)
            if opened:
                flush()
                in_pre = not _PRE_CLOSE.search(line, opened.end())
                continue
            if not line.strip():
                flush()
                previous_blank = True
                continue
            indented = line[:1] in (" ", "\t")
            if in_code:  # an indented code block lasts while its lines stay indented
                if indented:
                    continue
                in_code = False
            if indented and previous_blank and not unit and (line.startswith(("    ", "\t")) or literal):
                in_code = True  # Markdown's indented code, an RST literal block (AIBrix's YAML and shell)
                continue
            if rst and line.startswith(".. "):  # an RST directive: code directives open a literal block
                flush()
                literal = bool(_RST_CODE_DIRECTIVE.match(line))
                previous_blank = True
                continue
            literal = False
            underline = _UNDERLINE.match(line.strip())
            if underline:  # a heading's underline (or an RST overline, or a rule: nothing to read)
                if unit and not unit[1] and unit[0] == number - 1:
                    self.on_heading(_UNDERLINE_DEPTH.get(underline.group(1), 3), unit[2], unit[0])
                    unit.clear()
                else:
                    flush()
                previous_blank = True
                continue
            item = _LIST_ITEM.match(line)
            heading = _HEADING.match(line.strip())
            if item or heading or line.lstrip().startswith("|"):
                flush()
            if heading:
                self.on_heading(len(heading.group(1)), heading.group(2), number)
            elif line.lstrip().startswith("|"):
                self.on_table_row(line.strip(), number)
            elif item:
                unit[:] = [number, True, item.group(1).strip()]
            elif unit and len(unit[2]) < MAX_UNIT_CHARS:
                unit[2] += " " + line.strip()
            elif not unit:
                unit[:] = [number, False, line.strip()]
            previous_blank = False
        flush()

    def on_heading(self, depth: int, title: str, number: int) -> None:
        self.headings = [h for h in self.headings if h.depth < depth] + [self.scope_for(title, depth)]
        self.label = self.item_label = None
        if depth >= 2:
            self.intro = False
        if not any(h.open for h in self.headings):
            self.statements(title, number)  # "## What makes this production-ready" says it is

    def is_label(self, body: str, is_item: bool) -> bool:
        body = _LEADING_SYMBOLS.sub("", body)
        if _BOLD_ONLY.match(body):
            return True
        # "Before deploying to production:" - a short line that introduces a list.
        return body.endswith(":") and len(body) <= 100 and (not is_item or body.count(" ") < 6)

    def on_line(self, body: str, is_item: bool, number: int) -> None:
        state, rest = self.checkbox(body)
        if self.is_label(rest.strip(), is_item):
            scope = self.scope_for(rest)
            if is_item:
                self.item_label = scope
            else:
                self.label, self.item_label = scope, None
            if not any(s.open for s in [*self.headings, scope]):
                self.statements(rest, number)  # "Status: production-ready:" is a label and a claim
            return
        scopes = [*self.headings, *(s for s in (self.label, self.item_label) if s)]
        open_scope = any(s.open for s in scopes)
        nearest = self.item_label or self.label or (self.headings[-1] if self.headings else None)
        claimy = (nearest.claimy if nearest else False) or (self.intro and not self.label)
        capabilities = [c.id for c in self.mapping.capabilities if c.regex.search(rest)]
        # A ticked item is done, under a "Roadmap" heading too (DocsGPT's "- [x] OpenTelemetry
        # observability ( April 2026 )"): it is a claim, never an admission.
        if state != "checked" and (state == "unchecked" or open_scope or _matches(self.syntax.admission, rest)):
            label = _BOLD_LABEL.match(_LEADING_SYMBOLS.sub("", rest.strip())) if is_item else None
            if label and state != "unchecked" and not open_scope and _matches(self.syntax.admission, label.group(1)):
                # The label is what is left open (NeMo-Guardrails' "**Agents (COMING SOON)**: Add
                # guardrails to your LLM-based agent" leaves agents open, not its guardrails).
                admitted = [c.id for c in self.mapping.capabilities if c.regex.search(label.group(1))]
                if admitted and not self.changelog:
                    self.admissions.append(Admission(_short(label.group(1)), self.path, number, admitted))
                return
            # Under "Known limitations" a long paragraph explains a problem, naming controls on the
            # way (DocsGPT's runbook: StrictMode's double connections "hit the cap and see HTTP
            # 429"); only its short sentences that say something is not done admit anything.
            whole = state == "unchecked" or is_item or (open_scope and len(rest.split()) <= MAX_PROSE_ADMISSION_WORDS)
            admitting = rest if whole else self.prose_admission(rest)
            admitted = capabilities if whole else [c.id for c in self.mapping.capabilities
                                                   if admitting and c.regex.search(admitting)]
            if admitted and not self.changelog and not _matches(self.syntax.not_admitting_regex, admitting):
                self.admissions.append(Admission(_short(admitting), self.path, number, admitted))
            return  # an open item is never a claim
        self.statements(rest, number)
        self.stated(rest, number)
        self.compliance(rest, number, ticked=state == "checked")
        if capabilities and (state == "checked" or claimy):
            kind = ClaimKind.CHECKLIST if state == "checked" else ClaimKind.CAPABILITY
            self.claims.append(Claim(_short(rest), self.path, number, kind, capabilities))

    def prose_admission(self, text: str) -> str:
        """The short sentences of a paragraph that say something is not done, joined ("" if none)."""
        return " ".join(sentence for sentence in _SENTENCE_END.split(text)
                        if _matches(self.syntax.admission, sentence)
                        and len(sentence.split()) <= MAX_PROSE_ADMISSION_WORDS)

    def on_table_row(self, row: str, number: int) -> None:
        """A table row counts only when a cell ticks or leaves open ("| Rate limiting | ✅ |");
        other tables (endpoints, settings) describe, they do not claim."""
        if _TABLE_SEPARATOR.match(row):
            return
        cells = [c.strip() for c in row.strip("|").split("|")]
        states = {self.checkbox(c)[0] for c in cells if c}
        state = "unchecked" if "unchecked" in states else "checked" if "checked" in states else None
        if state is None:
            return
        text = " | ".join(self.checkbox(c)[1] for c in cells if c and self.checkbox(c)[1].strip())
        self.on_line(("[ ] " if state == "unchecked" else "[x] ") + text, True, number)

    # ----------------------------------------------------------------------------------------

    def _negated(self, text: str, start: int) -> bool:
        return _matches(self.syntax.negation, text[max(0, start - 40):start])

    def _add_once(self, claim: Claim) -> None:
        """One claim per statement (or stated value) per file; repeats are listed as `also_at`."""
        for existing in self.claims:
            if existing.kind == claim.kind and existing.refs == claim.refs and existing.value == claim.value:
                existing.also_at.append(claim.line)
                return
        self.claims.append(claim)

    def statements(self, text: str, number: int) -> None:
        for statement in self.mapping.statements:
            match = statement.regex.search(text)
            if match and not self._negated(text, match.start()):
                self._add_once(Claim(_short(text), self.path, number, ClaimKind.STATEMENT, [statement.id],
                                     value=statement.level))

    def stated(self, text: str, number: int) -> None:
        stated = self.mapping.stated
        if stated is None or not stated.context_regex.search(text):
            return
        level = stated.level_regex.search(text)
        if level:
            self._add_once(Claim(_short(text), self.path, number, ClaimKind.LEVEL, ["level"], value=int(level.group(1))))
        score = stated.score_regex.search(text)
        if score and float(score.group(1)) <= 100:
            self._add_once(Claim(_short(text), self.path, number, ClaimKind.SCORE, ["score"],
                                 value=float(score.group(1))))

    def compliance(self, text: str, number: int, ticked: bool) -> None:
        compliance = self.mapping.compliance
        if compliance is None or not (ticked or compliance.context_regex.search(text)):
            return
        for claim in compliance.claims:
            match = claim.regex.search(text)
            if match and not self._negated(text, match.start()):
                self._add_once(Claim(_short(text), self.path, number, ClaimKind.COMPLIANCE, [claim.id]))


def find_in_text(text: str, path: str, mapping: ClaimMap) -> tuple[list[Claim], list[Admission]]:
    """The claims and admissions of one document (pure: table-testable without files)."""
    reader = _DocumentReader(mapping, path)
    reader.read(text)
    return reader.claims, reader.admissions


# --------------------------------------------------------------------------------------------


def documents(index: FileIndex, mapping: ClaimMap) -> list[str]:
    """The audited tree's documents that may hold claims, README first, then by path."""
    suffixes = {s.lower() for s in mapping.suffixes}
    found = [f.rel for f in index.glob(*mapping.files)
             if os.path.splitext(f.rel)[1].lower() in suffixes
             and not any(matches(f.rel, pattern) for pattern in mapping.exclude)]
    return sorted(found, key=lambda rel: (not PurePosixPath(rel).name.lower().startswith("readme"),
                                          rel.count("/"), rel))


def _read_prefix(path: os.PathLike, limit: int) -> tuple[bytes, bool]:
    """Up to `limit` bytes, and whether the file holds more. Never follows a symlink out: the
    index lists only regular files it walked."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    return data[:limit], len(data) > limit


def find_claims(index: FileIndex, mapping: ClaimMap, limits: Limits | None = None) -> Found:
    limits = limits or Limits()
    found = Found()
    for rel in documents(index, mapping):
        if len(found.files_read) >= limits.files:
            found.skip("over the file limit")
            continue
        budget = min(limits.file_bytes, limits.total_bytes - found.bytes_read)
        if budget <= 0:
            found.skip("over the total byte limit")
            continue
        try:
            data, more = _read_prefix(index.path(rel), budget)
        except OSError:
            found.skip("unreadable")
            continue
        if b"\x00" in data[:8192]:
            found.skip("binary")
            continue
        found.bytes_read += len(data)
        found.files_read.append(rel)
        if more:
            found.truncated.append(rel)
            data = data[: data.rfind(b"\n") + 1] or data  # do not judge a line cut in half
        claims, admissions = find_in_text(data.decode("utf-8", "replace"), rel, mapping)
        found.claims += claims[: max(0, limits.claims - len(found.claims))]
        found.admissions += admissions[: max(0, MAX_ADMISSIONS - len(found.admissions))]
    return found
