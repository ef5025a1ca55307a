"""Every (from, to) pair over the nine states: the allowed ones move and are audited, the rest are refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from compliance.approvals.services import (
    TRANSITIONS,
    IllegalTransition,
    approval_expire,
    approval_reinstate,
    approval_reject,
    approval_request_changes,
    approval_revoke,
    approval_sign,
    approval_submit,
    approval_suspend,
)
from compliance.models import ApprovalRequest, ApprovalState, SignOff
from core.models import AuditEvent
from tests.approvals.conftest import TRANSITIONED, Signers, events_for

pytestmark = pytest.mark.django_db

S = ApprovalState
STATES = [state.value for state in S]
ALL_PAIRS = [(a, b) for a in STATES for b in STATES]
LEGAL = [pair for pair in ALL_PAIRS if pair in TRANSITIONS]
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in TRANSITIONS]
REASON = "reviewed in the weekly committee"

# How each reachable state is built through the services, starting from a transparency-tier
# request (officer + security), so that one sign-off leaves it in review.
PATH: dict[str, list[str]] = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.IN_REVIEW: ["submit", "sign_officer"],
    S.APPROVED: ["submit", "sign_officer", "sign_security"],
    S.REJECTED: ["submit", "reject"],
    S.CHANGES_REQUESTED: ["submit", "request_changes"],
    S.SUSPENDED: ["submit", "sign_officer", "sign_security", "suspend"],
    S.REVOKED: ["submit", "sign_officer", "sign_security", "revoke"],
    S.EXPIRED: ["submit", "sign_officer", "sign_security", "expire"],
}


@pytest.fixture
def drive(make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User):
    def expire(request: ApprovalRequest) -> ApprovalRequest:
        past_expiry(request)
        return approval_expire(actor=None, request=request)

    steps: dict[str, Callable[[ApprovalRequest], ApprovalRequest]] = {
        "submit": lambda r: approval_submit(actor=requester, request=r),
        "sign_officer": lambda r: approval_sign(actor=signers.officer, request=r),
        "sign_security": lambda r: approval_sign(actor=signers.security, request=r),
        "reject": lambda r: approval_reject(actor=officer, request=r, reason=REASON),
        "request_changes": lambda r: approval_request_changes(actor=officer, request=r, reason=REASON),
        "suspend": lambda r: approval_suspend(actor=officer, request=r, reason=REASON),
        "revoke": lambda r: approval_revoke(actor=officer, request=r, reason=REASON),
        "expire": expire,
    }

    def build(state: str, tier: str = "transparency") -> ApprovalRequest:
        request = make_request(tier)
        for name in PATH[state]:
            request = steps[name](request)
        request.refresh_from_db()
        assert request.state == state, f"could not drive the request to {state}"
        return request

    return build


def past_expiry(request: ApprovalRequest) -> None:
    """Set-up only: an approval whose validity has run out (expire is for those)."""
    ApprovalRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(days=1))


def pair_id(pair: tuple[str, str]) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_the_pairs_cover_all_nine_states() -> None:
    assert len(STATES) == 9
    assert len(LEGAL) + len(ILLEGAL) == 81
    assert set(TRANSITIONS) <= set(ALL_PAIRS), "TRANSITIONS names a state that does not exist"


@pytest.mark.parametrize("pair", LEGAL, ids=pair_id)
def test_an_allowed_move_changes_the_state_and_audits_it(
    pair: tuple[str, str], drive, requester: User, signers: Signers, officer: User
) -> None:
    source, target = pair
    # A request that needs exactly one sign-off can go straight from submitted to approved.
    request = drive(source, tier="minimal" if pair == (S.SUBMITTED, S.APPROVED) else "transparency")
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()

    match TRANSITIONS[pair]:
        case "submit":
            approval_submit(actor=requester, request=request)
        case "sign":
            signer = signers.security if source == S.IN_REVIEW else signers.officer
            approval_sign(actor=signer, request=request)
        case "reject":
            approval_reject(actor=officer, request=request, reason=REASON)
        case "request_changes":
            approval_request_changes(actor=officer, request=request, reason=REASON)
        case "suspend":
            approval_suspend(actor=officer, request=request, reason=REASON)
        case "reinstate":
            approval_reinstate(actor=officer, request=request, reason=REASON)
        case "revoke":
            approval_revoke(actor=officer, request=request, reason=REASON)
        case "expire":
            past_expiry(request)
            approval_expire(actor=None, request=request)
        case other:
            raise AssertionError(f"no service for {other}")

    request.refresh_from_db()
    assert request.state == target
    moves = [
        (event.before, event.after)
        for event in AuditEvent.objects.filter(
            action=TRANSITIONED, target_id=str(request.pk), sequence__gt=head or 0
        ).order_by("sequence")
    ]
    assert ({"state": source}, {"state": target}) in moves, f"no transitioned event {source} -> {target}: {moves}"


def _attempts_for(target: str, signers: Signers, officer: User, requester: User) -> list[Callable[..., object]]:
    """Every service that could move a request to ``target``."""
    signer = signers.security_2  # holds a role every request below still needs, signed nothing
    by_target: dict[str, list[Callable[..., object]]] = {
        S.SUBMITTED: [lambda r: approval_submit(actor=requester, request=r)],
        S.IN_REVIEW: [lambda r: approval_sign(actor=signer, request=r)],
        S.APPROVED: [
            lambda r: approval_sign(actor=signer, request=r),
            lambda r: approval_reinstate(actor=officer, request=r, reason=REASON),
        ],
        S.REJECTED: [lambda r: approval_reject(actor=officer, request=r, reason=REASON)],
        S.CHANGES_REQUESTED: [lambda r: approval_request_changes(actor=officer, request=r, reason=REASON)],
        S.SUSPENDED: [lambda r: approval_suspend(actor=officer, request=r, reason=REASON)],
        S.REVOKED: [lambda r: approval_revoke(actor=officer, request=r, reason=REASON)],
        S.EXPIRED: [lambda r: approval_expire(actor=None, request=r)],
    }
    return by_target[target]


@pytest.mark.parametrize("pair", ILLEGAL, ids=pair_id)
def test_a_move_outside_the_table_is_refused(
    pair: tuple[str, str], drive, requester: User, signers: Signers, officer: User
) -> None:
    source, target = pair
    if target == S.DRAFT:
        # Nothing moves a request back to draft: no entry of the table leads there, so no service can.
        assert not [key for key in TRANSITIONS if key[1] == S.DRAFT]
        return
    if pair == (S.IN_REVIEW, S.IN_REVIEW):
        # Not a move: a sign-off that leaves slots open keeps the request in review, without a transition.
        request = drive(S.IN_REVIEW, tier="high_risk")
        approval_sign(actor=signers.legal, request=request)
        request.refresh_from_db()
        assert request.state == S.IN_REVIEW
        assert (S.IN_REVIEW, S.IN_REVIEW) not in [
            (e.before["state"], e.after["state"]) for e in events_for(request, TRANSITIONED)
        ]
        return

    request = drive(source)
    unnamed: list[str] = []
    for attempt in _attempts_for(target, signers, officer, requester):
        events_before = AuditEvent.objects.count()
        signoffs_before = SignOff.objects.filter(request=request).count()

        with pytest.raises(IllegalTransition) as refused:
            attempt(request)

        assert AuditEvent.objects.count() == events_before
        assert SignOff.objects.filter(request=request).count() == signoffs_before
        request.refresh_from_db()
        assert request.state == source
        message = str(refused.value)
        if source not in message or target not in message:
            unnamed.append(message)
    assert unnamed == [], f"refusals that do not name both {source} and {target}"
