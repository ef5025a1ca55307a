"""Changing the ledger behind the platform's back is found by verify_audit_chain, naming the first broken event.

The tampering goes through raw SQL. On PostgreSQL the append-only trigger is dropped first, inside a
transaction that is rolled back afterwards, so the trigger (and the intact ledger) come back.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from datetime import timedelta

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management import base as management_base
from django.core.management.base import CommandError
from django.db.backends.utils import CursorWrapper

from core.ledger import audit_chain_verify
from core.ledger_format import event_hash
from core.models import AuditEvent
from tests.core.ledger_helpers import tampering

pytestmark = pytest.mark.django_db

Tamper = Callable[[CursorWrapper, list[AuditEvent]], None]


def _set(cursor: CursorWrapper, sequence: int, column: str, value: object) -> None:
    cursor.execute(f"UPDATE core_auditevent SET {column} = %s WHERE sequence = %s", [value, sequence])  # noqa: S608


def _swap_hashes(cursor: CursorWrapper, events: list[AuditEvent], first: int, second: int) -> None:
    # hash is unique: go through a placeholder value.
    _set(cursor, first, "hash", "x" * 64)
    _set(cursor, second, "hash", events[first - 1].hash)
    _set(cursor, first, "hash", events[second - 1].hash)


def _alter_and_rehash(cursor: CursorWrapper, events: list[AuditEvent]) -> None:
    record = {**events[2].chain_record(), "after": {"n": 999}}
    _set(cursor, 3, "after", '{"n": 999}')
    _set(cursor, 3, "hash", event_hash(record))


def _renumber(cursor: CursorWrapper, events: list[AuditEvent]) -> None:
    # Remove #3 and close the gap, as a careful forger would.
    cursor.execute("DELETE FROM core_auditevent WHERE sequence = 3")
    for sequence in (4, 5):
        _set(cursor, sequence, "sequence", sequence - 1)


def _insert_forged(cursor: CursorWrapper, events: list[AuditEvent]) -> None:
    head = events[-1]
    cursor.execute(
        "INSERT INTO core_auditevent (sequence, occurred_at, actor_label, action, target_type, target_id, reason, "
        "request_id, client_ip, prev_hash, hash) VALUES (6, %s, 'mallory', 'core.user.created', 'tests.thing', "
        "'x', '', '', '', %s, %s)",
        [head.occurred_at + timedelta(seconds=1), "f" * 64, "e" * 64],
    )


TAMPERINGS: list[tuple[str, Tamper, int, int, str]] = [
    # (id, tampering, first broken sequence, events verified before it, problem)
    ("after", lambda c, e: _set(c, 3, "after", '{"n": 999}'), 3, 2, "content does not match its hash"),
    ("after-null", lambda c, e: _set(c, 2, "after", None), 2, 1, "content does not match its hash"),
    ("reason", lambda c, e: _set(c, 3, "reason", "nothing to see here"), 3, 2, "content does not match its hash"),
    ("actor", lambda c, e: _set(c, 4, "actor_label", "someone-else"), 4, 3, "content does not match its hash"),
    ("action", lambda c, e: _set(c, 1, "action", "core.user.role_revoked"), 1, 0, "content does not match its hash"),
    (
        "occurred_at",
        lambda c, e: _set(c, 5, "occurred_at", e[4].occurred_at + timedelta(microseconds=1)),
        5,
        4,
        "content does not match its hash",
    ),
    (
        "delete-middle",
        lambda c, e: c.execute("DELETE FROM core_auditevent WHERE sequence = 3"),
        4,
        2,
        "sequence 4 follows 2: expected 3 (an event is missing or was inserted)",
    ),
    (
        "delete-first",
        lambda c, e: c.execute("DELETE FROM core_auditevent WHERE sequence = 1"),
        2,
        0,
        "sequence 2 follows None: expected 1 (an event is missing or was inserted)",
    ),
    ("swap-hashes", lambda c, e: _swap_hashes(c, e, 2, 4), 2, 1, "content does not match its hash"),
    ("alter-and-rehash", _alter_and_rehash, 4, 3, "prev_hash "),
    ("delete-and-renumber", _renumber, 3, 2, "prev_hash "),
    ("forged-append", _insert_forged, 6, 5, "prev_hash 'ffff"),
]


@pytest.mark.parametrize(
    ("tamper", "broken_at", "checked", "problem"),
    [pytest.param(*case[1:], id=case[0]) for case in TAMPERINGS],
)
def test_tampering_is_detected_at_the_first_broken_event(
    write_events: Callable[..., list[AuditEvent]], tamper: Tamper, broken_at: int, checked: int, problem: str
) -> None:
    events = write_events(5)
    call_command("verify_audit_chain", stdout=io.StringIO())

    with tampering() as cursor:
        tamper(cursor, events)

        report = audit_chain_verify()
        assert report.broken is not None
        assert report.broken.sequence == broken_at
        assert report.broken.problem.startswith(problem)
        assert report.checked == checked

        with pytest.raises(CommandError) as caught:
            call_command("verify_audit_chain", stdout=io.StringIO())
        assert caught.value.returncode == 1
        message = str(caught.value)
        assert message.startswith(f"audit chain BROKEN at event #{broken_at}: {problem}")
        assert message.endswith(f"({checked} events verified before it)")

    # Rolled back: the ledger is whole again.
    assert audit_chain_verify().checked == 5


def test_verify_command_reports_an_intact_chain(write_events: Callable[..., list[AuditEvent]]) -> None:
    events = write_events(3)
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert out.getvalue() == f"audit chain OK: 3 events, #1..#3, head {events[-1].hash}\n"


def test_verify_command_on_an_empty_ledger() -> None:
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert out.getvalue() == "audit chain OK: the ledger is empty\n"


def test_manage_py_exits_1_on_a_broken_chain(
    write_events: Callable[..., list[AuditEvent]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``manage.py verify_audit_chain`` does with the CommandError: message on stderr, exit status 1."""
    # run_from_argv closes every connection when done, which would end the test's transaction.
    monkeypatch.setattr(management_base.connections, "close_all", lambda: None)
    write_events(4)
    with tampering() as cursor:
        _set(cursor, 2, "reason", "edited")
        stderr = io.StringIO()
        with redirect_stderr(stderr), pytest.raises(SystemExit) as exited:
            ManagementUtility(["manage.py", "verify_audit_chain"]).execute()
        assert exited.value.code == 1
        assert stderr.getvalue().startswith("CommandError: audit chain BROKEN at event #2: content does not match")

    stdout = io.StringIO()
    with redirect_stdout(stdout):
        ManagementUtility(["manage.py", "verify_audit_chain"]).execute()  # returns: exit status 0
    assert stdout.getvalue().startswith("audit chain OK: 4 events, #1..#4, head ")
