"""Hand-written rate limiting in Node, Go and Rust, by the rule Python's follows: a 429 answered in a
branch of a test on the request path (huggingface/chat-ui counts a user's messages of the last minute
and answers `error(429, ...)` in its SvelteKit endpoint). Twins: the same 429 in a log message, in a
helper nothing serving requests calls, or answered whatever happens, is no limiter."""

from __future__ import annotations

import pytest
from static_helpers import write_tree

CHECK = "static-cap-rate-limit"

LIMITED = {
    "sveltekit": {"src/routes/chat/+server.ts": (
        'import { error } from "@sveltejs/kit";\n'
        "export async function POST({ locals }) {\n"
        "  const recent = await countRecent(locals.user);\n"
        "  if (recent > 20) {\n    error(429, \"slow down\");\n  }\n"
        "  return new Response(\"{}\");\n}\n")},
    "express": {"src/app.ts": (
        'import express from "express";\nconst app = express();\nconst hits = new Map<string, number>();\n'
        'app.post("/v1/chat", (req, res) => {\n  const n = (hits.get(req.ip) ?? 0) + 1;\n  hits.set(req.ip, n);\n'
        '  if (n > 60) return res.status(429).json({ error: "rate limited" });\n  res.json({});\n});\n'
        "app.listen(3000);\n")},
    "go": {"main.go": (
        'package main\n\nimport "net/http"\n\nvar hits = map[string]int{}\n\n'
        "func chat(w http.ResponseWriter, r *http.Request) {\n\thits[r.RemoteAddr]++\n"
        "\tif hits[r.RemoteAddr] > 60 {\n\t\tw.WriteHeader(http.StatusTooManyRequests)\n\t\treturn\n\t}\n"
        '\tw.Write([]byte("{}"))\n}\n\n'
        'func main() {\n\thttp.HandleFunc("/v1/chat", chat)\n\thttp.ListenAndServe(":8080", nil)\n}\n')},
    "rust": {"src/main.rs": (
        "use axum::{Router, routing::post, extract::State, http::StatusCode};\n\n"
        "async fn chat(State(counter): State<Counter>) -> StatusCode {\n"
        "    if counter.bump() > 60 {\n        return StatusCode::TOO_MANY_REQUESTS;\n    }\n    StatusCode::OK\n}\n\n"
        "#[tokio::main]\nasync fn main() {\n    let app = Router::new().route(\"/v1/chat\", post(chat));\n}\n")},
}

NOT_LIMITED = {
    # "429" in a log message is text, not an answer.
    "a string": {"src/app.ts": (
        'import express from "express";\nconst app = express();\n'
        'app.post("/v1/chat", (req, res) => {\n  if (req.body.retry) { console.log("upstream said 429"); }\n'
        "  res.json({});\n});\napp.listen(3000);\n")},
    # A helper that would answer 429, but nothing serving requests calls it.
    "off the request path": {"src/limits.ts": (
        "export function tooMany(res: { status: (n: number) => void }, n: number) {\n"
        "  if (n > 60) { res.status(429); }\n}\n"),
        "src/app.ts": 'import express from "express";\nconst app = express();\n'
                      'app.post("/v1/chat", (req, res) => res.json({}));\napp.listen(3000);\n'},
    # Answered whatever happens: a stub, not a limit.
    "always": {"src/app.ts": (
        'import express from "express";\nconst app = express();\n'
        'app.post("/v1/busy", (req, res) => res.status(429).json({}));\napp.listen(3000);\n')},
}


@pytest.mark.parametrize("shape", sorted(LIMITED))
def test_a_429_after_a_test_on_the_request_path_is_hand_written_rate_limiting(static_audit, tmp_path, shape):
    result = static_audit(write_tree(tmp_path, LIMITED[shape]), [CHECK])[CHECK]
    assert result.status.value == "pass" and result.strength == "implemented", result.message
    assert "hand-written: answers 429 after a test on the request path" in result.message


@pytest.mark.parametrize("shape", sorted(NOT_LIMITED))
def test_a_429_that_limits_nothing_is_no_evidence(static_audit, tmp_path, shape):
    result = static_audit(write_tree(tmp_path, NOT_LIMITED[shape]), [CHECK])[CHECK]
    assert result.status.value == "fail", result.message
