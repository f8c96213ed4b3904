"""A deterministic toy language model: no weights, same answer for the same request.

A token is one whitespace-separated word (with the whitespace after it, so joining the tokens
gives the text back exactly). The reply is what `behaviour.respond` decides for the conversation
(an obeyed instruction, a leaked prompt, an echo) or else plain filler words picked by a hash of
the prompt, between 20 and 60 of them, so it reads like a sentence and never changes between runs.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from typing import Any

from readyscore.demo.behaviour import Conversation, respond
from readyscore.demo.settings import DemoSettings

VOCABULARY = (  # noqa: SIM905 - a paragraph of words reads better than a list of 80 strings
    "the a of to and in is that for it as with on by this be are from at or an was which can will "
    "service model request answer token latency system user data cache queue server client stream "
    "steady quiet bright gentle rapid careful simple early later often always never perhaps indeed "
    "tea kettle garden river morning evening window letter harbour lantern meadow orchard compass "
    "builds carries follows returns measures answers keeps shows holds reads writes moves waits"
).split()
MIN_NATURAL, MAX_NATURAL = 20, 60
# Whatever a request or a flaw says, one choice never streams more than this: the demo must not be
# made to tie up a test machine for hours by echoing a 4 MiB body one word at a time.
HARD_MAX_TOKENS = 4096
_WORD = re.compile(r"\S+")
_TOKEN = re.compile(r"\S+\s*")


def count_tokens(text: str) -> int:
    return len(_WORD.findall(text))


def tokenize(text: str) -> list[str]:
    """Words with their trailing whitespace: `"".join(tokenize(t)) == t.lstrip()`."""
    return _TOKEN.findall(text.lstrip())


def content_text(content: Any) -> str:
    """A message's content as text: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)


@dataclass
class Completion:
    tokens: list[str]
    finish_reason: str  # "stop" | "length"

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    @property
    def completion_tokens(self) -> int:
        return len(self.tokens)


def usage(prompt_tokens: int, completions: list[Completion]) -> dict[str, int]:
    completion_tokens = sum(c.completion_tokens for c in completions)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


class ToyModel:
    def __init__(self, settings: DemoSettings):
        self.settings = settings

    def prompt_tokens(self, messages: list[dict[str, Any]]) -> int:
        return sum(count_tokens(content_text(m.get("content"))) for m in messages)

    def complete(self, messages: list[dict[str, Any]], *, max_tokens: int | None = None, n: int = 1,
                 seed: int | None = None) -> list[Completion]:
        conversation = Conversation.of(
            [(str(m.get("role", "user")), content_text(m.get("content"))) for m in messages],
            server_system_prompt=self.settings.system_prompt)
        directed = respond(conversation, self.settings)
        key = "\x1e".join(f"{role}\x1f{text}" for role, text in conversation.turns) + f"\x1e{seed}"
        return [self._one(directed, key, index, max_tokens) for index in range(n)]

    def _one(self, directed: str | None, key: str, index: int, max_tokens: int | None) -> Completion:
        digest = hashlib.sha256(f"{key}\x1e{index}".encode()).digest()
        if directed is not None:
            tokens = tokenize(directed)
        else:
            length = MIN_NATURAL + int.from_bytes(digest[:4], "big") % (MAX_NATURAL - MIN_NATURAL + 1)
            tokens = filler(random.Random(digest), length)
        if max_tokens is not None and not self.settings.ignore_max_tokens and len(tokens) > max_tokens:
            return Completion(tokens[:max_tokens], "length")
        if len(tokens) > HARD_MAX_TOKENS:
            return Completion(tokens[:HARD_MAX_TOKENS], "length")
        return Completion(tokens, "stop")


def filler(rng: random.Random, length: int) -> list[str]:
    """`length` words that read like sentences: a capital after each full stop."""
    words: list[str] = []
    sentence_left = rng.randint(6, 12)
    capital = True
    for position in range(length):
        word = rng.choice(VOCABULARY)
        if capital:
            word = word.capitalize()
            capital = False
        sentence_left -= 1
        last = position == length - 1
        if sentence_left == 0 or last:
            word += "."
            capital = True
            sentence_left = rng.randint(6, 12)
        words.append(word if last else word + " ")
    return words
