from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import selectors, services
from compliance.licenses.check import license_check
from compliance.licenses.detect import detect_license
from compliance.models import CatalogLicense, LicensePolicyRule
from compliance.serializers import (
    CatalogLicenseSerializer,
    LicenseCheckRequestSerializer,
    LicenseCheckResultSerializer,
    LicenseDetectionRequestSerializer,
    PolicyRuleInputSerializer,
    PolicyRuleSerializer,
)
from core.api.validation import validated_input
from core.roles import Capability
from registry.models import ModelVersion


class LicenseCheckApi(APIView):
    """Decide whether a license (or a registry version's effective license) permits a deployment."""

    read_capability = Capability.COMPLIANCE_VIEW
    write_capability = Capability.COMPLIANCE_VIEW  # a check changes nothing

    @extend_schema(request=LicenseCheckRequestSerializer, responses={200: LicenseCheckResultSerializer})
    def post(self, request: Request) -> Response:
        data = validated_input(LicenseCheckRequestSerializer, request.data)
        if "version" in data:
            version = get_object_or_404(ModelVersion, pk=data["version"])
            expression = selectors.version_license_expression(version)
            return Response(license_check(license=expression, facts=data.get("facts")))
        return Response(
            license_check(license=data.get("license"), license_text=data.get("license_text"), facts=data.get("facts"))
        )


class LicenseDetectionApi(APIView):
    """Recognize the catalog license of a LICENSE text."""

    read_capability = Capability.COMPLIANCE_VIEW
    write_capability = Capability.COMPLIANCE_VIEW

    @extend_schema(request=LicenseDetectionRequestSerializer, responses={200: OpenApiResponse(description="detection")})
    def post(self, request: Request) -> Response:
        data = validated_input(LicenseDetectionRequestSerializer, request.data)
        return Response(detect_license(data["text"]).as_dict())


class CatalogLicenseFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = CatalogLicense
        fields = ["category", "reviewed", "osi_approved", "search"]


class CatalogLicenseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[CatalogLicense]):
    """The license catalog: reviewed AI and open-source licenses plus the SPDX list."""

    read_capability = Capability.COMPLIANCE_VIEW
    serializer_class = CatalogLicenseSerializer
    filterset_class = CatalogLicenseFilter
    lookup_value_regex = r"[A-Za-z0-9.+-]{1,120}"

    def get_queryset(self) -> QuerySet[CatalogLicense]:
        return CatalogLicense.objects.order_by("id")


class VersionLicenseApi(APIView):
    """A registry version's license: declared vs detected, lineage, findings, and what it obliges by default."""

    read_capability = Capability.COMPLIANCE_VIEW

    @extend_schema(responses={200: OpenApiResponse(description="assessment, default evaluation and policy")})
    def get(self, request: Request, pk: int) -> Response:
        version = get_object_or_404(ModelVersion, pk=pk)
        return Response(selectors.version_license_report(version))


class PolicyRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[LicensePolicyRule]):
    """The organization's license rules that approvals apply (deny, or require a sign-off)."""

    read_capability = Capability.COMPLIANCE_VIEW
    write_capability = Capability.POLICY_MANAGE
    serializer_class = PolicyRuleSerializer
    filterset_fields = ["effect", "environment", "active", "match_kind"]

    def get_queryset(self) -> QuerySet[LicensePolicyRule]:
        return LicensePolicyRule.objects.order_by("name")

    @extend_schema(request=PolicyRuleInputSerializer, responses={201: PolicyRuleSerializer})
    def create(self, request: Request) -> Response:
        data = validated_input(PolicyRuleInputSerializer, request.data)
        data.pop("reason_for_change", None)
        rule = services.license_policy_rule_create(actor=request.user, **data)
        return Response(PolicyRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PolicyRuleInputSerializer, responses={200: PolicyRuleSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        rule = self.get_object()
        data = validated_input(PolicyRuleInputSerializer, request.data, partial=True)
        reason_for_change = data.pop("reason_for_change", "")
        rule = services.license_policy_rule_update(
            actor=request.user, rule=rule, reason_for_change=reason_for_change, **data
        )
        return Response(PolicyRuleSerializer(rule).data)
