"""The admin drives approvals through the same services: actions, the decision page, role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from compliance.approvals.services import approval_request_create
from compliance.models import ApprovalRequest
from compliance.services import use_case_create
from core.models import AuditEvent
from core.roles import Role
from registry.models import Model, ModelVersion, Organization

pytestmark = pytest.mark.django_db
LIST = "/admin/compliance/approvalrequest/"


@pytest.fixture
def approval(make_user: Callable[..., User], officer: User) -> ApprovalRequest:
    org = Organization.objects.create(name="Acme", hub_namespace="acme")
    model = Model.objects.create(hub_id="acme/tiny", provider=org)
    version = ModelVersion.objects.create(model=model, revision="d" * 40, source="hub", declared_license="mit")
    use_case = use_case_create(actor=officer, owner=officer, name="Spam filter", intended_purpose="Filter spam")
    engineer = make_user(Role.ML_ENGINEER, username="erin", is_staff=True)
    return approval_request_create(actor=engineer, version=version, use_case=use_case, environment="production")


def _browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_submit_and_sign_actions_use_the_services(approval: ApprovalRequest, make_user: Callable[..., User]) -> None:
    engineer = User.objects.get(username="erin")
    reviewer = make_user(Role.COMPLIANCE_OFFICER, username="oscar", is_staff=True)

    _browser(engineer).post(LIST, {"action": "submit_selected", "_selected_action": [approval.pk]})
    _browser(reviewer).post(LIST, {"action": "sign_selected", "_selected_action": [approval.pk]})

    approval.refresh_from_db()
    assert approval.state == "approved"
    assert [e.after["state"] for e in AuditEvent.objects.filter(action="compliance.approval.transitioned")] == [
        "submitted",
        "approved",
    ]


def test_the_requester_signing_in_the_admin_is_told_why_not(approval: ApprovalRequest) -> None:
    engineer = User.objects.get(username="erin")
    engineer.groups.add(*User.objects.get(username="olivia").groups.all())
    browser = _browser(engineer)
    browser.post(LIST, {"action": "submit_selected", "_selected_action": [approval.pk]})

    response = browser.post(LIST, {"action": "sign_selected", "_selected_action": [approval.pk]}, follow=True)

    assert "you requested this approval" in response.content.decode()
    approval.refresh_from_db()
    assert approval.state == "submitted"


def test_the_decision_page_revokes_with_a_reason_and_refuses_without_one(
    approval: ApprovalRequest, make_user: Callable[..., User]
) -> None:
    engineer = User.objects.get(username="erin")
    reviewer = make_user(Role.COMPLIANCE_OFFICER, username="oscar", is_staff=True)
    _browser(engineer).post(LIST, {"action": "submit_selected", "_selected_action": [approval.pk]})
    _browser(reviewer).post(LIST, {"action": "sign_selected", "_selected_action": [approval.pk]})
    url = f"{LIST}{approval.pk}/decide/"
    browser = _browser(reviewer)

    empty = browser.post(url, {"decision": "revoke", "reason": ""})
    done = browser.post(url, {"decision": "revoke", "reason": "incident 42"})

    assert empty.status_code == 200
    assert done.status_code == 302
    approval.refresh_from_db()
    assert (approval.state, approval.state_reason) == ("revoked", "incident 42")


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.DEVELOPER])
def test_read_only_roles_cannot_decide(approval: ApprovalRequest, make_user: Callable[..., User], role: Role) -> None:
    user: Any = make_user(role, is_staff=True)
    response = _browser(user).post(f"{LIST}{approval.pk}/decide/", {"decision": "reject", "reason": "no"})
    approval.refresh_from_db()
    assert approval.state == "draft"
    assert "your roles do not allow you" in response.content.decode()
