"""parse_body: OpenAI request bodies are checked field by field before anything else looks at them."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from serving.gateway.errors import GatewayError
from serving.gateway.requests import parse_body

CHAT = "chat.completions"
COMPLETIONS = "completions"


def parse(body: Any, endpoint: str = CHAT) -> Any:
    return parse_body(orjson.dumps(body), endpoint)


def refusal(body: Any, endpoint: str = CHAT) -> GatewayError:
    with pytest.raises(GatewayError) as refused:
        parse(body, endpoint)
    error = refused.value
    assert (error.http_status, error.status) == (400, "bad_request")
    return error


def test_a_chat_request_exposes_every_prompt_text_for_the_guardrails() -> None:
    body = {
        "model": "tiny-llama",
        "user": "end-user-42",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "text", "text": "part two"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
        ],
    }

    parsed = parse(body)

    assert (parsed.model, parsed.stream, parsed.include_usage, parsed.end_user) == (
        "tiny-llama",
        False,
        False,
        "end-user-42",
    )
    assert [slot.text for slot in parsed.slots] == ["Be brief.", "part one", "part two", '{"a": 1}', "42"]
    for slot in parsed.slots:
        slot.put(f"<{slot.text}>")
    messages = parsed.body["messages"]
    assert messages[0]["content"] == "<Be brief.>"
    assert messages[1]["content"][1]["text"] == "<part two>"
    assert messages[2]["tool_calls"][0]["function"]["arguments"] == '<{"a": 1}>'
    assert messages[3]["content"] == "<42>"


def test_a_completion_prompt_list_is_checked_item_by_item() -> None:
    parsed = parse({"model": "m", "prompt": ["first", "second"], "echo": False}, COMPLETIONS)

    assert [slot.text for slot in parsed.slots] == ["first", "second"]
    parsed.slots[1].put("fixed")
    assert parsed.body["prompt"] == ["first", "fixed"]


def test_streaming_with_usage_is_understood() -> None:
    parsed = parse(
        {
            "model": "m",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )

    assert (parsed.stream, parsed.include_usage) == (True, True)


def test_the_prompt_hash_does_not_depend_on_key_order() -> None:
    one = parse_body(b'{"model": "m", "messages": [{"role": "user", "content": "hi"}]}', CHAT)
    two = parse_body(b'{"messages": [{"content": "hi", "role": "user"}], "model": "m"}', CHAT)
    other = parse_body(b'{"model": "m", "messages": [{"role": "user", "content": "hi!"}]}', CHAT)

    assert one.prompt_fingerprint() == two.prompt_fingerprint() != other.prompt_fingerprint()


USER = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("body", "endpoint", "code", "param", "message"),
    [
        pytest.param(b"", CHAT, "invalid_json", None, "not valid JSON", id="empty"),
        pytest.param(b'"just text"', CHAT, "invalid_json", None, "must be a JSON object", id="string"),
        pytest.param(
            {"model": "m", "messages": USER, "max_tokens": 0},
            CHAT,
            "invalid_request",
            "max_tokens",
            "'max_tokens' must be at least 1.",
            id="zero-max-tokens",
        ),
        pytest.param(
            {"model": "m", "messages": USER, "max_tokens": 1.5},
            CHAT,
            "invalid_request",
            "max_tokens",
            "must be an integer, not a number",
            id="float-max-tokens",
        ),
        pytest.param(
            {"model": "m", "messages": USER, "n": 9},
            CHAT,
            "invalid_request",
            "n",
            "'n' must be at most 8.",
            id="too-many-choices",
        ),
        pytest.param(
            {"model": "m", "messages": USER, "stop": ["a", 1]},
            CHAT,
            "invalid_request",
            "stop",
            "must be a string or a list of strings",
            id="stop",
        ),
        pytest.param(
            {"model": "m", "messages": USER, "user": "u" * 257},
            CHAT,
            "invalid_request",
            "user",
            "at most 256 characters",
            id="long-user",
        ),
        pytest.param(
            {"model": "", "messages": USER}, CHAT, "invalid_request", "model", "must be a model name", id="empty-model"
        ),
        pytest.param(
            {"model": "m", "messages": []}, CHAT, "invalid_request", "messages", "non-empty list", id="no-messages"
        ),
        pytest.param(
            {"model": "m", "messages": [{"role": "user"}]},
            CHAT,
            "invalid_request",
            "messages[0].content",
            "is required",
            id="no-content",
        ),
        pytest.param(
            {"model": "m", "messages": [{"role": "user", "content": 7}]},
            CHAT,
            "invalid_request",
            "messages[0].content",
            "not an integer",
            id="numeric-content",
        ),
        pytest.param(
            {"model": "m", "messages": ["hi"]},
            CHAT,
            "invalid_request",
            "messages[0]",
            "must be an object",
            id="message-text",
        ),
        pytest.param(
            {"model": "m", "messages": USER * 2049},
            CHAT,
            "invalid_request",
            "messages",
            "at most 2048",
            id="too-many-messages",
        ),
        pytest.param(
            {"model": "m", "messages": USER, "stream_options": {"include_usage": True}},
            CHAT,
            "invalid_request",
            "stream_options",
            "only allowed with stream: true",
            id="options-without-stream",
        ),
        pytest.param(
            {"model": "m", "messages": USER, "stream": True, "tools": [{"type": "function"}]},
            CHAT,
            "invalid_request",
            "tools",
            "cannot be streamed",
            id="streamed-tools",
        ),
        pytest.param(
            {"model": "m", "messages": USER, "stream": "yes"},
            CHAT,
            "invalid_request",
            "stream",
            "must be true or false, not a string",
            id="stream-text",
        ),
        pytest.param(
            {"model": "m", "messages": USER, "prompt_logprobs": 1},
            CHAT,
            "unsupported_parameter",
            "prompt_logprobs",
            "output guardrails",
            id="prompt-logprobs",
        ),
        pytest.param(
            {"model": "m", "messages": USER, "guided_json": {}},
            CHAT,
            "unsupported_parameter",
            "guided_json",
            "not a supported parameter",
            id="vllm-extension",
        ),
        pytest.param(
            {"model": "m", "messages": USER, "echo": True},
            CHAT,
            "unsupported_parameter",
            "echo",
            "not a supported parameter",
            id="echo-in-chat",
        ),
        pytest.param(
            {"model": "m", "messages": USER},
            COMPLETIONS,
            "unsupported_parameter",
            "messages",
            "not a supported parameter",
            id="messages-in-completions",
        ),
        pytest.param(
            {"model": "m"}, COMPLETIONS, "missing_parameter", "prompt", "'prompt' is required.", id="no-prompt"
        ),
        pytest.param(
            {"model": "m", "prompt": []},
            COMPLETIONS,
            "invalid_request",
            "prompt",
            "non-empty list of strings",
            id="empty-prompt-list",
        ),
        pytest.param(
            {"model": "m", "prompt": "hi", "logprobs": 5},
            COMPLETIONS,
            "unsupported_parameter",
            "logprobs",
            "output guardrails",
            id="completion-logprobs",
        ),
    ],
)
def test_a_bad_body_is_refused_naming_the_field(
    body: Any, endpoint: str, code: str, param: str | None, message: str
) -> None:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    with pytest.raises(GatewayError) as refused:
        parse_body(raw, endpoint)

    error = refused.value
    assert (error.http_status, error.status, error.code, error.param) == (400, "bad_request", code, param)
    assert message in error.message
    assert error.body()["error"] == {
        "message": error.message,
        "type": "invalid_request_error",
        "param": param,
        "code": code,
    }
