from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NoReturn

from django.conf import settings
from django.db import models


class AuditLedgerIsAppendOnly(Exception):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLedgerIsAppendOnly("audit events cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditLedgerIsAppendOnly("audit events cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLedgerIsAppendOnly("audit events cannot be updated")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        # update_conflicts turns the INSERT into an upsert over existing events.
        if kwargs.get("update_conflicts") or (len(args) > 2 and args[2]):
            raise AuditLedgerIsAppendOnly("audit events cannot be updated")
        return super().bulk_create(objs, *args, **kwargs)


class AuditEvent(models.Model):
    """One link of the tamper-evident audit chain.

    Written only by ``core.ledger.audit_record`` inside the transaction of the
    change it describes. ``hash`` covers every other column and the previous
    event's hash (see ``core.ledger_format``), so editing, removing or
    reordering any event breaks every hash after it. On PostgreSQL a trigger
    refuses UPDATE and DELETE; here the ORM refuses them as well.
    """

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    actor_label = models.CharField(max_length=150, editable=False, help_text="Username at the time, or 'system'")
    action = models.CharField(max_length=100, editable=False, db_index=True)
    target_type = models.CharField(max_length=100, editable=False)
    target_id = models.CharField(max_length=100, editable=False)
    before = models.JSONField(null=True, blank=True, editable=False)
    after = models.JSONField(null=True, blank=True, editable=False)
    reason = models.TextField(blank=True, editable=False)
    request_id = models.CharField(max_length=64, blank=True, editable=False)
    client_ip = models.CharField(max_length=45, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, unique=True, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["actor", "sequence"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A fresh instance carrying an existing pk would otherwise UPDATE that row.
        primary_key: object = self.pk  # typed as always set, but None on an unsaved event
        if (
            not self._state.adding
            or primary_key is not None
            or kwargs.get("force_update")
            or kwargs.get("update_fields") is not None
        ):
            raise AuditLedgerIsAppendOnly("audit events cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLedgerIsAppendOnly("audit events cannot be deleted")

    def chain_record(self) -> dict[str, Any]:
        """The fields the hash covers, in the form ``core.ledger_format`` reads."""
        return {
            "sequence": self.sequence,
            "occurred_at": format_timestamp(self.occurred_at),
            "actor_id": self.actor_id,
            "actor": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "request_id": self.request_id,
            "client_ip": self.client_ip,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def format_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
