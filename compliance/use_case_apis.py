from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from compliance import selectors, services
from compliance.models import UseCase
from core.api.validation import validated_input
from core.errors import ApplicationError
from core.roles import Capability
from registry.models import ModelVersion


class UseCaseSerializer(serializers.ModelSerializer[UseCase]):
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = UseCase
        fields = [
            "id",
            "name",
            "owner",
            "intended_purpose",
            "deployment_facts",
            "classification_answers",
            "deployer_public_body_or_public_service",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class UseCaseInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    owner = serializers.CharField(max_length=150, required=False, help_text="Username; defaults to the caller")
    intended_purpose = serializers.CharField(max_length=20000)
    deployment_facts = serializers.JSONField(required=False, help_text="License engine facts (README: License checks)")
    classification_answers = serializers.JSONField(
        required=False, help_text="EU AI Act answers (compliance/classification/README.md)"
    )
    deployer_public_body_or_public_service = serializers.BooleanField(required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


def _owner(username: str | None, default: Any) -> Any:
    if username is None:
        return default
    owner = User.objects.filter(username=username, is_active=True).first()
    if owner is None:
        raise ApplicationError.for_field("owner", f"no active user named {username!r}")
    return owner


class UseCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[UseCase]):
    """Use cases: what approvals are granted for (a model version, a use case and an environment)."""

    read_capability = Capability.COMPLIANCE_VIEW
    write_capability = Capability.USE_CASE_MANAGE
    serializer_class = UseCaseSerializer
    filterset_fields = ["owner"]

    def get_queryset(self) -> QuerySet[UseCase]:
        return UseCase.objects.select_related("owner").order_by("name")

    @extend_schema(request=UseCaseInputSerializer, responses={201: UseCaseSerializer})
    def create(self, request: Request) -> Response:
        data = validated_input(UseCaseInputSerializer, request.data)
        data.pop("reason", None)
        data["owner"] = _owner(data.get("owner"), request.user)
        use_case = services.use_case_create(actor=request.user, **data)
        return Response(UseCaseSerializer(use_case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UseCaseInputSerializer, responses={200: UseCaseSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        use_case = self.get_object()
        data = validated_input(UseCaseInputSerializer, request.data, partial=True)
        reason = data.pop("reason", "")
        if "owner" in data:
            data["owner"] = _owner(data["owner"], None)
        use_case = services.use_case_update(actor=request.user, use_case=use_case, reason=reason, **data)
        return Response(UseCaseSerializer(use_case).data)

    @extend_schema(
        parameters=[OpenApiParameter("version", int, description="A model version: adds its license verdict")],
        responses={200: OpenApiResponse(description="classification, and the license verdict for the version")},
    )
    @action(detail=True, methods=["get"])
    def assessment(self, request: Request, pk: str | None = None) -> Response:
        use_case = self.get_object()
        version = None
        raw = request.query_params.get("version")
        if raw is not None:
            if not raw.isdigit() or len(raw) > 18:
                raise ApplicationError.for_field("version", "must be a model version id")
            version = get_object_or_404(ModelVersion.objects.select_related("model"), pk=int(raw))
        return Response(selectors.use_case_assessment(use_case, version))
