from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone


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


# --- Notifications: a transactional outbox (see core/notifications and docs/adr/0009) ---


def validate_event_prefixes(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValidationError('a JSON list of topic prefixes, e.g. ["compliance.approval."]; [] means every topic')


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class WebhookEndpoint(models.Model):
    """A URL that receives notifications as signed JSON POSTs.

    Endpoints are deactivated, never deleted, so the delivery log keeps pointing at them.
    """

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500, validators=[URLValidator(schemes=["http", "https"])])
    # Shared with the receiver, which checks X-Modelgate-Signature with it. Never shown after it is set.
    secret = models.CharField(max_length=200)
    event_prefixes = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_event_prefixes],
        help_text='Topics this endpoint receives, by prefix, e.g. ["compliance.approval."]; [] means every topic',
    )
    active = models.BooleanField(default=True, help_text="Inactive endpoints get no new deliveries; queued ones wait")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, topic: str) -> bool:
        return not self.event_prefixes or any(topic.startswith(prefix) for prefix in self.event_prefixes)


class OutboxMessage(models.Model):
    """One notification, written in the transaction of the change it announces."""

    topic = models.CharField(max_length=200, db_index=True, editable=False)
    payload = models.JSONField(default=dict, editable=False)
    recipients_email = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    # Sent with every attempt (body "id" and the Idempotency-Key header), so receivers can drop duplicates.
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_idempotency_key, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.topic} ({self.idempotency_key[:8]})"


class DeliveryChannel(models.TextChoices):
    WEBHOOK = "webhook"
    EMAIL = "email"


class DeliveryState(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # will be retried at next_attempt_at
    DEAD = "dead"  # gave up after MODELGATE_NOTIFICATION_MAX_ATTEMPTS; only a replay sends it again


class Delivery(models.Model):
    """One message to one webhook endpoint or one e-mail address, and the result of its last attempt."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    recipient = models.CharField(max_length=500, help_text="The e-mail address or the URL last sent to")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # Set while a worker sends it, so no other worker picks it up; expires if that worker dies.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["message", "endpoint"],
                condition=models.Q(channel="webhook"),
                name="delivery_one_per_endpoint",
            ),
            models.UniqueConstraint(
                fields=["message", "recipient"],
                condition=models.Q(channel="email"),
                name="delivery_one_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(channel="webhook", endpoint__isnull=False)
                | models.Q(channel="email", endpoint__isnull=True),
                name="delivery_endpoint_iff_webhook",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} to {self.recipient} ({self.state})"
