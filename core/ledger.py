"""Writing, verifying and exporting the tamper-evident audit ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from core.context import current_audit_context
from core.events import EventType
from core.ledger_format import GENESIS_HASH, ChainReport, event_hash, normalize_json, verify_chain
from core.models import AuditEvent

# Any constant works; it only has to be the same for every writer of the ledger.
_LEDGER_LOCK_KEY = 0x6D6F64656C676174  # "modelgat"

Actor = AbstractBaseUser | AnonymousUser | None


class AuditWriteOutsideTransaction(RuntimeError):
    """An audit event must be written in the same transaction as the change it records."""


@dataclass(frozen=True)
class Target:
    type: str
    id: str

    @classmethod
    def of(cls, instance: models.Model) -> Target:
        return cls(type=instance._meta.label_lower, id=str(instance.pk))


def to_json_value(value: Any) -> Any:
    """Make ``value`` plain JSON as the ledger stores it (dates, decimals and UUIDs become strings).

    NUL characters are refused on every database because PostgreSQL cannot store them.
    """
    plain = normalize_json(json.loads(json.dumps(value, cls=DjangoJSONEncoder, allow_nan=False)))
    if _holds_nul(plain):
        raise ValueError("audit events cannot hold NUL characters")
    return plain


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def audit_ledger_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Held until the surrounding transaction ends, so events are chained in commit order.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LEDGER_LOCK_KEY])
    # SQLite: the settings open every transaction with BEGIN IMMEDIATE, which already
    # gives this transaction the database's single write lock.


def audit_record(
    *,
    event: EventType,
    actor: Actor,
    target: models.Model | Target,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the ledger, chained to the current head.

    Must run inside the transaction that makes the change: if that transaction
    rolls back, so does the event, and a change never commits without its event.
    """
    if not connection.in_atomic_block:
        raise AuditWriteOutsideTransaction(f"{event.name} must be recorded inside transaction.atomic()")
    if "\x00" in reason:
        raise ValueError("audit events cannot hold NUL characters")
    target_ref = target if isinstance(target, Target) else Target.of(target)
    user = actor if isinstance(actor, User) and actor.is_authenticated else None
    context = current_audit_context()

    audit_ledger_lock()
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    sequence, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    # Microseconds are what both PostgreSQL and SQLite store, so the hash survives a round trip.
    occurred_at = timezone.now()

    entry = AuditEvent(
        sequence=sequence,
        occurred_at=occurred_at,
        actor=user,
        actor_label=user.get_username() if user is not None else "system",
        action=event.name,
        target_type=target_ref.type,
        target_id=target_ref.id,
        before=to_json_value(before),
        after=to_json_value(after),
        reason=reason,
        request_id=context.request_id,
        client_ip=context.client_ip,
        prev_hash=prev_hash,
    )
    entry.hash = event_hash(entry.chain_record())
    entry.save(force_insert=True)
    return entry


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Recompute every hash from the first event to the head and report the first broken link."""
    return verify_chain(
        event.chain_record() for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=batch_size)
    )


def audit_events_in_range(*, since: datetime | None, until: datetime | None) -> Iterator[AuditEvent]:
    events = AuditEvent.objects.order_by("sequence")
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return events.iterator(chunk_size=2000)


def audit_export_jsonl(*, since: datetime | None, until: datetime | None, out: IO[str]) -> int:
    """Write events in ``[since, until)`` as JSON Lines with their hashes; return how many."""
    count = 0
    for event in audit_events_in_range(since=since, until=until):
        out.write(json.dumps(event.chain_record(), ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
