"""The SSE timing parser: what counts as a token, when, and what makes a stream broken."""

from __future__ import annotations

import json

import pytest

from readyscore.loadgen.sse import StreamTimer, read_usage_tokens


def chunk(delta: dict, finish: str | None = None) -> bytes:
    payload = {"id": "c", "object": "chat.completion.chunk",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


USAGE = b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}\n\n'
DONE = b"data: [DONE]\n\n"


def feed_all(parts: list[tuple[float, bytes]], end: float | None = None):
    timer = StreamTimer(started=0.0)
    for arrived, data in parts:
        timer.feed(data, arrived)
    return timer.close(end if end is not None else parts[-1][0])


def test_ttft_gaps_and_e2e_come_from_content_events_only():
    timing = feed_all([(0.05, chunk({"role": "assistant", "content": ""})),  # role chunk sent early
                       (0.20, chunk({"content": "a"})), (0.22, chunk({"content": "b"})),
                       (0.25, chunk({"content": "c"})), (0.26, chunk({}, "stop")), (0.27, USAGE), (0.27, DONE)])
    assert timing.ttft == pytest.approx(0.20)
    assert timing.last_content == pytest.approx(0.25)
    assert timing.gaps == pytest.approx([0.02, 0.03])
    assert timing.end == pytest.approx(0.27)
    assert timing.tokens == 7 and timing.token_count_source == "usage"
    assert timing.finish_reason == "stop" and timing.done and timing.problem() is None


def test_without_usage_tokens_are_counted_events():
    timing = feed_all([(0.1, chunk({"role": "assistant", "content": "a"})), (0.2, chunk({"content": "b"})),
                       (0.3, chunk({}, "length")), (0.3, DONE)])
    assert timing.tokens == 2 and timing.token_count_source == "events"


def test_keepalives_crlf_other_fields_and_no_space_after_colon_are_tolerated():
    body = (b": keep-alive\r\n\r\nid: 1\r\nretry: 100\r\nevent: message\r\n"
            b'data:{"choices":[{"delta":{"content":"x"},"finish_reason":null}]}\r\n\r\n'
            b": ping\r\n\r\n" + DONE.replace(b"\n", b"\r\n"))
    timing = feed_all([(0.4, body)])
    assert timing.ttft == pytest.approx(0.4) and timing.content_events == 1 and timing.done
    assert timing.invalid_events == 0


def test_an_event_split_across_reads_is_timed_when_it_completes():
    event = chunk({"content": "hello"})
    timing = feed_all([(0.1, event[:9]), (0.3, event[9:]), (0.3, DONE)])
    assert timing.ttft == pytest.approx(0.3)


def test_events_in_one_read_share_its_timestamp():
    timing = feed_all([(0.2, chunk({"content": "a"}) + chunk({"content": "b"}) + chunk({"content": "c"})),
                       (0.2, DONE)])
    assert timing.content_events == 3 and timing.gaps == [0.0, 0.0]


def test_reasoning_and_tool_calls_are_content_but_empty_and_usage_chunks_are_not():
    timing = feed_all([(0.1, chunk({})), (0.15, b'data: {"choices":[]}\n\n'),
                       (0.2, chunk({"reasoning_content": "thinking"})),
                       (0.3, chunk({"tool_calls": [{"index": 0, "function": {"name": "f"}}]})),
                       (0.4, chunk({"content": ""})), (0.5, USAGE), (0.5, DONE)])
    assert timing.ttft == pytest.approx(0.2) and timing.last_content == pytest.approx(0.3)
    assert timing.content_events == 2


def test_error_event_inside_a_200_stream_is_a_failure():
    timing = feed_all([(0.1, chunk({"content": "a"})),
                       (0.2, b'event: error\ndata: {"error": {"message": "model crashed"}}\n\n')])
    assert timing.problem()[0] == "stream_error" and "model crashed" in timing.problem()[1]


def test_a_stream_without_done_or_finish_reason_is_truncated_and_its_twin_is_not():
    cut = feed_all([(0.1, chunk({"content": "a"})), (0.2, chunk({"content": "b"}))])
    assert cut.problem()[0] == "truncated"
    whole = feed_all([(0.1, chunk({"content": "a"})), (0.2, chunk({"content": "b"}, "stop"))])
    assert whole.problem() is None  # a finish_reason ends a stream even without [DONE]


def test_a_final_event_without_blank_line_is_flushed_at_close():
    timing = feed_all([(0.1, chunk({"content": "a"})), (0.2, b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}')])
    assert timing.finish_reason == "stop" and timing.problem() is None


@pytest.mark.parametrize("garbage", [b"<html>not a stream</html>", b"\x00\xff\xfe" * 50,
                                     b"data: {not json}\n\n", b"data: [1, 2]\n\n", b"data: null\n\n"])
def test_garbage_never_raises_and_is_flagged(garbage):
    timing = feed_all([(0.1, garbage)])
    assert timing.problem() is not None and timing.content_events == 0


def test_an_oversized_line_is_cut_and_flagged():
    timer = StreamTimer(0.0)
    for i in range(20):
        timer.feed(b"x" * 100_000, 0.1 * i)
    timing = timer.close(2.0)
    assert timing.oversized and timing.problem()[0] == "invalid"


def test_non_streamed_usage_is_read_defensively():
    assert read_usage_tokens(b'{"choices":[{"message":{"content":"x"}}],"usage":{"completion_tokens":3}}') == (3, True, None)
    assert read_usage_tokens(b'{"choices":[{"message":{"content":"x"}}]}') == (None, True, None)
    assert read_usage_tokens(b"not json")[2] == "the body is not JSON"
    assert read_usage_tokens(b'{"error":{"message":"boom"}}')[2] == "boom"
    assert read_usage_tokens(b'{"usage":{"completion_tokens":true},"choices":[]}') == (None, False, None)


def test_a_read_with_several_events_is_decoded_together_but_judged_one_by_one():
    good = chunk({"content": "a"})
    timing = feed_all([(0.1, good + b"data: not json\n\n" + good + b"data: [1]\n\n" + good + DONE)])
    assert timing.content_events == 3 and timing.invalid_events == 2 and timing.done
    merged = feed_all([(0.1, b'data: {"choices":[{"delta":{"content":"x"}\n\ndata: }]}\n\ndata: 5,6\n\n')])
    assert merged.content_events == 0 and merged.invalid_events == 3  # no cross-event merging
