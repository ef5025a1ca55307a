"""Webhook deliveries against a real HTTP server on the loopback interface."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import Delivery, DeliveryState, OutboxMessage, WebhookEndpoint, format_timestamp
from core.notifications.delivery import backoff, deliveries_send_due
from core.notifications.services import notification_enqueue
from core.notifications.signing import verify_signature
from core.tasks import deliver_pending_task
from tests.notifications.conftest import SECRET
from tests.notifications.support import LoopbackReceiver

pytestmark = pytest.mark.django_db
TOPIC = "compliance.approval.approved"
NOTHING = {"delivered": 0, "failed": 0, "dead": 0}


def _enqueue(payload: dict[str, Any] | None = None, emails: list[str] | None = None) -> OutboxMessage:
    with transaction.atomic():
        return notification_enqueue(topic=TOPIC, payload=payload or {"approval": 7}, emails=emails or [])


def test_a_webhook_is_signed_and_carries_the_message(
    make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver
) -> None:
    make_endpoint(receiver.url)
    message = _enqueue({"approval": 7, "model": "acme/chat-7b", "note": "été"})
    delivery = Delivery.objects.get()

    before = int(time.time())
    assert deliveries_send_due() == {**NOTHING, "delivered": 1}

    [request] = receiver.requests
    assert request.path == "/hook"
    assert verify_signature(SECRET, request.body, request.headers["x-modelgate-signature"])
    assert not verify_signature("another-secret-entirely", request.body, request.headers["x-modelgate-signature"])
    assert not verify_signature(SECRET, request.body + b" ", request.headers["x-modelgate-signature"])
    assert request.headers["x-modelgate-signature"].startswith("sha256=")
    assert request.headers["idempotency-key"] == message.idempotency_key
    assert request.headers["x-modelgate-delivery"] == str(delivery.pk)
    assert before <= int(request.headers["x-modelgate-timestamp"]) <= int(time.time())
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "id": message.idempotency_key,
        "topic": TOPIC,
        "payload": {"approval": 7, "model": "acme/chat-7b", "note": "été"},
        "created_at": format_timestamp(message.created_at),
    }

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert (delivery.attempts, delivery.response_status, delivery.last_error) == (1, 200, "")
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    assert delivery.claimed_until is None
    assert deliveries_send_due() == NOTHING  # delivered once, never again
    assert len(receiver.requests) == 1


def test_a_server_error_is_retried_with_backoff_and_the_same_idempotency_key(
    make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver
) -> None:
    make_endpoint(receiver.url)
    message = _enqueue()
    receiver.statuses = [500]
    start = timezone.now()

    assert deliveries_send_due(now=start) == {**NOTHING, "failed": 1}
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert (delivery.attempts, delivery.response_status) == (1, 500)
    assert delivery.last_error == "HTTP 500 Internal Server Error: receiver says no"
    assert delivery.next_attempt_at == start + timedelta(seconds=30)

    assert deliveries_send_due(now=start + timedelta(seconds=29)) == NOTHING  # not due yet
    assert len(receiver.requests) == 1

    assert deliveries_send_due(now=start + timedelta(seconds=30)) == {**NOTHING, "delivered": 1}
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_status, delivery.last_error) == (
        "delivered",
        2,
        200,
        "",
    )
    first, second = receiver.requests
    assert first.body == second.body  # same bytes, same signature
    assert first.headers["x-modelgate-signature"] == second.headers["x-modelgate-signature"]
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"] == message.idempotency_key
    assert json.loads(second.body)["id"] == message.idempotency_key
    assert first.headers["x-modelgate-delivery"] == second.headers["x-modelgate-delivery"] == str(delivery.pk)


def test_backoff_doubles_from_30_seconds_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff(500) == timedelta(hours=1)


def test_after_the_last_attempt_a_delivery_is_dead(
    make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver, settings: Any
) -> None:
    settings.MODELGATE_NOTIFICATION_MAX_ATTEMPTS = 3
    make_endpoint(receiver.url)
    _enqueue()
    receiver.statuses = [503] * 10
    moment = timezone.now()

    outcomes = []
    for _ in range(3):
        outcomes.append(deliveries_send_due(now=moment))
        delivery = Delivery.objects.get()
        moment = delivery.next_attempt_at or moment
    assert outcomes == [{**NOTHING, "failed": 1}, {**NOTHING, "failed": 1}, {**NOTHING, "dead": 1}]
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("dead", 3, 503)
    assert delivery.next_attempt_at is None
    assert deliveries_send_due(now=moment + timedelta(days=30)) == NOTHING
    assert len(receiver.requests) == 3


def test_an_unreachable_receiver_is_a_failed_attempt_with_the_error_recorded(
    make_endpoint: Callable[..., WebhookEndpoint], closed_port_url: str
) -> None:
    make_endpoint(closed_port_url)
    _enqueue()
    assert deliveries_send_due() == {**NOTHING, "failed": 1}
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.response_status is None
    assert delivery.last_error.startswith("ConnectionRefusedError:")
    assert delivery.attempts == 1


def test_a_redirect_is_not_followed(make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver) -> None:
    make_endpoint(receiver.url)
    _enqueue()
    receiver.statuses = [302]
    assert deliveries_send_due() == {**NOTHING, "failed": 1}
    assert [r.path for r in receiver.requests] == ["/hook"]
    assert Delivery.objects.get().response_status == 302


def test_only_http_urls_are_ever_opened(make_endpoint: Callable[..., WebhookEndpoint]) -> None:
    # The model and the services refuse such URLs; a row written around them is refused at send time too.
    make_endpoint("file:///etc/passwd")
    _enqueue()
    assert deliveries_send_due() == {**NOTHING, "failed": 1}
    assert Delivery.objects.get().last_error == "refused: a webhook URL must be http:// or https://"


def test_deliveries_to_an_inactive_endpoint_wait_for_it(
    make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver
) -> None:
    endpoint = make_endpoint(receiver.url)
    _enqueue()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    assert deliveries_send_due() == NOTHING
    assert Delivery.objects.get().state == DeliveryState.PENDING

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=True, url=receiver.url + "?moved=1")
    assert deliveries_send_due() == {**NOTHING, "delivered": 1}
    assert [r.path for r in receiver.requests] == ["/hook?moved=1"]
    assert Delivery.objects.get().recipient == receiver.url + "?moved=1"  # the log names where it went


def test_a_delivery_claimed_by_another_worker_is_left_alone_until_the_claim_expires(
    make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver
) -> None:
    make_endpoint(receiver.url)
    _enqueue()
    now = timezone.now()
    Delivery.objects.update(claimed_until=now + timedelta(minutes=2))
    assert deliveries_send_due(now=now) == NOTHING
    assert receiver.requests == []
    assert deliveries_send_due(now=now + timedelta(minutes=2)) == {**NOTHING, "delivered": 1}
    assert len(receiver.requests) == 1


def test_limit_caps_one_run_and_the_oldest_go_first(
    make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver
) -> None:
    make_endpoint(receiver.url)
    keys = [_enqueue({"n": n}).idempotency_key for n in range(3)]
    assert deliveries_send_due(limit=2) == {**NOTHING, "delivered": 2}
    assert deliveries_send_due(limit=2) == {**NOTHING, "delivered": 1}
    assert [r.headers["idempotency-key"] for r in receiver.requests] == keys


def test_the_task_sends_what_is_due_and_beat_runs_it_every_minute(
    make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver
) -> None:
    make_endpoint(receiver.url)
    _enqueue()
    assert deliver_pending_task.delay().get() == {**NOTHING, "delivered": 1}
    assert settings.CELERY_BEAT_SCHEDULE["deliver-notifications"] == {
        "task": "core.tasks.deliver_pending_task",
        "schedule": 60.0,
    }
