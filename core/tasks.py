from __future__ import annotations

from celery import shared_task

from core.notifications.delivery import deliveries_send_due


@shared_task
def deliver_pending_task() -> dict[str, int]:
    """Send the notifications that are due: after each commit that enqueues one, and every minute (beat)."""
    return deliveries_send_due()
