"""audit_record: written only inside a transaction, chained to the head, rolled back with its transaction."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, transaction

from core.context import audit_context
from core.events import USER_CREATED
from core.ledger import AuditWriteOutsideTransaction, Target, audit_chain_verify, audit_record
from core.ledger_format import GENESIS_HASH, event_hash
from core.models import AuditEvent, format_timestamp
from tests.core.ledger_helpers import THING, write_event

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_audit_record_outside_a_transaction_is_refused() -> None:
    assert not connection.in_atomic_block
    with pytest.raises(
        AuditWriteOutsideTransaction, match=r"^core\.user\.created must be recorded inside transaction\.atomic\(\)$"
    ):
        audit_record(event=USER_CREATED, actor=None, target=Target(THING, "1"), after={"x": 1})
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_audit_record_inside_a_real_transaction_commits() -> None:
    with transaction.atomic():
        event = audit_record(event=USER_CREATED, actor=None, target=Target(THING, "1"))
    assert list(AuditEvent.objects.values_list("sequence", "hash")) == [(1, event.hash)]


def test_first_event_points_back_to_genesis() -> None:
    event = write_event(after={"x": 1})
    assert event.sequence == 1
    assert event.prev_hash == GENESIS_HASH == "0" * 64
    assert event.hash == event_hash(event.chain_record())
    assert len(event.hash) == 64
    assert set(event.hash) <= set("0123456789abcdef")


def test_events_form_a_hash_chain(write_events: Callable[..., list[AuditEvent]]) -> None:
    written = write_events(6)
    stored = list(AuditEvent.objects.order_by("sequence"))

    assert [event.sequence for event in stored] == [1, 2, 3, 4, 5, 6]
    assert [event.pk for event in stored] == [event.pk for event in written]
    assert stored[0].prev_hash == GENESIS_HASH
    for previous, event in itertools.pairwise(stored):
        assert event.prev_hash == previous.hash
    for event, original in zip(stored, written, strict=True):
        assert event.hash == original.hash == event_hash(event.chain_record())
        # What was hashed at write time is exactly what the database gives back.
        assert event.chain_record() == original.chain_record()
    assert len({event.hash for event in stored}) == 6

    report = audit_chain_verify()
    assert report.ok
    assert (report.checked, report.first_sequence, report.last_sequence, report.head_hash) == (6, 1, 6, stored[-1].hash)


def test_verify_reads_in_batches_across_chunk_boundaries(write_events: Callable[..., list[AuditEvent]]) -> None:
    events = write_events(7)
    report = audit_chain_verify(batch_size=2)
    assert report.ok
    assert (report.checked, report.head_hash) == (7, events[-1].hash)


def test_two_events_in_one_transaction_are_chained() -> None:
    with transaction.atomic():
        first = audit_record(event=USER_CREATED, actor=None, target=Target(THING, "a"))
        second = audit_record(event=USER_CREATED, actor=None, target=Target(THING, "b"))
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.prev_hash == first.hash
    assert audit_chain_verify().checked == 2


def test_event_records_actor_target_content_and_context(make_user: Callable[..., User]) -> None:
    user = make_user(username="alice")
    with audit_context(request_id="req-42", client_ip="192.0.2.10"), transaction.atomic():
        event = audit_record(
            event=USER_CREATED, actor=user, target=user, before=None, after={"username": "alice"}, reason="onboarding"
        )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_id == user.pk
    assert stored.actor_label == "alice"
    assert stored.action == "core.user.created"
    assert (stored.target_type, stored.target_id) == ("auth.user", str(user.pk))
    assert stored.before is None
    assert stored.after == {"username": "alice"}
    assert stored.reason == "onboarding"
    assert (stored.request_id, stored.client_ip) == ("req-42", "192.0.2.10")
    assert stored.chain_record() == {
        "sequence": 1,
        "occurred_at": format_timestamp(stored.occurred_at),
        "actor_id": user.pk,
        "actor": "alice",
        "action": "core.user.created",
        "target_type": "auth.user",
        "target_id": str(user.pk),
        "before": None,
        "after": {"username": "alice"},
        "reason": "onboarding",
        "request_id": "req-42",
        "client_ip": "192.0.2.10",
        "prev_hash": GENESIS_HASH,
        "hash": event.hash,
    }


@pytest.mark.parametrize("actor", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_unauthenticated_actor_is_recorded_as_system(actor: AnonymousUser | None) -> None:
    event = write_event(actor=actor)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_id is None
    assert stored.actor_label == "system"
    assert stored.chain_record()["actor_id"] is None


def test_outside_any_request_the_context_is_empty() -> None:
    event = write_event()
    assert (event.request_id, event.client_ip) == ("", "")


def _record_then_fail(*, create_user: bool = False) -> None:
    with transaction.atomic():
        target = User.objects.create_user(username="ghost") if create_user else Target(THING, "rolled-back")
        audit_record(event=USER_CREATED, actor=None, target=target, after={"username": "ghost"})
        raise ZeroDivisionError


def test_event_rolls_back_with_its_savepoint() -> None:
    first = write_event(target_id="kept")
    with pytest.raises(ZeroDivisionError):
        _record_then_fail()
    assert list(AuditEvent.objects.values_list("target_id", flat=True)) == ["kept"]

    # The rolled-back event left no hole: the next one takes its sequence and links to the head.
    second = write_event(target_id="next")
    assert second.sequence == 2
    assert second.prev_hash == first.hash
    assert audit_chain_verify().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_change_and_event_roll_back_together() -> None:
    with pytest.raises(ZeroDivisionError):
        _record_then_fail(create_user=True)
    assert not User.objects.filter(username="ghost").exists()
    assert AuditEvent.objects.count() == 0

    with transaction.atomic():
        event = audit_record(event=USER_CREATED, actor=None, target=Target(THING, "1"))
    assert (event.sequence, event.prev_hash) == (1, GENESIS_HASH)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
def test_non_finite_numbers_are_refused_and_nothing_is_written(bad: float) -> None:
    write_event()
    with pytest.raises(ValueError, match="not JSON compliant"):
        write_event(after={"score": [1.0, bad]})
    assert AuditEvent.objects.count() == 1
    assert write_event().sequence == 2
