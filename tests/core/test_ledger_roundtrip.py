"""Property: whatever JSON goes into before/after comes back from the database with its hash intact.

Runs on whichever database the suite runs on (SQLite by default, PostgreSQL's jsonb with DATABASE_URL).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from core.events import USER_CREATED
from core.ledger import Target, audit_chain_verify, audit_record, to_json_value
from core.ledger_format import event_hash
from core.models import AuditEvent
from tests.core.ledger_helpers import THING

# Any text except NUL, which PostgreSQL refuses in text and jsonb (DataError) where SQLite stores it, and lone
# surrogates, which no UTF-8 database can hold (audit_record raises UnicodeEncodeError before writing).
NO_NUL = st.characters(codec="utf-8", exclude_characters="\x00")
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=NO_NUL)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(NO_NUL, max_size=10), children, max_size=4)
    ),
    max_leaves=16,
)


@pytest.mark.django_db
@settings(max_examples=50, deadline=None)
@given(before=json_values, after=json_values, reason=st.text(NO_NUL, max_size=50))
def test_random_json_survives_a_database_round_trip(before: Any, after: Any, reason: str) -> None:
    with transaction.atomic():
        written = audit_record(
            event=USER_CREATED, actor=None, target=Target(THING, "p"), before=before, after=after, reason=reason
        )
    stored = AuditEvent.objects.get(pk=written.pk)

    assert stored.before == to_json_value(before)
    assert stored.after == to_json_value(after)
    assert stored.reason == reason
    assert stored.chain_record() == written.chain_record()
    assert event_hash(stored.chain_record()) == stored.hash == written.hash
    report = audit_chain_verify()
    assert report.ok, report.broken
    assert report.head_hash == stored.hash
