from __future__ import annotations

from django.contrib import admin

from core.admin_mixins import RoleAdminMixin
from core.models import AuditEvent
from core.roles import Capability


@admin.register(AuditEvent)
class AuditEventAdmin(RoleAdminMixin, admin.ModelAdmin[AuditEvent]):
    view_capability = Capability.AUDIT_VIEW
    list_display = ["sequence", "occurred_at", "actor_label", "action", "target_type", "target_id", "short_hash"]
    list_filter = ["action", "target_type", "occurred_at"]
    search_fields = ["=target_id", "actor_label", "action", "=request_id", "=hash"]
    date_hierarchy = "occurred_at"
    ordering = ["-sequence"]
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    @admin.display(description="hash")
    def short_hash(self, event: AuditEvent) -> str:
        return event.hash[:16]
