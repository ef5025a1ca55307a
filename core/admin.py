from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin_mixins import RoleAdminMixin, ServiceErrorsInAdmin
from core.errors import ApplicationError
from core.models import AuditEvent, Delivery, OutboxMessage, WebhookEndpoint
from core.notifications import services as notifications
from core.roles import Capability, user_can


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


_ENDPOINT_FIELDS = ("name", "url", "event_prefixes", "active")


class WebhookEndpointForm(forms.ModelForm[WebhookEndpoint]):
    """The secret is write-only: typed in, never rendered back."""

    url = forms.URLField(max_length=500, assume_scheme="https", help_text="http:// or https://")
    new_secret = forms.CharField(
        label="Secret",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=(
            f"Shared with the receiver, which checks X-Modelgate-Signature with it; at least "
            f"{notifications.MIN_SECRET_LENGTH} characters. Leave empty to keep the current one."
        ),
    )

    class Meta:
        model = WebhookEndpoint
        fields = list(_ENDPOINT_FIELDS)

    def clean_new_secret(self) -> str:
        secret: str = self.cleaned_data.get("new_secret") or ""
        if not secret and self.instance.pk is None:
            raise forms.ValidationError("A new endpoint needs a secret.")
        if secret and len(secret) < notifications.MIN_SECRET_LENGTH:
            raise forms.ValidationError(f"At least {notifications.MIN_SECRET_LENGTH} characters.")
        return secret


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceErrorsInAdmin, RoleAdminMixin, admin.ModelAdmin[WebhookEndpoint]):
    """Readers see whether a secret is set, never the secret; changes go through the audited services."""

    view_capability = Capability.AUDIT_VIEW
    manage_capability = Capability.USERS_MANAGE
    form = WebhookEndpointForm
    list_display = ["name", "url", "event_prefixes", "active", "secret_status", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret_status", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, Capability.USERS_MANAGE)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("name", "url", "new_secret", "event_prefixes", "active")
        secret = ("new_secret",) if self.has_change_permission(request, obj) else ()
        return ("name", "url", *secret, "event_prefixes", "active", "secret_status", "created_at")

    @admin.display(description="secret")
    def secret_status(self, endpoint: WebhookEndpoint) -> str:
        return "set" if endpoint.secret else "not set"

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in _ENDPOINT_FIELDS}
        secret: str = form.cleaned_data.get("new_secret") or ""
        if change:
            changes = {name: values[name] for name in form.changed_data if name in values}
            if secret:
                changes["secret"] = secret
            notifications.webhook_endpoint_update(
                actor=request.user, endpoint=obj, reason="edited in the admin", **changes
            )
        else:
            obj.pk = notifications.webhook_endpoint_create(
                actor=request.user, secret=secret, reason="added in the admin", **values
            ).pk


class DeliveryInline(RoleAdminMixin, admin.TabularInline[Delivery, OutboxMessage]):
    view_capability = Capability.AUDIT_VIEW
    model = Delivery
    fields = readonly_fields = (
        "channel",
        "recipient",
        "state",
        "attempts",
        "next_attempt_at",
        "response_status",
        "delivered_at",
        "last_error",
    )
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RoleAdminMixin, admin.ModelAdmin[OutboxMessage]):
    view_capability = Capability.AUDIT_VIEW
    list_display = ["created_at", "topic", "idempotency_key"]
    list_filter = ["topic", "created_at"]
    search_fields = ["topic", "=idempotency_key"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(RoleAdminMixin, admin.ModelAdmin[Delivery]):
    """The delivery log: the outcome of each delivery's last attempt. Replaying needs users.manage."""

    view_capability = Capability.AUDIT_VIEW
    list_display = [
        "id",
        "topic",
        "channel",
        "recipient",
        "state",
        "attempts",
        "next_attempt_at",
        "response_status",
        "delivered_at",
        "short_error",
    ]
    list_filter = ["state", "channel"]
    search_fields = ["recipient", "message__topic", "=message__idempotency_key"]
    list_select_related = ["message"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["replay_selected"]

    @admin.display(description="topic", ordering="message__topic")
    def topic(self, delivery: Delivery) -> str:
        return delivery.message.topic

    @admin.display(description="last error")
    def short_error(self, delivery: Delivery) -> str:
        return delivery.last_error[:80]

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return user_can(request.user, Capability.USERS_MANAGE)

    @admin.action(description="Replay selected deliveries", permissions=["replay"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        replayed, refused = 0, []
        for delivery in queryset.order_by("pk"):
            try:
                notifications.delivery_replay(actor=request.user, delivery=delivery, reason="replayed in the admin")
            except ApplicationError as exc:
                refused.append(f"#{delivery.pk}: {exc.message}")
            else:
                replayed += 1
        if replayed:
            noun = "delivery" if replayed == 1 else "deliveries"
            self.message_user(request, f"{replayed} {noun} queued to be sent again.", level=messages.SUCCESS)
        if refused:
            self.message_user(request, "Not replayed: " + "; ".join(refused), level=messages.WARNING)
