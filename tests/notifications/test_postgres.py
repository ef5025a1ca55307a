"""Several workers drain the outbox at once on PostgreSQL: each delivery is sent exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from core.models import Delivery, DeliveryState, WebhookEndpoint
from core.notifications.delivery import deliveries_send_due
from core.notifications.services import notification_enqueue
from tests.notifications.support import LoopbackReceiver

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WORKERS = 4
MESSAGES = 40


def test_concurrent_workers_never_send_the_same_delivery(
    make_endpoint: Callable[..., WebhookEndpoint], receiver: LoopbackReceiver
) -> None:
    endpoint = make_endpoint(receiver.url)
    with transaction.atomic():
        for number in range(MESSAGES):
            notification_enqueue(topic="compliance.approval.approved", payload={"n": number})
        # Paused, so the on-commit send finds nothing due and the workers below do all the sending.
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=True)
    receiver.delay = 0.01

    barrier = threading.Barrier(WORKERS)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(deliveries_send_due())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(result["delivered"] for result in results) == MESSAGES
    sent = Counter(request.headers["x-modelgate-delivery"] for request in receiver.requests)
    assert len(sent) == MESSAGES
    assert set(sent.values()) == {1}
    assert set(Delivery.objects.values_list("state", "attempts")) == {(DeliveryState.DELIVERED, 1)}
    assert sum(1 for result in results if result["delivered"]) > 1  # the work really was shared
