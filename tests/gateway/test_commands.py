"""manage.py vllm_config and issue_serving_key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management.base import CommandError
from django.test import Client

from compliance.models import ApprovalRequest
from core.models import AuditEvent
from serving import events
from serving.models import Deployment, GuardrailPolicy, ServingKey
from serving.services import deployment_create, serving_key_hash
from tests.cli import run_command
from tests.gateway.support import TINY_REVISION, Served


@pytest.fixture
def hub_deployment(
    make_approval: Callable[..., ApprovalRequest], policy: GuardrailPolicy, requester: User
) -> Deployment:
    """The tiny model deployed from its Hub id (so vLLM must be pinned to the approved commit)."""
    return deployment_create(
        actor=requester,
        name="tiny-llama",
        approval=make_approval(),
        backends=[{"base_url": "http://vllm-a:8000", "served_model_name": "tiny-llama-served"}],
        guardrail_policy=policy,
        max_model_len=2048,
        tensor_parallel_size=2,
    )


@pytest.mark.django_db
def test_vllm_config_pins_a_hub_model_to_the_approved_revision(
    hub_deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VLLM_API_KEY", "sk-upstream-secret-value")

    run = run_command("vllm_config", "tiny-llama")

    assert run.code == 0
    line = run.stdout.strip()
    assert line.startswith("vllm serve modelgate/tiny-llama ")
    assert f"--revision {TINY_REVISION}" in line
    assert "--served-model-name tiny-llama-served" in line
    assert '--api-key "${VLLM_API_KEY}"' in line
    assert "--max-model-len 2048" in line
    assert "--tensor-parallel-size 2" in line
    assert "sk-upstream-secret-value" not in run.stdout


@pytest.mark.django_db
def test_vllm_config_as_json_is_an_args_list_with_a_kubernetes_key_reference(hub_deployment: Deployment) -> None:
    run = run_command("vllm_config", "tiny-llama", "--format", "json", "--port", "9000")

    args = run.json()
    assert args[:2] == ["serve", "modelgate/tiny-llama"]
    assert args[args.index("--revision") + 1] == TINY_REVISION
    assert args[args.index("--api-key") + 1] == "$(VLLM_API_KEY)"
    assert args[args.index("--port") + 1] == "9000"
    assert all(isinstance(arg, str) for arg in args)


@pytest.mark.django_db
def test_vllm_config_for_a_local_snapshot_needs_no_revision(served: Served) -> None:
    run = run_command("vllm_config", "tiny-llama")

    assert run.stdout.startswith(f"vllm serve {served.deployment.model_source} ")
    assert "--revision" not in run.stdout
    assert "--max-model-len 1024" in run.stdout


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "deployment: no deployment named 'nope'"),
        (["tiny-llama", "--backend", "1"], "--backend: tiny-llama has 1 backend(s)"),
    ],
)
def test_vllm_config_names_what_is_wrong(args: list[str], message: str, hub_deployment: Deployment) -> None:
    with pytest.raises(CommandError) as refused:
        run_command("vllm_config", *args)

    assert str(refused.value) == message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ghost", "--deployment", "tiny-llama"], "username: no user 'ghost'"),
        (["dev", "--deployment", "nope"], "--deployment: no deployment named nope"),
        (["dev", "--deployment", "tiny-llama", "--issued-by", "ghost"], "--issued-by: no user 'ghost'"),
        (["rita", "--deployment", "tiny-llama", "--issued-by", "dev"], "your roles do not allow you to issue this key"),
    ],
)
def test_issue_serving_key_names_what_is_wrong(args: list[str], message: str, served: Served) -> None:
    with pytest.raises(CommandError) as refused:
        run_command("issue_serving_key", *args)

    assert str(refused.value) == message
    assert not ServingKey.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.urls("serving.gateway.urls")
def test_issue_serving_key_prints_a_key_that_authenticates(served: Served, settings: Any) -> None:
    settings.MIDDLEWARE = []

    run = run_command("issue_serving_key", "dev", "--deployment", "tiny-llama", "--name", "laptop")

    plaintext = run.stdout.strip()
    assert plaintext.startswith("mg_")
    key = ServingKey.objects.get()
    assert (key.key_hash, key.user, key.created_by, key.name) == (
        serving_key_hash(plaintext),
        served.developer,
        served.developer,
        "laptop",
    )
    event = AuditEvent.objects.get(action=events.SERVING_KEY_ISSUED.name)
    assert event.request_id == "cli-issue-serving-key"
    listed = Client().get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert listed.status_code == 200
    assert [model["id"] for model in json.loads(listed.content)["data"]] == ["tiny-llama"]
