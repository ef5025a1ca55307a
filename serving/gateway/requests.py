"""Checking OpenAI request bodies before anything else looks at them.

Parameters are allow-listed: an unknown one is refused by name rather than passed to vLLM,
because some vLLM extensions change what the model sees (a client-supplied chat template)
or return text the output guardrails never saw (token log-probabilities).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from serving.gateway.errors import GatewayError, bad_request

_SAMPLING = {
    "max_tokens": "int",
    "temperature": "number",
    "top_p": "number",
    "n": "int",
    "stop": "stop",
    "presence_penalty": "number",
    "frequency_penalty": "number",
    "seed": "int",
    "user": "user",
    "stream": "bool",
    "stream_options": "stream_options",
    "logit_bias": "object",
    # vLLM's sampling extensions that change nothing but sampling.
    "top_k": "int",
    "min_p": "number",
    "repetition_penalty": "number",
    "min_tokens": "int",
    "ignore_eos": "bool",
    "stop_token_ids": "int_list",
    "skip_special_tokens": "bool",
}
CHAT_PARAMS = {
    **_SAMPLING,
    "model": "model",
    "messages": "messages",
    "max_completion_tokens": "int",
    "response_format": "object",
    "tools": "list",
    "tool_choice": "any",
    "parallel_tool_calls": "bool",
}
COMPLETION_PARAMS = {**_SAMPLING, "model": "model", "prompt": "prompt", "echo": "bool", "suffix": "string"}
_BYPASSES_OUTPUT_GUARDRAILS = {"logprobs", "top_logprobs", "prompt_logprobs"}
_ROLES = {"system", "developer", "user", "assistant", "tool"}
_MAX_MESSAGES = 2048
_MAX_CHOICES = 8


@dataclass
class TextSlot:
    """One piece of prompt text the input guardrails check, and how to put a fixed text back."""

    text: str
    put: Callable[[str], None]


@dataclass
class ParsedRequest:
    body: dict[str, Any]
    model: str
    stream: bool
    include_usage: bool
    end_user: str
    slots: list[TextSlot]

    def prompt_fingerprint(self) -> bytes:
        """What the prompt hash is taken of: the messages or prompt exactly as the client sent them."""
        part = self.body.get("messages", self.body.get("prompt"))
        return orjson.dumps(part, option=orjson.OPT_SORT_KEYS)


def parse_body(raw: bytes, endpoint: str) -> ParsedRequest:
    """Decode and check a request body, or raise a 400 naming the field and the problem."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", code="invalid_json")
    schema = CHAT_PARAMS if endpoint == "chat.completions" else COMPLETION_PARAMS
    for name in body:
        if name in _BYPASSES_OUTPUT_GUARDRAILS:
            raise bad_request(
                f"'{name}' is not supported: token log-probabilities would return text the output guardrails "
                "did not check.",
                param=name,
                code="unsupported_parameter",
            )
        if name not in schema:
            raise bad_request(f"'{name}' is not a supported parameter.", param=name, code="unsupported_parameter")
    for name, kind in schema.items():
        if name in body:
            _check(name, kind, body[name])
    required = "messages" if endpoint == "chat.completions" else "prompt"
    for name in ("model", required):
        if name not in body:
            raise bad_request(f"'{name}' is required.", param=name, code="missing_parameter")
    stream = bool(body.get("stream", False))
    if stream and body.get("n", 1) != 1:
        raise bad_request("'n' must be 1 when streaming.", param="n")
    if stream and body.get("tools"):
        raise bad_request(
            "'tools' cannot be streamed: tool-call arguments are checked whole. Use stream: false.", param="tools"
        )
    options = body.get("stream_options") or {}
    if options and not stream:
        raise bad_request("'stream_options' is only allowed with stream: true.", param="stream_options")
    slots = (
        _chat_slots(body["messages"]) + _tool_slots(body.get("tools") or [])
        if endpoint == "chat.completions"
        else _prompt_slots(body)
    )
    return ParsedRequest(
        body=body,
        model=body["model"],
        stream=stream,
        include_usage=bool(options.get("include_usage", False)),
        end_user=body.get("user", ""),
        slots=slots,
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check(name: str, kind: str, value: Any) -> None:  # noqa: PLR0912  (one branch per kind)
    def fail(problem: str) -> GatewayError:
        return bad_request(f"'{name}' {problem}", param=name)

    if kind == "model":
        if not isinstance(value, str) or not value or len(value) > 200:
            raise fail("must be a model name (a string of 1-200 characters).")
    elif kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(f"must be an integer, not {_type_name(value)}.")
        if name in ("max_tokens", "max_completion_tokens", "n") and value < 1:
            raise fail("must be at least 1.")
        if name == "n" and value > _MAX_CHOICES:
            raise fail(f"must be at most {_MAX_CHOICES}.")
    elif kind == "number":
        if not _number(value):
            raise fail(f"must be a number, not {_type_name(value)}.")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise fail(f"must be true or false, not {_type_name(value)}.")
    elif kind == "string":
        if not isinstance(value, str):
            raise fail(f"must be a string, not {_type_name(value)}.")
    elif kind == "user":
        if not isinstance(value, str) or len(value) > 256:
            raise fail("must be a string of at most 256 characters identifying your end user.")
    elif kind == "stop":
        if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(s, str) for s in value))):
            raise fail("must be a string or a list of strings.")
    elif kind == "int_list":
        if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
            raise fail("must be a list of integers.")
    elif kind == "object":
        if not isinstance(value, dict):
            raise fail(f"must be an object, not {_type_name(value)}.")
    elif kind == "list":
        if not isinstance(value, list):
            raise fail(f"must be a list, not {_type_name(value)}.")
    elif kind == "stream_options":
        if not isinstance(value, dict) or set(value) - {"include_usage"}:
            raise fail("must be an object with only include_usage.")
        if not isinstance(value.get("include_usage", False), bool):
            raise bad_request("'stream_options.include_usage' must be true or false.", param="stream_options")
    elif kind == "messages":
        _check_messages(value)
    elif kind == "prompt" and not (
        isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(p, str) for p in value))
    ):
        raise fail("must be a string or a non-empty list of strings (token ids cannot be checked by guardrails).")


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty list of messages.", param="messages")
    if len(messages) > _MAX_MESSAGES:
        raise bad_request(f"'messages' may hold at most {_MAX_MESSAGES} messages.", param="messages")
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise bad_request(f"'{where}' must be an object with role and content.", param=where)
        role = message.get("role")
        if role not in _ROLES:
            raise bad_request(f"'{where}.role' must be one of {', '.join(sorted(_ROLES))}.", param=f"{where}.role")
        content = message.get("content")
        if content is None:
            if role != "assistant":
                raise bad_request(f"'{where}.content' is required.", param=f"{where}.content")
        elif isinstance(content, list):
            for part_index, part in enumerate(content):
                part_where = f"{where}.content[{part_index}]"
                if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                    raise bad_request(
                        f'\'{part_where}\' must be a text part ({{"type": "text", "text": ...}}); '
                        "other content cannot be checked by the guardrails.",
                        param=part_where,
                    )
        elif not isinstance(content, str):
            raise bad_request(
                f"'{where}.content' must be a string or a list of text parts, not {_type_name(content)}.",
                param=f"{where}.content",
            )


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _chat_slots(messages: list[dict[str, Any]]) -> list[TextSlot]:
    slots: list[TextSlot] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            slots.append(TextSlot(content, _setter(message, "content")))
        elif isinstance(content, list):
            slots.extend(TextSlot(part["text"], _setter(part, "text")) for part in content)
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                slots.append(TextSlot(function["arguments"], _setter(function, "arguments")))
    return slots


def _tool_slots(tools: list[Any]) -> list[TextSlot]:
    """Tool definitions reach the model too (vLLM renders them into the prompt), so they are checked."""
    slots: list[TextSlot] = []
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict):
            raise bad_request(f"'tools[{index}]' must be an object with a function.", param=f"tools[{index}]")
        if isinstance(function.get("description"), str):
            slots.append(TextSlot(function["description"], _setter(function, "description")))
        if "parameters" in function:
            slots.append(TextSlot(orjson.dumps(function["parameters"]).decode(), _json_setter(function, "parameters")))
    return slots


def _json_setter(container: dict[str, Any], key: str) -> Callable[[str], None]:
    def put(text: str) -> None:
        try:
            container[key] = orjson.loads(text)
        except orjson.JSONDecodeError:
            # A fix that broke the schema's JSON: drop the schema rather than send the original.
            container[key] = {}

    return put


def _prompt_slots(body: dict[str, Any]) -> list[TextSlot]:
    prompt = body["prompt"]
    if isinstance(prompt, str):
        return [TextSlot(prompt, _setter(body, "prompt"))]
    return [TextSlot(text, _list_setter(prompt, index)) for index, text in enumerate(prompt)]


def _setter(container: dict[str, Any], key: str) -> Callable[[str], None]:
    def put(text: str) -> None:
        container[key] = text

    return put


def _list_setter(container: list[str], index: int) -> Callable[[str], None]:
    def put(text: str) -> None:
        container[index] = text

    return put
