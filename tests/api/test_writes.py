"""Writes through the API: each change is audited with before, after and reason; a no-op writes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from core.errors import NotFoundError, UpstreamError
from core.models import AuditEvent
from core.roles import Role
from registry.models import LineageLink, Model, ModelVersion, Organization
from tests.api import support
from tests.api.support import FAKE_SHA, FakeHub, Registry, registry_row_counts


@pytest.fixture
def officer_client(registry_rows: Registry, bearer_client: Callable[..., APIClient]) -> APIClient:
    return bearer_client(Role.COMPLIANCE_OFFICER)


def _new_events(after: AuditEvent) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(sequence__gt=after.sequence).order_by("sequence"))


def test_an_officer_corrects_training_compute_and_it_is_audited(
    officer_client: APIClient, registry_rows: Registry
) -> None:
    response = officer_client.patch(
        f"/api/v1/models/{registry_rows.model.pk}/",
        {"training_compute_flops": 3.8e25, "reason": "figure from the technical report, table 3"},
        format="json",
        HTTP_X_REQUEST_ID="req-flops-1",
    )

    assert response.status_code == 200, response.content
    assert response.json()["training_compute_flops"] == 3.8e25
    assert response.json()["version_count"] == 1
    assert response["X-Request-ID"] == "req-flops-1"
    assert Model.objects.get(pk=registry_rows.model.pk).training_compute_flops == 3.8e25
    [event] = _new_events(registry_rows.event)
    assert event.action == "registry.model.updated"
    assert (event.target_type, event.target_id) == ("registry.model", str(registry_rows.model.pk))
    assert event.before == {"training_compute_flops": 1e23}
    assert event.after == {"training_compute_flops": 3.8e25}
    assert event.reason == "figure from the technical report, table 3"
    assert event.actor_label.startswith("compliance_officer")
    assert event.request_id == "req-flops-1"
    assert event.client_ip == "127.0.0.1"


def test_the_audit_event_is_readable_through_the_api(officer_client: APIClient, registry_rows: Registry) -> None:
    officer_client.patch(
        f"/api/v1/models/{registry_rows.model.pk}/", {"training_compute_flops": 0, "reason": "r"}, format="json"
    )

    body = officer_client.get(
        "/api/v1/audit-events/", {"target_type": "registry.model", "target_id": registry_rows.model.pk}
    ).json()

    [event] = body["results"]
    assert event["before"] == {"training_compute_flops": 1e23}
    assert event["after"] == {"training_compute_flops": 0.0}
    assert event["reason"] == "r"
    assert officer_client.get(f"/api/v1/audit-events/{event['sequence']}/").json() == event


def test_clearing_training_compute_is_audited(officer_client: APIClient, registry_rows: Registry) -> None:
    response = officer_client.patch(
        f"/api/v1/models/{registry_rows.model.pk}/", {"training_compute_flops": None}, format="json"
    )

    assert response.status_code == 200
    [event] = _new_events(registry_rows.event)
    assert event.before == {"training_compute_flops": 1e23}
    assert event.after == {"training_compute_flops": None}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": "nothing to change"},
        {"training_compute_flops": 1e23},
        {"training_compute_flops": 1e23, "modalities": ["text"], "task": "text-generation"},
        {"modalities": ["text", "text"]},  # duplicates collapse to the stored value
    ],
)
def test_a_no_op_patch_writes_no_event(
    body: dict[str, object], officer_client: APIClient, registry_rows: Registry
) -> None:
    before = registry_row_counts()
    updated_at = registry_rows.model.updated_at

    response = officer_client.patch(f"/api/v1/models/{registry_rows.model.pk}/", body, format="json")

    assert response.status_code == 200, response.content
    assert registry_row_counts() == before
    assert Model.objects.get(pk=registry_rows.model.pk).updated_at == updated_at


def test_several_fields_in_one_patch_are_one_event(officer_client: APIClient, registry_rows: Registry) -> None:
    response = officer_client.patch(
        f"/api/v1/models/{registry_rows.model.pk}/",
        {"modalities": ["image", "text"], "parameter_count": 8_030_000_000, "architecture": "LlamaForCausalLM"},
        format="json",
    )

    assert response.status_code == 200
    [event] = _new_events(registry_rows.event)
    assert event.before == {"modalities": ["text"], "parameter_count": 7_000_000_000, "architecture": ""}
    assert event.after == {
        "modalities": ["image", "text"],
        "parameter_count": 8_030_000_000,
        "architecture": "LlamaForCausalLM",
    }


def test_creating_and_renaming_an_organization_is_audited(officer_client: APIClient, registry_rows: Registry) -> None:
    created = officer_client.post(
        "/api/v1/organizations/", {"name": "Mistral AI", "hub_namespace": "mistralai"}, format="json"
    )
    assert created.status_code == 201, created.content
    organization_id = created.json()["id"]

    renamed = officer_client.patch(
        f"/api/v1/organizations/{organization_id}/", {"name": "Mistral", "reason": "short name"}, format="json"
    )
    noop = officer_client.patch(f"/api/v1/organizations/{organization_id}/", {"name": "Mistral"}, format="json")

    assert renamed.status_code == 200
    assert noop.status_code == 200
    create_event, rename_event = _new_events(registry_rows.event)
    assert create_event.action == "registry.organization.created"
    assert create_event.after == {"name": "Mistral AI", "hub_namespace": "mistralai", "website": ""}
    assert rename_event.action == "registry.organization.updated"
    assert rename_event.before["name"] == "Mistral AI"
    assert rename_event.after["name"] == "Mistral"
    assert rename_event.reason == "short name"


# --- Import (POST /versions/) against a fake Hub ---------------------------------------


def test_importing_a_model_creates_it_and_audits_each_row(
    officer_client: APIClient, registry_rows: Registry, fake_hub: FakeHub
) -> None:
    response = officer_client.post("/api/v1/versions/", {"repo_id": "newco/tiny-1b"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["model"] == "newco/tiny-1b"
    assert body["revision"] == FAKE_SHA
    assert body["declared_license"] == "apache-2.0"
    assert body["license_file"] == "LICENSE"
    assert {doc["path"] for doc in body["documents"]} == {"README.md", "LICENSE", "config.json"}
    assert fake_hub.calls == [("newco/tiny-1b", None)]
    assert Organization.objects.filter(hub_namespace="newco").exists()
    actions = [event.action for event in _new_events(registry_rows.event)]
    assert actions == ["registry.organization.created", "registry.model.created", "registry.model_version.imported"]


def test_importing_the_same_revision_again_is_200_and_writes_nothing(
    officer_client: APIClient, registry_rows: Registry, fake_hub: FakeHub
) -> None:
    first = officer_client.post("/api/v1/versions/", {"repo_id": "newco/tiny-1b"}, format="json")
    before = registry_row_counts()

    again = officer_client.post("/api/v1/versions/", {"repo_id": "newco/tiny-1b"}, format="json")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert registry_row_counts() == before


def test_an_import_the_hub_does_not_know_is_404_and_writes_nothing(
    officer_client: APIClient, registry_rows: Registry, fake_hub: FakeHub
) -> None:
    fake_hub.error = NotFoundError.for_field("repo_id", "no model 'newco/missing' on the Hub")
    before = registry_row_counts()

    response = officer_client.post("/api/v1/versions/", {"repo_id": "newco/missing"}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {"repo_id": ["no model 'newco/missing' on the Hub"]}
    assert registry_row_counts() == before


def test_an_unreachable_hub_is_502_and_writes_nothing(
    officer_client: APIClient, registry_rows: Registry, fake_hub: FakeHub
) -> None:
    fake_hub.error = UpstreamError("cannot reach the Hub")
    before = registry_row_counts()

    response = officer_client.post("/api/v1/versions/", {"repo_id": "newco/tiny-1b"}, format="json")

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unavailable"
    assert registry_row_counts() == before


def test_a_background_import_is_202_and_its_task_reports_the_version(
    registry_rows: Registry, fake_hub: FakeHub, bearer_client: Callable[..., APIClient]
) -> None:
    client = bearer_client(Role.ML_ENGINEER)

    response = client.post("/api/v1/versions/", {"repo_id": "newco/tiny-1b", "background": True}, format="json")

    assert response.status_code == 202, response.content
    task_id = response.json()["task_id"]
    status = client.get(f"/api/v1/import-tasks/{task_id}/").json()
    version = ModelVersion.objects.get(model__hub_id="newco/tiny-1b")
    assert status == {"task_id": task_id, "status": "success", "version_id": version.pk, "error": None}
    assert version.imported_by is not None
    assert version.imported_by.username.startswith("ml_engineer")


def test_a_refused_background_import_reports_its_error(
    registry_rows: Registry, fake_hub: FakeHub, bearer_client: Callable[..., APIClient]
) -> None:
    fake_hub.error = NotFoundError.for_field("repo_id", "no such model")
    client = bearer_client(Role.COMPLIANCE_OFFICER)
    before = registry_row_counts()

    response = client.post("/api/v1/versions/", {"repo_id": "newco/missing", "background": True}, format="json")

    assert response.status_code == 202
    status = client.get(f"/api/v1/import-tasks/{response.json()['task_id']}/").json()
    assert status["status"] == "success"
    assert status["version_id"] is None
    assert status["error"]["code"] == "not_found"
    assert registry_row_counts() == before


def test_importing_with_base_models_links_the_lineage(
    officer_client: APIClient, registry_rows: Registry, monkeypatch: pytest.MonkeyPatch, fake_hub: FakeHub
) -> None:
    original = support.fake_snapshot

    def with_base(repo_id: str, revision: str | None = None) -> object:
        snapshot = original(repo_id, revision)
        if repo_id != "newco/chat-1b":
            return snapshot
        readme = b"---\nlicense: apache-2.0\nbase_model: newco/base-1b\n---\n# chat\n"
        return dataclasses.replace(snapshot, texts={**snapshot.texts, "README.md": readme}, revision="f" * 40)

    monkeypatch.setattr(support, "fake_snapshot", with_base)

    response = officer_client.post(
        "/api/v1/versions/", {"repo_id": "newco/chat-1b", "with_base_models": True}, format="json"
    )

    assert response.status_code == 201, response.content
    [link] = response.json()["base_models"]
    assert link["parent_ref"] == "newco/base-1b"
    assert link["relation"] == "fine_tune"
    assert link["parent_version_id"] == ModelVersion.objects.get(model__hub_id="newco/base-1b").pk
    assert [call[0] for call in fake_hub.calls] == ["newco/chat-1b", "newco/base-1b"]
    assert LineageLink.objects.filter(child__model__hub_id="newco/chat-1b").count() == 1
