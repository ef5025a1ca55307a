"""One call through the gateway, up to the point where it would reach vLLM (no model server runs here).

Every refusal is an OpenAI error body and leaves an InferenceRecord, committed before the answer is sent.
Backends are closed loopback ports: a call that passes every check ends in a real refused connection (502).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Group, User
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from compliance.approvals.services import approval_revoke, approval_suspend
from compliance.models import ApprovalRequest
from core.roles import Role
from serving.gateway.handler import gateway
from serving.guardrails import runner
from serving.models import GuardrailPolicyVersion, InferenceRecord, ServingKey
from serving.services import (
    deployment_set_state,
    deployment_update,
    inference_records_write,
    serving_key_revoke,
    usage_rollup_refresh,
)
from tests.gateway.support import (
    AWS_KEY,
    GITHUB_TOKEN,
    HELLO,
    Served,
    audit_text,
    chat,
    closed_port_url,
    error_of,
    make_record,
    post,
    record_values,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.urls("serving.gateway.urls"),
]

UNREACHABLE = "No model server for this model could be reached."
SEND_A_KEY = "Send your Modelgate key as 'Authorization: Bearer mg_...'."


@pytest.fixture(autouse=True)
def _gateway_process(settings: Any) -> None:
    """What MODELGATE_COMPONENT=gateway sets: no session, CSRF or auth middleware."""
    settings.MIDDLEWARE = []


def recorded() -> InferenceRecord:
    """The one record of the test's call (queued records flushed first)."""
    async_to_sync(gateway().writer.flush)()
    rows = list(InferenceRecord.objects.all())
    assert len(rows) == 1, [(row.status, row.error_code) for row in rows]
    return rows[0]


def assert_unreachable(response: Any) -> None:
    """The call passed every check and failed only at the closed backend port."""
    assert response.status_code == 502, response.content
    assert error_of(response)["code"] == "upstream_unavailable"


# --- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        pytest.param(None, "no bearer key", id="no-header"),
        pytest.param("Basic ZGV2OnNlY3JldA==", "no bearer key", id="basic-auth"),
        pytest.param("Bearer ", "no bearer key", id="empty-bearer"),
        pytest.param("Bearer sk-not-a-modelgate-key-at-all-000000", "malformed key", id="malformed"),
        pytest.param("Bearer mg_" + "A" * 43, "unknown key", id="unknown"),
    ],
)
def test_calls_without_a_valid_key_are_refused_and_recorded(
    authorization: str | None, detail: str, served: Served
) -> None:
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}

    response = Client().post(
        "/v1/chat/completions",
        data=orjson.dumps({"model": "tiny-llama", "messages": HELLO}),
        content_type="application/json",
        **extra,
    )

    assert response.status_code == 401
    assert error_of(response) == {
        "message": SEND_A_KEY if detail == "no bearer key" else "Incorrect API key provided.",
        "type": "authentication_error",
        "param": None,
        "code": "invalid_api_key",
    }
    assert response["x-request-id"]
    record = recorded()
    assert (record.status, record.http_status, record.error_code) == ("unauthenticated", 401, "invalid_api_key")
    assert record.error_detail == detail
    assert (record.key, record.user, record.deployment) == (None, None, None)
    assert record.request_id == response["x-request-id"]
    presented = (authorization or "").partition(" ")[2]
    if presented:
        assert presented not in record_values(record)


@pytest.mark.parametrize(
    ("spoil", "detail"),
    [
        pytest.param("revoke", "the key was revoked", id="revoked"),
        pytest.param("expire", "the key expired", id="expired"),
        pytest.param("deactivate", "the key's holder is deactivated", id="holder-deactivated"),
    ],
)
def test_a_key_that_may_no_longer_be_used_is_refused(spoil: str, detail: str, served: Served) -> None:
    key = served.key()
    row = ServingKey.objects.get()
    if spoil == "revoke":
        serving_key_revoke(actor=served.officer, key=row, reason="pasted in a public issue")
    elif spoil == "expire":
        ServingKey.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        User.objects.filter(pk=served.developer.pk).update(is_active=False)

    response = chat(key)

    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "invalid_api_key"
    assert error["message"] == f"This API key cannot be used: {detail}."
    record = recorded()
    assert (record.status, record.error_detail) == ("unauthenticated", detail)
    assert (record.key_id, record.user_id) == (row.pk, served.developer.pk)
    assert key not in record_values(record)


def test_a_key_stops_working_when_its_holder_loses_the_right_to_call(served: Served) -> None:
    key = served.key()
    served.developer.groups.remove(Group.objects.get(name=Role.DEVELOPER.value))

    response = chat(key)

    assert response.status_code in (401, 403)
    assert recorded().status in ("unauthenticated", "not_approved")


# --- request validation ---------------------------------------------------------------------------


def _chat_body(**changes: Any) -> bytes:
    return orjson.dumps({"model": "tiny-llama", "messages": HELLO, **changes})


MALFORMED: list[tuple[bytes, str, str | None, str]] = [
    (b'{"model": "tiny-llama", "messages": [', "invalid_json", None, "not valid JSON"),
    (b'[{"model": "tiny-llama"}]', "invalid_json", None, "must be a JSON object"),
    (_chat_body(max_tokens="ten"), "invalid_request", "max_tokens", "'max_tokens' must be an integer, not a string."),
    (_chat_body(messages="hi"), "invalid_request", "messages", "'messages' must be a non-empty list of messages."),
    (_chat_body(temperature=True), "invalid_request", "temperature", "'temperature' must be a number, not a boolean."),
    (
        _chat_body(messages=[{"role": "wizard", "content": "abracadabra"}]),
        "invalid_request",
        "messages[0].role",
        "'messages[0].role' must be one of assistant, developer, system, tool, user.",
    ),
    (
        _chat_body(
            messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]
        ),
        "invalid_request",
        "messages[0].content[0]",
        "other content cannot be checked by the guardrails",
    ),
    (
        _chat_body(chat_template="{{ messages }}"),
        "unsupported_parameter",
        "chat_template",
        "'chat_template' is not a supported parameter.",
    ),
    (
        _chat_body(logprobs=True),
        "unsupported_parameter",
        "logprobs",
        "token log-probabilities would return text the output guardrails did not check",
    ),
    (_chat_body(top_logprobs=3), "unsupported_parameter", "top_logprobs", "output guardrails"),
    (orjson.dumps({"messages": HELLO}), "missing_parameter", "model", "'model' is required."),
    (_chat_body(stream=True, n=2), "invalid_request", "n", "'n' must be 1 when streaming."),
]


def test_malformed_requests_are_refused_naming_the_field(served: Served) -> None:
    """Each body is refused with OpenAI's error naming the field, and recorded before admission."""
    key = served.key()
    key_id = ServingKey.objects.get().pk
    mismatches = []

    for body, code, param, message in MALFORMED:
        response = post("/v1/chat/completions", body, key)
        error = error_of(response)
        got = (response.status_code, error["type"], error["code"], error["param"], message in error["message"])
        if got != (400, "invalid_request_error", code, param, True):
            mismatches.append((body, got, error["message"]))

    assert mismatches == []
    async_to_sync(gateway().writer.flush)()
    rows = list(InferenceRecord.objects.order_by("created_at"))
    assert [(r.status, r.http_status, r.error_code) for r in rows] == [
        ("bad_request", 400, c) for _, c, _, _ in MALFORMED
    ]
    assert {(r.key_id, r.deployment_id) for r in rows} == {(key_id, None)}


def test_completions_take_a_prompt_of_text_only(served: Served) -> None:
    key = served.key()

    response = post("/v1/completions", {"model": "tiny-llama", "prompt": [1, 2, 3]}, key)

    assert response.status_code == 400
    error = error_of(response)
    assert error["param"] == "prompt"
    assert "token ids cannot be checked by guardrails" in error["message"]
    assert recorded().endpoint == "completions"


def test_a_body_over_the_limit_is_refused_before_anything_else_happens(served: Served, settings: Any) -> None:
    settings.MODELGATE_GATEWAY_MAX_BODY_BYTES = 1024
    key = served.key(rate_limit_per_minute=1)

    response = chat(key, [{"role": "user", "content": "x" * 2000}])

    assert response.status_code == 413
    error = error_of(response)
    assert (error["code"], error["type"]) == ("request_too_large", "invalid_request_error")
    assert error["message"] == "The request body is larger than 1024 bytes."
    record = recorded()
    assert (record.status, record.http_status) == ("bad_request", 413)
    # Nothing was parsed, admitted or checked: no model, no prompt hash, no guardrail outcome.
    assert (record.requested_model, record.prompt_sha256, record.guardrail_outcomes) == ("", "", [])
    assert record.deployment is None
    # ... and no request was taken from the key's one-per-minute budget.
    assert_unreachable(chat(key))


def test_a_body_within_the_gateways_limit_is_accepted_whatever_djangos_upload_limit(
    served: Served, settings: Any
) -> None:
    settings.MODELGATE_GATEWAY_MAX_BODY_BYTES = 8192
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    key = served.key()

    response = chat(key, [{"role": "user", "content": "word " * 1200}])  # about 6 KB

    assert_unreachable(response)


def test_max_tokens_above_the_deployments_limit_is_refused(deploy: Callable[..., Served]) -> None:
    served = deploy(max_tokens_limit=256)
    key = served.key()

    response = chat(key, max_tokens=257)

    assert response.status_code == 400
    error = error_of(response)
    assert (error["param"], error["message"]) == ("max_tokens", "'max_tokens' may be at most 256 for this model.")
    assert recorded().status == "bad_request"
    assert_unreachable(chat(key, max_tokens=256))


# --- admission ------------------------------------------------------------------------------------------


def test_an_unknown_model_and_a_model_outside_the_keys_scope_get_the_same_refusal(
    deploy: Callable[..., Served],
) -> None:
    served = deploy()
    deploy(name="other-llama")
    key = served.key()

    unknown = chat(key, model="gpt-4o")
    outside = chat(key, model="other-llama")

    assert unknown.status_code == outside.status_code == 403
    assert error_of(unknown) == {
        "message": "The model 'gpt-4o' does not exist, is not approved, or this key may not use it.",
        "type": "permission_error",
        "param": "model",
        "code": "model_not_approved",
    }
    assert error_of(outside)["message"] == error_of(unknown)["message"].replace("gpt-4o", "other-llama")
    async_to_sync(gateway().writer.flush)()
    rows = list(InferenceRecord.objects.order_by("created_at"))
    assert [(r.requested_model, r.status, r.http_status, r.deployment) for r in rows] == [
        ("gpt-4o", "not_approved", 403, None),
        ("other-llama", "not_approved", 403, None),
    ]


def _pause(served: Served) -> str:
    deployment_set_state(actor=served.officer, deployment=served.deployment, state="paused", reason="maintenance")
    return "the deployment is paused"


def _retire(served: Served) -> str:
    deployment_set_state(actor=served.officer, deployment=served.deployment, state="retired", reason="replaced")
    return "the deployment is retired"


def _suspend(served: Served) -> str:
    approval_suspend(actor=served.officer, request=served.approval, reason="incident review")
    return f"its approval #{served.approval.pk} is suspended"


def _revoke(served: Served) -> str:
    approval_revoke(actor=served.officer, request=served.approval, reason="licence withdrawn")
    return f"its approval #{served.approval.pk} is revoked"


def _expire(served: Served) -> str:
    ApprovalRequest.objects.filter(pk=served.approval.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return f"its approval #{served.approval.pk} expired"


@pytest.mark.parametrize("spoil", [_pause, _retire, _suspend, _revoke, _expire], ids=lambda f: f.__name__[1:])
def test_a_deployment_without_an_approval_in_force_refuses_traffic(
    spoil: Callable[[Served], str], served: Served
) -> None:
    key = served.key()
    reason = spoil(served)

    response = chat(key)

    assert response.status_code == 403
    error = error_of(response)
    assert (error["code"], error["param"]) == ("model_not_approved", "model")
    assert error["message"] == f"The model 'tiny-llama' is not available: {reason}."
    record = recorded()
    assert (record.status, record.http_status, record.error_detail) == ("not_approved", 403, reason)
    assert (record.deployment, record.approval, record.revision) == (
        served.deployment,
        served.approval,
        served.version.revision,
    )


def test_a_key_over_its_rate_limit_is_told_when_to_retry(served: Served) -> None:
    key = served.key(rate_limit_per_minute=2)

    first, second, third = chat(key), chat(key), chat(key)

    assert_unreachable(first)
    assert_unreachable(second)
    assert third.status_code == 429
    error = error_of(third)
    assert (error["code"], error["type"]) == ("rate_limit_exceeded", "rate_limit_error")
    retry_after = third["Retry-After"]
    assert 1 <= int(retry_after) <= 30  # two per minute: one more in at most 30 s
    assert error["message"] == f"Rate limit reached; retry in {retry_after} s."
    rows = list(InferenceRecord.objects.order_by("created_at").values_list("status", "http_status"))
    assert rows == [("upstream_error", 502), ("upstream_error", 502), ("rate_limited", 429)]


def test_a_deployments_rate_limit_is_shared_by_all_its_keys(deploy: Callable[..., Served]) -> None:
    served = deploy(rate_limit_per_minute=1)
    mine, yours = served.key(), served.key(served.requester)

    assert_unreachable(chat(mine))
    refused = chat(yours)

    assert refused.status_code == 429
    assert error_of(refused)["code"] == "rate_limit_exceeded"
    assert 55 <= int(refused["Retry-After"]) <= 60  # one per minute for the whole deployment


def test_an_exceeded_license_limit_refuses_traffic_until_the_month_ends(deploy: Callable[..., Served]) -> None:
    served = deploy(license_conditions=[{"metric": "monthly_active_users", "limit": 1, "source": "contract §4"}])
    key = served.key()
    holder = ServingKey.objects.get()
    inference_records_write([make_record(served.deployment, key=holder, end_user="alice")])
    usage_rollup_refresh()
    assert_unreachable(chat(key))  # the one user allowed: still open
    inference_records_write([make_record(served.deployment, key=holder, end_user="bob")])
    usage_rollup_refresh()

    response = chat(key)

    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "license_limit_reached"
    assert error["message"] == (
        "The model 'tiny-llama' is over a license usage limit: "
        "2 monthly active users exceed the 1 allowed by contract §4."
    )
    record = InferenceRecord.objects.get(http_status=429)
    assert (record.status, record.error_code) == ("rate_limited", "license_limit_reached")


# --- guardrails on the prompt ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "secret", "kind"),
    [
        pytest.param(
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": f"Why does {AWS_KEY} not work with S3?"}]},
            AWS_KEY,
            "aws_access_key_id",
            id="aws-key-in-chat",
        ),
        pytest.param(
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": [{"type": "text", "text": f"token={GITHUB_TOKEN} fails"}]}]},
            GITHUB_TOKEN,
            "github_token",
            id="github-token-in-a-text-part",
        ),
        pytest.param(
            "/v1/completions",
            {"prompt": f"export AWS_ACCESS_KEY_ID={AWS_KEY}\n"},
            AWS_KEY,
            "aws_access_key_id",
            id="aws-key-in-a-completion-prompt",
        ),
    ],
)
def test_a_prompt_with_a_secret_is_blocked_and_the_secret_is_stored_nowhere(
    path: str, body: dict[str, Any], secret: str, kind: str, deploy: Callable[..., Served]
) -> None:
    served = deploy(store_content=True)  # even a deployment that keeps content must not keep this
    key = served.key()

    response = post(path, {"model": "tiny-llama", **body}, key)

    assert response.status_code == 400
    assert secret not in response.content.decode()
    assert error_of(response) == {
        "message": "The prompt was blocked by the guardrails: modelgate/secret_patterns.",
        "type": "invalid_request_error",
        "param": None,
        "code": "guardrail_violation",
    }
    # Committed before the answer was sent: no flush needed, nothing queued.
    record = InferenceRecord.objects.get()
    assert gateway().writer.pending() == 0
    assert (record.status, record.http_status, record.error_code) == ("blocked_input", 400, "guardrail_violation")
    assert record.error_detail == "input blocked by modelgate/secret_patterns"
    assert record.guardrail_outcomes == [
        {
            "validator": "modelgate/secret_patterns",
            "on": "input",
            "on_fail": "exception",
            "outcome": "blocked",
            "kinds": kind,
        }
    ]
    assert (record.prompt_text, record.completion_text) == (None, None)
    assert re.fullmatch(r"[0-9a-f]{64}", record.prompt_sha256)
    assert secret not in record_values(record)
    assert secret not in audit_text()


def test_a_prompt_fixed_by_a_guardrail_is_what_is_kept_and_forwarded(deploy: Callable[..., Served]) -> None:
    served = deploy(policy=[{"name": "modelgate/pii", "on": "input", "on_fail": "fix"}], store_content=True)
    key = served.key()

    response = chat(key, [{"role": "user", "content": "Write to jane.doe@example.com about the invoice."}])

    assert_unreachable(response)
    record = recorded()
    assert (record.status, record.http_status, record.error_code) == ("upstream_error", 502, "upstream_unavailable")
    assert record.guardrail_outcomes == [
        {"validator": "modelgate/pii", "on": "input", "on_fail": "fix", "outcome": "fixed", "kinds": "email"}
    ]
    assert orjson.loads(record.prompt_text) == [{"role": "user", "content": "Write to [EMAIL] about the invoice."}]
    assert record.content_expires_at == record.created_at + timedelta(days=30)
    assert "jane.doe" not in record_values(record)
    assert record.guardrail_policy_version == GuardrailPolicyVersion.objects.get(policy__name="tiny-llama-policy")


def test_a_secret_in_a_tool_description_is_blocked_like_one_in_a_message(served: Served) -> None:
    key = served.key()
    tool = {
        "type": "function",
        "function": {
            "name": "deploy",
            "description": f"Deploys with the AWS key {AWS_KEY}",
            "parameters": {"type": "object", "properties": {}},
        },
    }

    response = chat(key, tools=[tool])

    assert response.status_code == 400
    assert error_of(response)["code"] == "guardrail_violation"


def test_a_crashing_guardrail_refuses_the_call(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    version = GuardrailPolicyVersion.objects.get(policy=served.deployment.guardrail_policy)
    compiled = runner.compiled_policy(version.pk, version.validators)
    [bound] = compiled._stages["input"]

    def crash(value: Any, metadata: dict[str, Any]) -> Any:
        raise RuntimeError("the validator fell over")

    monkeypatch.setattr(bound.validator, "validate", crash)
    key = served.key()

    response = chat(key)

    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "guardrail_error"
    assert error["message"] == (
        "A guardrail failed (modelgate/secret_patterns); the call was refused rather than let through unchecked."
    )
    record = recorded()
    assert (record.status, record.http_status, record.error_code) == ("guardrail_error", 500, "guardrail_error")
    assert record.error_detail == "modelgate/secret_patterns (input) failed: RuntimeError"
    assert record.guardrail_outcomes == [
        {"validator": "modelgate/secret_patterns", "on": "input", "outcome": "error", "on_fail": ""}
    ]


# --- upstream and the database down ------------------------------------------------------------------


def test_when_the_first_backend_refuses_the_next_one_is_tried(served: Served) -> None:
    first, second = served.backend_url, closed_port_url()
    deployment_update(
        actor=served.officer,
        deployment=served.deployment,
        backends=[
            {"base_url": first, "served_model_name": "tiny-llama"},
            {"base_url": second, "served_model_name": "tiny-llama"},
        ],
        reason="a second replica",
    )
    key = served.key()

    response = chat(key)

    assert response.status_code == 502
    assert error_of(response) == {
        "message": UNREACHABLE,
        "type": "api_error",
        "param": None,
        "code": "upstream_unavailable",
    }
    record = recorded()
    assert record.backend == second  # the last one tried
    assert record.error_detail == f"{second}: cannot connect"
    pool = gateway().pool
    assert [pool.is_down(b) for b in async_to_sync(gateway().deployments.get)("tiny-llama").backends] == [True, True]


def test_a_database_that_cannot_be_read_refuses_the_call(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    key = served.key()

    def unreadable(name: str) -> Any:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(gateway().keys, "_loader", unreadable)
    key_down = chat(key)
    monkeypatch.undo()
    monkeypatch.setattr(gateway().deployments, "_loader", unreadable)
    deployment_down = chat(key)

    for response in (key_down, deployment_down):
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        error = error_of(response)
        assert error["code"] == "admission_unavailable"
        assert "cannot confirm this call is allowed" in error["message"]
    async_to_sync(gateway().writer.flush)()
    rows = list(InferenceRecord.objects.order_by("created_at"))
    assert [(r.status, r.http_status, r.error_code) for r in rows] == [
        ("unavailable", 503, "admission_unavailable"),
        ("unavailable", 503, "admission_unavailable"),
    ]
    assert all(r.error_detail.startswith("admission state unreadable: ") for r in rows)
    assert "could not connect" not in record_values(rows[0])
    assert (rows[0].key_id, rows[1].key_id) == (None, ServingKey.objects.get().pk)
    assert rows[1].deployment is None


def test_the_record_of_an_unreadable_database_names_the_database_error(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = served.key()

    def unreadable(name: str) -> Any:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(gateway().keys, "_loader", unreadable)
    assert chat(key).status_code == 503

    assert recorded().error_detail == "admission state unreadable: OperationalError"


def test_the_record_keeps_the_callers_address(served: Served) -> None:
    key = served.key()

    Client(REMOTE_ADDR="198.51.100.23").post(
        "/v1/chat/completions",
        data=orjson.dumps({"model": "tiny-llama", "messages": HELLO}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert recorded().client_ip == "198.51.100.23"


def test_behind_a_trusted_proxy_the_record_keeps_the_forwarded_address(served: Served, settings: Any) -> None:
    settings.MODELGATE_TRUSTED_PROXY_COUNT = 1
    key = served.key()

    Client(REMOTE_ADDR="10.42.0.7", HTTP_X_FORWARDED_FOR="203.0.113.9").post(
        "/v1/chat/completions",
        data=orjson.dumps({"model": "tiny-llama", "messages": HELLO}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert recorded().client_ip == "203.0.113.9"


# --- the other routes ----------------------------------------------------------------------------------


def test_the_model_list_shows_only_active_approved_deployments_in_the_keys_scope(
    deploy: Callable[..., Served],
) -> None:
    served = deploy()
    paused = deploy(name="paused-llama").deployment
    deploy(name="not-mine")
    deployment_set_state(actor=served.officer, deployment=paused, state="paused", reason="maintenance")
    key = served.key(deployments=[served.deployment, paused])
    client = Client()

    listed = client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert listed.status_code == 200
    body = orjson.loads(listed.content)
    assert body["object"] == "list"
    assert [(m["id"], m["object"], m["owned_by"]) for m in body["data"]] == [("tiny-llama", "model", "modelgate")]

    approval_suspend(actor=served.officer, request=served.approval, reason="incident review")
    assert orjson.loads(client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {key}").content)["data"] == []
    refused = client.get("/v1/models")
    assert refused.status_code == 401
    assert error_of(refused)["code"] == "invalid_api_key"


def test_wrong_methods_and_unknown_routes_get_openai_errors(served: Served) -> None:
    client = Client()

    get_chat = client.get("/v1/chat/completions")
    post_models = client.post("/v1/models")
    unknown = client.get("/v1/embeddings")

    assert (get_chat.status_code, get_chat["Allow"]) == (405, "POST")
    assert error_of(get_chat)["code"] == "method_not_allowed"
    assert error_of(get_chat)["message"] == "Use POST /v1/chat/completions."
    assert (post_models.status_code, post_models["Allow"]) == (405, "GET")
    assert unknown.status_code == 404
    assert error_of(unknown) == {
        "message": "Unknown route /v1/embeddings.",
        "type": "not_found_error",
        "param": None,
        "code": "not_found",
    }
    assert not InferenceRecord.objects.exists()


def _blocks(text: str) -> float:
    pattern = (
        r'^modelgate_gateway_guardrail_blocks_total\{deployment="tiny-llama",stage="input",'
        r'validator="modelgate/secret_patterns"\} (\S+)$'
    )
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_need_the_token_or_loopback_and_count_guardrail_blocks(served: Served, settings: Any) -> None:
    settings.MODELGATE_METRICS_TOKEN = ""
    assert Client(REMOTE_ADDR="10.0.0.7").get("/metrics").status_code == 404
    loopback = Client().get("/metrics")
    assert loopback.status_code == 200
    before = _blocks(loopback.content.decode())

    settings.MODELGATE_METRICS_TOKEN = "metrics-token-0123456789"
    assert Client().get("/metrics").status_code == 404  # with a token set, loopback alone is not enough
    assert Client(REMOTE_ADDR="10.0.0.7").get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    key = served.key()
    assert chat(key, [{"role": "user", "content": f"my key is {AWS_KEY}"}]).status_code == 400

    scraped = Client(REMOTE_ADDR="10.0.0.7").get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-0123456789")

    assert scraped.status_code == 200
    assert scraped["Content-Type"].startswith("text/plain")
    text = scraped.content.decode()
    assert _blocks(text) == before + 1
    assert AWS_KEY not in text
