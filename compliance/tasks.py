from __future__ import annotations

from celery import shared_task

from compliance.approvals.services import approvals_expire_due
from core.context import audit_context


@shared_task
def approvals_expire_due_task() -> list[int]:
    """Daily: expire approvals past their expiry date (the serving tier refuses them from then on)."""
    with audit_context(request_id="beat:approvals_expire_due"):
        return approvals_expire_due()
