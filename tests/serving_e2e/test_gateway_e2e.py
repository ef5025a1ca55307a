"""The issue's acceptance run: real vLLM, the real gateway under ASGI, the official openai client."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import openai
import pytest
from asgiref.sync import async_to_sync

from compliance.approvals.services import approval_revoke
from core.models import AuditEvent
from serving.gateway.handler import gateway
from serving.models import InferenceRecord, InferenceStatus
from serving.services import deployment_update, guardrail_policy_publish
from tests.serving_e2e.conftest import UPSTREAM_KEY, Deployed, VllmServer

pytestmark = [pytest.mark.vllm, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
# Greedy decoding of the random tiny model collapses into newlines; a seeded sample is just as
# deterministic (vLLM seeds each request) and says words.
SEED = 7


def client(gateway_url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=key, max_retries=0, timeout=60)


def collect_stream(api: openai.OpenAI, request: dict[str, Any], into: list[str]) -> None:
    """Read a streamed answer into ``into`` chunk by chunk (what arrived before an error stays there)."""
    for chunk in api.chat.completions.create(stream=True, **request):
        if chunk.choices and chunk.choices[0].delta.content:
            into.append(chunk.choices[0].delta.content)


def records() -> list[InferenceRecord]:
    async_to_sync(gateway().writer.flush)()
    return list(InferenceRecord.objects.order_by("created_at", "pk"))


def test_an_approved_deployment_answers_plain_streamed_and_completions(gateway_url: str, deployed: Deployed) -> None:
    api = client(gateway_url, deployed.key)

    plain = api.chat.completions.create(
        model="tiny-llama", messages=[{"role": "user", "content": "Hello there"}], max_tokens=12, user="end-user-1"
    )
    assert plain.model == "tiny-llama"
    assert isinstance(plain.choices[0].message.content, str)
    assert plain.usage is not None
    assert plain.usage.completion_tokens == 12

    pieces: list[str] = []
    usage = None
    for chunk in api.chat.completions.create(
        model="tiny-llama",
        messages=[{"role": "user", "content": "Tell me a story."}],
        max_tokens=12,
        stream=True,
        stream_options={"include_usage": True},
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.usage:
            usage = chunk.usage
    assert "".join(pieces)
    assert usage is not None
    assert usage.completion_tokens == 12

    completion = api.completions.create(model="tiny-llama", prompt="Once upon a time", max_tokens=5)
    assert isinstance(completion.choices[0].text, str)

    listed = [model.id for model in api.models.list()]
    assert listed == ["tiny-llama"]

    rows = records()
    assert [row.status for row in rows] == [InferenceStatus.OK] * 3
    version = deployed.demo.version
    for row in rows:
        assert row.deployment == deployed.demo.deployment
        assert row.model_version == version
        assert row.revision == version.revision
        assert row.approval == deployed.demo.approval
        assert row.user == deployed.developer
        assert re.fullmatch(r"[0-9a-f]{64}", row.prompt_sha256)
        assert re.fullmatch(r"[0-9a-f]{64}", row.completion_sha256)
        assert row.output_checked
        assert row.prompt_text is None  # the deployment did not opt in to keeping content
        assert row.upstream_ms > 0
        assert row.total_ms >= row.upstream_ms
    assert rows[0].end_user == "end-user-1"
    assert (rows[0].prompt_tokens, rows[0].completion_tokens) == (plain.usage.prompt_tokens, 12)
    assert rows[1].streamed
    assert rows[1].completion_tokens == 12
    assert rows[1].first_token_ms is not None


def test_a_model_that_is_not_approved_gets_403(gateway_url: str, deployed: Deployed) -> None:
    api = client(gateway_url, deployed.key)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        api.chat.completions.create(model="meta-llama/Llama-3.1-8B", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.status_code == 403
    assert refused.value.code == "model_not_approved"
    row = records()[-1]
    assert row.status == InferenceStatus.NOT_APPROVED
    assert row.requested_model == "meta-llama/Llama-3.1-8B"


def test_a_revoked_approval_is_refused_within_one_second(gateway_url: str, deployed: Deployed) -> None:
    api = client(gateway_url, deployed.key)
    api.chat.completions.create(model="tiny-llama", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    approval_revoke(actor=deployed.officer, request=deployed.demo.approval, reason="license terms changed")
    revoked_at = time.monotonic()
    time.sleep(1.0)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        api.chat.completions.create(model="tiny-llama", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    assert time.monotonic() - revoked_at < 2.0
    assert refused.value.code == "model_not_approved"
    assert "revoked" in refused.value.message
    assert records()[-1].error_detail == f"its approval #{deployed.demo.approval.pk} is revoked"


def test_a_planted_secret_gets_400_guardrail_violation_and_a_record(gateway_url: str, deployed: Deployed) -> None:
    api = client(gateway_url, deployed.key)
    with pytest.raises(openai.BadRequestError) as refused:
        api.chat.completions.create(
            model="tiny-llama",
            messages=[{"role": "user", "content": f"deploy with aws_access_key_id={AWS_KEY} please"}],
        )
    assert refused.value.code == "guardrail_violation"
    assert "modelgate/secret_patterns" in refused.value.message
    assert AWS_KEY not in str(refused.value.body)
    # Committed before the answer went out: no flush needed to see it.
    row = InferenceRecord.objects.get()
    assert row.status == InferenceStatus.BLOCKED_INPUT
    assert row.http_status == 400
    assert any(
        o["outcome"] == "blocked" and o["validator"] == "modelgate/secret_patterns" for o in row.guardrail_outcomes
    )
    stored = str(list(InferenceRecord.objects.values())) + str(list(AuditEvent.objects.values()))
    assert AWS_KEY not in stored


def test_a_killed_upstream_gives_502_and_a_record(
    gateway_url: str, deployed: Deployed, vllm_pair: tuple[VllmServer, VllmServer]
) -> None:
    victim = vllm_pair[1]
    deployment_update(
        actor=deployed.requester,
        deployment=deployed.demo.deployment,
        backends=[{"base_url": victim.url, "served_model_name": "tiny-llama"}],
    )
    api = client(gateway_url, deployed.key)
    time.sleep(1.0)  # the admission cache picks the new backend up within a second
    api.chat.completions.create(model="tiny-llama", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    victim.kill()
    with pytest.raises(openai.InternalServerError) as failed:
        api.chat.completions.create(model="tiny-llama", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    assert failed.value.status_code == 502
    row = InferenceRecord.objects.order_by("-created_at").first()
    assert row is not None
    assert row.status == InferenceStatus.UPSTREAM_ERROR
    assert row.http_status == 502
    assert row.backend == victim.url


def test_bad_input_gets_400_with_a_clear_message(gateway_url: str, deployed: Deployed, settings: object) -> None:
    headers = {"Authorization": f"Bearer {deployed.key}", "Content-Type": "application/json"}
    with httpx.Client(base_url=gateway_url, headers=headers, trust_env=False) as http:
        malformed = http.post("/v1/chat/completions", content=b'{"model": "tiny-llama", "messages": [')
        assert malformed.status_code == 400
        assert malformed.json()["error"]["code"] == "invalid_json"
        assert "not valid JSON" in malformed.json()["error"]["message"]

        wrong = http.post(
            "/v1/chat/completions",
            json={"model": "tiny-llama", "messages": [{"role": "user", "content": "hi"}], "max_tokens": "ten"},
        )
        assert wrong.status_code == 400
        assert wrong.json()["error"]["param"] == "max_tokens"
        assert "must be an integer, not a string" in wrong.json()["error"]["message"]

        not_a_list = http.post("/v1/chat/completions", json={"model": "tiny-llama", "messages": "hi"})
        assert not_a_list.status_code == 400
        assert not_a_list.json()["error"]["param"] == "messages"

        huge = http.post(
            "/v1/chat/completions",
            json={"model": "tiny-llama", "messages": [{"role": "user", "content": "x" * (2 * 1024 * 1024)}]},
        )
        assert huge.status_code == 413
        assert huge.json()["error"]["code"] == "request_too_large"
    statuses = [row.status for row in records()]
    assert statuses == [InferenceStatus.BAD_REQUEST] * 4


def _greedy_answer(vllm: VllmServer, prompt: str) -> str:
    answer = httpx.post(
        f"{vllm.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {UPSTREAM_KEY}"},
        json={
            "model": "tiny-llama",
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": 24,
            "temperature": 1.0,
            "seed": SEED,
            "ignore_eos": True,
        },
        timeout=60,
    ).json()
    return str(answer["choices"][0]["message"]["content"])


def _forbid_a_word_it_says(deployed: Deployed, vllm: VllmServer, prompt: str, on_fail: str) -> str:
    """Ask vLLM directly what the (deterministic, greedy) model answers, and forbid a word of it."""
    answer = _greedy_answer(vllm, prompt)
    words = re.findall(r"[A-Za-z]{3,}", answer)
    assert words, f"the tiny model's answer has no word to forbid: {answer!r}"
    word = words[-1]
    guardrail_policy_publish(
        actor=deployed.officer,
        policy=deployed.demo.deployment.guardrail_policy,
        validators=[
            {
                "name": "modelgate/forbidden_regex",
                "on": "output",
                "on_fail": on_fail,
                "params": {"patterns": [re.escape(word)]},
            }
        ],
        note=f"forbid {word!r} in answers (test)",
    )
    time.sleep(1.0)  # a new policy version reaches the gateway within a second
    return word


def test_an_output_guardrail_blocks_a_plain_answer_and_ends_a_stream(
    gateway_url: str, deployed: Deployed, vllm: VllmServer
) -> None:
    prompt = "Write a sentence about the sea."
    word = _forbid_a_word_it_says(deployed, vllm, prompt, "exception")
    api = client(gateway_url, deployed.key)
    request = {
        "model": "tiny-llama",
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 24,
        "temperature": 1.0,
        "seed": SEED,
        "extra_body": {"ignore_eos": True},
    }

    with pytest.raises(openai.BadRequestError) as refused:
        api.chat.completions.create(**request)
    assert refused.value.code == "guardrail_violation"
    assert "answer" in refused.value.message

    released: list[str] = []
    with pytest.raises(openai.APIError) as ended:
        collect_stream(api, request, released)
    assert "guardrail" in str(ended.value.message)
    assert word not in "".join(released)
    blocked = [row for row in records() if row.status == InferenceStatus.BLOCKED_OUTPUT]
    assert [row.streamed for row in blocked] == [False, True]


def test_an_output_guardrail_can_fix_instead_of_block(gateway_url: str, deployed: Deployed, vllm: VllmServer) -> None:
    prompt = "Describe a mountain."
    word = _forbid_a_word_it_says(deployed, vllm, prompt, "fix")
    api = client(gateway_url, deployed.key)
    answer = api.chat.completions.create(
        model="tiny-llama",
        messages=[{"role": "user", "content": prompt}],
        max_tokens=24,
        temperature=1.0,
        seed=SEED,
        extra_body={"ignore_eos": True},
    )
    text = answer.choices[0].message.content or ""
    assert word not in text
    assert "[REDACTED]" in text
    streamed = "".join(
        chunk.choices[0].delta.content or ""
        for chunk in api.chat.completions.create(
            model="tiny-llama",
            messages=[{"role": "user", "content": prompt}],
            max_tokens=24,
            temperature=1.0,
            seed=SEED,
            stream=True,
            extra_body={"ignore_eos": True},
        )
        if chunk.choices
    )
    assert word not in streamed


def test_metrics_count_calls_and_guardrail_blocks(gateway_url: str, deployed: Deployed) -> None:
    api = client(gateway_url, deployed.key)
    api.chat.completions.create(model="tiny-llama", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    with pytest.raises(openai.BadRequestError):
        api.chat.completions.create(model="tiny-llama", messages=[{"role": "user", "content": f"key {AWS_KEY}"}])
    text = httpx.get(f"{gateway_url}/metrics", trust_env=False).text
    assert 'modelgate_gateway_requests_total{deployment="tiny-llama",endpoint="chat.completions",status="ok"}' in text
    assert 'validator="modelgate/secret_patterns"' in text
    assert "modelgate_gateway_overhead_seconds_bucket" in text
