"""Models: the registry list, a model's page (versions, lineage, license, approvals, usage, audit) and exports."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from compliance.exports.apis import download_response
from compliance.exports.selectors import export_document_for
from compliance.exports.services import KIND_FORMATS, export_schedule
from compliance.models import ApprovalRequest, ExportDocument, ExportStatus
from compliance.selectors import version_license_report
from core.errors import ApplicationError, NotFoundError
from core.roles import Capability
from registry.models import Model, ModelVersion
from serving.models import Deployment
from web import selectors
from web.access import page_requires
from web.exports import export_choices
from web.lineage import version_lineage


@page_requires(Capability.REGISTRY_VIEW)
def model_list(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "web/model_list.html", {"title": "Models", "section": "models", "rows": selectors.model_overview()}
    )


@page_requires(Capability.REGISTRY_VIEW)
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    model = get_object_or_404(Model.objects.select_related("provider"), pk=pk)
    versions = list(model.versions.select_related("imported_by").order_by("-imported_at", "-pk"))
    if not versions:
        raise Http404("this model has no versions")
    chosen = request.GET.get("version", "")
    version = next((v for v in versions if str(v.pk) == chosen), versions[0])
    deployments = Deployment.objects.filter(version__model=model).select_related("version", "guardrail_policy")
    approvals = (
        ApprovalRequest.objects.filter(version__model=model)
        .select_related("use_case", "version", "requested_by")
        .order_by("-created_at")
    )
    context = {
        "title": model.hub_id,
        "section": "models",
        "model": model,
        "versions": versions,
        "version": version,
        "lineage": version_lineage(version),
        "license": version_license_report(version),
        "approvals": approvals,
        "deployments": deployments.order_by("name"),
        "usage": selectors.usage_totals(deployments, days=30),
        "events": selectors.audit_events_for(selectors.audit_events_of([model, *versions]), limit=20),
        "export_choices": export_choices(),
        "export_version": version,
        "exports": ExportDocument.objects.filter(version__model=model, approval=None).order_by("-requested_at")[:10],
    }
    return TemplateResponse(request, "web/model_detail.html", context)


class ExportForm(forms.Form):
    document = forms.ChoiceField(choices=[(f"{k}:{f}", f"{k}:{f}") for k, fs in KIND_FORMATS.items() for f in fs])
    approval = forms.IntegerField(required=False, min_value=1)
    version = forms.IntegerField(required=False, min_value=1)


@require_POST
@page_requires(Capability.COMPLIANCE_VIEW)
def export_create(request: HttpRequest) -> HttpResponse:
    """Queue a document for an approval or a model version, then show its progress where it was asked for."""
    form = ExportForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())
        return HttpResponse(f"Cannot generate: {problems}", status=400, content_type="text/plain; charset=utf-8")
    approval_id, version_id = form.cleaned_data["approval"], form.cleaned_data["version"]
    approval = get_object_or_404(ApprovalRequest, pk=approval_id) if approval_id else None
    version = get_object_or_404(ModelVersion, pk=version_id) if version_id else None
    kind, fmt = form.cleaned_data["document"].split(":")
    back = (
        reverse("web:approval-detail", args=[approval.pk])
        if approval is not None
        else reverse("web:model-detail", args=[version.model_id]) + f"?version={version.pk}"
        if version is not None
        else reverse("web:dashboard")
    )
    try:
        document = export_schedule(actor=request.user, kind=kind, format=fmt, approval=approval, version=version)
    except ApplicationError as exc:
        messages.error(request, f"Cannot generate this document: {exc.message}")
    else:
        messages.success(request, f"Generating {kind.replace('_', ' ')} ({fmt}) as version {document.sequence}.")
    return HttpResponseRedirect(back + "#exports-h")


def _document(pk: int) -> ExportDocument:
    try:
        return export_document_for(pk)
    except NotFoundError:
        raise Http404("no such document") from None


@page_requires(Capability.COMPLIANCE_VIEW)
def export_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """Polled by the page while a document is made; hands back the finished row to put in place."""
    document = _document(pk)
    finished = document.status in (ExportStatus.DONE, ExportStatus.FAILED)
    return JsonResponse(
        {
            "status": document.status,
            "progress": document.progress,
            "progress_note": document.progress_note,
            "row_html": render_to_string("web/_export_row.html", {"document": document}, request=request)
            if finished
            else "",
        }
    )


@page_requires(Capability.COMPLIANCE_VIEW)
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(pk)
    if document.status != ExportStatus.DONE:
        raise Http404("this document is not ready")
    return download_response(document)
