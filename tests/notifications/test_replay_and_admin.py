"""Replaying deliveries (service and admin action) and the notification admin pages under the role matrix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.utils import timezone

from core.errors import ConflictError, PermissionDeniedError
from core.models import AuditEvent, Delivery, DeliveryState, WebhookEndpoint
from core.notifications.delivery import deliveries_send_due
from core.notifications.services import delivery_replay, notification_enqueue
from core.roles import Role
from tests.notifications.conftest import SECRET
from tests.notifications.support import LoopbackReceiver

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
DELIVERIES = "/admin/core/delivery/"
ENDPOINTS = "/admin/core/webhookendpoint/"


@pytest.fixture
def staff(make_user: Callable[..., User]) -> Callable[[Role], tuple[User, Client]]:
    def make(role: Role) -> tuple[User, Client]:
        user = make_user(role, is_staff=True)
        client = Client()
        assert client.login(username=user.username, password=PASSWORD)
        return user, client

    return make


def _enqueue(topic: str = "compliance.approval.approved") -> None:
    with transaction.atomic():
        notification_enqueue(topic=topic, payload={"approval": 7})


@pytest.fixture
def delivered_and_dead(
    make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver, settings: Any
) -> tuple[Delivery, Delivery]:
    """Two deliveries to the receiver: one delivered, one dead after its only allowed attempt."""
    settings.MODELGATE_NOTIFICATION_MAX_ATTEMPTS = 1
    make_endpoint(receiver.url)
    _enqueue("compliance.approval.approved")
    _enqueue("compliance.approval.revoked")
    receiver.statuses = [200, 500]
    deliveries_send_due()
    delivered, dead = Delivery.objects.order_by("pk")
    assert (delivered.state, dead.state) == ("delivered", "dead")
    return delivered, dead


def _replay_action(client: Client, *deliveries: Delivery) -> Any:
    return client.post(
        DELIVERIES,
        {"action": "replay_selected", "_selected_action": [str(d.pk) for d in deliveries], "index": "0"},
        follow=True,
    )


def test_a_compliance_officer_replays_from_the_admin(
    delivered_and_dead: tuple[Delivery, Delivery],
    receiver: LoopbackReceiver,
    staff: Callable[[Role], tuple[User, Client]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    officer, client = staff(Role.COMPLIANCE_OFFICER)
    delivered, dead = delivered_and_dead
    assert "Replay selected deliveries" in client.get(DELIVERIES).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = _replay_action(client, delivered, dead)

    assert response.status_code == 200
    assert "2 deliveries queued to be sent again." in response.content.decode()
    events = AuditEvent.objects.filter(action="core.notification.replayed").order_by("sequence")
    assert [(e.actor, e.target_type, e.target_id, e.reason) for e in events] == [
        (officer, "core.delivery", str(delivered.pk), "replayed in the admin"),
        (officer, "core.delivery", str(dead.pk), "replayed in the admin"),
    ]
    assert [(e.before, e.after) for e in events] == [
        (
            {"state": "delivered", "attempts": 1},
            {"state": "pending", "channel": "webhook", "topic": "compliance.approval.approved"},
        ),
        (
            {"state": "dead", "attempts": 1},
            {"state": "pending", "channel": "webhook", "topic": "compliance.approval.revoked"},
        ),
    ]
    # Sent again after the commit, under the same message ids; attempts are kept and counted on.
    keys = [r.headers["idempotency-key"] for r in receiver.requests]
    assert len(keys) == 4
    assert sorted(keys[2:]) == sorted(keys[:2])
    assert [(d.state, d.attempts) for d in Delivery.objects.order_by("pk")] == [("delivered", 2), ("delivered", 2)]


def test_an_auditor_sees_the_log_but_cannot_replay(
    delivered_and_dead: tuple[Delivery, Delivery],
    receiver: LoopbackReceiver,
    staff: Callable[[Role], tuple[User, Client]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    auditor, client = staff(Role.AUDITOR)
    _, dead = delivered_and_dead
    page = client.get(DELIVERIES)
    assert page.status_code == 200
    assert "Replay selected deliveries" not in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _replay_action(client, dead)

    assert response.status_code == 200  # with no action allowed, the POST just shows the list
    assert callbacks == []
    assert not AuditEvent.objects.filter(action="core.notification.replayed").exists()
    dead.refresh_from_db()
    assert dead.state == DeliveryState.DEAD
    assert len(receiver.requests) == 2
    with pytest.raises(PermissionDeniedError, match="replay"):
        delivery_replay(actor=auditor, delivery=dead)
    with pytest.raises(PermissionDeniedError):
        delivery_replay(actor=None, delivery=dead)


def test_a_queued_or_in_flight_delivery_is_not_replayed(
    make_endpoint: Callable[..., WebhookEndpoint],
    staff: Callable[[Role], tuple[User, Client]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    officer, client = staff(Role.COMPLIANCE_OFFICER)
    endpoint = make_endpoint("http://127.0.0.1:9/never-contacted")
    _enqueue()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)  # so the delivery stays pending
    pending = Delivery.objects.get()

    with pytest.raises(ConflictError, match="is pending: it is queued already"):
        delivery_replay(actor=officer, delivery=pending)
    with django_capture_on_commit_callbacks(execute=True):
        response = _replay_action(client, pending)
    assert f"Not replayed: #{pending.pk}: delivery {pending.pk} is pending" in response.content.decode()

    Delivery.objects.update(state=DeliveryState.FAILED, claimed_until=timezone.now() + timedelta(minutes=1))
    with pytest.raises(ConflictError, match="being sent right now"):
        delivery_replay(actor=officer, delivery=pending)
    assert not AuditEvent.objects.filter(action="core.notification.replayed").exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.AUDITOR, 200), (Role.APPROVER_LEGAL, 200), (Role.COMPLIANCE_OFFICER, 200), (Role.DEVELOPER, 403)],
)
def test_notification_pages_follow_the_role_matrix(
    role: Role,
    status: int,
    delivered_and_dead: tuple[Delivery, Delivery],
    staff: Callable[[Role], tuple[User, Client]],
) -> None:
    _, client = staff(role)
    delivered, _ = delivered_and_dead
    endpoint = WebhookEndpoint.objects.get()
    pages = [
        ENDPOINTS,
        f"{ENDPOINTS}{endpoint.pk}/change/",
        "/admin/core/outboxmessage/",
        f"/admin/core/outboxmessage/{delivered.message_id}/change/",
        DELIVERIES,
        f"{DELIVERIES}{delivered.pk}/change/",
        f"{DELIVERIES}?state__exact=dead&channel__exact=webhook",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == status, url
        assert SECRET not in response.content.decode(), url


def test_readers_see_only_whether_a_secret_is_set(
    make_endpoint: Callable[..., WebhookEndpoint], staff: Callable[[Role], tuple[User, Client]]
) -> None:
    endpoint = make_endpoint("https://hooks.example.org/modelgate")
    _, auditor = staff(Role.AUDITOR)
    html = auditor.get(f"{ENDPOINTS}{endpoint.pk}/change/").content.decode()
    assert "set" in html
    assert 'name="new_secret"' not in html
    assert auditor.get(f"{ENDPOINTS}add/").status_code == 403
    assert auditor.post(f"{ENDPOINTS}{endpoint.pk}/change/", {"name": "renamed"}).status_code == 403
    assert WebhookEndpoint.objects.get().name == endpoint.name


def test_an_officer_adds_and_edits_an_endpoint_with_a_write_only_secret(
    staff: Callable[[Role], tuple[User, Client]],
) -> None:
    officer, client = staff(Role.COMPLIANCE_OFFICER)
    form = {
        "name": "governance-bus",
        "url": "https://hooks.example.org/modelgate",
        "new_secret": SECRET,
        "event_prefixes": '["compliance.approval."]',
        "active": "on",
    }
    assert client.post(f"{ENDPOINTS}add/", {**form, "new_secret": "short"}).status_code == 200  # form error
    assert not WebhookEndpoint.objects.exists()

    assert client.post(f"{ENDPOINTS}add/", form).status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.secret, endpoint.event_prefixes) == (SECRET, ["compliance.approval."])
    created = AuditEvent.objects.get(action="core.webhook_endpoint.created")
    assert created.actor == officer
    assert created.after == {
        "name": "governance-bus",
        "url": "https://hooks.example.org/modelgate",
        "event_prefixes": ["compliance.approval."],
        "active": True,
    }

    change_page = client.get(f"{ENDPOINTS}{endpoint.pk}/change/").content.decode()
    assert 'name="new_secret"' in change_page
    assert SECRET not in change_page

    # An empty secret field keeps the secret.
    edited = {**form, "url": "https://hooks.example.org/v2", "new_secret": ""}
    assert client.post(f"{ENDPOINTS}{endpoint.pk}/change/", edited).status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.secret) == ("https://hooks.example.org/v2", SECRET)
    assert client.post(f"{ENDPOINTS}{endpoint.pk}/change/", {**edited, "new_secret": "x" * 32}).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret == "x" * 32

    updates = AuditEvent.objects.filter(action="core.webhook_endpoint.updated").order_by("sequence")
    assert [(e.before["url"], e.after["url"], e.after["secret_changed"]) for e in updates] == [
        ("https://hooks.example.org/modelgate", "https://hooks.example.org/v2", False),
        ("https://hooks.example.org/v2", "https://hooks.example.org/v2", True),
    ]
    for event in AuditEvent.objects.all():
        assert SECRET not in str(event.chain_record())
        assert "x" * 32 not in str(event.chain_record())


def test_endpoint_urls_must_be_http_or_https(staff: Callable[[Role], tuple[User, Client]]) -> None:
    _, client = staff(Role.COMPLIANCE_OFFICER)
    form = {"name": "ftp", "url": "ftp://files.example.org/x", "new_secret": SECRET, "event_prefixes": "[]"}
    response = client.post(f"{ENDPOINTS}add/", form)
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()
