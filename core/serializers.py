from __future__ import annotations

from rest_framework import serializers

from core.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.CharField(source="actor_label", read_only=True)
    actor_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "sequence",
            "occurred_at",
            "actor",
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "before",
            "after",
            "reason",
            "request_id",
            "client_ip",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields
