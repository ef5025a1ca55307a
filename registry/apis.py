from __future__ import annotations

from typing import Any

import django_filters
from celery.result import AsyncResult
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.filters import IdFilter
from core.api.validation import validated_input
from core.context import current_audit_context
from core.roles import Capability
from registry import selectors, services
from registry.models import Model, ModelVersion, Organization
from registry.serializers import (
    ImportRequestSerializer,
    ImportTaskSerializer,
    ModelSerializer,
    ModelUpdateSerializer,
    ModelVersionDetailSerializer,
    ModelVersionListSerializer,
    OrganizationInputSerializer,
    OrganizationSerializer,
)
from registry.tasks import import_hf_model_task


class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Organization]):
    """Model providers."""

    read_capability = Capability.REGISTRY_VIEW
    write_capability = Capability.REGISTRY_MANAGE
    serializer_class = OrganizationSerializer
    filterset_fields = ["hub_namespace"]

    def get_queryset(self) -> QuerySet[Organization]:
        return selectors.organization_list()

    @extend_schema(request=OrganizationInputSerializer, responses={201: OrganizationSerializer})
    def create(self, request: Request) -> Response:
        data = validated_input(OrganizationInputSerializer, request.data)
        data.pop("reason", None)
        organization = services.organization_create(actor=request.user, **data)
        return Response(OrganizationSerializer(organization).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OrganizationInputSerializer, responses={200: OrganizationSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        organization = self.get_object()
        data = validated_input(OrganizationInputSerializer, request.data, partial=True)
        reason = data.pop("reason", "")
        organization = services.organization_update(
            actor=request.user, organization=organization, reason=reason, **data
        )
        return Response(OrganizationSerializer(organization).data)


class ModelFilter(django_filters.FilterSet):
    provider = IdFilter(field_name="provider_id")
    search = django_filters.CharFilter(field_name="hub_id", lookup_expr="icontains")

    class Meta:
        model = Model
        fields = ["provider", "task", "architecture", "search"]


class ModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Model]):
    """Models; each has pinned versions under /versions/."""

    read_capability = Capability.REGISTRY_VIEW
    write_capability = Capability.REGISTRY_MANAGE
    serializer_class = ModelSerializer
    filterset_class = ModelFilter

    def get_queryset(self) -> QuerySet[Model]:
        return selectors.model_list()

    @extend_schema(request=ModelUpdateSerializer, responses={200: ModelSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        model = self.get_object()
        data = validated_input(ModelUpdateSerializer, request.data, partial=True)
        reason = data.pop("reason", "")
        services.model_update(actor=request.user, model=model, reason=reason, **data)
        return Response(ModelSerializer(self.get_queryset().get(pk=model.pk)).data)


class ModelVersionFilter(django_filters.FilterSet):
    model = IdFilter(field_name="model_id")
    hub_id = django_filters.CharFilter(field_name="model__hub_id")
    license = django_filters.CharFilter(field_name="declared_license")

    class Meta:
        model = ModelVersion
        fields = ["model", "hub_id", "revision", "source", "license"]


class ModelVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ModelVersion]):
    """Model versions pinned to a revision. Creating one imports it from the Hugging Face Hub."""

    read_capability = Capability.REGISTRY_VIEW
    write_capability = Capability.REGISTRY_MANAGE
    filterset_class = ModelVersionFilter

    def get_queryset(self) -> QuerySet[ModelVersion]:
        return selectors.model_version_detail() if self.action == "retrieve" else selectors.model_version_list()

    def get_serializer_class(self) -> Any:
        return ModelVersionDetailSerializer if self.action == "retrieve" else ModelVersionListSerializer

    @extend_schema(
        request=ImportRequestSerializer,
        responses={
            201: ModelVersionDetailSerializer,
            200: OpenApiResponse(ModelVersionDetailSerializer, description="The revision was imported before"),
            202: ImportTaskSerializer,
        },
    )
    def create(self, request: Request) -> Response:
        data = validated_input(ImportRequestSerializer, request.data)
        if data["background"]:
            context = current_audit_context()
            task = import_hf_model_task.apply_async(
                kwargs={
                    "repo_id": data["repo_id"],
                    "revision": data.get("revision"),
                    "with_base_models": data["with_base_models"],
                    "actor_id": request.user.pk,
                    "request_id": context.request_id,
                    "client_ip": context.client_ip,
                }
            )
            return Response({"task_id": task.id, "status": "queued"}, status=status.HTTP_202_ACCEPTED)
        result = services.model_version_import(
            actor=request.user,
            repo_id=data["repo_id"],
            revision=data.get("revision"),
            with_base_models=data["with_base_models"],
        )
        version = selectors.model_version_detail().get(pk=result.version.pk)
        body = ModelVersionDetailSerializer(version).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class ImportTaskApi(APIView):
    """The state of an import queued with ``background: true``."""

    read_capability = Capability.REGISTRY_MANAGE

    @extend_schema(responses={200: ImportTaskSerializer})
    def get(self, request: Request, task_id: str) -> Response:
        result: AsyncResult[dict[str, Any]] = AsyncResult(task_id)
        body: dict[str, Any] = {"task_id": task_id, "status": result.state.lower()}
        outcome = result.result
        if result.successful() and isinstance(outcome, dict):
            body.update({k: v for k, v in outcome.items() if k in {"version_id", "error"}})
        elif result.failed():
            body["error"] = {"code": "failed", "message": str(result.result)}
        return Response(body)
