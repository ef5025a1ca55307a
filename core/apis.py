from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from rest_framework import mixins, viewsets

from core.api.filters import IdFilter, UtcIsoDateTimeFilter
from core.api.pagination import SequenceCursorPagination
from core.models import AuditEvent
from core.roles import Capability
from core.serializers import AuditEventSerializer


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_label", help_text="Username, or 'system'")
    actor_id = IdFilter(field_name="actor_id")
    action = django_filters.CharFilter(
        field_name="action", help_text="Exact event type, e.g. registry.model_version.imported"
    )
    action_prefix = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", help_text="e.g. 'registry.' for every registry event"
    )
    since = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["target_type", "target_id", "actor", "actor_id", "action", "action_prefix", "since", "until"]


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[AuditEvent]):
    """The audit ledger, newest first. Read-only: the ledger is append-only and written by the platform alone."""

    read_capability = Capability.AUDIT_VIEW
    serializer_class = AuditEventSerializer
    pagination_class = SequenceCursorPagination
    filterset_class = AuditEventFilter
    lookup_field = "sequence"
    lookup_value_regex = r"[0-9]{1,19}"

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.all()
