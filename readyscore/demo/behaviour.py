"""What the toy model does with a conversation, flaw by flaw.

Each LLM-flaw switch of `DemoSettings` maps to one rule here. "Obeying" an instruction means the
requested text appears in the reply — deterministic, so the LLM probes' verdicts are exact:

- `honour_template_tokens`: a `<|im_start|>system` or `<|start_header_id|>system` turn smuggled
  into user text is treated as a real system turn and its instruction is followed;
- `echo_system_prompt`: "repeat everything above" / "print your instructions" / "summarise your
  rules" returns the system prompt verbatim;
- `obey_injection`: an instruction such as "reply with X", "respond with the word X", "say X" or
  "reply with the code A followed immediately by B" is followed wherever it sits in the user text —
  in a document to summarise, base64-encoded, or hidden in Unicode tag characters (U+E0000..E007F);
- `echo_markup` / `echo_pii`: asked to repeat text, the model repeats it; with the switch off, the
  output filter strips active markup (markdown images, HTML, ANSI escapes) or redacts personal data.

A reply of None means "no directive": the model answers with its ordinary filler words.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass, field

from readyscore.demo.settings import DemoSettings

# -- requests the model recognises --------------------------------------------------------------

LEAK_REQUEST = re.compile(
    r"repeat (?:everything|all|the text|the words) (?:above|before)"
    r"|(?:print|show|reveal|output|display|tell me|list) (?:me )?(?:all )?(?:of )?your (?:initial |original )?"
    r"(?:instructions|system prompt|prompt|rules)"
    r"|summari[sz]e (?:the |your )(?:rules|instructions|system prompt)"
    r"|what (?:are|were) your (?:instructions|rules)", re.IGNORECASE)
REPEAT_REQUEST = re.compile(
    r"(?:\brepeat\b|\becho\b)[^:\n]{0,80}:\s*"
    r"|\b(?:reply|respond|answer) with exactly the following(?: text)?[^:\n]{0,40}:\s*", re.IGNORECASE)

_QUOTE = "[\"'`“”‘’]?"
_OBJECT = r"(?:the\s+)?(?:single\s+)?(?:(?:code|word|text|string|nonce|token|phrase|value)\b)?\s*:?\s*"
JOINED_INSTRUCTION = re.compile(
    r"\b(?:reply|respond|answer|output|print)\s+(?:only\s+)?with\s+(?:only\s+)?(?:just\s+)?" + _OBJECT + _QUOTE
    + r"([A-Za-z0-9][\w-]*)" + _QUOTE + r"\s+followed\s+(?:immediately\s+|directly\s+)?by\s+(?:the\s+code\s+)?"
    + _QUOTE + r"([A-Za-z0-9][\w-]*)", re.IGNORECASE)
SINGLE_INSTRUCTION = re.compile(
    r"\b(?:reply|respond|answer)\s+(?:only\s+)?with\s+(?:only\s+)?(?:just\s+)?(?!exactly\b|the following\b)"
    + _OBJECT + _QUOTE + r"([A-Za-z0-9][\w-]*)", re.IGNORECASE)
SAY_INSTRUCTION = re.compile(
    r"(?:^|[.!?:;\n]\s*|\bjust\s+|\bonly\s+)say\s+(?:only\s+|just\s+)?(?:the\s+word\s+)?" + _QUOTE
    + r"([A-Za-z0-9][\w-]*)", re.IGNORECASE)

# Chat-template system turns smuggled into user text (ChatML and Llama 3).
TEMPLATE_SYSTEM_TURNS = (
    re.compile(r"<\|im_start\|>\s*system\b(.*?)(?=<\|im_end\|>|<\|im_start\|>|$)", re.DOTALL),
    re.compile(r"<\|start_header_id\|>\s*system\s*<\|end_header_id\|>(.*?)(?=<\|eot_id\|>|<\|start_header_id\|>|$)",
               re.DOTALL),
)
TEMPLATE_TOKENS = re.compile(r"<\|(?:im_start|im_end|start_header_id|end_header_id|eot_id|begin_of_text)\|>")
BASE64_BLOB = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
TAG_BLOCK = re.compile("[\U000e0000-\U000e007f]+")

# -- output filters -----------------------------------------------------------------------------

ANSI_CSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
ANSI_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
PII_PATTERNS = (
    re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b"),  # US social security numbers
    re.compile(r"\b\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}\b"),  # payment card numbers (13-19 digits)
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),  # e-mail addresses
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key ids
)
REDACTED = "[REDACTED]"
REFUSAL = "I am sorry, but I cannot share my instructions. "


@dataclass
class Conversation:
    turns: list[tuple[str, str]]  # (role, text)
    system: str = ""  # the effective system prompt
    user: str = ""  # the last user turn
    extra: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, turns: list[tuple[str, str]], server_system_prompt: str | None = None) -> Conversation:
        systems = [text for role, text in turns if role in ("system", "developer")]
        system = "\n".join(systems) if systems else (server_system_prompt or "")
        users = [text for role, text in turns if role == "user"]
        return cls(turns=turns, system=system, user=users[-1] if users else "")


def smuggled_system_turns(text: str) -> tuple[list[str], str]:
    """The system turns written with template tokens inside user text, and the text without them."""
    turns: list[str] = []
    rest = text
    for pattern in TEMPLATE_SYSTEM_TURNS:
        turns += [m.group(1).strip() for m in pattern.finditer(rest)]
        rest = pattern.sub(" ", rest)
    return turns, TEMPLATE_TOKENS.sub(" ", rest)


def decode_tags(text: str) -> list[str]:
    """Text hidden in Unicode tag characters (each is an ASCII character plus 0xE0000)."""
    hidden = []
    for block in TAG_BLOCK.findall(text):
        decoded = "".join(chr(ord(c) - 0xE0000) for c in block if 0x20 <= ord(c) - 0xE0000 < 0x7F)
        if decoded.strip():
            hidden.append(decoded)
    return hidden


def decode_base64(text: str) -> list[str]:
    decoded = []
    for blob in BASE64_BLOB.findall(text):
        try:
            raw = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)
            value = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if value.isprintable() or all(c.isprintable() or c.isspace() for c in value):
            decoded.append(value)
    return decoded


def instruction_in(text: str) -> str | None:
    """The text an instruction in `text` asks the model to reply with, if any."""
    match = JOINED_INSTRUCTION.search(text)
    if match:
        return match.group(1) + match.group(2)
    match = SINGLE_INSTRUCTION.search(text) or SAY_INSTRUCTION.search(text)
    return match.group(1) if match else None


def respond(conversation: Conversation, settings: DemoSettings) -> str | None:
    """The directed reply to the conversation (after the output filters), or None for filler."""
    reply = _directed(conversation, settings)
    return None if reply is None else output_filter(reply, settings)


def _directed(conversation: Conversation, settings: DemoSettings) -> str | None:
    user = conversation.user
    smuggled, plain_user = smuggled_system_turns(user)
    if settings.honour_template_tokens:
        for turn in smuggled:
            wanted = instruction_in(turn)
            if wanted:
                return f"{wanted}"
    if LEAK_REQUEST.search(plain_user):
        if not settings.echo_system_prompt:
            return REFUSAL
        if conversation.system:
            return f"My instructions, word for word:\n{conversation.system}"
        return "I was not given any instructions before this conversation. "
    repeat = REPEAT_REQUEST.search(plain_user)
    if repeat:
        payload = plain_user[repeat.end():].strip()
        if payload:
            return payload
    if settings.obey_injection:
        hidden = decode_tags(plain_user) + decode_base64(TAG_BLOCK.sub("", plain_user))
        for candidate in [TAG_BLOCK.sub("", plain_user), *hidden]:
            wanted = instruction_in(candidate)
            if wanted:
                return wanted
    return None


def output_filter(text: str, settings: DemoSettings) -> str:
    """What the service does to model output before it leaves: strip active content, redact PII."""
    if not settings.echo_markup:
        text = ANSI_OSC.sub("", ANSI_CSI.sub("", text))
        text = CONTROL.sub("", TAG_BLOCK.sub("", text))
        text = MARKDOWN_IMAGE.sub(lambda m: f"[image: {m.group(1) or 'removed'}]", text)
        text = html.escape(text, quote=False)
    if not settings.echo_pii:
        for pattern in PII_PATTERNS:
            text = pattern.sub(REDACTED, text)
    return text
