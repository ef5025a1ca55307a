"""Two approvers signing at the same moment (PostgreSQL): the row lock counts them one after the other."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from compliance.approvals import services
from compliance.approvals.services import IllegalTransition, SegregationOfDuties, approval_sign, approval_submit
from compliance.models import ApprovalRequest, ApprovalState, SignOff
from core.ledger import audit_chain_verify
from core.models import AuditEvent
from tests.approvals.conftest import Signers, transitions_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

S = ApprovalState
HOLD_SECONDS = 0.3


@pytest.fixture
def slow_sign_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the request's row lock a little longer, so the other signer surely arrives while it is held."""
    real = services._signable_role

    def slow(request: ApprovalRequest, signer: User) -> str:
        role = real(request, signer)
        time.sleep(HOLD_SECONDS)
        return role

    monkeypatch.setattr(services, "_signable_role", slow)


def sign_at_once(request: ApprovalRequest, *people: User) -> dict[str, Any]:
    """Each person signs from their own thread and database connection, released by one barrier."""
    barrier = threading.Barrier(len(people), timeout=10)
    outcomes: dict[str, Any] = {}
    backends: dict[str, int] = {}

    def run(person: User) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends[person.username] = cursor.fetchone()[0]
            barrier.wait()
            outcomes[person.username] = approval_sign(actor=person, request=request)
        except BaseException as exc:
            outcomes[person.username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(person,), name=f"sign-{person.username}") for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a signer hung"
    assert len(set(backends.values())) == len(people), "the signers did not each have their own connection"
    return outcomes


def in_review(make_request: Callable[..., ApprovalRequest], requester: User, officer: User, tier: str):
    request = approval_submit(actor=requester, request=make_request(tier))
    request = approval_sign(actor=officer, request=request)
    request.refresh_from_db()
    assert request.state == S.IN_REVIEW
    return request


def test_two_security_approvers_racing_for_the_last_slot_approve_once(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, slow_sign_off: None
) -> None:
    request = in_review(make_request, requester, signers.officer, "transparency")
    assert request.required_signoffs == ["compliance_officer", "approver_security"]

    outcomes = sign_at_once(request, signers.security, signers.security_2)

    winners = [name for name, outcome in outcomes.items() if isinstance(outcome, ApprovalRequest)]
    losers = {name: outcome for name, outcome in outcomes.items() if isinstance(outcome, BaseException)}
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    [refusal] = losers.values()
    # The loser waited on the row lock and then read the request as the winner left it: approved,
    # so it is refused as a move out of approved (not as "no open sign-off").
    assert isinstance(refusal, IllegalTransition), f"refused with {refusal!r}"
    assert not isinstance(refusal, SegregationOfDuties)
    assert "approved" in str(refusal)

    request.refresh_from_db()
    assert request.state == S.APPROVED
    security = SignOff.objects.filter(request=request, role="approver_security")
    assert list(security.values_list("signer__username", flat=True)) == winners
    assert SignOff.objects.filter(request=request).count() == 2
    assert transitions_of(request).count((S.IN_REVIEW, S.APPROVED)) == 1
    assert AuditEvent.objects.filter(action="compliance.approval.signed", target_id=str(request.pk)).count() == 2
    assert AuditEvent.objects.filter(action="registry.model_version.locked").count() == 1
    report = audit_chain_verify()
    assert report.ok, report.broken


def test_legal_and_security_signing_the_last_two_slots_at_once_keep_both_and_approve_once(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, slow_sign_off: None
) -> None:
    request = in_review(make_request, requester, signers.officer, "high_risk")

    outcomes = sign_at_once(request, signers.legal, signers.security)

    assert all(isinstance(outcome, ApprovalRequest) for outcome in outcomes.values()), outcomes
    request.refresh_from_db()
    assert request.state == S.APPROVED
    assert sorted(SignOff.objects.filter(request=request).values_list("role", flat=True)) == [
        "approver_legal",
        "approver_security",
        "compliance_officer",
    ]
    assert transitions_of(request) == [
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.IN_REVIEW),
        (S.IN_REVIEW, S.APPROVED),
    ]
    request.version.refresh_from_db()
    assert request.version.locked_at is not None
    report = audit_chain_verify()
    assert report.ok, report.broken
