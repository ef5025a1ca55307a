"""The admin obeys the same role matrix as the API, and edits made there are audited alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client

from core.errors import ConflictError
from core.models import AuditEvent
from core.roles import ROLE_CAPABILITIES, Capability, Role
from registry import events as registry_events
from registry import services
from registry.models import Model, ModelVersion, Organization
from tests.api.support import Registry, registry_row_counts

PASSWORD = "correct horse battery staple"
# Every role, plus a superuser, plus a staff user with no role at all.
SUPERUSER = "superuser"
NO_ROLE = "no-role"
WHO = [*Role, SUPERUSER, NO_ROLE]


def _capabilities(who: Role | str) -> frozenset[Capability]:
    if who == SUPERUSER:
        return frozenset(Capability)
    if who == NO_ROLE:
        return frozenset()
    return ROLE_CAPABILITIES[Role(who)]


@pytest.fixture
def staff_client(make_user: Callable[..., User]) -> Callable[[Role | str], Client]:
    def make(who: Role | str) -> Client:
        if who == SUPERUSER:
            user = make_user(is_staff=True, is_superuser=True)
        elif who == NO_ROLE:
            user = make_user(is_staff=True)
        else:
            user = make_user(Role(who), is_staff=True)
        client = Client()
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return make


def _pages(rows: Registry) -> list[tuple[str, Capability]]:
    return [
        ("/admin/registry/organization/", Capability.REGISTRY_VIEW),
        (f"/admin/registry/organization/{rows.organization.pk}/change/", Capability.REGISTRY_VIEW),
        ("/admin/registry/model/", Capability.REGISTRY_VIEW),
        (f"/admin/registry/model/{rows.model.pk}/change/", Capability.REGISTRY_VIEW),
        ("/admin/registry/modelversion/", Capability.REGISTRY_VIEW),
        (f"/admin/registry/modelversion/{rows.version.pk}/change/", Capability.REGISTRY_VIEW),
        ("/admin/core/auditevent/", Capability.AUDIT_VIEW),
        (f"/admin/core/auditevent/{rows.event.pk}/change/", Capability.AUDIT_VIEW),
    ]


@pytest.mark.parametrize("who", WHO, ids=str)
def test_admin_pages_follow_the_matrix(
    who: Role | str, registry_rows: Registry, staff_client: Callable[[Role | str], Client]
) -> None:
    client = staff_client(who)
    capabilities = _capabilities(who)

    statuses = {url: client.get(url).status_code for url, _ in _pages(registry_rows)}

    assert statuses == {url: 200 if needed in capabilities else 403 for url, needed in _pages(registry_rows)}


def test_hand_written_admin_expectations(registry_rows: Registry, staff_client: Callable[[Role | str], Client]) -> None:
    """The key cells, independent of the matrix: auditors see the ledger, developers and ML engineers do not."""
    expected = {
        Role.AUDITOR: {"/admin/registry/model/": 200, "/admin/core/auditevent/": 200},
        Role.DEVELOPER: {"/admin/registry/model/": 200, "/admin/core/auditevent/": 403},
        Role.ML_ENGINEER: {"/admin/registry/model/": 200, "/admin/core/auditevent/": 403},
        Role.APPROVER_LEGAL: {"/admin/registry/model/": 200, "/admin/core/auditevent/": 200},
        NO_ROLE: {"/admin/registry/model/": 403, "/admin/core/auditevent/": 403},
    }
    for who, pages in expected.items():
        client = staff_client(who)
        assert {url: client.get(url).status_code for url in pages} == pages, who


@pytest.mark.parametrize("who", WHO, ids=str)
def test_admin_index_lists_only_what_the_role_may_see(
    who: Role | str, registry_rows: Registry, staff_client: Callable[[Role | str], Client]
) -> None:
    response = staff_client(who).get("/admin/")
    capabilities = _capabilities(who)

    assert response.status_code == 200
    html = response.content.decode()
    assert ('href="/admin/registry/model/"' in html) == (Capability.REGISTRY_VIEW in capabilities)
    assert ('href="/admin/core/auditevent/"' in html) == (Capability.AUDIT_VIEW in capabilities)


def test_a_user_who_is_not_staff_is_sent_to_the_login_page(
    registry_rows: Registry, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.COMPLIANCE_OFFICER)
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)

    response = client.get("/admin/registry/model/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("who", WHO, ids=str)
def test_the_model_change_page_offers_saving_only_to_managers(
    who: Role | str, registry_rows: Registry, staff_client: Callable[[Role | str], Client]
) -> None:
    capabilities = _capabilities(who)

    response = staff_client(who).get(f"/admin/registry/model/{registry_rows.model.pk}/change/")

    if Capability.REGISTRY_VIEW not in capabilities:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    html = response.content.decode()
    can_manage = Capability.REGISTRY_MANAGE in capabilities
    assert ('name="_save"' in html) == can_manage
    assert ('name="training_compute_flops"' in html) == can_manage
    # Nobody is offered deleting (or adding) a model in the admin.
    assert f"/admin/registry/model/{registry_rows.model.pk}/delete/" not in html


def _change_form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """The POST body the browser would send for an unchanged change form, with ``changes`` applied."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is not None:
                data[bound.html_name] = value
            if bound.field.show_hidden_initial:  # fields with callable defaults (modalities) carry their initial
                data[bound.html_initial_name] = bound.field.prepare_value(bound.initial)
    data.update(changes)
    data["_save"] = "Save"
    return data


@pytest.mark.parametrize("who", [Role.AUDITOR, Role.APPROVER_LEGAL, Role.APPROVER_SECURITY, Role.DEVELOPER])
def test_read_only_roles_cannot_post_changes_in_the_admin(
    who: Role,
    registry_rows: Registry,
    staff_client: Callable[[Role | str], Client],
    make_user: Callable[..., User],
) -> None:
    # Build the form as an officer would see it, then submit it as the read-only role.
    officer = staff_client(Role.COMPLIANCE_OFFICER)
    url = f"/admin/registry/model/{registry_rows.model.pk}/change/"
    data = _change_form_data(officer.get(url), training_compute_flops="5e24")
    before = registry_row_counts()

    response = staff_client(who).post(url, data)

    assert response.status_code == 403
    registry_rows.model.refresh_from_db()
    assert registry_rows.model.training_compute_flops == 1e23
    assert registry_row_counts() == before


def test_a_compliance_officer_editing_training_compute_in_the_admin_writes_an_audit_event(
    registry_rows: Registry, staff_client: Callable[[Role | str], Client]
) -> None:
    client = staff_client(Role.COMPLIANCE_OFFICER)
    url = f"/admin/registry/model/{registry_rows.model.pk}/change/"
    data = _change_form_data(client.get(url), training_compute_flops="3.5e24")
    events_before = AuditEvent.objects.count()

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    model = Model.objects.get(pk=registry_rows.model.pk)
    assert model.training_compute_flops == 3.5e24
    events = list(AuditEvent.objects.filter(sequence__gt=registry_rows.event.sequence).order_by("sequence"))
    assert len(events) == AuditEvent.objects.count() - events_before == 1
    event = events[0]
    assert event.action == registry_events.MODEL_UPDATED.name == "registry.model.updated"
    assert event.target_type == "registry.model"
    assert event.target_id == str(model.pk)
    assert event.before == {"training_compute_flops": 1e23}
    assert event.after == {"training_compute_flops": 3.5e24}
    assert event.reason == "edited in the admin"
    assert event.actor_label.startswith("compliance_officer")


def test_saving_an_unchanged_admin_form_writes_no_event(
    registry_rows: Registry, staff_client: Callable[[Role | str], Client]
) -> None:
    client = staff_client(Role.COMPLIANCE_OFFICER)
    url = f"/admin/registry/model/{registry_rows.model.pk}/change/"
    before = registry_row_counts()

    response = client.post(url, _change_form_data(client.get(url)))

    assert response.status_code == 302
    assert registry_row_counts() == before


def test_the_admin_refuses_a_negative_training_compute(
    registry_rows: Registry, staff_client: Callable[[Role | str], Client]
) -> None:
    client = staff_client(Role.COMPLIANCE_OFFICER)
    url = f"/admin/registry/model/{registry_rows.model.pk}/change/"
    before = registry_row_counts()

    response = client.post(url, _change_form_data(client.get(url), training_compute_flops="-1"))

    assert response.status_code == 200
    assert "training_compute_flops" in response.context["adminform"].form.errors
    assert registry_row_counts() == before


@pytest.mark.parametrize("who", WHO, ids=str)
def test_nobody_adds_or_deletes_audit_events_or_versions_in_the_admin(
    who: Role | str, registry_rows: Registry, staff_client: Callable[[Role | str], Client]
) -> None:
    client = staff_client(who)
    before = registry_row_counts()
    urls = [
        "/admin/core/auditevent/add/",
        f"/admin/core/auditevent/{registry_rows.event.pk}/delete/",
        "/admin/registry/modelversion/add/",
        f"/admin/registry/modelversion/{registry_rows.version.pk}/delete/",
        "/admin/registry/model/add/",
        f"/admin/registry/model/{registry_rows.model.pk}/delete/",
        "/admin/registry/organization/add/",
        f"/admin/registry/organization/{registry_rows.organization.pk}/delete/",
    ]

    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"post": "yes"}).status_code == 403, url

    assert registry_row_counts() == before


@pytest.mark.parametrize(
    ("changelist", "model"),
    [
        ("/admin/core/auditevent/", AuditEvent),
        ("/admin/registry/modelversion/", ModelVersion),
        ("/admin/registry/model/", Model),
        ("/admin/registry/organization/", Organization),
    ],
)
def test_the_bulk_delete_action_is_not_offered_even_to_a_superuser(
    changelist: str, model: Any, registry_rows: Registry, staff_client: Callable[[Role | str], Client]
) -> None:
    client = staff_client(SUPERUSER)
    response = client.get(changelist)
    assert response.status_code == 200
    assert "delete_selected" not in response.content.decode()
    before = registry_row_counts()

    client.post(
        changelist,
        {
            "action": "delete_selected",
            "_selected_action": [str(pk) for pk in model.objects.values_list("pk", flat=True)],
            "post": "yes",
        },
    )

    assert registry_row_counts() == before


@pytest.mark.django_db
def test_an_unknown_modality_is_a_form_error_in_the_admin_and_nothing_is_saved(
    make_user: Callable[..., User], registry_rows: Registry
) -> None:
    officer = make_user(Role.COMPLIANCE_OFFICER, is_staff=True)
    client = Client()
    client.force_login(officer)
    url = f"/admin/registry/model/{registry_rows.model.pk}/change/"
    before = AuditEvent.objects.count()

    response = client.post(url, {"task": "text-generation", "modalities": '["text", "smell"]', "description": ""})

    assert response.status_code == 200  # the form is shown again with its error
    assert "&#x27;smell&#x27; is not one of" in response.content.decode()
    assert AuditEvent.objects.count() == before
    registry_rows.model.refresh_from_db()
    assert "smell" not in registry_rows.model.modalities


@pytest.mark.django_db
def test_a_service_refusal_in_the_admin_undoes_the_save_and_says_why(
    make_user: Callable[..., User], registry_rows: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form passed, but the service refuses at save time (a race the form could not see)."""

    def refuse(**kwargs: Any) -> None:
        raise ConflictError("another organization took that name a moment ago")

    monkeypatch.setattr(services, "organization_update", refuse)
    officer = make_user(Role.COMPLIANCE_OFFICER, is_staff=True)
    client = Client()
    client.force_login(officer)
    url = f"/admin/registry/organization/{registry_rows.organization.pk}/change/"

    response = client.post(
        url,
        {"name": "Renamed", "hub_namespace": registry_rows.organization.hub_namespace or "", "website": ""},
        follow=True,
    )

    html = response.content.decode()
    assert "Not saved: another organization took that name a moment ago" in html
    assert "successfully" not in html
    assert not LogEntry.objects.exists()
    registry_rows.organization.refresh_from_db()
    assert registry_rows.organization.name != "Renamed"
