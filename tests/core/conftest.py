"""Fixtures for the audit-ledger tests."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from core import ledger
from core.models import AuditEvent
from tests.core.ledger_helpers import StepClock, write_event


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> StepClock:
    """Controls occurred_at of the events audit_record writes (and nothing else's notion of now)."""
    fake = StepClock()
    monkeypatch.setattr(ledger, "timezone", SimpleNamespace(now=fake))
    return fake


@pytest.fixture
def write_events(db: None) -> Callable[..., list[AuditEvent]]:
    """Append ``count`` events, each in its own transaction, with varied content."""

    def write(count: int) -> list[AuditEvent]:
        return [
            write_event(
                target_id=str(index),
                before={"n": index - 1} if index else None,
                after={"n": index, "label": f"état {index}"},
                reason=f"reason {index}",
            )
            for index in range(count)
        ]

    return write
