"""What only PostgreSQL can show: the ledger trigger, and two imports racing each other."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, connections, transaction

from core.models import AuditEvent
from registry import services
from registry.models import Model, ModelVersion, Organization
from registry.services import ImportResult, model_version_import
from tests.hubfake import FakeHub
from tests.registry import recorded as r

pytestmark = pytest.mark.postgres


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement", ["UPDATE core_auditevent SET reason = 'rewritten'", "DELETE FROM core_auditevent"]
)
def test_the_audit_events_of_an_import_cannot_be_changed_with_raw_sql(
    fake_hub: FakeHub, officer: User, statement: str
) -> None:
    model_version_import(actor=officer, repo_id=r.INSTRUCT)
    events = list(AuditEvent.objects.values_list("sequence", "reason"))

    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    operation = statement.split(" ", 1)[0]
    assert f"core_auditevent is append-only: {operation} is not allowed" in str(refused.value)
    assert list(AuditEvent.objects.values_list("sequence", "reason")) == events


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_imports_of_one_revision_record_it_once(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two imports of the same new revision that reach their write transaction at the same moment
    barrier = threading.Barrier(2, timeout=10)
    real_parse_snapshot = services.parse_snapshot

    def parse_then_wait(*args: Any, **kwargs: Any) -> Any:
        parsed = real_parse_snapshot(*args, **kwargs)
        barrier.wait()  # both have fetched and parsed; now both write
        return parsed

    monkeypatch.setattr(services, "parse_snapshot", parse_then_wait)
    outcomes: dict[str, ImportResult | BaseException] = {}

    def run(name: str) -> None:
        try:
            outcomes[name] = model_version_import(actor=None, repo_id=r.DISTILL)
        except BaseException as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then neither fails: one records the version, the other finds it recorded
    assert all(isinstance(outcome, ImportResult) for outcome in outcomes.values()), outcomes
    results = [outcome for outcome in outcomes.values() if isinstance(outcome, ImportResult)]
    assert sorted(result.created for result in results) == [False, True]
    assert (Organization.objects.count(), Model.objects.count(), ModelVersion.objects.count()) == (1, 1, 1)
