"""The SSE parser and chat-answer reader take whatever a target sends without crashing."""

from __future__ import annotations

from readyscore.executors.live.openai import StreamAnswer, _apply_event, chat_body, parse_chat_answer, parse_sse
from readyscore.net import Exchange


def lines(*raw: bytes):
    return [(float(i), line) for i, line in enumerate(raw)]


def test_sse_skips_comments_and_fields_and_accepts_data_without_space_and_crlf():
    events = list(parse_sse(lines(b": keep-alive", b"", b"id: 7", b"event: message", b"data:{\"a\": 1}\r", b"",
                                  b"retry: 10", b"data: [DONE]", b"")))
    assert [e.data for e in events] == ['{"a": 1}', "[DONE]"]


def test_sse_joins_multi_line_data_and_keeps_an_event_without_the_final_blank_line():
    events = list(parse_sse(lines(b"data: one", b"data: two", b"", b"event: error", b"data: {\"x\": 1}")))
    assert events[0].data == "one\ntwo"
    assert events[1].event == "error" and events[1].data == '{"x": 1}'


def test_sse_survives_invalid_utf8():
    events = list(parse_sse(lines(b"data: \xff\xfe", b"")))
    assert len(events) == 1


def _answer(*events: str) -> StreamAnswer:
    answer = StreamAnswer(exchange=Exchange(method="POST", url="u", status=200))
    for i, data in enumerate(events):
        from readyscore.executors.live.openai import SseEvent
        _apply_event(answer, SseEvent(data=data, arrived=float(i)))
    return answer


def test_role_only_chunk_does_not_count_as_first_content():
    answer = _answer('{"choices":[{"delta":{"role":"assistant"}}]}', '{"choices":[{"delta":{"content":"hi"}}]}',
                     '{"choices":[{"delta":{},"finish_reason":"stop"}]}', '{"choices":[],"usage":{"prompt_tokens":1,'
                     '"completion_tokens":1,"total_tokens":2}}', "[DONE]")
    assert answer.ttft_s == 1.0 and answer.content == "hi" and answer.content_events == 1
    assert answer.done and answer.finish_reason == "stop" and answer.usage["completion_tokens"] == 1


def test_error_event_inside_a_200_stream_is_a_failure():
    answer = _answer('{"choices":[{"delta":{"content":"x"}}]}', '{"error":{"message":"overloaded"}}')
    answer.events = 2
    assert answer.error_event == "overloaded"
    assert "error event" in answer.problem


def test_invalid_json_events_are_counted_not_fatal():
    answer = _answer("not json", "[1, 2]", '{"choices": "nope"}', '{"choices": [null, 5]}')
    assert answer.invalid_events == 2 and answer.content_events == 0


def test_chat_answer_reads_bad_bodies_without_raising():
    for body in (b"", b"<html>", b"[]", b'{"choices": []}', b'{"choices": [5]}', b'{"choices": [{"message": 3}]}',
                 b'{"usage": {"prompt_tokens": "7"}, "choices": [{"message": {"content": "x"}}]}'):
        answer = parse_chat_answer(Exchange(method="POST", url="u", status=200, body=body))
        assert answer.problem is not None or answer.usage is None


def test_chat_body_applies_a_sample_body_template_without_mutating_it():
    template = {"inputs": {"text": "hi"}, "stream": True}
    body = chat_body("m", template=template, max_tokens=5)
    assert body == {"inputs": {"text": "hi"}, "model": "m", "max_tokens": 5}
    assert template == {"inputs": {"text": "hi"}, "stream": True}
    streamed = chat_body(None, "p", stream=True)
    assert streamed["stream"] is True and streamed["stream_options"] == {"include_usage": True}


def test_retry_after_reads_seconds_http_dates_and_ratelimit_reset_but_not_epochs():
    import email.utils
    import time

    from readyscore.executors.live.session import retry_after_s

    def ex(**headers):
        return Exchange(method="GET", url="u", status=429, headers=headers)

    assert retry_after_s(ex(**{"retry-after": "3"})) == 3.0
    in_ten = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 <= retry_after_s(ex(**{"retry-after": in_ten})) <= 11
    assert retry_after_s(ex(**{"ratelimit-reset": "7"})) == 7.0
    assert retry_after_s(ex(ratelimit='"default";r=0;t=4')) == 4.0
    assert retry_after_s(ex(**{"x-ratelimit-reset": str(int(time.time()) + 30)})) is None
    assert retry_after_s(ex(**{"retry-after": "soon"})) is None
