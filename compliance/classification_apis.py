"""The EU AI Act classification endpoint: answers in, tier, duties, reasons and dated obligations out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.classification.engine import GpaiClass, Tier, classify_answers
from core.api.validation import validated_input
from core.roles import Capability


class ClassificationRequestSerializer(serializers.Serializer[Any]):
    answers = serializers.JSONField(
        allow_null=True,  # null reaches the answers validation, which names it like any other non-object
        help_text="Classification answers (compliance/classification/README.md); missing keys take their defaults",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(str(key) for key in self.initial_data if key != "answers")
        if unknown:
            raise serializers.ValidationError(dict.fromkeys(unknown, "is not a known field; send only answers"))
        return attrs


class ClassificationResultSerializer(serializers.Serializer[Any]):
    tier = serializers.ChoiceField(choices=[tier.value for tier in Tier])
    gpai = serializers.ChoiceField(choices=[value.value for value in GpaiClass])
    transparency_duties = serializers.ListField(child=serializers.CharField())
    reasons = serializers.ListField(child=serializers.DictField(), help_text="article, text")
    obligations = serializers.ListField(
        child=serializers.DictField(), help_text="article, text, applies_from, date_basis, date_uncertain"
    )


class ClassificationApi(APIView):
    """Classify an AI system (and its model) under the EU AI Act. Stores nothing."""

    read_capability = Capability.COMPLIANCE_VIEW
    write_capability = Capability.COMPLIANCE_VIEW  # a classification changes nothing

    @extend_schema(request=ClassificationRequestSerializer, responses={200: ClassificationResultSerializer})
    def post(self, request: Request) -> Response:
        data = validated_input(ClassificationRequestSerializer, request.data)
        return Response(classify_answers(data["answers"]))
