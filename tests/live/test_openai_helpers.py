"""The chat-answer reader and the streamed-answer reader take whatever a target sends without
crashing; a streamed answer is parsed by the one SSE parser the load test uses too."""

from __future__ import annotations

import http.server
import threading
import time

from readyscore.executors.live.openai import StreamAnswer, _take_timing, chat_body, parse_chat_answer, stream_chat
from readyscore.loadgen.sse import StreamTimer
from readyscore.net import Exchange, TargetClient


def _answer(*events: str, raw: list[bytes] | None = None) -> StreamAnswer:
    """Events (one `data:` each, event i arriving at i seconds) read as stream_chat reads them."""
    answer = StreamAnswer(exchange=Exchange(method="POST", url="u", status=200))
    timer = StreamTimer(0.0, collect_text=True)
    for i, data in enumerate(events):
        timer.feed(b"data: " + data.encode() + b"\n\n", float(i))
    for i, line in enumerate(raw or []):
        timer.feed(line + b"\n", float(i))
    _take_timing(answer, timer.close(float(len(events) + len(raw or []))))
    return answer


def test_sse_skips_comments_and_fields_and_accepts_data_without_space_and_crlf():
    answer = _answer(raw=[b": keep-alive", b"", b"id: 7", b"event: message",
                          b'data:{"choices":[{"delta":{"content":"x"}}]}\r', b"", b"retry: 10", b"data: [DONE]", b""])
    assert answer.content == "x" and answer.content_events == 1 and answer.done and answer.invalid_events == 0


def test_sse_joins_multi_line_data_and_keeps_an_event_without_the_final_blank_line():
    answer = _answer(raw=[b'data: {"choices":', b'data: [{"delta":{"content":"a"}}]}', b"", b"event: error",
                          b'data: {"message": "boom"}'])
    assert answer.content == "a" and answer.error_event == "boom"


def test_sse_survives_invalid_utf8():
    answer = _answer(raw=[b"data: \xff\xfe", b""])
    assert answer.events == 1 and answer.invalid_events == 1


def test_role_only_chunk_does_not_count_as_first_content():
    answer = _answer('{"choices":[{"delta":{"role":"assistant"}}]}', '{"choices":[{"delta":{"content":"hi"}}]}',
                     '{"choices":[{"delta":{},"finish_reason":"stop"}]}', '{"choices":[],"usage":{"prompt_tokens":1,'
                     '"completion_tokens":1,"total_tokens":2}}', "[DONE]")
    assert answer.ttft_s == 1.0 and answer.content == "hi" and answer.content_events == 1
    assert answer.done and answer.finish_reason == "stop" and answer.usage["completion_tokens"] == 1


def test_error_event_inside_a_200_stream_is_a_failure():
    answer = _answer('{"choices":[{"delta":{"content":"x"}}]}', '{"error":{"message":"overloaded"}}')
    assert answer.error_event == "overloaded"
    assert "error event" in answer.problem


def test_invalid_json_events_are_counted_not_fatal():
    answer = _answer("not json", "[1, 2]", '{"choices": "nope"}', '{"choices": [null, 5]}')
    assert answer.invalid_events == 2 and answer.content_events == 0


# A reasoning model: a role chunk, reasoning deltas (under either name servers use), then the answer.
REASONING_STREAM = [
    (0.0, b'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n'),
    (0.3, b'data: {"choices":[{"delta":{"reasoning_content":"let me think"}}]}\n\n'),
    (0.0, b'data: {"choices":[{"delta":{"reasoning":"still thinking"}}]}\n\n'),
    (0.4, b'data: {"choices":[{"delta":{"content":"ready"}}]}\n\n'),
    (0.0, b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'),
]


class _ReasoningHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server interface
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for delay, chunk in REASONING_STREAM:
            time.sleep(delay)
            self.wfile.write(chunk)
            self.wfile.flush()

    def log_message(self, *args):
        pass


def test_a_probe_and_the_load_user_agree_that_a_reasoning_delta_is_the_first_token():
    """Real bytes over loopback through stream_chat (the probes' reader), and the same bytes fed
    to the load user's timer: one first token, at the first reasoning delta, in both."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ReasoningHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with TargetClient(f"http://127.0.0.1:{server.server_port}", timeout_s=10) as client:
            answer = stream_chat(client, chat_body(None, stream=True), deadline_s=10)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.problem is None and answer.content == "ready" and answer.content_events == 3
    assert 0.25 <= answer.ttft_s < 0.65, answer.ttft_s  # the reasoning delta (0.3 s), not the answer (0.7 s)
    assert answer.last_content_s >= 0.65

    timer = StreamTimer(0.0)  # the load user's fast path: no text collected
    clock = 0.0
    for delay, chunk in REASONING_STREAM:
        clock += delay
        timer.feed(chunk, clock)
    timing = timer.close(clock)
    assert timing.ttft == 0.3 and timing.content_events == 3 and timing.done


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
