"""The approval queue and an approval request's page: gates, sign-offs, decisions with a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from compliance.approvals.gates import FRIA, REQUIRED_HIGH_RISK_EVIDENCE
from compliance.approvals.selectors import approval_list, open_signoff_roles, signoff_check
from compliance.approvals.services import (
    approval_gates,
    approval_reject,
    approval_request_changes,
    approval_sign,
)
from compliance.exports.selectors import APPROVAL_KINDS, annex_iv_missing
from compliance.models import ApprovalRequest, ApprovalState, ExportDocument
from compliance.selectors import use_case_assessment
from core.errors import ApplicationError
from core.roles import Capability, user_can
from serving.models import Deployment
from web import selectors
from web.access import page_requires
from web.exports import export_choices

S = ApprovalState
AWAITING = (S.SUBMITTED, S.IN_REVIEW)
QUEUE_TABS = (
    ("mine", "Needs my sign-off"),
    ("open", "All open"),
    ("changes", "Changes requested"),
    ("expiring", "Expiring soon"),
    ("decided", "Decided"),
)
Decide = Callable[..., ApprovalRequest]
DECISIONS: dict[str, tuple[str, Decide, str]] = {
    "sign": ("Sign off", approval_sign, "Signed."),
    "request_changes": ("Request changes", approval_request_changes, "Sent back to the requester for changes."),
    "reject": ("Reject", approval_reject, "Rejected."),
}


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[(key, label) for key, (label, _, _) in DECISIONS.items()])
    reason = forms.CharField(
        max_length=2000,
        strip=True,
        error_messages={"required": "Give a reason: it is kept with your decision in the audit ledger."},
    )


@page_requires(Capability.COMPLIANCE_VIEW)
def approval_queue(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "mine")
    if show not in dict(QUEUE_TABS):
        show = "mine"
    awaiting = list(selectors.approvals_awaiting_review())
    mine = [a for a in awaiting if signoff_check(a, request.user).role is not None]
    lists: dict[str, list[ApprovalRequest]] = {
        "mine": mine,
        "open": awaiting,
        "changes": list(approval_list().filter(state=S.CHANGES_REQUESTED).order_by("-updated_at")),
        "expiring": list(selectors.approvals_expiring(within_days=30)),
        "decided": list(
            approval_list()
            .filter(state__in=(S.APPROVED, S.REJECTED, S.SUSPENDED, S.REVOKED, S.EXPIRED))
            .order_by("-decided_at", "-pk")[:50]
        ),
    }
    context = {
        "title": "Approvals",
        "section": "approvals",
        "tabs": [(key, label, len(lists[key])) for key, label in QUEUE_TABS],
        "show": show,
        "approvals": lists[show],
        "mine_ids": {a.pk for a in mine},
    }
    return TemplateResponse(request, "web/approval_queue.html", context)


def _approval(pk: int) -> ApprovalRequest:
    try:
        return approval_list().select_related("version__model__provider", "use_case__owner").get(pk=pk)
    except ApprovalRequest.DoesNotExist:
        raise Http404("no such approval request") from None


def _detail_context(request: HttpRequest, approval: ApprovalRequest) -> dict[str, Any]:
    assessment = use_case_assessment(approval.use_case, approval.version)
    classification = assessment["classification"]
    awaiting = approval.state in AWAITING
    # Open requests show the gates as the final sign-off will run them (Annex IV included), as they
    # stand now; decided ones show what was recorded at their last move.
    gates = [r.as_dict() for r in approval_gates(approval, final=True).results] if awaiting else approval.gate_results
    signoffs = list(approval.signoffs.all())
    open_roles = open_signoff_roles(approval.required_signoffs, [s.role for s in signoffs])
    high_risk = classification["tier"] == "high_risk"
    evidence = approval.evidence or {}
    evidence_rows = [
        {"kind": kind, "label": label, "item": evidence.get(kind), "required": high_risk}
        for kind, label in REQUIRED_HIGH_RISK_EVIDENCE.items()
    ] + [
        {
            "kind": FRIA,
            "label": "fundamental rights impact assessment (Art. 27)",
            "item": evidence.get(FRIA),
            "required": False,
        }
    ]
    can_decide = user_can(request.user, Capability.APPROVAL_DECIDE)
    return {
        "title": f"Approval #{approval.pk}",
        "section": "approvals",
        "approval": approval,
        "license": assessment["license"],
        "classification": classification,
        "gates": gates,
        "gates_live": awaiting,
        "signoffs": signoffs,
        "open_roles": open_roles,
        "evidence_rows": evidence_rows,
        "annex_iv_missing": annex_iv_missing(approval) if high_risk else [],
        "awaiting": awaiting,
        "my_check": signoff_check(approval, request.user) if awaiting else None,
        "can_decide": can_decide and awaiting,
        "decision_form": DecisionForm(),
        "events": selectors.audit_events_for(selectors.audit_events_of([approval]), limit=30),
        "export_choices": export_choices(APPROVAL_KINDS),
        "exports": ExportDocument.objects.filter(approval=approval).order_by("-requested_at")[:10],
        "deployments": list(Deployment.objects.filter(approval=approval).order_by("name")),
    }


@page_requires(Capability.COMPLIANCE_VIEW)
def approval_detail(request: HttpRequest, pk: int) -> HttpResponse:
    approval = _approval(pk)
    return TemplateResponse(request, "web/approval_detail.html", _detail_context(request, approval))


@require_POST
@page_requires(Capability.COMPLIANCE_VIEW)
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Sign, request changes or reject; the services decide who may, the page only reports it."""
    approval = _approval(pk)
    form = DecisionForm(request.POST)
    error: ApplicationError | None = None
    if form.is_valid():
        _, decide, done = DECISIONS[form.cleaned_data["action"]]
        try:
            decide(actor=request.user, request=approval, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(request, done)
            return HttpResponseRedirect(reverse("web:approval-detail", args=[approval.pk]))
    approval = _approval(pk)
    context = _detail_context(request, approval) | {"decision_form": form, "decision_error": error}
    status = error.http_status if error is not None else 400
    return TemplateResponse(request, "web/approval_detail.html", context, status=status)
