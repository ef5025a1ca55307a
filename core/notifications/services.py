"""Writes of the notification outbox.

``notification_enqueue`` runs inside the caller's transaction, like ``audit_record``: the
message and its deliveries commit with the change they announce or not at all, and sending
is scheduled only after the commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from core import events
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.ledger import Actor, audit_record, to_json_value
from core.models import Delivery, DeliveryChannel, DeliveryState, OutboxMessage, WebhookEndpoint
from core.roles import Capability, user_can
from core.tasks import deliver_pending_task

TOPIC_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_-]+)+$")
MIN_SECRET_LENGTH = 16
WEBHOOK_ENDPOINT_FIELDS = ("name", "url", "secret", "event_prefixes", "active")
REPLAYABLE_STATES = (DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.DEAD)


class NotificationOutsideTransaction(RuntimeError):
    """A notification must be enqueued in the same transaction as the change it announces."""


def _send_after_commit() -> None:
    # robust: the change is committed already; if the broker is down, the beat entry sends it later.
    transaction.on_commit(deliver_pending_task.delay, robust=True)


def _clean_topic(topic: str) -> str:
    if not isinstance(topic, str) or len(topic) > 200 or not TOPIC_PATTERN.match(topic):
        raise ApplicationError.for_field("topic", "dotted lower-case words, e.g. compliance.approval.approved")
    return topic


def _clean_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise ApplicationError.for_field("payload", "must be a JSON object")
    try:
        plain: dict[str, Any] = to_json_value(dict(payload))
    except (TypeError, ValueError) as exc:
        raise ApplicationError.for_field("payload", f"must be plain JSON without NUL characters ({exc})") from exc
    return plain


def _clean_emails(emails: Iterable[str]) -> list[str]:
    if isinstance(emails, str):
        raise ApplicationError.for_field("emails", "a list of addresses, not one string")
    addresses: dict[str, str] = {}
    for raw in emails:
        address = raw.strip() if isinstance(raw, str) else ""
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ApplicationError.for_field("emails", f"{raw!r} is not an e-mail address") from exc
        addresses.setdefault(address.lower(), address)
    return list(addresses.values())


def notification_enqueue(*, topic: str, payload: Mapping[str, Any], emails: Iterable[str] = ()) -> OutboxMessage:
    """Record a notification and one pending delivery per matching active endpoint and per e-mail address.

    Must run inside the transaction that makes the change: if it rolls back, nothing is
    recorded and nothing is sent. Sending starts after the commit (in a worker, or in this
    process when Celery runs eagerly) and at the latest with the next beat run.
    """
    if not connection.in_atomic_block:
        raise NotificationOutsideTransaction(f"{topic} must be enqueued inside transaction.atomic()")
    topic = _clean_topic(topic)
    plain_payload = _clean_payload(payload)
    addresses = _clean_emails(emails)
    message = OutboxMessage.objects.create(topic=topic, payload=plain_payload, recipients_email=addresses)
    deliveries = [
        Delivery(message=message, channel=DeliveryChannel.WEBHOOK, endpoint=endpoint, recipient=endpoint.url)
        for endpoint in WebhookEndpoint.objects.filter(active=True).order_by("pk")
        if endpoint.wants(topic)
    ]
    deliveries += [Delivery(message=message, channel=DeliveryChannel.EMAIL, recipient=a) for a in addresses]
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        _send_after_commit()
    return message


def delivery_replay(*, actor: Actor, delivery: Delivery, reason: str = "") -> Delivery:
    """Queue a delivered, failed or dead delivery to be sent again now; its attempts are kept.

    If the new attempt fails, it is retried with backoff as usual, or is dead again once it
    has used ``MODELGATE_NOTIFICATION_MAX_ATTEMPTS`` attempts.
    """
    if not user_can(actor, Capability.USERS_MANAGE):
        raise PermissionDeniedError(
            "your roles do not allow you to replay notifications",
            fields={"actor": [f"needs {Capability.USERS_MANAGE.value}"]},
        )
    with transaction.atomic():
        locked = Delivery.objects.select_for_update(of=("self",)).select_related("message").get(pk=delivery.pk)
        now = timezone.now()
        if locked.state not in REPLAYABLE_STATES:
            raise ConflictError(
                f"delivery {locked.pk} is {locked.state}: it is queued already",
                fields={"state": [f"only {', '.join(REPLAYABLE_STATES)} deliveries can be replayed"]},
            )
        if locked.claimed_until is not None and locked.claimed_until > now:
            raise ConflictError(
                f"delivery {locked.pk} is being sent right now; try again in a minute",
                fields={"state": ["being sent"]},
            )
        before = {"state": locked.state, "attempts": locked.attempts}
        locked.state = DeliveryState.PENDING
        locked.next_attempt_at = now
        locked.save(update_fields=["state", "next_attempt_at"])
        audit_record(
            event=events.NOTIFICATION_REPLAYED,
            actor=actor,
            target=locked,
            before=before,
            # No recipient: the ledger is append-only, and e-mail addresses are personal data.
            after={"state": locked.state, "channel": locked.channel, "topic": locked.message.topic},
            reason=reason,
        )
        _send_after_commit()
    return locked


def _endpoint_facts(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the ledger records of an endpoint: everything but the secret."""
    return {
        "name": endpoint.name,
        "url": endpoint.url,
        "event_prefixes": endpoint.event_prefixes,
        "active": endpoint.active,
    }


def _validate_endpoint(endpoint: WebhookEndpoint) -> None:
    if WebhookEndpoint.objects.filter(name=endpoint.name).exclude(pk=endpoint.pk).exists():
        raise ConflictError.for_field("name", f"{endpoint.name!r} is taken")
    problems: dict[str, list[str]] = {}
    try:
        endpoint.full_clean(exclude=["created_at"], validate_unique=False)
    except ValidationError as exc:
        problems = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    if len(endpoint.secret) < MIN_SECRET_LENGTH and "secret" not in problems:
        problems["secret"] = [f"at least {MIN_SECRET_LENGTH} characters"]
    if problems:
        first = next(iter(problems))
        raise ApplicationError(f"{first}: {problems[first][0]}", fields=problems)


def _prefix_list(value: Any) -> Any:
    """Lists and tuples become lists; anything else is left for the model's validator to refuse."""
    return list(value) if isinstance(value, list | tuple) else value


def webhook_endpoint_create(
    *,
    actor: Actor,
    name: str,
    url: str,
    secret: str,
    event_prefixes: Iterable[str] = (),
    active: bool = True,
    reason: str = "",
) -> WebhookEndpoint:
    """Add a webhook endpoint; the secret is stored for signing and never recorded or shown."""
    endpoint = WebhookEndpoint(
        name=name, url=url, secret=secret, event_prefixes=_prefix_list(event_prefixes), active=active
    )
    with transaction.atomic():
        _validate_endpoint(endpoint)
        endpoint.save()
        audit_record(
            event=events.WEBHOOK_ENDPOINT_CREATED,
            actor=actor,
            target=endpoint,
            after=_endpoint_facts(endpoint),
            reason=reason,
        )
    return endpoint


def webhook_endpoint_update(
    *, actor: Actor, endpoint: WebhookEndpoint, reason: str = "", **changes: Any
) -> WebhookEndpoint:
    """Change some of ``WEBHOOK_ENDPOINT_FIELDS``; the ledger notes that the secret changed, never its value."""
    unknown = sorted(set(changes) - set(WEBHOOK_ENDPOINT_FIELDS))
    if unknown:
        raise ApplicationError(
            f"cannot change {', '.join(unknown)}", fields={name: ["not editable"] for name in unknown}
        )
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before, old_secret = _endpoint_facts(locked), locked.secret
        for name, value in changes.items():
            setattr(locked, name, _prefix_list(value) if name == "event_prefixes" else value)
        after, secret_changed = _endpoint_facts(locked), locked.secret != old_secret
        if after == before and not secret_changed:
            return locked
        _validate_endpoint(locked)
        locked.save()
        audit_record(
            event=events.WEBHOOK_ENDPOINT_UPDATED,
            actor=actor,
            target=locked,
            before=before,
            after={**after, "secret_changed": secret_changed},
            reason=reason,
        )
    return locked
