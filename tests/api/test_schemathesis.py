"""Property-based fuzzing of every documented operation: whatever the input, never a server error.

Schemathesis calls the WSGI application in-process, so requests run against the
test database inside the test's transaction. The Hub is replaced by a fake that
answers "not found", so importing never leaves the machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.drainage import GENERATOR_STATS
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from core.errors import NotFoundError
from core.roles import Role
from modelgate.wsgi import application
from registry import services
from tests.api.support import FakeHub, Registry


@pytest.fixture
def _in_process_wsgi() -> Iterator[None]:
    """Keep the test's database connection across requests, as Django's own test client does.

    The WSGI handler closes "old" connections when a request starts and ends; inside the
    test transaction that would drop the connection (and the transaction) on PostgreSQL.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def officer_token(registry_rows: Registry, make_user: Callable[..., User], token_for: Callable[[User], str]) -> str:
    return token_for(make_user(Role.COMPLIANCE_OFFICER))


@pytest.fixture
def _hub_knows_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    hub = FakeHub(error=NotFoundError.for_field("repo_id", "no such model on the (fake) Hub"))
    monkeypatch.setattr(services, "hub_source", lambda: hub)


# Loaded at collection from the running application (no database needed to build the document), so
# every operation becomes its own test. Generation warnings are covered by test_openapi.py.
with GENERATOR_STATS.silence():
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.mark.usefixtures("_in_process_wsgi", "_hub_knows_nothing")
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_with_a_server_error(case: Any, officer_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {officer_token}"}, checks=[not_a_server_error])
