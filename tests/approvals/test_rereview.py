"""Re-review triggers: a changed use case, a changed license catalog and a new model version re-run the gates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from compliance.approvals.services import approval_sign, approval_submit
from compliance.models import ApprovalRequest, CatalogLicense
from compliance.services import license_catalog_sync, use_case_update
from core.ledger import audit_chain_verify
from core.models import AuditEvent
from registry.services import local_source, model_version_import
from tests.approvals.conftest import Signers

pytestmark = pytest.mark.django_db

REREVIEWED = "compliance.approval.rereviewed"


def _approve(request: ApprovalRequest, requester: User, *signers: User) -> ApprovalRequest:
    approval_submit(actor=requester, request=request)
    for signer in signers:
        approval_sign(actor=signer, request=request)
    request.refresh_from_db()
    assert request.state == "approved"
    return request


def test_a_high_risk_approval_whose_gates_now_fail_is_suspended(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User
) -> None:
    # given an approved high-risk request
    request = _approve(make_request("high_risk"), requester, signers.officer, signers.legal, signers.security)

    # when the use case's answers change to a prohibited practice
    use_case_update(
        actor=officer,
        use_case=request.use_case,
        reason="scope creep",
        classification_answers={"annex_iii": ["4a"], "practices": ["social_scoring"]},
    )

    # then the approval is re-reviewed and suspended, with the failing gate as the reason
    request.refresh_from_db()
    assert request.state == "suspended"
    assert "not_prohibited" in request.state_reason
    [event] = AuditEvent.objects.filter(action=REREVIEWED, target_id=str(request.pk))
    assert event.after["passed"] is False
    assert event.reason == f"use case {request.use_case_id} changed"
    assert audit_chain_verify().ok


def test_a_lower_tier_approval_is_re_reviewed_but_not_suspended(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User
) -> None:
    request = _approve(
        make_request("minimal", declared_license="cc-by-nc-4.0", facts={"commercial": False}, environment="staging"),
        requester,
        signers.officer,
    )

    use_case_update(actor=officer, use_case=request.use_case, deployment_facts={"commercial": True})

    request.refresh_from_db()
    assert request.state == "approved"
    failed = [gate["gate"] for gate in request.gate_results if not gate["passed"]]
    assert failed == ["license_not_forbidden"]
    assert AuditEvent.objects.filter(action=REREVIEWED, target_id=str(request.pk)).count() == 1


def test_a_change_that_does_not_touch_facts_or_answers_triggers_nothing(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, officer: User
) -> None:
    request = _approve(make_request("minimal"), requester, signers.officer)
    use_case_update(actor=officer, use_case=request.use_case, intended_purpose="Help staff, politely")
    assert not AuditEvent.objects.filter(action=REREVIEWED).exists()


def test_a_license_catalog_change_re_reviews_approvals(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers
) -> None:
    request = _approve(make_request("minimal"), requester, signers.officer)
    CatalogLicense.objects.filter(id="MIT").update(content_sha256="0" * 64)

    license_catalog_sync(actor=None)

    [event] = AuditEvent.objects.filter(action=REREVIEWED, target_id=str(request.pk))
    assert event.reason == "license catalog change"
    assert event.after["passed"] is True


def test_a_new_version_of_the_model_re_reviews_the_approvals_of_its_other_versions(
    make_request: Callable[..., ApprovalRequest], requester: User, signers: Signers, tmp_path: Path
) -> None:
    request = _approve(make_request("minimal"), requester, signers.officer)
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "README.md").write_text("---\nlicense: mit\n---\n# new revision\n")

    model_version_import(
        actor=None, repo_id=request.version.model.hub_id, revision="f" * 40, source=local_source(str(snapshot))
    )

    [event] = AuditEvent.objects.filter(action=REREVIEWED, target_id=str(request.pk))
    assert event.reason.startswith("new version ffffffffffff of ")
