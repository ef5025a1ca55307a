"""N-of-M sign-offs: who must sign, who may sign, and what the last sign-off does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from compliance.approvals.services import (
    IllegalTransition,
    SegregationOfDuties,
    approval_reject,
    approval_request_changes,
    approval_request_update,
    approval_sign,
    approval_submit,
)
from compliance.models import ApprovalRequest, ApprovalState, SignOff
from compliance.services import use_case_update
from core.models import AuditEvent
from core.roles import Role
from tests.approvals.conftest import (
    GPAI_SYSTEMIC,
    HIGH_RISK,
    TRANSPARENCY,
    Signers,
    add_months,
    transitions_of,
)

pytestmark = pytest.mark.django_db

S = ApprovalState
OFFICER, LEGAL, SECURITY = Role.COMPLIANCE_OFFICER.value, Role.APPROVER_LEGAL.value, Role.APPROVER_SECURITY.value


def submitted(request: ApprovalRequest, requester: User) -> ApprovalRequest:
    return approval_submit(actor=requester, request=request)


def sign(request: ApprovalRequest, *people: User) -> ApprovalRequest:
    for person in people:
        request = approval_sign(actor=person, request=request)
    request.refresh_from_db()
    return request


def roles_signed(request: ApprovalRequest) -> list[str]:
    return sorted(SignOff.objects.filter(request=request).values_list("role", flat=True))


@pytest.mark.parametrize(
    ("tier", "required"),
    [
        pytest.param("minimal", [OFFICER], id="minimal"),
        pytest.param("transparency", [OFFICER, SECURITY], id="transparency"),
        pytest.param("high_risk", [OFFICER, LEGAL, SECURITY], id="high_risk"),
    ],
)
def test_each_tier_needs_its_sign_offs_from_distinct_people(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, tier: str, required: list[str]
) -> None:
    request = submitted(make_request(tier), requester)
    assert request.required_signoffs == required
    people = {OFFICER: signers.officer, LEGAL: signers.legal, SECURITY: signers.security}

    for count, role in enumerate(required, start=1):
        request = sign(request, people[role])
        expected = S.APPROVED if count == len(required) else S.IN_REVIEW
        assert request.state == expected, f"after {count} of {len(required)} sign-offs"

    assert roles_signed(request) == sorted(required)
    assert transitions_of(request)[-1][1] == S.APPROVED
    assert transitions_of(request).count((S.IN_REVIEW, S.APPROVED)) <= 1


def test_gpai_with_systemic_risk_needs_two_distinct_legal_approvers(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers
) -> None:
    request = submitted(make_request("high_risk", answers=HIGH_RISK | GPAI_SYSTEMIC), requester)
    assert (request.tier, request.gpai) == ("high_risk", "gpai_systemic_risk")
    assert sorted(request.required_signoffs) == sorted([OFFICER, LEGAL, SECURITY, LEGAL])

    request = sign(request, signers.officer, signers.security, signers.legal)
    assert request.state == S.IN_REVIEW
    with pytest.raises(SegregationOfDuties, match="signed this request already"):
        approval_sign(actor=signers.legal, request=request)
    request.refresh_from_db()
    assert request.state == S.IN_REVIEW

    request = sign(request, signers.legal_2)
    assert request.state == S.APPROVED
    assert roles_signed(request) == sorted([OFFICER, LEGAL, LEGAL, SECURITY])


def test_gpai_with_systemic_risk_on_a_minimal_tier_use_adds_a_legal_approver(
    make_request: Callable[..., ApprovalRequest], requester: User
) -> None:
    request = submitted(make_request("minimal", answers=GPAI_SYSTEMIC), requester)
    assert (request.tier, request.gpai) == ("minimal", "gpai_systemic_risk")
    assert request.required_signoffs == [OFFICER, LEGAL]


@pytest.mark.parametrize(
    ("declared_license", "added"),
    [
        pytest.param("llama3.1", LEGAL, id="source_available_ai-needs-legal"),
        pytest.param("AGPL-3.0-only", SECURITY, id="agpl-needs-security"),
    ],
)
def test_policy_sign_off_rules_add_roles(
    make_request: Callable[..., ApprovalRequest],
    requester: User,
    signers: Signers,
    declared_license: str,
    added: str,
) -> None:
    request = submitted(make_request("minimal", declared_license=declared_license), requester)
    assert request.required_signoffs == [OFFICER, added]

    request = sign(request, signers.officer)
    assert request.state == S.IN_REVIEW
    request = sign(request, signers.legal if added == LEGAL else signers.security)
    assert request.state == S.APPROVED


def test_a_policy_role_already_required_by_the_tier_is_not_asked_twice(
    make_request: Callable[..., ApprovalRequest], requester: User
) -> None:
    request = submitted(make_request("high_risk", declared_license="llama3.1"), requester)
    assert request.required_signoffs == [OFFICER, LEGAL, SECURITY]


def test_one_person_holding_several_roles_counts_once(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, make_user: Callable[..., User]
) -> None:
    both = make_user(Role.COMPLIANCE_OFFICER, Role.APPROVER_LEGAL, username="bea-officer-and-legal")
    request = submitted(make_request("high_risk"), requester)

    request = sign(request, both)
    with pytest.raises(SegregationOfDuties, match="signed this request already") as refused:
        approval_sign(actor=both, request=request)

    assert refused.value.fields == {"signer": ["already signed"]}
    assert SignOff.objects.filter(request=request).count() == 1
    request = sign(request, signers.security)
    assert request.state == S.IN_REVIEW, "two people signed three slots"
    # The slot the multi-role signer did not take is still open for someone else.
    request = sign(request, signers.legal if OFFICER in roles_signed(request) else signers.officer)
    assert request.state == S.APPROVED


def test_a_signer_without_a_matching_open_role_is_told_what_is_still_needed(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers
) -> None:
    request = sign(submitted(make_request("high_risk"), requester), signers.officer)

    with pytest.raises(SegregationOfDuties) as refused:
        approval_sign(actor=signers.officer_2, request=request)

    message = str(refused.value)
    assert "no open sign-off" in message
    assert LEGAL in message
    assert SECURITY in message
    assert OFFICER not in message.split("still needed:")[1]
    assert SignOff.objects.filter(request=request).count() == 1


def test_the_requester_cannot_sign_even_holding_the_role(
    make_request: Callable[..., ApprovalRequest], make_user: Callable[..., User]
) -> None:
    officer_requester = make_user(Role.COMPLIANCE_OFFICER, username="rob-requesting-officer")
    request = make_request("minimal", actor=officer_requester)
    request = approval_submit(actor=officer_requester, request=request)

    with pytest.raises(SegregationOfDuties, match="requested this approval"):
        approval_sign(actor=officer_requester, request=request)

    request.refresh_from_db()
    assert (request.state, SignOff.objects.filter(request=request).count()) == (S.SUBMITTED, 0)


def test_the_importer_of_the_version_cannot_sign(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers
) -> None:
    request = submitted(make_request("minimal", imported_by=signers.officer), requester)

    with pytest.raises(SegregationOfDuties, match="imported this model version"):
        approval_sign(actor=signers.officer, request=request)

    request = sign(request, signers.officer_2)
    assert request.state == S.APPROVED


def test_a_user_with_no_role_cannot_sign(
    make_request: Callable[..., ApprovalRequest], requester: User, make_user: Callable[..., User]
) -> None:
    request = submitted(make_request("minimal"), requester)
    nobody = make_user(username="nora-no-role")

    with pytest.raises(SegregationOfDuties, match="no role"):
        approval_sign(actor=nobody, request=request)

    assert SignOff.objects.filter(request=request).count() == 0


def test_a_role_that_signs_nothing_cannot_sign(
    make_request: Callable[..., ApprovalRequest], requester: User, make_user: Callable[..., User]
) -> None:
    request = submitted(make_request("minimal"), requester)
    with pytest.raises(SegregationOfDuties, match=f"still needed: {OFFICER}"):
        approval_sign(actor=make_user(Role.DEVELOPER, username="dev-dora"), request=request)


@pytest.mark.parametrize("state", [S.DRAFT, S.APPROVED, S.REJECTED])
def test_only_a_request_awaiting_sign_offs_can_be_signed(
    make_request: Callable[..., ApprovalRequest],
    requester: User,
    signers: Signers,
    officer: User,
    state: str,
) -> None:
    request = make_request("minimal")
    if state == S.APPROVED:
        request = sign(submitted(request, requester), signers.officer)
    elif state == S.REJECTED:
        request = approval_reject(actor=officer, request=submitted(request, requester), reason="not needed")
    events = AuditEvent.objects.count()

    with pytest.raises(IllegalTransition, match=state):
        approval_sign(actor=signers.officer_2, request=request)

    assert AuditEvent.objects.count() == events


def approve(make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, tier: str):
    request = submitted(make_request(tier), requester)
    assert request.version.locked_at is None
    request = sign(request, *[signers.officer, signers.legal, signers.security][: len(request.required_signoffs)])
    assert request.state == S.APPROVED
    return request


@pytest.mark.parametrize("tier", ["high_risk", "minimal"])
def test_approval_records_the_decision_and_locks_the_version(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, tier: str
) -> None:
    request = approve(make_request, requester, signers, tier)

    assert request.decided_at is not None
    assert request.expires_at is not None
    assert request.expires_at > request.decided_at
    request.version.refresh_from_db()
    assert request.version.locked_at is not None
    assert AuditEvent.objects.filter(action="registry.model_version.locked", target_id=str(request.version.pk)).exists()


@pytest.mark.parametrize(
    ("tier", "months"), [pytest.param("high_risk", 12, id="high_risk-12"), pytest.param("minimal", 24, id="minimal-24")]
)
def test_approval_expires_after_the_tier_s_validity_in_calendar_months(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, tier: str, months: int
) -> None:
    request = approve(make_request, requester, signers, tier)

    expected = add_months(request.decided_at, months)
    assert abs(request.expires_at - expected) <= timedelta(days=1), (
        f"expires {request.expires_at:%Y-%m-%d}, {months} months after {request.decided_at:%Y-%m-%d} "
        f"is {expected:%Y-%m-%d}"
    )


def test_sign_offs_are_kept_when_changes_are_requested_and_the_request_is_resubmitted(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User
) -> None:
    request = sign(submitted(make_request("transparency"), requester), signers.officer)
    request = approval_request_changes(actor=officer, request=request, reason="add the guardrail policy")
    approval_request_update(actor=requester, request=request, conditions={"guardrail_policy": "gp-7"})
    request = submitted(request, requester)

    assert request.state == S.SUBMITTED
    assert list(SignOff.objects.filter(request=request).values_list("signer__username", "role")) == [
        ("oscar-officer", OFFICER)
    ]
    with pytest.raises(SegregationOfDuties, match="signed this request already"):
        approval_sign(actor=signers.officer, request=request)
    request = sign(request, signers.security)
    assert request.state == S.APPROVED


# --- Quorum bookkeeping when the required roles change -----------------------------------


def test_a_kept_sign_off_for_a_role_no_longer_required_does_not_fill_another_slot(
    make_request: Callable[..., ApprovalRequest],
    requester: User,
    signers: Signers,
    officer: User,
) -> None:
    # A high-risk request got its legal sign-off, then the use case was re-described as transparency
    # (officer + security) and the request resubmitted: the legal sign-off fills neither slot.
    request = sign(submitted(make_request("high_risk"), requester), signers.legal)
    request = approval_request_changes(actor=officer, request=request, reason="re-describe the use case")
    use_case_update(actor=officer, use_case=request.use_case, classification_answers=TRANSPARENCY)
    request = submitted(request, requester)
    assert request.required_signoffs == [OFFICER, SECURITY]

    request = sign(request, signers.officer)

    assert request.state == S.IN_REVIEW, f"approved without {SECURITY}: signed {roles_signed(request)}"


def test_roles_added_while_in_review_must_be_signed_before_approval(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User
) -> None:
    # Officer signed a transparency request; the use case then turns out to use a GPAI model with
    # systemic risk, which needs a legal approver too. The security sign-off must not approve it.
    request = sign(submitted(make_request("transparency"), requester), signers.officer)
    use_case_update(actor=officer, use_case=request.use_case, classification_answers=TRANSPARENCY | GPAI_SYSTEMIC)

    request = sign(request, signers.security)

    assert request.state == S.IN_REVIEW, (
        f"approved with sign-offs {roles_signed(request)} although it now requires {request.required_signoffs}"
    )
    request = sign(request, signers.legal)
    assert request.state == S.APPROVED
