"""Exports in the admin: generate buttons on approvals and model versions, issued documents (read-only,
with progress and a download), and the officers' texts, written through the service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from compliance.exports.apis import download_response
from compliance.exports.sections import MODEL_TEXT_KEYS, document_spec
from compliance.exports.services import (
    KIND_FORMATS,
    SECTIONED_KINDS,
    export_schedule,
    export_text_set,
)
from compliance.models import ApprovalRequest, ExportDocument, ExportStatus, ExportText
from core.admin_mixins import RoleAdminMixin, ServiceErrorsInAdmin
from core.errors import ApplicationError
from core.roles import Capability, user_can
from registry.models import ModelVersion

CHOICES = [
    (f"{kind}:{fmt}", f"{kind.replace('_', ' ')} ({fmt})") for kind, formats in KIND_FORMATS.items() for fmt in formats
]


class GenerateForm(forms.Form):
    document = forms.ChoiceField(choices=CHOICES, help_text="What to generate, and in which format")


def generate_button(*, approval: ApprovalRequest | None = None, version: ModelVersion | None = None) -> str:
    query = f"approval={approval.pk}" if approval is not None else f"version={version.pk if version else ''}"
    url = reverse("admin:compliance_exportdocument_generate") + "?" + query
    return format_html('<a class="button" href="{}">Generate documentation…</a>', url)


@admin.register(ExportDocument)
class ExportDocumentAdmin(RoleAdminMixin, admin.ModelAdmin[ExportDocument]):
    view_capability = Capability.COMPLIANCE_VIEW
    list_display = ["id", "kind", "format", "target", "sequence", "status", "progress", "requested_by", "requested_at"]
    list_filter = ["kind", "format", "status"]
    search_fields = ["version__model__hub_id", "approval__use_case__name", "sha256"]
    list_select_related = ["version__model", "approval__use_case", "requested_by"]
    exclude = ["content"]
    readonly_fields = [
        "kind",
        "format",
        "approval",
        "version",
        "sequence",
        "status",
        "progress",
        "progress_note",
        "requested_by",
        "requested_at",
        "completed_at",
        "filename",
        "sha256",
        "data_sha256",
        "missing_items",
        "error",
        "download",
    ]

    @admin.display(description="for")
    def target(self, document: ExportDocument) -> str:
        return str(document.approval or document.version)

    @admin.display(description="file")
    def download(self, document: ExportDocument) -> str:
        if document.status != ExportStatus.DONE:
            return f"{document.status}, {document.progress}% ({document.progress_note}) — reload to follow the progress"
        url = reverse("admin:compliance_exportdocument_download", args=[document.pk])
        return format_html('<a class="button" href="{}">Download {}</a>', url, document.filename)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        status = ExportDocument.objects.filter(pk=object_id).values_list("status", flat=True).first()
        if status in (ExportStatus.PENDING, ExportStatus.RUNNING):
            response["Refresh"] = "2"  # the page follows the progress without script
        return response

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("generate/", view(self.generate_view), name="compliance_exportdocument_generate"),
            path("<int:pk>/download/", view(self.download_view), name="compliance_exportdocument_download"),
            *super().get_urls(),
        ]

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        if not user_can(request.user, Capability.COMPLIANCE_VIEW):
            return HttpResponse(status=403)
        approval_id, version_id = request.GET.get("approval", ""), request.GET.get("version", "")
        approval = get_object_or_404(ApprovalRequest, pk=approval_id) if approval_id.isdigit() else None
        version = get_object_or_404(ModelVersion, pk=version_id) if version_id.isdigit() else None
        if approval is None and version is None:
            return HttpResponse("give ?approval=<id> or ?version=<id>", status=400)
        form = GenerateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            kind, fmt = form.cleaned_data["document"].split(":")
            try:
                # The service decides what the kind is made for and refuses what does not fit.
                document = export_schedule(
                    actor=request.user, kind=kind, format=fmt, approval=approval, version=version
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{kind} ({fmt}) requested; its progress shows below.")
                return HttpResponseRedirect(reverse("admin:compliance_exportdocument_change", args=[document.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Generate documentation for {approval or version}",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "compliance/exports/admin_generate.html", context)

    def download_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not user_can(request.user, Capability.COMPLIANCE_VIEW):
            return HttpResponse(status=403)
        return download_response(get_object_or_404(ExportDocument, pk=pk, status=ExportStatus.DONE))


def _item_keys() -> list[tuple[str, str]]:
    seen: dict[str, str] = dict(MODEL_TEXT_KEYS)
    for kind in SECTIONED_KINDS:
        for item in document_spec(kind).items():
            # Any item: where the registry lacks a fact (a parameter count, say), an officer states it.
            seen.setdefault(item.key, f"{item.source or item.id}: {item.title}")
    return sorted(seen.items(), key=lambda pair: pair[1])


class ExportTextForm(forms.ModelForm[ExportText]):
    key = forms.ChoiceField(choices=_item_keys)

    class Meta:
        model = ExportText
        fields = ["use_case", "version", "key", "text"]


@admin.register(ExportText)
class ExportTextAdmin(ServiceErrorsInAdmin, RoleAdminMixin, admin.ModelAdmin[ExportText]):
    view_capability = Capability.COMPLIANCE_VIEW
    manage_capability = Capability.EXPORT_TEXT_EDIT
    form = ExportTextForm
    list_display = ["key", "use_case", "version", "updated_by", "updated_at"]
    list_filter = ["key"]
    search_fields = ["key", "text", "use_case__name", "version__model__hub_id"]
    list_select_related = ["use_case", "version__model", "updated_by"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, Capability.EXPORT_TEXT_EDIT)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Which item and whose: fixed once written (a different one is a new text).
        return ["use_case", "version", "key"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ExportText, form: forms.ModelForm[Any], change: bool) -> None:
        stored = export_text_set(
            actor=request.user,
            key=obj.key if change else form.cleaned_data["key"],
            text=form.cleaned_data["text"],
            use_case=obj.use_case if change else form.cleaned_data.get("use_case"),
            version=obj.version if change else form.cleaned_data.get("version"),
        )
        if stored is not None:
            obj.pk = stored.pk
