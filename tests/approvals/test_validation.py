"""Input checks of the approval services: errors name the field and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from compliance.approvals.services import (
    IllegalTransition,
    approval_expire,
    approval_reinstate,
    approval_reject,
    approval_request_changes,
    approval_request_create,
    approval_request_update,
    approval_revoke,
    approval_sign,
    approval_submit,
    approval_suspend,
)
from compliance.models import ApprovalRequest, ApprovalState, UseCase
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.models import AuditEvent
from core.roles import Role
from registry.models import ModelVersion
from tests.approvals.conftest import HIGH_RISK_EVIDENCE, SHA, Signers, approval_event_count

pytestmark = pytest.mark.django_db

S = ApprovalState


@pytest.fixture
def triple(make_version: Callable[..., ModelVersion], make_use_case: Callable[..., UseCase]) -> dict[str, Any]:
    return {"version": make_version("mit"), "use_case": make_use_case(), "environment": "production"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"environment": "prod"}, "environment", id="bad-environment"),
        pytest.param({"environment": ""}, "environment", id="empty-environment"),
        pytest.param(
            {"evidence": {"risk_assessment": {"reference": "x"}}}, "evidence.risk_assessment", id="unknown-kind"
        ),
        pytest.param({"evidence": {"risk_management": {"sha256": SHA}}}, "evidence.risk_management", id="no-reference"),
        pytest.param(
            {"evidence": {"risk_management": {"reference": "   "}}}, "evidence.risk_management", id="blank-reference"
        ),
        pytest.param({"evidence": {"risk_management": "dms://x"}}, "evidence.risk_management", id="not-an-object"),
        pytest.param({"evidence": ["risk_management"]}, "evidence", id="evidence-not-an-object"),
        pytest.param({"separate_license": {"sha256": SHA}}, "separate_license", id="licence-no-reference"),
        pytest.param({"separate_license": {"reference": ""}}, "separate_license", id="licence-blank-reference"),
        pytest.param({"separate_license": "contract-123"}, "separate_license", id="licence-not-an-object"),
    ],
)
def test_create_refuses_bad_input_naming_the_field_and_writes_nothing(
    triple: dict[str, Any], requester: User, changes: dict[str, Any], field: str
) -> None:
    events = AuditEvent.objects.count()

    with pytest.raises(ApplicationError) as refused:
        approval_request_create(actor=requester, **(triple | changes))

    assert field in refused.value.fields, refused.value.fields
    assert refused.value.message.startswith(f"{field}:")
    assert ApprovalRequest.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_create_records_a_draft_with_its_audit_event(triple: dict[str, Any], requester: User) -> None:
    request = approval_request_create(actor=requester, evidence=HIGH_RISK_EVIDENCE, **triple)

    assert (request.state, request.requested_by, request.evidence) == (S.DRAFT, requester, HIGH_RISK_EVIDENCE)
    event = AuditEvent.objects.get(action="compliance.approval.created", target_id=str(request.pk))
    assert event.after == {
        "version": triple["version"].pk,
        "use_case": triple["use_case"].pk,
        "environment": "production",
    }


def test_a_second_open_request_for_the_same_triple_is_a_conflict(triple: dict[str, Any], requester: User) -> None:
    first = approval_request_create(actor=requester, **triple)
    approval_submit(actor=requester, request=first)
    events = approval_event_count()

    with pytest.raises(ConflictError):
        approval_request_create(actor=requester, **triple)

    assert ApprovalRequest.objects.count() == 1
    assert approval_event_count() == events
    # Another environment is another triple.
    approval_request_create(actor=requester, **(triple | {"environment": "staging"}))


def test_after_rejection_a_new_request_for_the_same_triple_is_allowed(
    triple: dict[str, Any], requester: User, officer: User
) -> None:
    first = approval_submit(actor=requester, request=approval_request_create(actor=requester, **triple))
    approval_reject(actor=officer, request=first, reason="wrong model for this")

    second = approval_request_create(actor=requester, **triple)

    assert second.pk != first.pk
    assert second.state == S.DRAFT


def test_an_approved_request_blocks_a_new_one_for_the_same_triple(
    triple: dict[str, Any], requester: User, signers: Signers
) -> None:
    first = approval_submit(actor=requester, request=approval_request_create(actor=requester, **triple))
    approval_sign(actor=signers.officer, request=first)
    with pytest.raises(ConflictError):
        approval_request_create(actor=requester, **triple)


@pytest.mark.parametrize("state", [S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.REJECTED])
def test_update_outside_draft_or_changes_requested_is_an_illegal_transition(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User, state: str
) -> None:
    request = approval_submit(actor=requester, request=make_request("transparency"))
    if state in (S.IN_REVIEW, S.APPROVED):
        request = approval_sign(actor=signers.officer, request=request)
    if state == S.APPROVED:
        request = approval_sign(actor=signers.security, request=request)
    if state == S.REJECTED:
        request = approval_reject(actor=officer, request=request, reason="no")
    events = AuditEvent.objects.count()

    with pytest.raises(IllegalTransition, match=state):
        approval_request_update(actor=requester, request=request, conditions={"notes": "late"})

    request.refresh_from_db()
    assert (request.state, request.conditions) == (state, {})
    assert AuditEvent.objects.count() == events


def test_update_while_changes_are_requested_is_allowed_and_audited(
    make_request: Callable[..., ApprovalRequest], requester: User, officer: User
) -> None:
    request = approval_submit(actor=requester, request=make_request("minimal"))
    request = approval_request_changes(actor=officer, request=request, reason="add notes")

    approval_request_update(actor=requester, request=request, conditions={"notes": "added"})

    request.refresh_from_db()
    assert request.conditions == {"notes": "added"}
    event = AuditEvent.objects.filter(action="compliance.approval.updated", target_id=str(request.pk)).get()
    assert (event.before, event.after) == ({"conditions": {}}, {"conditions": {"notes": "added"}})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"state": "approved"}, "state", id="state-not-editable"),
        pytest.param({"environment": "staging"}, "environment", id="environment-not-editable"),
        pytest.param({"evidence": {"made_up": {"reference": "x"}}}, "evidence.made_up", id="unknown-kind"),
        pytest.param({"separate_license": {"reference": ""}}, "separate_license", id="licence-blank"),
    ],
)
def test_update_refuses_bad_changes_naming_the_field(
    make_request: Callable[..., ApprovalRequest], requester: User, changes: dict[str, Any], field: str
) -> None:
    request = make_request("minimal")
    events = AuditEvent.objects.count()

    with pytest.raises(ApplicationError) as refused:
        approval_request_update(actor=requester, request=request, **changes)

    assert field in refused.value.fields
    request.refresh_from_db()
    assert (request.state, request.evidence, request.separate_license) == (S.DRAFT, {}, None)
    assert AuditEvent.objects.count() == events


DECISIONS = {
    "reject": (approval_reject, S.SUBMITTED),
    "request_changes": (approval_request_changes, S.SUBMITTED),
    "suspend": (approval_suspend, S.APPROVED),
    "revoke": (approval_revoke, S.APPROVED),
    "reinstate": (approval_reinstate, S.SUSPENDED),
}


@pytest.fixture
def in_state(make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User):
    def build(state: str) -> ApprovalRequest:
        request = approval_submit(actor=requester, request=make_request("minimal"))
        if state in (S.APPROVED, S.SUSPENDED):
            request = approval_sign(actor=signers.officer, request=request)
        if state == S.SUSPENDED:
            request = approval_suspend(actor=officer, request=request, reason="incident")
        request.refresh_from_db()
        assert request.state == state
        return request

    return build


@pytest.mark.parametrize("reason", ["", "   \n"], ids=["empty", "blank"])
@pytest.mark.parametrize("decision", list(DECISIONS))
def test_a_decision_without_a_reason_is_refused_naming_reason(
    in_state: Callable[[str], ApprovalRequest], officer: User, decision: str, reason: str
) -> None:
    move, state = DECISIONS[decision]
    request = in_state(state)
    events = AuditEvent.objects.count()

    with pytest.raises(ApplicationError) as refused:
        move(actor=officer, request=request, reason=reason)

    assert "reason" in refused.value.fields
    assert "reason" in str(refused.value)
    request.refresh_from_db()
    assert request.state == state
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("decision", list(DECISIONS))
def test_a_decision_records_its_reason(
    in_state: Callable[[str], ApprovalRequest], officer: User, decision: str
) -> None:
    move, state = DECISIONS[decision]
    request = move(actor=officer, request=in_state(state), reason="committee minute 12")

    request.refresh_from_db()
    assert request.state_reason == "committee minute 12"
    event = AuditEvent.objects.filter(action="compliance.approval.transitioned", target_id=str(request.pk)).last()
    assert (event.before, event.reason) == ({"state": state}, "committee minute 12")


# --- Findings beyond the brief -----------------------------------------------------------------


def test_expire_refuses_an_approval_that_is_not_past_its_expiry(in_state: Callable[[str], ApprovalRequest]) -> None:
    request = in_state(S.APPROVED)
    assert request.expires_at > timezone.now()

    with pytest.raises(ApplicationError):
        approval_expire(actor=None, request=request)

    request.refresh_from_db()
    assert request.state == S.APPROVED


def test_a_suspension_past_the_expiry_date_cannot_be_reinstated(
    in_state: Callable[[str], ApprovalRequest], officer: User
) -> None:
    request = in_state(S.SUSPENDED)
    # Set-up only: the approval's validity ran out while it was suspended.
    ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(days=1))

    with pytest.raises(ApplicationError):
        approval_reinstate(actor=officer, request=request, reason="incident closed")

    request.refresh_from_db()
    assert request.state == S.SUSPENDED


@pytest.mark.parametrize("decision", list(DECISIONS))
def test_an_auditor_cannot_decide_on_an_approval(
    in_state: Callable[[str], ApprovalRequest], make_user: Callable[..., User], decision: str
) -> None:
    # Auditors "read everything and change nothing" (core/roles.py); the approval API lets any
    # compliance.view holder call the decisions, so the services must refuse them.
    auditor = make_user(Role.AUDITOR, username="audrey-auditor")
    move, state = DECISIONS[decision]
    request = in_state(state)

    with pytest.raises(PermissionDeniedError):
        move(actor=auditor, request=request, reason="because I can")

    request.refresh_from_db()
    assert request.state == state
