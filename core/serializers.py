from __future__ import annotations

from rest_framework import serializers

from core.ledger_format import CHAINED_FIELDS
from core.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.CharField(source="actor_label", read_only=True)
    actor_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        # Exactly what the hash covers, plus the hash itself.
        fields = [*CHAINED_FIELDS, "hash"]
        read_only_fields = fields
