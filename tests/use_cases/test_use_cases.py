"""Use cases: described through audited services, validated by the engines, assessed per model version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from compliance.models import UseCase
from compliance.services import use_case_create, use_case_update
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.models import AuditEvent
from core.roles import Role
from registry.models import Model, ModelVersion, Organization

pytestmark = pytest.mark.django_db

CHATBOT = {
    "name": "Customer-support chatbot",
    "intended_purpose": "Answer customers' questions about their orders",
    "deployment_facts": {
        "distribution": {"hosted_service_for_third_parties": True},
        "organization": {"monthly_active_users": 5_000_000},
    },
    "classification_answers": {"transparency": {"interacts_with_natural_persons": True}},
}


@pytest.fixture
def llama_version() -> ModelVersion:
    meta = Organization.objects.create(name="Meta", hub_namespace="meta-llama")
    model = Model.objects.create(
        hub_id="meta-llama/Llama-3.2-11B-Vision-Instruct", provider=meta, modalities=["image", "text"]
    )
    return ModelVersion.objects.create(model=model, revision="b" * 40, source="hub", declared_license="llama3.2")


def test_creating_a_use_case_validates_and_audits_it(officer: User) -> None:
    use_case = use_case_create(actor=officer, owner=officer, **CHATBOT)

    event = AuditEvent.objects.get(action="compliance.use_case.created")
    assert event.target_id == str(use_case.pk)
    assert event.after["classification_answers"] == CHATBOT["classification_answers"]
    assert event.actor_label == "olivia"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"deployment_facts": {"comercial": True}}, "deployment_facts.comercial", id="unknown-fact"),
        pytest.param(
            {"deployment_facts": {"organization": {"monthly_active_users": -1}}},
            "deployment_facts.organization.monthly_active_users",
            id="negative-mau",
        ),
        pytest.param(
            {"classification_answers": {"annex_iii": ["9z"]}}, "classification_answers.annex_iii", id="bad-code"
        ),
        pytest.param({"classification_answers": {"bogus": True}}, "classification_answers.bogus", id="unknown-answer"),
        pytest.param({"intended_purpose": "  "}, "intended_purpose", id="no-purpose"),
    ],
)
def test_invalid_facts_or_answers_name_the_nested_field_and_write_nothing(
    officer: User, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        use_case_create(actor=officer, owner=officer, **(CHATBOT | change))
    assert field in refused.value.fields
    assert not UseCase.objects.exists()
    assert not AuditEvent.objects.exists()


def test_update_records_before_and_after_and_a_no_op_records_nothing(officer: User) -> None:
    use_case = use_case_create(actor=officer, owner=officer, **CHATBOT)
    answers = {"annex_iii": ["4a"]}

    use_case_update(actor=officer, use_case=use_case, reason="now ranks CVs", classification_answers=answers)
    use_case_update(actor=officer, use_case=use_case, classification_answers=answers)

    [event] = AuditEvent.objects.filter(action="compliance.use_case.updated")
    assert event.before["classification_answers"] == CHATBOT["classification_answers"]
    assert event.after["classification_answers"] == answers
    assert event.reason == "now ranks CVs"


def test_a_duplicate_name_is_a_conflict(officer: User) -> None:
    use_case_create(actor=officer, owner=officer, **CHATBOT)
    with pytest.raises(ConflictError, match="exists already"):
        use_case_create(actor=officer, owner=officer, **CHATBOT)


@pytest.mark.parametrize(
    ("role", "may_write"),
    [
        (Role.COMPLIANCE_OFFICER, True),
        (Role.ML_ENGINEER, True),
        (Role.APPROVER_LEGAL, False),
        (Role.APPROVER_SECURITY, False),
        (Role.DEVELOPER, False),
        (Role.AUDITOR, False),
    ],
)
def test_the_api_lets_officers_and_ml_engineers_write_and_everyone_read(
    client_for: Callable[..., APIClient], role: Role, may_write: bool
) -> None:
    client = client_for(role)

    created = client.post("/api/v1/use-cases/", CHATBOT, format="json")

    assert created.status_code == (201 if may_write else 403), created.content
    assert client.get("/api/v1/use-cases/").status_code == 200
    assert UseCase.objects.count() == (1 if may_write else 0)


def test_anonymous_requests_are_401() -> None:
    assert APIClient().get("/api/v1/use-cases/").status_code == 401


def test_api_errors_name_the_nested_field(client_for: Callable[..., APIClient]) -> None:
    response = client_for(Role.ML_ENGINEER).post(
        "/api/v1/use-cases/", CHATBOT | {"deployment_facts": {"purpose": "fun"}}, format="json"
    )
    assert response.status_code == 400
    assert "deployment_facts.purpose" in response.json()["error"]["fields"]


def test_the_assessment_classifies_and_gives_the_license_verdict_for_the_use_cases_facts(
    client_for: Callable[..., APIClient], llama_version: ModelVersion
) -> None:
    client = client_for(Role.COMPLIANCE_OFFICER)
    eu_company = CHATBOT | {"name": "EU assistant", "deployment_facts": {"organization": {"eu_domiciled": True}}}
    use_case_id = client.post("/api/v1/use-cases/", eu_company, format="json").json()["id"]

    body = client.get(f"/api/v1/use-cases/{use_case_id}/assessment/", {"version": llama_version.pk}).json()

    assert body["classification"]["tier"] == "transparency"
    assert "art50_1_disclose_ai_interaction" in body["classification"]["transparency_duties"]
    # the model is multimodal (from the registry) and the deployer is EU-domiciled: Llama 3.2's EU clause
    assert body["license"]["verdict"] == "needs_separate_license"
    assert body["license"]["expression"] == "LicenseRef-Llama-3.2"


def test_the_assessment_refuses_a_malformed_version_and_404s_an_unknown_one(
    client_for: Callable[..., APIClient], officer: User
) -> None:
    use_case = use_case_create(actor=officer, owner=officer, **CHATBOT)
    client = client_for(Role.AUDITOR)
    assert client.get(f"/api/v1/use-cases/{use_case.pk}/assessment/", {"version": "x"}).status_code == 400
    assert client.get(f"/api/v1/use-cases/{use_case.pk}/assessment/", {"version": "999999"}).status_code == 404
    assert client.get(f"/api/v1/use-cases/{use_case.pk}/assessment/").json()["classification"]["tier"] == "transparency"


def test_the_admin_reports_invalid_answers_as_a_form_error(make_user: Callable[..., User]) -> None:
    officer = make_user(Role.COMPLIANCE_OFFICER, is_staff=True)
    browser = Client()
    browser.force_login(officer)

    response = browser.post(
        "/admin/compliance/usecase/add/",
        {
            "name": "Bad",
            "owner": officer.pk,
            "intended_purpose": "x",
            "deployment_facts": "{}",
            "classification_answers": '{"annex_iii": ["9z"]}',
        },
    )

    assert response.status_code == 200
    assert "classification_answers" in response.content.decode()
    assert not UseCase.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_admin_creates_a_use_case_through_the_service(make_user: Callable[..., User]) -> None:
    officer = make_user(Role.COMPLIANCE_OFFICER, is_staff=True)
    browser = Client()
    browser.force_login(officer)

    response = browser.post(
        "/admin/compliance/usecase/add/",
        {
            "name": "Spam filter",
            "owner": officer.pk,
            "intended_purpose": "Filter spam",
            "deployment_facts": "{}",
            "classification_answers": "{}",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert UseCase.objects.get().name == "Spam filter"
    assert AuditEvent.objects.filter(action="compliance.use_case.created").count() == 1


def test_the_services_refuse_roles_that_may_not_describe_use_cases(
    officer: User, make_user: Callable[..., User]
) -> None:
    use_case = use_case_create(actor=officer, name="Support bot", owner=officer, intended_purpose="Answer tickets.")
    for role in (Role.DEVELOPER, Role.AUDITOR, Role.APPROVER_LEGAL):
        outsider = make_user(role)
        with pytest.raises(PermissionDeniedError):
            use_case_update(actor=outsider, use_case=use_case, intended_purpose="Something else.")
        with pytest.raises(PermissionDeniedError):
            use_case_create(actor=outsider, name=f"x-{role}", owner=outsider, intended_purpose="x")
    use_case.refresh_from_db()
    assert use_case.intended_purpose == "Answer tickets."
    assert not UseCase.objects.filter(name__startswith="x-").exists()
