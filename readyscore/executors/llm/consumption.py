"""Unbounded consumption (OWASP LLM10:2025): does the service hold the limits a caller sets?

- max_tokens honoured: a long task with `max_tokens=16` must stop with `finish_reason: "length"`
  and report `usage.completion_tokens` within the cap;
- large `n`: asking for many choices at once is rejected (4xx) or clamped (few choices, usage
  within the cap), never served in full;
- context overflow: a prompt of about twice the context window is answered with a 4xx (such as
  `context_length_exceeded`), never a 5xx or a timeout.

The absurd-max_tokens and oversized-body cases belong to the live probes; these extend them.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from readyscore.executors.live.openai import ChatAnswer
from readyscore.executors.llm.probe import LlmProbe, Outcome, Variant, Verdict
from readyscore.executors.llm.session import LlmSession
from readyscore.executors.registry import register
from readyscore.model import CheckSpec, Result

LONG_TASK = ("Write a detailed essay of at least 500 words about the history of tea, in numbered paragraphs, "
             "covering China, Japan, India and Britain.")


def rough_tokens(text: str) -> int:
    """A tokenizer-free estimate (about 4 characters or 0.75 words per token, whichever is larger)."""
    return max(len(text) // 4, round(len(re.findall(r"\S+", text)) / 0.75))


# --------------------------------------------------------------------------------------------


class MaxTokensParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cap: int = Field(default=16, ge=1, le=256)


def judge_max_tokens(cap: int):
    def judge(answer: ChatAnswer) -> Verdict:
        status = answer.exchange.status or 0
        if status >= 400:
            return Verdict(Outcome.ERROR, f"a valid request with max_tokens={cap} got HTTP {status}")
        used = (answer.usage or {}).get("completion_tokens")
        estimate = rough_tokens(answer.content or "")
        if used is not None and used > cap:
            return Verdict(Outcome.FAILED, f"usage.completion_tokens={used} > max_tokens={cap}")
        if used is None and estimate > 2 * cap:
            return Verdict(Outcome.FAILED, f"no usage reported and the answer is about {estimate} tokens, "
                                           f"far over max_tokens={cap}")
        if answer.finish_reason == "length":
            if used is None:
                # No usage to check against: the length of the answer has to do (live-usage-reported
                # holds the service to reporting usage).
                return Verdict(Outcome.PASSED, f"finish_reason \"length\"; usage not reported, the answer is "
                                               f"about {estimate} tokens (estimated)")
            return Verdict(Outcome.PASSED, f"finish_reason \"length\" and usage.completion_tokens={used} <= {cap}")
        if estimate > 2 * cap:
            return Verdict(Outcome.FAILED, f"finish_reason {answer.finish_reason!r} and an answer of about "
                                           f"{estimate} tokens: max_tokens={cap} was not applied")
        if used is not None and used >= cap:
            return Verdict(Outcome.FAILED, f"usage.completion_tokens={used} reached the cap but finish_reason is "
                                           f"{answer.finish_reason!r}, not \"length\": callers cannot tell the "
                                           "answer was cut")
        # The model stopped on its own before the cap: nothing was capped, so nothing can be judged.
        return Verdict(Outcome.SKIPPED, f"the model ended by itself (finish_reason {answer.finish_reason!r}, "
                                        f"{used if used is not None else f'about {estimate}'} tokens) before "
                                        f"max_tokens={cap}; the cap was never reached")
    return judge


@register
class MaxTokensProbe(LlmProbe):
    kind = "llm_max_tokens_honoured"
    Params = MaxTokensParams
    description = "A long task with a small max_tokens must end with finish_reason \"length\" and usage within the cap."
    what = "max_tokens honoured"

    def probe(self, spec: CheckSpec, params: MaxTokensParams, ctx, llm: LlmSession) -> Result:
        body = llm.body([{"role": "user", "content": LONG_TASK}], max_tokens=params.cap)
        variant = Variant(name=f"max_tokens={params.cap}", body=body, refusal_passes=False,
                          shown=f"max_tokens={params.cap}; user: {LONG_TASK}", judge=judge_max_tokens(params.cap))
        return self.run_variants(spec, [variant], ctx, llm, extra_metrics={"cap": params.cap})


# --------------------------------------------------------------------------------------------


class LargeNParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n: int = Field(default=64, ge=2, le=1024)
    max_tokens: int = Field(default=4, ge=1, le=64)


def judge_large_n(n: int, max_n: int, max_tokens: int):
    def judge(answer: ChatAnswer) -> Verdict:
        status = answer.exchange.status or 0
        if 400 <= status < 500:
            return Verdict(Outcome.PASSED, f"rejected with HTTP {status}")
        served = answer.choices
        used = (answer.usage or {}).get("completion_tokens")
        if served > max_n:
            return Verdict(Outcome.FAILED, f"served {served} choices for n={n} (the limit is llm.max_n={max_n})")
        if used is not None and used > served * max_tokens:
            return Verdict(Outcome.FAILED, f"clamped to {served} choice(s) but usage.completion_tokens={used} "
                                           f"exceeds {served} x max_tokens={max_tokens}")
        return Verdict(Outcome.PASSED, f"clamped: {served} choice(s) for n={n}"
                                       + (f", usage.completion_tokens={used}" if used is not None else ""))
    return judge


@register
class LargeNProbe(LlmProbe):
    kind = "llm_large_n"
    Params = LargeNParams
    description = "A request for many choices (n) is rejected with a 4xx or clamped to llm.max_n, never served in full."
    what = "large n rejected or clamped"

    def probe(self, spec: CheckSpec, params: LargeNParams, ctx, llm: LlmSession) -> Result:
        body = llm.body([{"role": "user", "content": "Name one colour."}], max_tokens=params.max_tokens, n=params.n)
        # The twin asks for one choice: a 4xx to n=64 is a limit only if n=1 is served.
        twin_of = {k: v for k, v in body.items() if k != "n"}
        variant = Variant(name=f"n={params.n}", body=body, refusal_passes=False, server_errors_fail=True, twin_of=twin_of,
                          shown=f"n={params.n}, max_tokens={params.max_tokens}; user: Name one colour.",
                          judge=judge_large_n(params.n, llm.settings.max_n, params.max_tokens))
        return self.run_variants(spec, [variant], ctx, llm, extra_metrics={"n": params.n})


# --------------------------------------------------------------------------------------------


class ContextOverflowParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    factor: float = Field(default=2.0, ge=1.2, le=8.0, description="prompt size as a multiple of the window")


# " a" is one token in every BPE vocabulary we know of, so the filler's size in tokens is predictable.
FILLER_UNIT = "a "
FILLER_BYTES_PER_TOKEN = len(FILLER_UNIT)


def judge_overflow(window: int, source: str):
    def judge(answer: ChatAnswer) -> Verdict:
        status = answer.exchange.status or 0
        if 400 <= status < 500:
            code = _error_code(answer)
            return Verdict(Outcome.PASSED, f"rejected with HTTP {status}" + (f" ({code})" if code else ""))
        prompt_tokens = (answer.usage or {}).get("prompt_tokens")
        if source == "assumed":
            return Verdict(Outcome.SKIPPED, f"answered HTTP {status} to a prompt sized for an assumed window of "
                                            f"{window} tokens; the real window may be larger — set "
                                            "llm.context_window to decide")
        if prompt_tokens is not None and prompt_tokens > window:
            return Verdict(Outcome.FAILED, f"answered HTTP {status} with usage.prompt_tokens={prompt_tokens} > the "
                                           f"declared window {window}: the declared window is wrong")
        return Verdict(Outcome.FAILED, f"answered HTTP {status}: the over-long prompt was silently truncated "
                                       "instead of being rejected")
    return judge


def _error_code(answer: ChatAnswer) -> str | None:
    payload = answer.exchange.json()
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        code = error.get("code") or error.get("type")
        return str(code)[:60] if code else None
    return None


@register
class ContextOverflowProbe(LlmProbe):
    kind = "llm_context_overflow"
    Params = ContextOverflowParams
    description = ("A prompt of about twice the context window (from config or /v1/models) must get a 4xx, "
                   "never a 5xx or a timeout.")
    what = "context-window overflow"

    def probe(self, spec: CheckSpec, params: ContextOverflowParams, ctx, llm: LlmSession) -> Result:
        window, source = llm.context_window, llm.context_source
        if window is None:
            window, source = llm.settings.assumed_context_window, "assumed"
        tokens = int(window * params.factor)
        size = tokens * FILLER_BYTES_PER_TOKEN
        if size > llm.settings.overflow_max_bytes:
            return Result.not_evaluated(spec.id, f"a prompt of {params.factor:g}x the {window}-token window "
                                                 f"({source}) would be {size / 1048576:.1f} MiB, over "
                                                 f"llm.overflow_max_bytes")
        prompt = "Count the words in the following text.\n" + FILLER_UNIT * tokens
        body = llm.body([{"role": "user", "content": prompt}], max_tokens=8)
        # The twin is the same request at a size well inside the window: a 4xx is about the length
        # only if that one is served.
        twin_of = llm.body([{"role": "user", "content": prompt[:400]}], max_tokens=8)
        variant = Variant(name=f"~{tokens} tokens", body=body, refusal_passes=False, server_errors_fail=True,
                          twin_of=twin_of,
                          shown=f"user: 'Count the words in the following text.' + {tokens} x {FILLER_UNIT!r} "
                                f"({size} bytes; window {window} tokens from {source})",
                          judge=judge_overflow(window, source))
        return self.run_variants(spec, [variant], ctx, llm,
                                 extra_metrics={"context_window": window, "context_source": source,
                                                "prompt_tokens_sent": tokens, "prompt_bytes": size})

