"""Approvals in the admin: read-only records, and every move through the same services as the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from compliance.approvals import services
from compliance.models import ApprovalRequest, SignOff
from core.admin_mixins import RoleAdminMixin
from core.errors import ApplicationError
from core.roles import Capability, user_can

DECISIONS = {
    "reject": services.approval_reject,
    "request_changes": services.approval_request_changes,
    "suspend": services.approval_suspend,
    "reinstate": services.approval_reinstate,
    "revoke": services.approval_revoke,
}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(name, name.replace("_", " ")) for name in DECISIONS])
    reason = forms.CharField(widget=forms.Textarea, help_text="Mandatory; recorded in the audit ledger")


class SignOffInline(admin.TabularInline[SignOff, ApprovalRequest]):
    model = SignOff
    fields = readonly_fields = ("signer", "role", "reason", "created_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, Capability.COMPLIANCE_VIEW)


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(RoleAdminMixin, admin.ModelAdmin[ApprovalRequest]):
    view_capability = Capability.COMPLIANCE_VIEW
    list_display = ["id", "version", "use_case", "environment", "state", "tier", "requested_by", "expires_at"]
    list_filter = ["state", "environment", "tier"]
    search_fields = ["version__model__hub_id", "use_case__name", "requested_by__username"]
    list_select_related = ["version__model", "use_case", "requested_by"]
    readonly_fields = [*(f.name for f in ApprovalRequest._meta.fields), "decide_link", "documentation"]
    inlines = [SignOffInline]
    actions = ["submit_selected", "sign_selected"]

    @admin.display(description="documentation")
    def documentation(self, obj: ApprovalRequest) -> str:
        from compliance.exports.admin import generate_button  # noqa: PLC0415  (the exports admin imports this module's app)

        return generate_button(approval=obj)

    @admin.display(description="decide")
    def decide_link(self, obj: ApprovalRequest) -> str:
        url = reverse("admin:compliance_approvalrequest_decide", args=[obj.pk])
        return format_html('<a class="button" href="{}">Reject, send back, suspend, reinstate or revoke…</a>', url)

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="compliance_approvalrequest_decide",
            )
        ]
        return custom + super().get_urls()

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        approval = get_object_or_404(ApprovalRequest, pk=pk)
        if not user_can(request.user, Capability.COMPLIANCE_VIEW):
            return HttpResponse(status=403)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            move = DECISIONS[form.cleaned_data["decision"]]
            try:
                move(actor=request.user, request=approval, reason=form.cleaned_data["reason"])
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Approval request #{approval.pk}: {form.cleaned_data['decision']} done.")
                return HttpResponseRedirect(reverse("admin:compliance_approvalrequest_change", args=[approval.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Decide on approval request #{approval.pk}",
            "form": form,
            "approval": approval,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "compliance/approval_decide.html", context)

    def _run(self, request: HttpRequest, queryset: QuerySet[ApprovalRequest], move: Any, verb: str) -> None:
        for approval in queryset:
            try:
                move(actor=request.user, request=approval)
            except ApplicationError as exc:
                self.message_user(request, f"#{approval.pk} not {verb}: {exc.message}", level=messages.ERROR)
            else:
                self.message_user(request, f"#{approval.pk} {verb}.")

    @admin.action(description="Submit selected requests (runs the gates)")
    def submit_selected(self, request: HttpRequest, queryset: QuerySet[ApprovalRequest]) -> None:
        self._run(request, queryset, services.approval_submit, "submitted")

    @admin.action(description="Sign off selected requests")
    def sign_selected(self, request: HttpRequest, queryset: QuerySet[ApprovalRequest]) -> None:
        self._run(request, queryset, services.approval_sign, "signed")
