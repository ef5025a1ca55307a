"""Lists run a fixed number of queries however many rows a page holds.

The expected counts are written out so a regression (an N+1 or a new per-request
query) shows as a changed number. Each request authenticates with a Bearer token:
one query for the token and its user, one for the user's groups (capabilities).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.ledger import Target, audit_record
from core.roles import Role
from registry import events as registry_events
from registry.models import LineageLink, Model, ModelVersion, ModelVersionDocument, Organization


def _organizations(n: int, user: User) -> None:
    for i in range(n):
        organization = Organization.objects.create(name=f"Org {i:03}", hub_namespace=f"org{i:03}")
        Model.objects.create(hub_id=f"org{i:03}/model", provider=organization)


def _models(n: int, user: User) -> None:
    organization = Organization.objects.create(name="Acme", hub_namespace="acme")
    for i in range(n):
        model = Model.objects.create(hub_id=f"acme/model-{i:03}", provider=organization, modalities=["text"])
        ModelVersion.objects.create(model=model, revision=f"{i:040x}", source="hub")


def _versions(n: int, user: User) -> None:
    """A chain of n versions, each fine-tuned from the one before and with one base not in the registry."""
    previous: ModelVersion | None = None
    for i in range(n):
        organization = Organization.objects.create(name=f"Org {i:03}", hub_namespace=f"org{i:03}")
        model = Model.objects.create(hub_id=f"org{i:03}/model", provider=organization)
        version = ModelVersion.objects.create(model=model, revision=f"{i:040x}", source="hub", imported_by=user)
        if previous is not None:
            LineageLink.objects.create(
                child=version, relation="fine_tune", parent_ref=previous.model.hub_id, parent_version=previous
            )
        LineageLink.objects.create(child=version, relation="merge", parent_ref=f"elsewhere/base-{i}")
        previous = version


def _audit_events(n: int, user: User) -> None:
    with transaction.atomic():
        for i in range(n):
            audit_record(
                event=registry_events.ORGANIZATION_CREATED, actor=user, target=Target("test", str(i)), after={"i": i}
            )


# (url, factory, expected queries per request): the measured numbers, written down.
LISTS: dict[str, tuple[str, Callable[[int, User], None], int]] = {
    # token+user, groups, COUNT(*), the page
    "organizations": ("/api/v1/organizations/", _organizations, 4),
    "models": ("/api/v1/models/", _models, 4),
    # token+user, groups, COUNT(*), the page (model, provider, imported_by joined), lineage links prefetched
    "versions": ("/api/v1/versions/", _versions, 5),
    # token+user, groups, the page (cursor pagination counts nothing)
    "audit-events": ("/api/v1/audit-events/", _audit_events, 3),
}


def _queries_for(
    url: str,
    factory: Callable[[int, User], None],
    n: int,
    page_size: int,
    *,
    make_user: Callable[..., User],
    token_for: Callable[[User], str],
) -> tuple[int, Any]:
    user = make_user(Role.COMPLIANCE_OFFICER)
    factory(n, user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200, response.content
    return len(captured), response.json()


@pytest.mark.parametrize("name", list(LISTS))
def test_a_small_page(name: str, make_user: Callable[..., User], token_for: Callable[[User], str]) -> None:
    url, factory, expected = LISTS[name]

    count, body = _queries_for(url, factory, 3, 2, make_user=make_user, token_for=token_for)

    assert len(body["results"]) == 2
    assert body["next"]
    assert count == expected


@pytest.mark.parametrize("name", list(LISTS))
def test_a_large_page_costs_the_same(
    name: str, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    url, factory, expected = LISTS[name]

    count, body = _queries_for(url, factory, 30, 25, make_user=make_user, token_for=token_for)

    assert len(body["results"]) == 25
    assert count == expected


def test_the_versions_page_carries_its_lineage(
    make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    _, body = _queries_for("/api/v1/versions/", _versions, 3, 25, make_user=make_user, token_for=token_for)

    by_model = {version["model"]: version for version in body["results"]}
    assert [link["parent_ref"] for link in by_model["org001/model"]["base_models"]] == [
        "elsewhere/base-1",
        "org000/model",
    ]
    resolved = by_model["org001/model"]["base_models"][1]
    assert resolved["parent_version_id"] is not None
    assert resolved["parent_revision"] == f"{0:040x}"
    assert by_model["org001/model"]["imported_by"].startswith("compliance_officer")


def _version_with_relations(n: int) -> ModelVersion:
    organization = Organization.objects.create(name="Acme", hub_namespace="acme")
    model = Model.objects.create(hub_id="acme/center", provider=organization)
    center = ModelVersion.objects.create(model=model, revision="c" * 40, source="hub")
    for i in range(n):
        parent_model = Model.objects.create(hub_id=f"acme/parent-{i}", provider=organization)
        parent = ModelVersion.objects.create(model=parent_model, revision=f"{i:040x}", source="hub")
        LineageLink.objects.create(
            child=center, relation="merge", parent_ref=parent_model.hub_id, parent_version=parent
        )
        child_model = Model.objects.create(hub_id=f"acme/child-{i}", provider=organization)
        child = ModelVersion.objects.create(model=child_model, revision=f"{i:040x}", source="hub")
        LineageLink.objects.create(child=child, relation="fine_tune", parent_ref=model.hub_id, parent_version=center)
        ModelVersionDocument.objects.create(
            version=center, path=f"LICENSE-{i}", kind="license", sha256="0" * 64, size=1, text="x"
        )
    return center


# token+user, groups, the version (joined), base links, documents, derived links
VERSION_DETAIL_QUERIES = 6


@pytest.mark.parametrize("n", [1, 12])
def test_the_version_detail_costs_the_same_however_rich_its_lineage(
    n: int, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    center = _version_with_relations(n)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(make_user(Role.DEVELOPER))}")

    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/versions/{center.pk}/")

    assert response.status_code == 200
    assert len(response.json()["base_models"]) == n
    assert len(response.json()["derived_versions"]) == n
    assert len(response.json()["documents"]) == n
    assert len(captured) == VERSION_DETAIL_QUERIES
