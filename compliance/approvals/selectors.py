"""Reads of approvals, including the one the serving tier asks on every request."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from compliance.models import ApprovalRequest, ApprovalState


def approval_list() -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.select_related("version__model", "use_case", "requested_by").prefetch_related(
        "signoffs__signer"
    )


def approval_in_force(
    *, version_id: int, use_case_id: int, environment: str, now: datetime | None = None
) -> ApprovalRequest | None:
    """The approval that allows this deployment right now, or None (fail closed: no proof, no traffic)."""
    moment = now or timezone.now()
    return (
        ApprovalRequest.objects.filter(
            version_id=version_id,
            use_case_id=use_case_id,
            environment=environment,
            state=ApprovalState.APPROVED,
            expires_at__gt=moment,
        )
        .order_by("-decided_at")
        .first()
    )
