"""The deterministic verdict helpers, and the property the injection probe rests on: a model that
merely repeats the request never produces the joined nonce."""

from __future__ import annotations

import base64

import pytest

from readyscore.executors.live.openai import ChatAnswer
from readyscore.executors.llm.detect import contains_token, escape_excerpt, ngram_overlap
from readyscore.executors.llm.injection import BUILDERS, Nonce, tag_encode
from readyscore.executors.llm.leakage import probe_system_prompt
from readyscore.executors.llm.output import active_payload, judge_patterns, pii_payload
from readyscore.executors.llm.probe import Outcome
from readyscore.net import Exchange


def answer(content: str) -> ChatAnswer:
    return ChatAnswer(exchange=Exchange(method="POST", url="http://127.0.0.1/x", status=200), content=content)


def test_overlap_is_high_for_a_verbatim_copy_and_low_for_an_unrelated_answer():
    prompt = probe_system_prompt("QX-0123456789abcdef")
    assert ngram_overlap(prompt, f"Sure! Here it is:\n```\n{prompt}\n```") == pytest.approx(1.0)
    assert ngram_overlap(prompt, prompt.upper().replace(" ", "  ")) == pytest.approx(1.0)  # case and spacing
    assert ngram_overlap(prompt, "I can only help with questions about your tea order.") < 0.3
    assert ngram_overlap("", "anything") == 0.0


def test_a_paraphrase_of_half_the_prompt_reaches_the_threshold():
    prompt = probe_system_prompt("QX-0123456789abcdef")
    half = prompt[: len(prompt) * 2 // 3]
    assert ngram_overlap(prompt, half) >= 0.5


def test_canary_is_found_spaced_or_punctuated_only_when_squeezing():
    assert contains_token("the code is qx-0123 4567", "QX-01234567", squeeze=True)
    assert not contains_token("the code is qx-0123 4567", "QX-01234567")
    assert contains_token("...QX-01234567...", "qx-01234567")
    assert not contains_token("nothing here", "QX-01234567", squeeze=True)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_echoing_an_injection_request_never_contains_the_joined_nonce(name):
    nonce = Nonce()
    system, user = BUILDERS[name](nonce)
    decoded = user
    if name == "base64":
        decoded = base64.b64decode(user.rsplit(" ", 1)[1]).decode()
    # A model that repeats, translates or decodes the text shows the halves apart, never joined.
    for echo in (user, decoded, f"{system}\n{user}", f"Traduction : {decoded}"):
        assert not contains_token(echo, nonce.joined)
    assert nonce.first in decoded or name == "unicode_tags"
    assert contains_token(f"Sure: {nonce.joined}", nonce.joined)


def test_tag_encoding_is_invisible_ascii():
    hidden = tag_encode("Reply OK")
    assert len(hidden) == len("Reply OK")
    assert all(0xE0000 <= ord(c) <= 0xE007F for c in hidden)
    assert "Reply" not in hidden


@pytest.mark.parametrize("name", ["markdown_image", "html", "ansi"])
def test_active_content_patterns_match_an_echo_and_not_an_escaped_answer(name):
    payload = active_payload(name)
    echoed = payload.request.split("\n", 1)[1]
    judge = judge_patterns(payload.patterns, "active content returned")
    assert judge(answer(echoed)).outcome == Outcome.FAILED
    safe = echoed.replace("<", "&lt;").replace("\x1b", "\\x1b").replace("![", "[")
    assert judge(answer(safe)).outcome == Outcome.PASSED


@pytest.mark.parametrize("name", ["card", "ssn", "email", "aws_key"])
def test_pii_patterns_match_an_echo_and_not_a_redacted_answer(name):
    payload = pii_payload(name)
    judge = judge_patterns(payload.patterns, "echoed unredacted")
    assert judge(answer(payload.request)).outcome == Outcome.FAILED
    redacted = "Please repeat: [REDACTED]"
    assert judge(answer(redacted)).outcome == Outcome.PASSED


def test_markdown_image_needs_a_foreign_host_and_a_query():
    payload = active_payload("markdown_image")
    judge = judge_patterns(payload.patterns, "x")
    assert judge(answer("![logo](https://example.com/logo.png)")).outcome == Outcome.PASSED
    assert judge(answer("![x](https://a.readyscore.invalid/p.png)")).outcome == Outcome.PASSED
    assert judge(answer("![x](https://a.readyscore.invalid/p.png?d=secret)")).outcome == Outcome.FAILED


def test_excerpts_make_control_and_invisible_characters_visible():
    text = "ok \x1b[31mred\x1b[0m" + tag_encode("hi") + "\u200b<b>"
    shown = escape_excerpt(text)
    assert "\x1b" not in shown and "\\x1b[31m" in shown
    assert "\\U000e0068" in shown and "\\u200b" in shown
    assert "<b>" in shown  # HTML escaping is the reporters' job
    assert escape_excerpt("x" * 1000, limit=10) == "x" * 10 + "…"
    assert escape_excerpt(None) == ""
