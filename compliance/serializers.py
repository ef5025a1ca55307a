from __future__ import annotations

from typing import Any

from rest_framework import serializers

from compliance.models import CatalogLicense, LicenseAssessment, LicensePolicyRule, PolicyEffect, PolicyEnvironment


class LicenseCheckRequestSerializer(serializers.Serializer[Any]):
    license = serializers.CharField(
        required=False,
        max_length=1000,
        help_text="SPDX id, LicenseRef- id, HF tag or license_name, or an SPDX expression",
    )
    license_text = serializers.CharField(
        required=False,
        max_length=1_000_000,
        trim_whitespace=False,
        help_text="A LICENSE text to recognize and evaluate",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="A registry version: its effective license, lineage included",
    )
    facts = serializers.JSONField(required=False, help_text="Deployment facts; missing keys take their defaults")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ("license", "license_text", "version") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError({"license": "give exactly one of license, license_text or version"})
        return attrs


class LicenseCheckResultSerializer(serializers.Serializer[Any]):
    verdict = serializers.ChoiceField(
        choices=["allowed", "allowed_with_obligations", "needs_separate_license", "forbidden"]
    )
    license = serializers.DictField()
    obligations = serializers.ListField(child=serializers.DictField())
    reasons = serializers.ListField(child=serializers.DictField())


class LicenseDetectionRequestSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=1_000_000, trim_whitespace=False)


class CatalogLicenseSerializer(serializers.ModelSerializer[CatalogLicense]):
    class Meta:
        model = CatalogLicense
        fields = [
            "id",
            "name",
            "version",
            "date",
            "url",
            "category",
            "osi_approved",
            "reviewed",
            "hf_tags",
            "hf_license_names",
            "terms",
            "content_sha256",
            "synced_at",
        ]
        read_only_fields = fields


class LicenseAssessmentSerializer(serializers.ModelSerializer[LicenseAssessment]):
    version_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = LicenseAssessment
        fields = [
            "version_id",
            "declared_expression",
            "detected_license",
            "detection_confidence",
            "detection_matched_by",
            "own_expression",
            "effective_expression",
            "tag_text_mismatch",
            "findings",
            "catalog_sha256",
            "assessed_at",
        ]
        read_only_fields = fields


class PolicyRuleSerializer(serializers.ModelSerializer[LicensePolicyRule]):
    class Meta:
        model = LicensePolicyRule
        fields = [
            "id",
            "name",
            "match_kind",
            "match_value",
            "environment",
            "effect",
            "signoff_role",
            "reason",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class PolicyRuleInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    match_kind = serializers.ChoiceField(choices=LicensePolicyRule.MatchKind.choices)
    match_value = serializers.CharField(max_length=120)
    environment = serializers.ChoiceField(choices=PolicyEnvironment.choices, required=False, default="any")
    effect = serializers.ChoiceField(choices=PolicyEffect.choices)
    signoff_role = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=5000)
    active = serializers.BooleanField(required=False, default=True)
    reason_for_change = serializers.CharField(max_length=2000, required=False, allow_blank=True, write_only=True)
