"""The OpenAI-compatible API of the demo service, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from demo_helpers import (  # noqa: F401
    CLIENT,
    answer_text,
    chat,
    demo_pool,
    headers,
    stream,
    warm_servers,
)

SLOW = {"ttft_ms": 300, "token_delay_ms": 60}
SERVERS = [("level3", {}), ("level3", SLOW)]


@pytest.fixture(scope="module")
def server(demo_pool):  # noqa: F811
    return demo_pool.get("level3")


def test_models_lists_one_model_with_its_context_window(server):
    response = CLIENT.get(server.url + "/v1/models", headers=headers(server))
    assert response.status_code == 200
    data = response.json()["data"]
    assert [m["id"] for m in data] == ["readyscore-demo"]
    assert data[0]["context_window"] == data[0]["max_model_len"] == 2048


def test_a_chat_completion_has_the_openai_shape(server):
    response = chat(server, "Tell me about tea.", max_tokens=8)
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert choice["finish_reason"] == "length"
    assert len(choice["message"]["content"].split()) == 8
    assert body["usage"] == {"prompt_tokens": 4, "completion_tokens": 8, "total_tokens": 12}


def test_the_answer_is_deterministic(server):
    first, second = (answer_text(chat(server, "Describe the harbour.")) for _ in range(2))
    assert first == second


def test_a_stream_sends_role_tokens_finish_usage_and_done(server):
    body = {"model": "readyscore-demo", "messages": [{"role": "user", "content": "Tell me about tea."}],
            "max_tokens": 6, "stream_options": {"include_usage": True}}
    response, events = stream(server, body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert events[-1][1] == "[DONE]"
    chunks = [json.loads(data) for _, data in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    contents = [c["choices"][0]["delta"]["content"] for c in chunks[1:-2]]
    assert len(contents) == 6 and all(contents)
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}
    # The streamed text is the non-streamed text.
    assert "".join(contents) == answer_text(chat(server, "Tell me about tea.", max_tokens=6))


def test_a_stream_without_include_usage_has_no_usage_chunk(server):
    body = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3}
    _, events = stream(server, body)
    chunks = [json.loads(data) for _, data in events[:-1]]
    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_legacy_completions_answer_in_both_modes(server):
    response = CLIENT.post(server.url + "/v1/completions", headers=headers(server),
                          json={"model": "readyscore-demo", "prompt": "Once upon a time", "max_tokens": 5})
    body = response.json()
    assert body["object"] == "text_completion"
    assert len(body["choices"][0]["text"].split()) == 5
    assert body["usage"]["completion_tokens"] == 5
    _, events = stream(server, {"prompt": "Once upon a time", "max_tokens": 5}, path="/v1/completions")
    texts = [json.loads(data)["choices"][0]["text"] for _, data in events[:-2]]
    assert "".join(texts) == body["choices"][0]["text"]


def test_n_choices_are_served_up_to_the_cap(server):
    body = chat(server, "Name a colour.", n=3, max_tokens=2).json()
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    assert body["usage"]["completion_tokens"] == 6
    assert chat(server, "Name a colour.", n=64, max_tokens=2).status_code == 400


def test_unknown_paths_and_methods_get_json_errors(server):
    missing = CLIENT.get(server.url + "/nope")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"
    wrong = CLIENT.delete(server.url + "/v1/chat/completions", headers=headers(server))
    assert wrong.status_code == 405 and "error" in wrong.json()


def test_ttft_and_token_delay_are_honoured(demo_pool):  # noqa: F811
    slow = demo_pool.get("level3", **SLOW)
    _, events = stream(slow, {"messages": [{"role": "user", "content": "Go"}], "max_tokens": 6})
    first_content, last_content = events[1][0], events[6][0]
    assert 0.25 <= first_content < 2.0
    gaps = [b[0] - a[0] for a, b in pairwise(events[1:7])]
    assert all(gap >= 0.03 for gap in gaps), gaps  # each token arrives on its own (flushed per event)
    assert 0.25 <= last_content - first_content < 2.0
    started = CLIENT.post(slow.url + "/v1/chat/completions", headers=headers(slow),
                         json={"messages": [{"role": "user", "content": "Go"}], "max_tokens": 6})
    assert 0.55 <= started.elapsed.total_seconds() < 3.0  # 300 ms + 5 x 60 ms
