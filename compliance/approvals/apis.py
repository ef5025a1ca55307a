from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from compliance.approvals import selectors, services
from compliance.models import ApprovalRequest, SignOff, UseCase
from core.api.validation import validated_input
from core.roles import Capability
from registry.models import ModelVersion


class SignOffSerializer(serializers.ModelSerializer[SignOff]):
    signer = serializers.CharField(source="signer.username", read_only=True)

    class Meta:
        model = SignOff
        fields = ["signer", "role", "reason", "created_at"]
        read_only_fields = fields


class ApprovalSerializer(serializers.ModelSerializer[ApprovalRequest]):
    version_id = serializers.IntegerField(read_only=True)
    model = serializers.CharField(source="version.model.hub_id", read_only=True)
    revision = serializers.CharField(source="version.revision", read_only=True)
    use_case_id = serializers.IntegerField(read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    signoffs = SignOffSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "version_id",
            "model",
            "revision",
            "use_case_id",
            "environment",
            "state",
            "state_reason",
            "requested_by",
            "tier",
            "gpai",
            "required_signoffs",
            "signoffs",
            "gate_results",
            "evidence",
            "separate_license",
            "conditions",
            "submitted_at",
            "decided_at",
            "expires_at",
            "created_at",
        ]
        read_only_fields = fields


class ApprovalCreateSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    use_case = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    environment = serializers.ChoiceField(choices=["production", "staging"])
    evidence = serializers.JSONField(required=False)
    separate_license = serializers.JSONField(required=False, allow_null=True)
    conditions = serializers.JSONField(required=False)


class ApprovalUpdateSerializer(serializers.Serializer[Any]):
    evidence = serializers.JSONField(required=False)
    separate_license = serializers.JSONField(required=False, allow_null=True)
    conditions = serializers.JSONField(required=False)


class DecisionSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ApprovalRequest]):
    """Approval requests for (model version, use case, environment), and every move they can make."""

    read_capability = Capability.COMPLIANCE_VIEW
    write_capability = Capability.COMPLIANCE_VIEW  # each service decides who may do what
    serializer_class = ApprovalSerializer
    filterset_fields = ["state", "environment", "use_case", "version"]

    def get_queryset(self) -> QuerySet[ApprovalRequest]:
        return selectors.approval_list()

    def _respond(self, request_obj: ApprovalRequest) -> Response:
        return Response(ApprovalSerializer(self.get_queryset().get(pk=request_obj.pk)).data)

    @extend_schema(request=ApprovalCreateSerializer, responses={201: ApprovalSerializer})
    def create(self, request: Request) -> Response:
        data = validated_input(ApprovalCreateSerializer, request.data)
        version = get_object_or_404(ModelVersion, pk=data.pop("version"))
        use_case = get_object_or_404(UseCase, pk=data.pop("use_case"))
        created = services.approval_request_create(actor=request.user, version=version, use_case=use_case, **data)
        return Response(ApprovalSerializer(self.get_queryset().get(pk=created.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ApprovalUpdateSerializer, responses={200: ApprovalSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        data = validated_input(ApprovalUpdateSerializer, request.data, partial=True)
        return self._respond(services.approval_request_update(actor=request.user, request=self.get_object(), **data))

    @extend_schema(request=None, responses={200: ApprovalSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._respond(services.approval_submit(actor=request.user, request=self.get_object()))

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalSerializer})
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        reason = validated_input(DecisionSerializer, request.data)["reason"]
        return self._respond(services.approval_sign(actor=request.user, request=self.get_object(), reason=reason))

    def _decision(self, request: Request, move: Any) -> Response:
        reason = validated_input(DecisionSerializer, request.data)["reason"]
        return self._respond(move(actor=request.user, request=self.get_object(), reason=reason))

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decision(request, services.approval_reject)

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalSerializer})
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, pk: str | None = None) -> Response:
        return self._decision(request, services.approval_request_changes)

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalSerializer})
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        return self._decision(request, services.approval_suspend)

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalSerializer})
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, pk: str | None = None) -> Response:
        return self._decision(request, services.approval_reinstate)

    @extend_schema(request=DecisionSerializer, responses={200: ApprovalSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        return self._decision(request, services.approval_revoke)
