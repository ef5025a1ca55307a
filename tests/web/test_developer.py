"""The developer's page: deployments, keys (issued once, revoked with a reason), usage and examples."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from core.errors import ApplicationError
from core.models import AuditEvent
from core.roles import Role
from modelgate.demo.serving import tiny_model_deploy
from serving import events
from serving.models import Deployment, InferenceStatus, ServingKey
from serving.services import deployment_set_state, inference_records_write, serving_key_hash, serving_key_issue
from tests.gateway.support import TINY_REVISION, closed_port_url, make_record, write_tiny_snapshot
from web.views import developer as developer_views

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://gateway.example.test/v1"
PLAINTEXT = re.compile(r"mg_[A-Za-z0-9_-]{20,}")


@pytest.fixture(autouse=True)
def _public_url(settings: Any) -> None:
    settings.MODELGATE_GATEWAY_PUBLIC_URL = PUBLIC_URL


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """The tiny model's snapshot, as the serving tests build it (an Apache-2.0 README and a pinned commit)."""
    return write_tiny_snapshot(tmp_path / "tiny-llama")


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.ML_ENGINEER, username="rita")


@pytest.fixture
def deploy(model_dir: Path, manager: User, officer: User) -> Callable[..., Deployment]:
    """Approve and deploy the tiny model under a name, through the services (the demo's helper)."""

    def make(name: str = "tiny-llama") -> Deployment:
        return tiny_model_deploy(
            model_dir=model_dir,
            backend_url=closed_port_url(),
            requester=manager,
            officer=officer,
            name=name,
            policy_name="sandbox-guardrails",
        ).deployment

    return make


@pytest.fixture
def deployment(deploy: Callable[..., Deployment]) -> Deployment:
    return deploy()


@pytest.fixture
def developer(make_user: Callable[..., User]) -> User:
    return make_user(Role.DEVELOPER, username="dev")


@pytest.fixture
def dev_client(developer: User) -> Client:
    client = Client()
    client.force_login(developer)
    return client


def issue(user: User, deployment: Deployment, name: str = "laptop", **options: Any) -> tuple[ServingKey, str]:
    return serving_key_issue(actor=user, user=user, name=name, deployments=[deployment], **options)


def create_data(deployment: Deployment, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "ci pipeline", "deployments": [str(deployment.pk)], "expires_in_days": "30"}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


# --- Access -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get("/developer/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/developer/"


def test_a_role_that_may_not_call_the_gateway_gets_a_403_naming_the_permission(
    make_user: Callable[..., User],
) -> None:
    client = Client()
    client.force_login(make_user(Role.AUDITOR))

    response = client.get("/developer/")

    assert response.status_code == 403
    assert "serving.invoke" in response.content.decode()


@pytest.mark.parametrize("path", ["/developer/keys/", "/developer/keys/1/revoke/"])
def test_the_write_endpoints_refuse_get(dev_client: Client, path: str) -> None:
    assert dev_client.get(path).status_code == 405


@pytest.mark.parametrize("path", ["/developer/keys/", "/developer/keys/{pk}/revoke/"])
def test_posts_without_a_csrf_token_are_refused(developer: User, deployment: Deployment, path: str) -> None:
    key, _ = issue(developer, deployment)
    client = Client(enforce_csrf_checks=True)
    client.force_login(developer)

    response = client.post(path.format(pk=key.pk), create_data(deployment) | {"reason": "leaked"})

    assert response.status_code == 403
    assert ServingKey.objects.count() == 1
    key.refresh_from_db()
    assert key.revoked_at is None


# --- The page -------------------------------------------------------------------------------


def test_the_page_lists_the_deployments_and_examples_against_the_public_url(
    dev_client: Client, deployment: Deployment
) -> None:
    response = dev_client.get("/developer/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<code>tiny-llama</code>" in html
    assert "modelgate/tiny-llama" in html
    assert TINY_REVISION[:7] in html
    assert "sandbox-guardrails" in html
    assert 'class="badge badge-ok">Active<' in html
    assert f"{PUBLIC_URL}/chat/completions" in html
    assert f"base_url=&quot;{PUBLIC_URL}&quot;" in html
    assert "Authorization: Bearer $MODELGATE_API_KEY" in html
    assert "&quot;model&quot;: &quot;tiny-llama&quot;" in html
    assert "&quot;stream&quot;: true" in html
    assert 'data-copy-target="example-curl"' in html
    assert 'data-copy-target="example-python"' in html
    assert not PLAINTEXT.search(html)
    assert "You have no keys yet" in html
    assert "No usage in the last 30 days" in html


def test_deployments_on_my_keys_are_listed_with_the_keys_that_reach_them(
    dev_client: Client, developer: User, deploy: Callable[..., Deployment], manager: User
) -> None:
    first = deploy("tiny-a")
    second = deploy("tiny-b")
    issue(developer, first, name="notebook")
    revoked, _ = issue(developer, second, name="old notebook")
    dev_client.post(f"/developer/keys/{revoked.pk}/revoke/", {"reason": "replaced"})
    deployment_set_state(actor=manager, deployment=first, state="paused", reason="maintenance")

    response = dev_client.get("/developer/")

    rows = response.context["deployments"]
    assert [(row.deployment.name, row.key_names) for row in rows] == [("tiny-a", ("notebook",)), ("tiny-b", ())]
    # A paused deployment is shown (the developer's key stops working) but a new key cannot be scoped to it.
    assert [d.name for d in response.context["scopable"]] == ["tiny-b"]
    assert 'class="badge badge-warn">Paused<' in response.content.decode()


def test_my_keys_show_their_status_in_words(
    dev_client: Client, developer: User, deployment: Deployment, make_user: Callable[..., User]
) -> None:
    active, _ = issue(developer, deployment, name="active one")
    expired, _ = issue(developer, deployment, name="expired one", expires_at=timezone.now() + timedelta(days=1))
    ServingKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    revoked, _ = issue(developer, deployment, name="revoked one")
    dev_client.post(f"/developer/keys/{revoked.pk}/revoke/", {"reason": "pasted into a chat"})
    issue(make_user(Role.DEVELOPER), deployment, name="someone else's")

    response = dev_client.get("/developer/")

    statuses = {row.key.name: row.status for row in response.context["keys"]}
    assert statuses == {"active one": "active", "expired one": "expired", "revoked one": "revoked"}
    html = response.content.decode()
    assert f"<code>{active.prefix}…</code>" in html
    assert ">Expired<" in html
    assert ">Revoked<" in html
    assert "pasted into a chat" in html
    assert "someone else" not in html
    # Only the active key has a revoke form.
    assert html.count('name="reason"') == 1
    assert f'action="/developer/keys/{active.pk}/revoke/"' in html


# --- Creating a key ---------------------------------------------------------------------------


def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(dev_client: Client, deployment: Deployment) -> None:
    response = dev_client.post("/developer/keys/", create_data(deployment, rate_limit_per_minute="60"))

    assert response.status_code == 200
    html = response.content.decode()
    plaintext = PLAINTEXT.search(html)
    assert plaintext is not None
    key = ServingKey.objects.get()
    assert key.key_hash == serving_key_hash(plaintext.group())
    assert key.name == "ci pipeline"
    assert key.rate_limit_per_minute == 60
    assert list(key.deployments.all()) == [deployment]
    assert key.expires_at is not None
    assert abs(key.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert "no-store" in response["Cache-Control"]
    assert "will not be shown again" in html
    assert 'data-copy-target="new-key"' in html
    assert f"-H 'Authorization: Bearer {plaintext.group()}'" in unescape(html)
    # Nowhere else: twice on this page (the key, the example), not in the session, a message or a cookie,
    # and not on the next page.
    assert html.count(plaintext.group()) == 2
    assert plaintext.group() not in repr(dict(dev_client.session))
    assert plaintext.group() not in str(response.cookies)
    again = dev_client.get("/developer/")
    assert plaintext.group() not in again.content.decode()
    assert f"{key.prefix}…" in again.content.decode()


def test_a_key_without_an_expiry_or_rate_limit_is_fine(dev_client: Client, deployment: Deployment) -> None:
    response = dev_client.post(
        "/developer/keys/", create_data(deployment, expires_in_days="", rate_limit_per_minute="")
    )

    assert response.status_code == 200
    key = ServingKey.objects.get()
    assert key.expires_at is None
    assert key.rate_limit_per_minute is None
    assert "does not expire" in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"deployments": None}, "deployments"),
        ({"deployments": ["999999"]}, "deployments"),
        ({"deployments": ["tiny-llama"]}, "deployments"),
        ({"expires_in_days": "0"}, "expires_in_days"),
        ({"expires_in_days": "366"}, "expires_in_days"),
        ({"expires_in_days": "abc"}, "expires_in_days"),
        ({"rate_limit_per_minute": "0"}, "rate_limit_per_minute"),
    ],
)
def test_invalid_input_is_refused_on_the_field_and_creates_nothing(
    dev_client: Client, deployment: Deployment, changes: dict[str, Any], field: str
) -> None:
    response = dev_client.post("/developer/keys/", create_data(deployment, **changes))

    assert response.status_code == 400
    assert list(response.context["create_form"].errors) == [field]
    html = response.content.decode()
    assert f'id="key-{field}_error"' in html
    assert ServingKey.objects.count() == 0
    assert not PLAINTEXT.search(html)


def test_a_retired_deployment_cannot_be_chosen(dev_client: Client, deployment: Deployment, manager: User) -> None:
    deployment_set_state(actor=manager, deployment=deployment, state="retired", reason="replaced")

    response = dev_client.post("/developer/keys/", create_data(deployment))

    assert response.status_code == 400
    assert f"{deployment.pk} is not an active deployment." in response.content.decode()
    assert ServingKey.objects.count() == 0


def test_a_refusal_by_the_service_is_shown_on_the_form(
    dev_client: Client, deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: Any) -> tuple[ServingKey, str]:
        raise ApplicationError.for_field("expires_at", "must be in the future")

    monkeypatch.setattr(developer_views, "serving_key_issue", refuse)

    response = dev_client.post("/developer/keys/", create_data(deployment))

    assert response.status_code == 400
    assert response.context["create_form"].errors == {"expires_in_days": ["must be in the future"]}
    assert "must be in the future" in response.content.decode()
    # What was typed is kept.
    assert 'value="ci pipeline"' in response.content.decode()
    assert f'value="{deployment.pk}" checked' in response.content.decode()


# --- Revoking a key ---------------------------------------------------------------------------


def test_i_revoke_my_key_with_a_reason_and_it_is_audited(
    dev_client: Client, developer: User, deployment: Deployment
) -> None:
    key, _ = issue(developer, deployment)

    response = dev_client.post(f"/developer/keys/{key.pk}/revoke/", {"reason": "left on a shared machine"})

    assert response.status_code == 302
    assert response["Location"] == "/developer/"
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert key.revoked_reason == "left on a shared machine"
    event = AuditEvent.objects.get(action=events.SERVING_KEY_REVOKED.name, target_id=str(key.pk))
    assert event.action == "serving.key.revoked"
    assert event.actor == developer
    assert event.reason == "left on a shared machine"
    page = dev_client.get(response["Location"])
    assert f"Key “laptop” ({key.prefix}…) is revoked" in page.content.decode()


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_revoking_needs_a_reason(
    dev_client: Client, developer: User, deployment: Deployment, reason: str | None
) -> None:
    key, _ = issue(developer, deployment)

    response = dev_client.post(f"/developer/keys/{key.pk}/revoke/", {} if reason is None else {"reason": reason})

    assert response.status_code == 400
    assert "Say why you revoke the key." in response.content.decode()
    assert f'aria-describedby="revoke-reason-{key.pk}-error"' in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None
    assert not AuditEvent.objects.filter(action="serving.key.revoked").exists()


def test_a_key_revoked_already_is_not_revoked_twice(
    dev_client: Client, developer: User, deployment: Deployment
) -> None:
    key, _ = issue(developer, deployment)
    dev_client.post(f"/developer/keys/{key.pk}/revoke/", {"reason": "first"})

    response = dev_client.post(f"/developer/keys/{key.pk}/revoke/", {"reason": "second"})

    assert response.status_code == 409
    assert "is revoked already" in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_reason == "first"


def test_a_developer_cannot_revoke_someone_elses_key(
    dev_client: Client, deployment: Deployment, make_user: Callable[..., User]
) -> None:
    other, _ = issue(make_user(Role.DEVELOPER), deployment)

    response = dev_client.post(f"/developer/keys/{other.pk}/revoke/", {"reason": "not mine"})

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_a_manager_may_revoke_someone_elses_key(manager: User, developer: User, deployment: Deployment) -> None:
    key, _ = issue(developer, deployment)
    client = Client()
    client.force_login(manager)

    response = client.post(f"/developer/keys/{key.pk}/revoke/", {"reason": "the developer left"})

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert AuditEvent.objects.get(action="serving.key.revoked").actor == manager


def test_an_unknown_key_is_a_404(dev_client: Client) -> None:
    assert dev_client.post("/developer/keys/999999/revoke/", {"reason": "?"}).status_code == 404


# --- Usage --------------------------------------------------------------------------------------


def test_usage_counts_my_calls_of_the_last_30_days(
    dev_client: Client, developer: User, deployment: Deployment, make_user: Callable[..., User]
) -> None:
    key, _ = issue(developer, deployment)
    other_key, _ = issue(make_user(Role.DEVELOPER), deployment)
    now = timezone.now()
    inference_records_write(
        [
            make_record(deployment, key=key, prompt_tokens=10, completion_tokens=5),
            make_record(deployment, key=key, prompt_tokens=7, completion_tokens=3, created_at=now - timedelta(days=2)),
            make_record(deployment, key=key, status=InferenceStatus.BLOCKED_INPUT, prompt_tokens=4),
            make_record(deployment, key=key, status=InferenceStatus.BLOCKED_OUTPUT),
            make_record(deployment, key=key, status=InferenceStatus.UPSTREAM_ERROR),
            # Too old, and someone else's: not counted.
            make_record(deployment, key=key, prompt_tokens=100, created_at=now - timedelta(days=31)),
            make_record(deployment, key=other_key, prompt_tokens=1000),
        ]
    )

    response = dev_client.get("/developer/")

    usage = response.context["usage"]
    assert (usage.requests, usage.allowed, usage.blocked, usage.failed) == (5, 2, 2, 1)
    assert (usage.prompt_tokens, usage.completion_tokens) == (21, 8)
    assert len(usage.by_day) == 30
    assert usage.by_day[-1] == (timezone.localdate(now), 4)
    assert usage.by_day[-3] == (timezone.localdate(now - timedelta(days=2)), 1)
    html = response.content.decode()
    assert '<span class="stat-value">5</span><span class="stat-label">Requests</span>' in html
    assert "Blocked by guardrails" in html
    assert 'aria-labelledby="usage-chart-title"' in html
    assert "No usage in the last" not in html
