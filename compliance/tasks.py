from __future__ import annotations

from celery import shared_task

from compliance.approvals.services import approvals_expire_due, approvals_notify_expiring
from core.context import audit_context


@shared_task
def approvals_expire_due_task() -> list[int]:
    """Hourly: expire approvals past their expiry date (the serving tier refuses them from then on)
    and tell owners of approvals that expire within 30 days."""
    with audit_context(request_id="beat:approvals_expire_due"):
        approvals_notify_expiring()
        return approvals_expire_due()


@shared_task
def export_generate_task(document_id: int) -> str:
    """Make a requested documentation export (progress is visible on the document meanwhile)."""
    from compliance.exports.selectors import export_document_for  # noqa: PLC0415  (exports load slowly; only workers need them)
    from compliance.exports.services import export_generate  # noqa: PLC0415

    with audit_context(request_id=f"task:export_generate:{document_id}"):
        return str(export_generate(export_document_for(document_id)).status)
