"""E-mail deliveries through Django's e-mail backend (locmem here)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from core.models import Delivery, DeliveryState
from core.notifications.delivery import deliveries_send_due
from core.notifications.services import notification_enqueue

pytestmark = pytest.mark.django_db
NOTHING = {"delivered": 0, "failed": 0, "dead": 0}


def test_each_address_gets_one_e_mail() -> None:
    with transaction.atomic():
        message = notification_enqueue(
            topic="compliance.approval.approved",
            payload={"summary": "Approval #7 approved:\nacme/chat-7b", "approval": 7},
            emails=["ana@example.org", "bo@example.org"],
        )

    assert deliveries_send_due() == {**NOTHING, "delivered": 2}

    assert sorted(tuple(m.to) for m in mail.outbox) == [("ana@example.org",), ("bo@example.org",)]
    sent = mail.outbox[0]
    assert sent.subject == "[Modelgate] Approval #7 approved: acme/chat-7b"  # one line, whatever the summary held
    assert sent.from_email == "modelgate@example.org"
    assert "Topic: compliance.approval.approved" in sent.body
    assert f"Message id: {message.idempotency_key}" in sent.body
    assert json.dumps({"approval": 7}, indent=2)[2:-2].strip() in sent.body
    for delivery in Delivery.objects.all():
        assert (delivery.state, delivery.attempts, delivery.response_status) == ("delivered", 1, None)
        assert delivery.delivered_at is not None
    assert deliveries_send_due() == NOTHING
    assert len(mail.outbox) == 2


def test_without_a_summary_the_topic_is_the_subject() -> None:
    with transaction.atomic():
        notification_enqueue(topic="registry.model.imported", payload={"id": 3}, emails=["ana@example.org"])
    deliveries_send_due()
    assert [m.subject for m in mail.outbox] == ["[Modelgate] registry.model.imported"]


def test_a_refused_e_mail_is_retried_later(settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.notifications.support.BrokenEmailBackend"
    with transaction.atomic():
        notification_enqueue(topic="compliance.approval.revoked", payload={}, emails=["ana@example.org"])
    start = timezone.now()

    assert deliveries_send_due(now=start) == {**NOTHING, "failed": 1}
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error.startswith("SMTPRecipientsRefused:")
    assert delivery.next_attempt_at == start + timedelta(seconds=30)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliveries_send_due(now=start + timedelta(seconds=30)) == {**NOTHING, "delivered": 1}
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("delivered", 2, "")
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
