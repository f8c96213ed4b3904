"""The limit probes' verdicts, decided from an answer alone (no server needed: the judges are pure)."""

from __future__ import annotations

from readyscore.executors.live.openai import ChatAnswer
from readyscore.executors.llm.consumption import judge_large_n, judge_max_tokens, judge_overflow, rough_tokens
from readyscore.executors.llm.leakage import judge_leak, probe_system_prompt
from readyscore.executors.llm.probe import Outcome, read_http
from readyscore.net import Exchange

LONG = " ".join(["word"] * 200)


def answer(content="", status=200, finish=None, usage=None, choices=1, error=None, body=b"{}"):
    exchange = Exchange(method="POST", url="http://127.0.0.1/v1/chat/completions", status=status, error=error,
                        body=body)
    return ChatAnswer(exchange=exchange, content=content, finish_reason=finish, usage=usage, choices=choices)


def test_max_tokens_honoured_needs_length_and_usage_within_the_cap():
    judge = judge_max_tokens(16)
    assert judge(answer("a " * 16, finish="length", usage={"completion_tokens": 16})).outcome == Outcome.PASSED
    assert judge(answer("a " * 16, finish="length")).outcome == Outcome.PASSED  # no usage: estimated
    assert judge(answer(LONG, finish="stop", usage={"completion_tokens": 200})).outcome == Outcome.FAILED
    assert judge(answer(LONG, finish="length", usage={"completion_tokens": 17})).outcome == Outcome.FAILED
    assert judge(answer(LONG, finish="stop")).outcome == Outcome.FAILED  # no usage, far too long
    assert judge(answer("a " * 16, finish="stop", usage={"completion_tokens": 16})).outcome == Outcome.FAILED
    # Ended by itself under the cap: nothing was capped, nothing to judge.
    assert judge(answer("Tea.", finish="stop", usage={"completion_tokens": 2})).outcome == Outcome.SKIPPED
    assert judge(answer(status=400)).outcome == Outcome.ERROR


def test_large_n_is_rejected_or_clamped():
    judge = judge_large_n(64, 8, 4)
    assert judge(answer(status=400)).outcome == Outcome.PASSED
    assert judge(answer("red", choices=1, usage={"completion_tokens": 1})).outcome == Outcome.PASSED
    assert judge(answer("red", choices=8, usage={"completion_tokens": 32})).outcome == Outcome.PASSED
    assert judge(answer("red", choices=64)).outcome == Outcome.FAILED
    assert judge(answer("red", choices=4, usage={"completion_tokens": 400})).outcome == Outcome.FAILED


def test_limit_tests_count_5xx_and_timeouts_as_failures_attacks_as_errors():
    assert read_http(answer(status=500), refusal_passes=False, server_errors_fail=True).outcome == Outcome.FAILED
    assert read_http(answer(status=None, error="timed out"), False, True).outcome == Outcome.FAILED
    assert read_http(answer(status=500), refusal_passes=True).outcome == Outcome.ERROR
    assert read_http(answer(status=400), refusal_passes=True).outcome == Outcome.PASSED  # a refused attack
    assert read_http(answer(status=400), refusal_passes=False) is None  # the limit test's judge decides
    for status in (401, 403, 404, 429):
        assert read_http(answer(status=status), refusal_passes=True).outcome == Outcome.ERROR


def test_overflow_verdicts():
    code = b'{"error": {"code": "context_length_exceeded"}}'
    passed = judge_overflow(2048, "/v1/models")(answer(status=400, body=code))
    assert passed.outcome == Outcome.PASSED and "context_length_exceeded" in passed.detail
    assert judge_overflow(2048, "config")(answer("12", usage={"prompt_tokens": 2048})).outcome == Outcome.FAILED
    wrong = judge_overflow(2048, "config")(answer("12", usage={"prompt_tokens": 4096}))
    assert wrong.outcome == Outcome.FAILED and "declared window is wrong" in wrong.detail
    assert judge_overflow(2048, "assumed")(answer("12")).outcome == Outcome.SKIPPED


def test_leak_verdicts():
    canary = "QX-0123456789abcdef"
    prompt = probe_system_prompt(canary)
    judge = judge_leak(canary, prompt, 0.5)
    assert judge(answer("I can only help with tea orders.")).outcome == Outcome.PASSED
    assert judge(answer("The code is QX 0123 4567 89ab cdef")).outcome == Outcome.FAILED
    paraphrase = prompt.replace(canary, "[hidden]")
    verdict = judge(answer(paraphrase))
    assert verdict.outcome == Outcome.FAILED and "4-gram overlap" in verdict.detail
    server = judge_leak("SRV-abcdef123456", None, 0.5)
    assert server(answer(paraphrase)).outcome == Outcome.PASSED  # only the server canary counts there
    assert canary not in judge(answer(canary)).detail  # the canary is masked in the evidence


def test_rough_tokens():
    assert rough_tokens("") == 0
    assert 10 <= rough_tokens("one two three four five six seven eight") <= 12
    assert rough_tokens("x" * 400) == 100
