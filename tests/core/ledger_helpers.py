"""Plain helpers shared by the audit-ledger tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from core.events import USER_CREATED
from core.ledger import Target, audit_record
from core.models import AuditEvent

THING = "tests.thing"
TRIGGER = "core_auditevent_append_only"
START = datetime(2026, 1, 1, tzinfo=UTC)


class StepClock:
    """Each call returns the next hour from START: event #n written under it occurred at START + (n-1) h."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> datetime:
        moment = START + timedelta(hours=self.calls)
        self.calls += 1
        return moment


def write_event(
    *, target_id: str = "1", actor: Any = None, before: Any = None, after: Any = None, reason: str = ""
) -> AuditEvent:
    """Append one event in its own (nested) transaction, as a service would."""
    with transaction.atomic():
        return audit_record(
            event=USER_CREATED, actor=actor, target=Target(THING, target_id), before=before, after=after, reason=reason
        )


def trigger_enabled() -> bool:
    """Whether the PostgreSQL append-only trigger is installed and enabled."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = %s AND tgrelid = 'core_auditevent'::regclass", [TRIGGER]
        )
        row = cursor.fetchone()
    return row is not None and row[0] == "O"


class _Undo(Exception):
    """Raised to roll the tampering back."""


@contextmanager
def tampering() -> Iterator[CursorWrapper]:
    """A raw cursor that may change the ledger; everything done with it is rolled back afterwards.

    On PostgreSQL the append-only trigger is dropped first (DDL is transactional, so the
    rollback brings it back); SQLite has no trigger to remove.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {TRIGGER} ON core_auditevent")
            yield cursor
            raise _Undo
    except _Undo:
        pass
    if connection.vendor == "postgresql":
        assert trigger_enabled(), "the append-only trigger did not come back after the tampering"
