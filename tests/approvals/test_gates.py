"""Machine gates: refusals no sign-off overrides, at submit, at the last sign-off and at reinstatement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from compliance.approvals.gates import (
    FRIA,
    REQUIRED_HIGH_RISK_EVIDENCE,
    GateInput,
    evaluate_gates,
    fria_required,
    required_signoff_roles,
)
from compliance.approvals.services import (
    GatesFailed,
    SegregationOfDuties,
    approval_reinstate,
    approval_request_changes,
    approval_request_update,
    approval_sign,
    approval_submit,
    approval_suspend,
)
from compliance.models import ApprovalRequest, ApprovalState, SignOff
from compliance.services import use_case_update
from tests.approvals.conftest import (
    FRIA_EVIDENCE,
    GATES_FAILED,
    HIGH_RISK,
    HIGH_RISK_EVIDENCE,
    PROHIBITED,
    SHA,
    TRANSITIONED,
    Signers,
    events_for,
)

S = ApprovalState
FRIA_LABEL = "fundamental rights impact assessment (Art. 27)"
COMMERCIAL_PRODUCTION: dict[str, Any] = {}  # the facts' defaults: commercial production use
NON_COMMERCIAL_RESEARCH = {"commercial": False, "purpose": "research"}
SEPARATE_LICENSE = {"reference": "contract-123", "sha256": SHA}


def failed_gates(error: GatesFailed) -> list[str]:
    return [gate["gate"] for gate in error.extra["gates"] if not gate["passed"]]


def refuse_submit(request: ApprovalRequest, requester: User) -> GatesFailed:
    with pytest.raises(GatesFailed) as refused:
        approval_submit(actor=requester, request=request)
    return refused.value


# --- Through the services -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_prohibited_use_is_refused_at_submit_and_the_refusal_is_kept(
    make_request: Callable[..., ApprovalRequest], requester: User
) -> None:
    request = make_request("prohibited")

    error = refuse_submit(request, requester)

    assert "not_prohibited" in str(error)
    assert failed_gates(error) == ["not_prohibited"]
    assert error.http_status == 409
    assert error.code == "gates_failed"
    request.refresh_from_db()
    assert request.state == S.DRAFT
    assert request.tier == "prohibited"
    assert [r["gate"] for r in request.gate_results if not r["passed"]] == ["not_prohibited"]
    [event] = events_for(request, GATES_FAILED)
    assert event.after["attempted"] == "submit"
    assert [gate["gate"] for gate in event.after["failed"]] == ["not_prohibited"]
    assert event.actor_label == requester.username
    assert events_for(request, TRANSITIONED) == []


@pytest.mark.django_db
def test_a_license_that_forbids_the_use_is_refused(
    make_request: Callable[..., ApprovalRequest], requester: User
) -> None:
    request = make_request("minimal", declared_license="cc-by-nc-4.0", facts=COMMERCIAL_PRODUCTION)

    error = refuse_submit(request, requester)

    assert "license_not_forbidden" in failed_gates(error)
    assert "license verdict forbidden" in str(error)
    request.refresh_from_db()
    assert request.state == S.DRAFT


@pytest.mark.django_db
def test_a_license_needing_a_separate_licence_is_refused_until_one_is_attached(
    make_request: Callable[..., ApprovalRequest], requester: User
) -> None:
    request = make_request(
        "minimal",
        declared_license="llama3.1",
        facts={"organization": {"monthly_active_users": 800_000_000}},
    )

    error = refuse_submit(request, requester)
    assert failed_gates(error) == ["separate_license_recorded"]
    assert "license_not_forbidden" not in failed_gates(error)

    approval_request_update(actor=requester, request=request, separate_license=SEPARATE_LICENSE)
    request = approval_submit(actor=requester, request=request)

    assert request.state == S.SUBMITTED
    assert all(result["passed"] for result in request.gate_results)
    assert "separate_license_recorded" in [result["gate"] for result in request.gate_results]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("declared_license", "facts"),
    [
        pytest.param("cc-by-nc-4.0", NON_COMMERCIAL_RESEARCH, id="non_commercial"),
        pytest.param("apple-amlr", NON_COMMERCIAL_RESEARCH, id="research_only"),
    ],
)
def test_the_organization_policy_denies_a_license_the_engine_allows(
    make_request: Callable[..., ApprovalRequest], requester: User, declared_license: str, facts: dict[str, Any]
) -> None:
    # The facts say research, but the request is for production: the default policy rules deny it.
    request = make_request("minimal", declared_license=declared_license, facts=facts, environment="production")

    error = refuse_submit(request, requester)

    assert failed_gates(error) == ["license_policy"]
    assert "never used in production" in str(error)


@pytest.mark.django_db
def test_the_production_only_policy_rule_does_not_apply_to_staging(
    make_request: Callable[..., ApprovalRequest], requester: User
) -> None:
    request = make_request(
        "minimal", declared_license="cc-by-nc-4.0", facts=NON_COMMERCIAL_RESEARCH, environment="staging"
    )
    assert approval_submit(actor=requester, request=request).state == S.SUBMITTED


@pytest.mark.django_db
def test_high_risk_without_evidence_is_refused_naming_each_missing_item(
    make_request: Callable[..., ApprovalRequest], requester: User
) -> None:
    request = make_request("high_risk", evidence={})

    error = refuse_submit(request, requester)

    assert failed_gates(error) == ["high_risk_evidence"]
    for label in REQUIRED_HIGH_RISK_EVIDENCE.values():
        assert label in str(error)
    assert FRIA_LABEL not in str(error)

    approval_request_update(actor=requester, request=request, evidence=HIGH_RISK_EVIDENCE)
    assert approval_submit(actor=requester, request=request).state == S.SUBMITTED


@pytest.mark.django_db
def test_high_risk_with_three_of_the_four_items_names_the_missing_one(
    make_request: Callable[..., ApprovalRequest], requester: User
) -> None:
    evidence = {kind: item for kind, item in HIGH_RISK_EVIDENCE.items() if kind != "human_oversight"}
    error = refuse_submit(make_request("high_risk", evidence=evidence), requester)
    assert str(error).endswith("missing: human oversight measures (Art. 14)")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("annex_iii", "public_body", "needs_fria"),
    [
        pytest.param(["5b"], False, True, id="5b-always"),
        pytest.param(["5c"], False, True, id="5c-always"),
        pytest.param(["4a"], True, True, id="public-body-4a"),
        pytest.param(["2", "4a"], True, True, id="public-body-2-and-4a"),
        pytest.param(["2"], True, False, id="public-body-point-2-only"),
        pytest.param(["4a"], False, False, id="private-4a"),
    ],
)
def test_a_fundamental_rights_impact_assessment_is_required_per_art_27(
    make_request: Callable[..., ApprovalRequest],
    requester: User,
    annex_iii: list[str],
    public_body: bool,
    needs_fria: bool,
) -> None:
    request = make_request("high_risk", answers={"annex_iii": annex_iii}, public_body=public_body)

    if needs_fria:
        error = refuse_submit(request, requester)
        assert str(error).endswith(f"missing: {FRIA_LABEL}")
        approval_request_update(actor=requester, request=request, evidence=HIGH_RISK_EVIDENCE | FRIA_EVIDENCE)

    request = approval_submit(actor=requester, request=request)
    assert (request.state, request.tier) == (S.SUBMITTED, "high_risk")


@pytest.mark.django_db
def test_gates_run_again_at_the_last_sign_off(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User
) -> None:
    request = approval_submit(actor=requester, request=make_request("high_risk"))
    for person in (signers.officer, signers.legal):
        request = approval_sign(actor=person, request=request)
    use_case_update(actor=officer, use_case=request.use_case, classification_answers=HIGH_RISK | PROHIBITED)

    with pytest.raises(GatesFailed) as refused:
        approval_sign(actor=signers.security, request=request)

    assert failed_gates(refused.value) == ["not_prohibited"]
    request.refresh_from_db()
    assert request.state == S.IN_REVIEW
    assert request.decided_at is None
    assert request.expires_at is None
    request.version.refresh_from_db()
    assert request.version.locked_at is None
    [event] = events_for(request, GATES_FAILED)
    assert event.after["attempted"] == "approve"
    assert (S.IN_REVIEW, S.APPROVED) not in [
        (e.before["state"], e.after["state"]) for e in events_for(request, TRANSITIONED)
    ]
    # Whether the refused last sign-off is kept is a design choice, reported rather than pinned here:
    # today the transaction commits, so the SignOff row and its compliance.approval.signed event stay.
    assert SignOff.objects.filter(request=request, signer=signers.officer).exists()
    assert SignOff.objects.filter(request=request, signer=signers.legal).exists()


@pytest.mark.django_db
def test_a_request_refused_at_the_last_sign_off_can_still_be_approved_once_fixed(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User
) -> None:
    # Every slot was signed but the gates refused the approval. Once the use case is fixed and the
    # request resubmitted (sign-offs are kept), something must be able to complete it.
    request = approval_submit(actor=requester, request=make_request("high_risk"))
    request = approval_sign(actor=signers.officer, request=request)
    request = approval_sign(actor=signers.legal, request=request)
    use_case_update(actor=officer, use_case=request.use_case, classification_answers=HIGH_RISK | PROHIBITED)
    with pytest.raises(GatesFailed):
        approval_sign(actor=signers.security, request=request)

    use_case_update(actor=officer, use_case=request.use_case, classification_answers=HIGH_RISK)
    request = approval_request_changes(actor=officer, request=request, reason="the prohibited practice is gone")
    request = approval_submit(actor=requester, request=request)

    if request.state != S.APPROVED:
        # The security slot is the one whose sign-off was refused; someone holding it signs now.
        try:
            request = approval_sign(actor=signers.security_2, request=request)
        except SegregationOfDuties as stuck:
            pytest.fail(f"the request is stuck in {request.state}: {stuck}")
    request.refresh_from_db()
    assert request.state == S.APPROVED


@pytest.mark.django_db
def test_reinstatement_runs_the_gates_again(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User
) -> None:
    request = approval_submit(actor=requester, request=make_request("minimal"))
    request = approval_sign(actor=signers.officer, request=request)
    request = approval_suspend(actor=officer, request=request, reason="incident 42")
    use_case_update(actor=officer, use_case=request.use_case, classification_answers=PROHIBITED)

    with pytest.raises(GatesFailed) as refused:
        approval_reinstate(actor=officer, request=request, reason="incident closed")

    assert failed_gates(refused.value) == ["not_prohibited"]
    request.refresh_from_db()
    assert request.state == S.SUSPENDED
    assert events_for(request, GATES_FAILED)[-1].after["attempted"] == "reinstate"


# --- Pure gates ------------------------------------------------------------------------------


def gate_input(**overrides: Any) -> GateInput:
    values: dict[str, Any] = {
        "license_verdict": "allowed",
        "license_reasons": (),
        "tier": "minimal",
        "classification_reasons": (),
        "annex_iii": (),
        "policy_denials": (),
        "evidence": {},
        "separate_license": None,
        "deployer_public_body_or_public_service": False,
    }
    return GateInput(**(values | overrides))


def results(data: GateInput) -> dict[str, bool]:
    return {result.gate: result.passed for result in evaluate_gates(data)}


def test_a_clean_minimal_input_passes_the_three_base_gates() -> None:
    assert results(gate_input()) == {"license_not_forbidden": True, "not_prohibited": True, "license_policy": True}


@pytest.mark.parametrize(
    ("overrides", "gate"),
    [
        pytest.param({"license_verdict": "forbidden"}, "license_not_forbidden", id="forbidden"),
        pytest.param({"tier": "prohibited"}, "not_prohibited", id="prohibited"),
        pytest.param({"policy_denials": ("No NC in prod (CC-BY-NC-4.0)",)}, "license_policy", id="policy"),
        pytest.param({"license_verdict": "needs_separate_license"}, "separate_license_recorded", id="separate"),
        pytest.param(
            {"license_verdict": "needs_separate_license", "separate_license": {"reference": "  "}},
            "separate_license_recorded",
            id="separate-blank-reference",
        ),
        pytest.param({"tier": "high_risk", "annex_iii": ("4a",)}, "high_risk_evidence", id="high-risk"),
        pytest.param(
            {"tier": "high_risk", "annex_iii": ("4a",), "evidence": {k: {"reference": ""} for k in HIGH_RISK_EVIDENCE}},
            "high_risk_evidence",
            id="high-risk-blank-references",
        ),
    ],
)
def test_each_gate_fails_on_its_own(overrides: dict[str, Any], gate: str) -> None:
    outcome = results(gate_input(**overrides))
    assert [name for name, passed in outcome.items() if not passed] == [gate]


def test_the_separate_licence_gate_passes_with_a_reference_and_is_absent_otherwise() -> None:
    assert results(gate_input(license_verdict="needs_separate_license", separate_license={"reference": "c-1"}))[
        "separate_license_recorded"
    ]
    assert "separate_license_recorded" not in results(gate_input(license_verdict="allowed_with_obligations"))


def test_gate_details_explain_the_failure() -> None:
    by_gate = {
        r.gate: r.detail
        for r in evaluate_gates(
            gate_input(
                license_verdict="forbidden",
                license_reasons=("commercial use is outside the grant [§1]",),
                tier="prohibited",
                classification_reasons=("social scoring [Art. 5(1)(c)]",),
                policy_denials=("rule A (X)", "rule B (Y)"),
            )
        )
    }
    assert by_gate["license_not_forbidden"] == "license verdict forbidden: commercial use is outside the grant [§1]"
    assert by_gate["not_prohibited"] == "EU AI Act tier prohibited: social scoring [Art. 5(1)(c)]"
    assert by_gate["license_policy"] == "denied by policy: rule A (X); rule B (Y)"


@pytest.mark.parametrize(
    ("annex_iii", "public_body", "expected"),
    [
        ((), True, False),
        (("2",), True, False),
        (("2",), False, False),
        (("4a",), False, False),
        (("4a",), True, True),
        (("2", "8a"), True, True),
        (("5b",), False, True),
        (("5c",), False, True),
        (("5a",), False, False),
    ],
)
def test_fria_required(annex_iii: tuple[str, ...], public_body: bool, expected: bool) -> None:
    data = gate_input(tier="high_risk", annex_iii=annex_iii, deployer_public_body_or_public_service=public_body)
    assert fria_required(data) is expected
    evidence_detail = next(r.detail for r in evaluate_gates(data) if r.gate == "high_risk_evidence")
    assert (FRIA_LABEL in evidence_detail) is expected


def test_fria_is_not_required_outside_high_risk() -> None:
    assert not fria_required(gate_input(tier="transparency", annex_iii=("5b",)))


def test_high_risk_evidence_with_every_item_passes() -> None:
    data = gate_input(tier="high_risk", annex_iii=("5b",), evidence=HIGH_RISK_EVIDENCE | FRIA_EVIDENCE)
    assert all(results(data).values())
    assert FRIA in FRIA_EVIDENCE


REQUIREMENTS = settings.MODELGATE_SIGNOFF_REQUIREMENTS


@pytest.mark.parametrize(
    ("tier", "gpai", "policy", "expected"),
    [
        ("minimal", "none", [], ["compliance_officer"]),
        ("out_of_scope", "none", [], ["compliance_officer"]),
        ("transparency", "none", [], ["compliance_officer", "approver_security"]),
        ("high_risk", "none", [], ["compliance_officer", "approver_legal", "approver_security"]),
        (
            "high_risk",
            "gpai_systemic_risk",
            [],
            ["compliance_officer", "approver_legal", "approver_security", "approver_legal"],
        ),
        ("minimal", "gpai", [], ["compliance_officer"]),
        ("minimal", "gpai_systemic_risk", [], ["compliance_officer", "approver_legal"]),
        ("minimal", "none", ["approver_legal"], ["compliance_officer", "approver_legal"]),
        ("minimal", "none", ["approver_legal", "approver_legal"], ["compliance_officer", "approver_legal"]),
        ("high_risk", "none", ["approver_legal"], ["compliance_officer", "approver_legal", "approver_security"]),
        ("transparency", "none", ["approver_legal"], ["compliance_officer", "approver_security", "approver_legal"]),
        ("unknown_tier", "none", [], ["compliance_officer"]),
    ],
)
def test_required_signoff_roles(tier: str, gpai: str, policy: list[str], expected: list[str]) -> None:
    assert required_signoff_roles(tier, gpai, policy, REQUIREMENTS) == expected


def test_required_signoff_roles_does_not_mutate_the_settings() -> None:
    before = {tier: list(roles) for tier, roles in REQUIREMENTS.items()}
    required_signoff_roles("high_risk", "gpai_systemic_risk", ["approver_security"], REQUIREMENTS)
    assert before == REQUIREMENTS
