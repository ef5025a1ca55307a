"""The ledger cannot be changed: the ORM refuses everywhere, PostgreSQL's trigger refuses raw SQL too."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError, QuerySet

from core.ledger import audit_chain_verify
from core.models import AuditEvent, AuditLedgerIsAppendOnly
from tests.core.ledger_helpers import TRIGGER, trigger_enabled, write_event

pytestmark = pytest.mark.django_db

WriteEvents = Callable[..., list[AuditEvent]]


def _snapshot() -> list[tuple[Any, ...]]:
    return list(AuditEvent.objects.order_by("sequence").values_list("sequence", "after", "reason", "hash"))


# --- ORM ------------------------------------------------------------------------------


def test_saving_a_written_event_again_is_refused(write_events: WriteEvents) -> None:
    event = write_events(2)[0]
    before = _snapshot()
    event.reason = "edited"
    with pytest.raises(AuditLedgerIsAppendOnly, match=r"^audit events cannot be updated$"):
        event.save()
    assert _snapshot() == before


def test_saving_a_loaded_event_is_refused(write_events: WriteEvents) -> None:
    write_events(2)
    before = _snapshot()
    event = AuditEvent.objects.get(sequence=1)
    event.after = {"edited": True}
    with pytest.raises(AuditLedgerIsAppendOnly):
        event.save(update_fields=["after"])
    assert _snapshot() == before


def test_deleting_an_event_is_refused(write_events: WriteEvents) -> None:
    write_events(2)
    before = _snapshot()
    with pytest.raises(AuditLedgerIsAppendOnly, match=r"^audit events cannot be deleted$"):
        AuditEvent.objects.get(sequence=1).delete()
    assert _snapshot() == before


@pytest.mark.parametrize(
    "change",
    [
        lambda: AuditEvent.objects.update(reason="edited"),
        lambda: AuditEvent.objects.filter(sequence=1).update(reason="edited"),
        lambda: AuditEvent.objects.all().update(after=None),
    ],
    ids=["manager", "filtered", "all"],
)
def test_queryset_update_is_refused(write_events: WriteEvents, change: Callable[[], object]) -> None:
    write_events(2)
    before = _snapshot()
    with pytest.raises(AuditLedgerIsAppendOnly, match=r"^audit events cannot be updated$"):
        change()
    assert _snapshot() == before


@pytest.mark.parametrize(
    "change",
    [
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent.objects.filter(sequence=2).delete(),
    ],
    ids=["all", "filtered"],
)
def test_queryset_delete_is_refused(write_events: WriteEvents, change: Callable[[], object]) -> None:
    write_events(2)
    before = _snapshot()
    with pytest.raises(AuditLedgerIsAppendOnly, match=r"^audit events cannot be deleted$"):
        change()
    assert _snapshot() == before


def test_bulk_update_is_refused(write_events: WriteEvents) -> None:
    events = write_events(2)
    before = _snapshot()
    for event in events:
        event.reason = "edited"
    with pytest.raises(AuditLedgerIsAppendOnly):
        AuditEvent.objects.bulk_update(events, ["reason"])
    assert _snapshot() == before


def test_update_or_create_on_an_existing_event_is_refused(write_events: WriteEvents) -> None:
    write_events(1)
    before = _snapshot()
    with pytest.raises(AuditLedgerIsAppendOnly):
        AuditEvent.objects.update_or_create(sequence=1, defaults={"reason": "edited"})
    assert _snapshot() == before


def _forged_copy(event: AuditEvent, **changes: Any) -> AuditEvent:
    """A new instance carrying an existing event's primary key: Django's save() turns it into an UPDATE."""
    fields = {field.attname: getattr(event, field.attname) for field in AuditEvent._meta.concrete_fields}
    fields.update(changes)
    return AuditEvent(**fields)


@pytest.mark.parametrize(
    "save_kwargs",
    [{}, {"force_update": True}, {"update_fields": ["after"]}],
    ids=["save", "force_update", "update_fields"],
)
def test_a_new_instance_with_an_existing_pk_cannot_overwrite_an_event(
    write_events: WriteEvents, save_kwargs: dict[str, Any]
) -> None:
    """BUG: AuditEvent.save only checks ``_state.adding``, which is True for any freshly built instance, so
    ``AuditEvent(pk=existing.pk, ...).save()`` UPDATEs the stored event through the ORM (SQLite has no
    trigger behind it; on PostgreSQL only the trigger stops it, with a database error)."""
    event = write_events(2)[0]
    before = _snapshot()
    forged = _forged_copy(event, after={"n": 999})
    assert forged._state.adding
    with pytest.raises(AuditLedgerIsAppendOnly), transaction.atomic():
        forged.save(**save_kwargs)
    assert _snapshot() == before
    assert audit_chain_verify().ok


def test_bulk_create_cannot_upsert_over_an_event(write_events: WriteEvents) -> None:
    """BUG: bulk_create(update_conflicts=True) turns into INSERT ... ON CONFLICT DO UPDATE, an update
    the ORM guard does not see (PostgreSQL's trigger stops it with a database error, SQLite applies it)."""
    event = write_events(2)[0]
    before = _snapshot()
    forged = _forged_copy(event, id=None, after={"n": 999})
    with pytest.raises(AuditLedgerIsAppendOnly), transaction.atomic():
        AuditEvent.objects.bulk_create(
            [forged], update_conflicts=True, unique_fields=["sequence"], update_fields=["after"]
        )
    assert _snapshot() == before


def test_an_actor_with_events_cannot_be_deleted(make_user: Callable[..., User]) -> None:
    user = make_user(username="actor")
    write_event(actor=user)
    with pytest.raises(ProtectedError), transaction.atomic():
        user.delete()
    assert AuditEvent.objects.get(sequence=1).actor_id == user.pk


def test_plain_inserts_still_work_after_refusals(write_events: WriteEvents) -> None:
    events = write_events(1)
    with pytest.raises(AuditLedgerIsAppendOnly):
        events[0].delete()
    assert write_event().sequence == 2
    assert audit_chain_verify().checked == 2


# --- PostgreSQL trigger -------------------------------------------------------------------


def test_trigger_migration_sql_survives_client_side_parameter_merging() -> None:
    """BUG: migration 0003 calls ``schema_editor.execute(CREATE)`` with the default ``params=()``. Django's
    PostgreSQL schema editor then merges parameters client-side (psycopg mogrify), and the lone ``%`` in
    ``RAISE EXCEPTION '... % is not allowed'`` is read as a placeholder: ``migrate`` (and creating the test
    database) fails with "incomplete placeholder: '%'". Either pass ``params=None`` or double every ``%``."""
    migration = importlib.import_module("core.migrations.0003_audit_append_only_trigger")
    calls: list[tuple[str, Any]] = []

    class RecordingEditor:
        connection = SimpleNamespace(vendor="postgresql")

        def execute(self, sql: str, params: Any = ()) -> None:
            calls.append((sql, params))

    migration.create_trigger(None, RecordingEditor())
    migration.drop_trigger(None, RecordingEditor())
    assert len(calls) == 2
    for sql, params in calls:
        if params is not None:
            assert not re.search(r"%[^%]", sql.replace("%%", "")), "a lone % reaches psycopg's placeholder parser"


@pytest.mark.postgres
def test_trigger_is_installed() -> None:
    assert trigger_enabled()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = %s AND tgrelid = 'core_auditevent'::regclass",
            [TRIGGER],
        )
        (definition,) = cursor.fetchone()
    assert "BEFORE DELETE OR UPDATE ON public.core_auditevent FOR EACH ROW" in definition


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        ("UPDATE core_auditevent SET reason = 'edited' WHERE sequence = 1", "UPDATE"),
        ("UPDATE core_auditevent SET after = '{\"n\": 999}'::jsonb", "UPDATE"),
        ("UPDATE core_auditevent SET hash = prev_hash WHERE sequence = 2", "UPDATE"),
        ("DELETE FROM core_auditevent WHERE sequence = 1", "DELETE"),
        ("DELETE FROM core_auditevent", "DELETE"),
    ],
)
def test_raw_sql_update_and_delete_are_rejected_by_the_trigger(
    write_events: WriteEvents, sql: str, operation: str
) -> None:
    write_events(3)
    before = _snapshot()
    with (
        pytest.raises(DatabaseError, match=f"core_auditevent is append-only: {operation} is not allowed") as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert isinstance(caught.value.__cause__, psycopg.errors.InsufficientPrivilege)
    assert caught.value.__cause__.sqlstate == "42501"
    # The savepoint rolled back and the connection is still usable.
    assert _snapshot() == before
    assert audit_chain_verify().checked == 3
    assert write_event().sequence == 4


@pytest.mark.postgres
def test_trigger_also_stops_an_orm_update_that_slipped_past_the_guard(write_events: WriteEvents) -> None:
    """Defence in depth: Django's plain QuerySet.update/delete (around the guard) are refused by the database."""
    write_events(2)
    before = _snapshot()
    with pytest.raises(DatabaseError, match="append-only: UPDATE is not allowed"), transaction.atomic():
        QuerySet.update(AuditEvent.objects.filter(sequence=1), reason="edited")
    with pytest.raises(DatabaseError, match="append-only: DELETE is not allowed"), transaction.atomic():
        QuerySet.delete(AuditEvent.objects.filter(sequence=2))
    assert _snapshot() == before
