"""Reads of approvals, including the one the serving tier asks on every request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from compliance.models import ApprovalRequest, ApprovalState
from core.roles import user_roles


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


def open_signoff_roles(required: list[str], signed: list[str]) -> list[str]:
    """The required roles no sign-off fills yet (one entry per person still needed)."""
    open_roles = list(required)
    for role in signed:
        if role in open_roles:
            open_roles.remove(role)
    return open_roles


@dataclass(frozen=True)
class SignoffCheck:
    """Whether a person may sign a request now: the role they would fill, or why not."""

    role: str | None
    refusal: str = ""
    problem: str = ""


def signoff_check(request: ApprovalRequest, signer: Any) -> SignoffCheck:
    """Segregation of duties and the open roles, as one rule for the service and the pages.

    The requester and the version's importer never sign; one person counts once; the signer
    must hold a role that is still open (an administrator fills any).
    """
    if signer.pk == request.requested_by_id:
        return SignoffCheck(
            None,
            "you requested this approval, so you cannot sign it (segregation of duties)",
            "the requester cannot sign",
        )
    if request.version.imported_by_id is not None and signer.pk == request.version.imported_by_id:
        return SignoffCheck(
            None,
            "you imported this model version, so you cannot sign its approval (segregation of duties)",
            "the importer cannot sign",
        )
    signoffs = list(request.signoffs.all())  # prefetched by the lists that check many requests
    if any(signoff.signer_id == signer.pk for signoff in signoffs):
        return SignoffCheck(None, "you have signed this request already; one person counts once", "already signed")
    open_roles = open_signoff_roles(request.required_signoffs, [signoff.role for signoff in signoffs])
    held = user_roles(signer)
    for role in open_roles:
        if role in held or signer.is_superuser:
            return SignoffCheck(str(role))
    needed = ", ".join(sorted(set(open_roles))) or "none"
    return SignoffCheck(None, f"no open sign-off matches your roles; still needed: {needed}", f"needs one of: {needed}")
