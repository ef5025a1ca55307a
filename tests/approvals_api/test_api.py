"""The approvals API end to end: request, submit, sign, revoke; roles and segregation of duties."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.approvals.selectors import approval_in_force
from compliance.approvals.services import approvals_notify_expiring
from compliance.models import ApprovalRequest
from compliance.services import use_case_create
from compliance.tasks import approvals_expire_due_task
from core.models import AuditEvent, Delivery, OutboxMessage
from core.roles import Role
from modelgate.celery import app
from registry.models import Model, ModelVersion, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(make_user: Callable[..., User]) -> ModelVersion:
    importer = make_user(Role.ML_ENGINEER, username="importer")
    mistral = Organization.objects.create(name="Mistral AI", hub_namespace="mistralai")
    model = Model.objects.create(hub_id="mistralai/Mistral-7B-Instruct-v0.3", provider=mistral)
    return ModelVersion.objects.create(
        model=model, revision="c" * 40, source="hub", declared_license="apache-2.0", imported_by=importer
    )


@pytest.fixture
def spam_filter(officer: User) -> Any:
    return use_case_create(actor=officer, owner=officer, name="Spam filter", intended_purpose="Filter spam e-mail")


def _as(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_minimal_risk_request_is_approved_by_a_compliance_officer_and_then_revoked(
    make_user: Callable[..., User], version: ModelVersion, spam_filter: Any
) -> None:
    engineer = make_user(Role.ML_ENGINEER, username="erin")
    officer = make_user(Role.COMPLIANCE_OFFICER, username="oscar")

    created = _as(engineer).post(
        "/api/v1/approvals/",
        {"version": version.pk, "use_case": spam_filter.pk, "environment": "production"},
        format="json",
    )
    assert created.status_code == 201, created.content
    approval_id = created.json()["id"]
    submitted = _as(engineer).post(f"/api/v1/approvals/{approval_id}/submit/")
    assert submitted.json()["state"] == "submitted", submitted.content
    assert submitted.json()["tier"] == "minimal"
    assert submitted.json()["required_signoffs"] == ["compliance_officer"]

    signed = _as(officer).post(f"/api/v1/approvals/{approval_id}/sign/", {"reason": "looks fine"}, format="json")

    body = signed.json()
    assert body["state"] == "approved", body
    assert [s["signer"] for s in body["signoffs"]] == ["oscar"]
    assert approval_in_force(version_id=version.pk, use_case_id=spam_filter.pk, environment="production") is not None
    version.refresh_from_db()
    assert version.locked_at is not None

    refused = _as(officer).post(f"/api/v1/approvals/{approval_id}/revoke/", {}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["error"]["fields"]
    revoked = _as(officer).post(f"/api/v1/approvals/{approval_id}/revoke/", {"reason": "incident 42"}, format="json")
    assert revoked.json()["state"] == "revoked"
    assert approval_in_force(version_id=version.pk, use_case_id=spam_filter.pk, environment="production") is None
    states = [e.after["state"] for e in AuditEvent.objects.filter(action="compliance.approval.transitioned")]
    assert states == ["submitted", "approved", "revoked"]  # one sign-off completes it straight from submitted


def test_the_requester_and_the_importer_are_told_why_they_cannot_sign(
    make_user: Callable[..., User], version: ModelVersion, spam_filter: Any
) -> None:
    requester = make_user(Role.COMPLIANCE_OFFICER, Role.ML_ENGINEER, username="rita")
    client = _as(requester)
    approval_id = client.post(
        "/api/v1/approvals/",
        {"version": version.pk, "use_case": spam_filter.pk, "environment": "staging"},
        format="json",
    ).json()["id"]
    client.post(f"/api/v1/approvals/{approval_id}/submit/")

    own = client.post(f"/api/v1/approvals/{approval_id}/sign/", {}, format="json")
    importer = User.objects.get(username="importer")
    importer.groups.add(*requester.groups.all())
    by_importer = _as(importer).post(f"/api/v1/approvals/{approval_id}/sign/", {}, format="json")

    assert own.status_code == 403
    assert own.json()["error"]["code"] == "segregation_of_duties"
    assert "you requested this approval" in own.json()["error"]["message"]
    assert by_importer.status_code == 403
    assert "you imported this model version" in by_importer.json()["error"]["message"]


@pytest.mark.parametrize("role", [Role.DEVELOPER, Role.AUDITOR, Role.APPROVER_LEGAL])
def test_roles_that_do_not_request_approvals_are_refused_and_nothing_is_written(
    client_for: Callable[..., APIClient], role: Role, version: ModelVersion, spam_filter: Any
) -> None:
    before = AuditEvent.objects.count()
    response = client_for(role).post(
        "/api/v1/approvals/",
        {"version": version.pk, "use_case": spam_filter.pk, "environment": "production"},
        format="json",
    )
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before


def test_bad_input_names_the_field(
    client_for: Callable[..., APIClient], version: ModelVersion, spam_filter: Any
) -> None:
    client = client_for(Role.ML_ENGINEER)
    wrong_env = client.post(
        "/api/v1/approvals/", {"version": version.pk, "use_case": spam_filter.pk, "environment": "moon"}, format="json"
    )
    unknown_version = client.post(
        "/api/v1/approvals/",
        {"version": 999999, "use_case": spam_filter.pk, "environment": "production"},
        format="json",
    )
    bad_evidence = client.post(
        "/api/v1/approvals/",
        {
            "version": version.pk,
            "use_case": spam_filter.pk,
            "environment": "production",
            "evidence": {"vibes": {"reference": "x"}},
        },
        format="json",
    )
    assert wrong_env.status_code == 400
    assert "environment" in wrong_env.json()["error"]["fields"]
    assert unknown_version.status_code == 404
    assert bad_evidence.status_code == 400
    assert "evidence.vibes" in bad_evidence.json()["error"]["fields"]


def test_anonymous_is_401() -> None:
    assert APIClient().get("/api/v1/approvals/").status_code == 401


def test_the_beat_task_expires_approvals_past_their_date(
    make_user: Callable[..., User], version: ModelVersion, spam_filter: Any
) -> None:
    engineer = make_user(Role.ML_ENGINEER, username="erin")
    officer = make_user(Role.COMPLIANCE_OFFICER, username="oscar")
    approval_id = (
        _as(engineer)
        .post(
            "/api/v1/approvals/",
            {"version": version.pk, "use_case": spam_filter.pk, "environment": "production"},
            format="json",
        )
        .json()["id"]
    )
    _as(engineer).post(f"/api/v1/approvals/{approval_id}/submit/")
    _as(officer).post(f"/api/v1/approvals/{approval_id}/sign/", {}, format="json")
    assert "expire-approvals" in app.conf.beat_schedule

    assert approvals_expire_due_task.delay().get() == []  # not due yet
    ApprovalRequest.objects.filter(pk=approval_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert approvals_expire_due_task.delay().get() == [approval_id]

    assert ApprovalRequest.objects.get(pk=approval_id).state == "expired"
    event = AuditEvent.objects.filter(action="compliance.approval.transitioned").order_by("-sequence").first()
    assert event is not None
    assert (event.after, event.actor_label, event.request_id) == (
        {"state": "expired"},
        "system",
        "beat:approvals_expire_due",
    )


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ({"max_monthly_active_users": -5}, "conditions.max_monthly_active_users"),
        ({"allowed_environments": ["moon"]}, "conditions.allowed_environments"),
        ({"guardrail_policy": 3}, "conditions.guardrail_policy"),
        ({"colour": "blue"}, "conditions.colour"),
    ],
)
def test_conditions_are_structured_and_checked(
    client_for: Callable[..., APIClient],
    version: ModelVersion,
    spam_filter: Any,
    conditions: dict[str, Any],
    field: str,
) -> None:
    response = client_for(Role.ML_ENGINEER).post(
        "/api/v1/approvals/",
        {"version": version.pk, "use_case": spam_filter.pk, "environment": "production", "conditions": conditions},
        format="json",
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not ApprovalRequest.objects.exists()


def test_valid_conditions_are_kept(
    client_for: Callable[..., APIClient], version: ModelVersion, spam_filter: Any
) -> None:
    conditions = {
        "max_monthly_active_users": 1_000_000,
        "allowed_environments": ["production"],
        "guardrail_policy": "strict-pii",
        "notes": "EU traffic only",
    }
    response = client_for(Role.ML_ENGINEER).post(
        "/api/v1/approvals/",
        {"version": version.pk, "use_case": spam_filter.pk, "environment": "production", "conditions": conditions},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["conditions"] == conditions


def test_every_transition_queues_notifications_and_owners_hear_30_days_before_expiry(
    make_user: Callable[..., User], version: ModelVersion, spam_filter: Any
) -> None:
    engineer = make_user(Role.ML_ENGINEER, username="erin", email="erin@example.com")
    officer = make_user(Role.COMPLIANCE_OFFICER, username="oscar")
    approval_id = (
        _as(engineer)
        .post(
            "/api/v1/approvals/",
            {"version": version.pk, "use_case": spam_filter.pk, "environment": "production"},
            format="json",
        )
        .json()["id"]
    )
    _as(engineer).post(f"/api/v1/approvals/{approval_id}/submit/")
    _as(officer).post(f"/api/v1/approvals/{approval_id}/sign/", {}, format="json")

    topics = list(OutboxMessage.objects.order_by("pk").values_list("topic", flat=True))
    assert topics == ["compliance.approval.submitted", "compliance.approval.approved"]
    assert set(Delivery.objects.values_list("recipient", flat=True)) == {"erin@example.com"}

    ApprovalRequest.objects.filter(pk=approval_id).update(expires_at=timezone.now() + timedelta(days=10))
    assert approvals_notify_expiring() == [approval_id]
    assert approvals_notify_expiring() == []  # once only
    assert OutboxMessage.objects.filter(topic="compliance.approval.expiring").count() == 1
    expiring = Delivery.objects.get(message__topic="compliance.approval.expiring")
    assert (expiring.channel, expiring.recipient, expiring.state) == ("email", "erin@example.com", "pending")
