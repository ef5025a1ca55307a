"""notification_enqueue: inside the caller's transaction, one delivery per matching endpoint and address."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from core.errors import ApplicationError
from core.models import Delivery, DeliveryChannel, DeliveryState, OutboxMessage, WebhookEndpoint
from core.notifications.services import NotificationOutsideTransaction, notification_enqueue
from tests.notifications.support import LoopbackReceiver

pytestmark = pytest.mark.django_db
TOPIC = "compliance.approval.approved"


class Boom(Exception):
    pass


def _enqueue_then_roll_back(**kwargs: Any) -> None:
    with transaction.atomic():
        notification_enqueue(**kwargs)
        raise Boom


def test_enqueue_creates_deliveries_only_for_matching_active_endpoints(
    make_endpoint: Callable[..., WebhookEndpoint], django_capture_on_commit_callbacks: Any
) -> None:
    every_topic = make_endpoint("http://127.0.0.1:9/all")
    approvals = make_endpoint("http://127.0.0.1:9/approvals", prefixes=["registry.", "compliance.approval."])
    make_endpoint("http://127.0.0.1:9/registry", prefixes=["registry."])
    make_endpoint("http://127.0.0.1:9/paused", prefixes=["compliance."], active=False)

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        message = notification_enqueue(
            topic=TOPIC, payload={"approval": 7}, emails=["Ana@Example.org", "ana@example.org", " bo@example.org "]
        )

    assert len(callbacks) == 1  # one send is scheduled, after the commit
    assert message.recipients_email == ["Ana@Example.org", "bo@example.org"]
    assert len(message.idempotency_key) == 32
    int(message.idempotency_key, 16)
    rows = {
        (d.channel, d.endpoint_id, d.recipient, d.state, d.attempts) for d in Delivery.objects.filter(message=message)
    }
    assert rows == {
        ("webhook", every_topic.pk, "http://127.0.0.1:9/all", "pending", 0),
        ("webhook", approvals.pk, "http://127.0.0.1:9/approvals", "pending", 0),
        ("email", None, "Ana@Example.org", "pending", 0),
        ("email", None, "bo@example.org", "pending", 0),
    }


def test_a_topic_nobody_wants_is_kept_but_schedules_nothing(
    make_endpoint: Callable[..., WebhookEndpoint], django_capture_on_commit_callbacks: Any
) -> None:
    make_endpoint("http://127.0.0.1:9/registry", prefixes=["registry."])
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        message = notification_enqueue(topic=TOPIC, payload={})
    assert callbacks == []
    assert OutboxMessage.objects.get() == message
    assert not Delivery.objects.exists()


def test_a_rolled_back_change_records_and_sends_nothing(
    make_endpoint: Callable[..., WebhookEndpoint],
    receiver: LoopbackReceiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_endpoint(receiver.url)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom):
        _enqueue_then_roll_back(topic=TOPIC, payload={"approval": 7}, emails=["ana@example.org"])

    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert not Delivery.objects.exists()
    assert receiver.requests == []


def test_a_committed_change_is_sent_after_the_commit(
    make_endpoint: Callable[..., WebhookEndpoint],
    receiver: LoopbackReceiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_endpoint(receiver.url)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = notification_enqueue(topic=TOPIC, payload={"approval": 7})
        assert receiver.requests == []  # nothing leaves before the commit
    assert [r.headers["idempotency-key"] for r in receiver.requests] == [message.idempotency_key]
    assert Delivery.objects.get().state == DeliveryState.DELIVERED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_is_refused_and_real_commits_and_rollbacks_behave(
    make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver
) -> None:
    make_endpoint(receiver.url)
    assert not connection.in_atomic_block
    with pytest.raises(NotificationOutsideTransaction, match=r"^compliance\.approval\.approved must be enqueued"):
        notification_enqueue(topic=TOPIC, payload={})
    assert not OutboxMessage.objects.exists()

    # A real rollback: nothing recorded, nothing sent.
    with pytest.raises(Boom):
        _enqueue_then_roll_back(topic=TOPIC, payload={"n": 1})
    assert not OutboxMessage.objects.exists()
    assert receiver.requests == []

    # A real commit: on_commit runs the (eager) task, which sends it.
    with transaction.atomic():
        message = notification_enqueue(topic=TOPIC, payload={"n": 2})
    assert [r.headers["idempotency-key"] for r in receiver.requests] == [message.idempotency_key]
    assert Delivery.objects.get().state == DeliveryState.DELIVERED


def test_payload_is_stored_as_plain_json() -> None:
    with transaction.atomic():
        message = notification_enqueue(
            topic=TOPIC, payload={"at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "fee": Decimal("1.50"), "n": 2.0}
        )
    message.refresh_from_db()
    assert message.payload == {"at": "2026-01-02T03:04:05Z", "fee": "1.50", "n": 2}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"topic": "Compliance Approved"}, "topic"),
        ({"topic": "compliance"}, "topic"),
        ({"topic": ""}, "topic"),
        ({"payload": {"x": "nul\x00"}}, "payload"),
        ({"payload": {"x": object()}}, "payload"),
        ({"payload": ["not", "an", "object"]}, "payload"),
        ({"emails": "ana@example.org"}, "emails"),
        ({"emails": ["not-an-address"]}, "emails"),
        ({"emails": ["ana@example.org\nBcc: eve@example.org"]}, "emails"),
    ],
)
def test_bad_input_is_refused_before_anything_is_recorded(kwargs: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"topic": TOPIC, "payload": {}, **kwargs}
    with transaction.atomic(), pytest.raises(ApplicationError) as caught:
        notification_enqueue(**arguments)
    assert list(caught.value.fields) == [field]
    assert not OutboxMessage.objects.exists()


def test_one_delivery_per_message_and_endpoint_is_enforced_by_the_database(
    make_endpoint: Callable[..., WebhookEndpoint],
) -> None:
    endpoint = make_endpoint("http://127.0.0.1:9/all")
    with transaction.atomic():
        message = notification_enqueue(topic=TOPIC, payload={}, emails=["ana@example.org"])
    for duplicate in (
        Delivery(message=message, channel=DeliveryChannel.WEBHOOK, endpoint=endpoint, recipient=endpoint.url),
        Delivery(message=message, channel=DeliveryChannel.EMAIL, recipient="ana@example.org"),
        Delivery(message=message, channel=DeliveryChannel.EMAIL, endpoint=endpoint, recipient="bo@example.org"),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate.save()
