"""The exports API: request a document (made by a Celery task), follow its progress, download it."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.exports.selectors import export_document_build, export_subject, export_target
from compliance.exports.services import (
    KIND_FORMATS,
    SECTIONED_KINDS,
    export_schedule,
    export_text_set,
)
from compliance.models import ExportDocument, ExportStatus, UseCase
from core.api.validation import validated_input
from core.errors import ApplicationError
from core.roles import Capability
from registry.models import ModelVersion


class ExportRequestSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=list(KIND_FORMATS))
    format = serializers.ChoiceField(choices=sorted({f for formats in KIND_FORMATS.values() for f in formats}))
    target = serializers.IntegerField(
        min_value=1, help_text="An approval request id (annex_iv, transparency_notice, bundle) or a model version id"
    )


class ExportTextSerializer(serializers.Serializer[Any]):
    key = serializers.RegexField(r"^[a-z][a-z0-9_]{1,79}$", help_text="The item key, e.g. human_oversight_assessment")
    text = serializers.CharField(allow_blank=True, max_length=50_000, trim_whitespace=False)
    use_case = serializers.IntegerField(min_value=1, required=False)
    version = serializers.IntegerField(min_value=1, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("use_case" in attrs) == ("version" in attrs):
            raise serializers.ValidationError({"use_case": ["give exactly one of use_case or version"]})
        return attrs


def export_document_data(document: ExportDocument) -> dict[str, Any]:
    return {
        "id": document.pk,
        "kind": document.kind,
        "format": document.format,
        "approval": document.approval_id,
        "version": document.version_id,
        "sequence": document.sequence,
        "status": document.status,
        "progress": document.progress,
        "progress_note": document.progress_note,
        "requested_by": document.requester_label,
        "requested_at": document.requested_at,
        "completed_at": document.completed_at,
        "filename": document.filename,
        "sha256": document.sha256,
        "data_sha256": document.data_sha256,
        "missing_items": document.missing_items,
        "error": document.error,
        "download": f"/api/v1/exports/{document.pk}/download/" if document.status == ExportStatus.DONE else None,
    }


def download_response(document: ExportDocument) -> HttpResponse:
    """The issued file as an attachment, with its SHA-256 in ``X-Content-SHA256`` (API and admin)."""
    response = HttpResponse(bytes(document.content or b""), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=document.filename) or ""
    response["X-Content-SHA256"] = document.sha256
    return response


class ExportListApi(APIView):
    """Request a documentation export, or list the ones issued (newest first)."""

    read_capability = Capability.COMPLIANCE_VIEW
    write_capability = Capability.COMPLIANCE_VIEW

    @extend_schema(operation_id="exports_list", responses={200: OpenApiResponse(description="exports")})
    def get(self, request: Request) -> Response:
        documents = ExportDocument.objects.select_related("requested_by").defer("content")
        kind = request.query_params.get("kind")
        if kind:
            if kind not in KIND_FORMATS:
                raise ApplicationError.for_field("kind", f"{kind!r} is not one of {', '.join(KIND_FORMATS)}")
            documents = documents.filter(kind=kind)
        for name in ("version", "approval"):
            value = request.query_params.get(name)
            if value:
                if not value.isdigit():
                    raise ApplicationError.for_field(name, f"{value!r} is not an id")
                documents = documents.filter(**{name: int(value)})
        return Response([export_document_data(d) for d in documents[:200]])

    @extend_schema(
        request=ExportRequestSerializer, responses={202: OpenApiResponse(description="the requested export")}
    )
    def post(self, request: Request) -> Response:
        data = validated_input(ExportRequestSerializer, request.data)
        document = export_schedule(
            actor=request.user, kind=data["kind"], format=data["format"], **export_target(data["kind"], data["target"])
        )
        document.refresh_from_db()
        return Response(export_document_data(document), status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(APIView):
    """One export: its status and progress while it is made, then its hashes and completeness."""

    read_capability = Capability.COMPLIANCE_VIEW

    @extend_schema(responses={200: OpenApiResponse(description="the export")})
    def get(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(ExportDocument.objects.select_related("requested_by").defer("content"), pk=pk)
        return Response(export_document_data(document))


class ExportDownloadApi(APIView):
    """The issued file, with its SHA-256 in a header."""

    read_capability = Capability.COMPLIANCE_VIEW

    @extend_schema(responses={200: OpenApiResponse(description="the file")})
    def get(self, request: Request, pk: int) -> HttpResponse:
        document = get_object_or_404(ExportDocument, pk=pk)
        if document.status != ExportStatus.DONE or document.content is None:
            raise ApplicationError.for_field("status", f"export {pk} is {document.status}, not done")
        return download_response(document)


class ExportCompletenessApi(APIView):
    """What a document would miss now, without issuing it: GET ?kind=annex_iv&target=<id>."""

    read_capability = Capability.COMPLIANCE_VIEW

    @extend_schema(responses={200: OpenApiResponse(description="missing items")})
    def get(self, request: Request) -> Response:
        kind = request.query_params.get("kind", "")
        if kind not in SECTIONED_KINDS:
            raise ApplicationError.for_field("kind", f"must be one of {', '.join(SECTIONED_KINDS)}")
        raw = request.query_params.get("target", "")
        if not raw.isdigit():
            raise ApplicationError.for_field("target", "must be an approval request or model version id")
        target = export_target(kind, int(raw))
        approval = target.get("approval")
        subject = export_subject(version=approval.version if approval else target["version"], approval=approval)
        document = export_document_build(kind, subject, generated_at=timezone.now())
        return Response(
            {"kind": kind, "target": int(raw), "missing": document.missing(), "data_sha256": subject.data_sha256()}
        )


class ExportTextApi(APIView):
    """Write (or with empty text remove) an officer's text for an export item of a use case or a model version."""

    read_capability = Capability.COMPLIANCE_VIEW
    write_capability = Capability.EXPORT_TEXT_EDIT

    @extend_schema(request=ExportTextSerializer, responses={200: OpenApiResponse(description="the stored text")})
    def put(self, request: Request) -> Response:
        data = validated_input(ExportTextSerializer, request.data)
        use_case = get_object_or_404(UseCase, pk=data["use_case"]) if "use_case" in data else None
        version = get_object_or_404(ModelVersion, pk=data["version"]) if "version" in data else None
        stored = export_text_set(
            actor=request.user, key=data["key"], text=data["text"], use_case=use_case, version=version
        )
        return Response({"key": data["key"], "text": stored.text if stored else "", "stored": stored is not None})
