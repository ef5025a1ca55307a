"""Fixtures for the API and admin tests: registry rows made with the ORM, tokens, a fake Hub source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.ledger import audit_record
from core.roles import Role
from registry import events as registry_events
from registry import services
from registry.models import LineageLink, Model, ModelVersion, Organization
from tests.api.support import FakeHub, Registry


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    """``registry.services.hub_source()`` returns a fake that serves small snapshots without any network."""
    hub = FakeHub()
    monkeypatch.setattr(services, "hub_source", lambda: hub)
    return hub


@pytest.fixture
def registry_rows(db: None) -> Registry:
    """An organization, two models, a base version and a fine-tune linked to it, and one audit event."""
    organization = Organization.objects.create(name="Acme AI", hub_namespace="acme", website="https://acme.example")
    base_model = Model.objects.create(
        hub_id="acme/base-7b",
        provider=organization,
        task="text-generation",
        modalities=["text"],
        parameter_count=7_000_000_000,
    )
    model = Model.objects.create(
        hub_id="acme/chat-7b",
        provider=organization,
        task="text-generation",
        modalities=["text"],
        parameter_count=7_000_000_000,
        training_compute_flops=1e23,
    )
    base_version = ModelVersion.objects.create(
        model=base_model, revision="1" * 40, source="hub", declared_license="apache-2.0"
    )
    version = ModelVersion.objects.create(model=model, revision="2" * 40, source="hub", declared_license="apache-2.0")
    LineageLink.objects.create(
        child=version, relation="fine_tune", parent_ref=base_model.hub_id, parent_version=base_version
    )
    with transaction.atomic():
        event = audit_record(
            event=registry_events.ORGANIZATION_CREATED,
            actor=None,
            target=organization,
            after={"name": organization.name},
        )
    return Registry(organization=organization, model=model, version=version, base_version=base_version, event=event)


@pytest.fixture
def token_for(db: None) -> Callable[[User], str]:
    def make(user: User) -> str:
        return Token.objects.create(user=user).key

    return make


@pytest.fixture
def bearer_client(make_user: Callable[..., User], token_for: Callable[[User], str]) -> Callable[..., APIClient]:
    """An API client sending ``Authorization: Bearer <token>`` for a new user with the given roles."""

    def make(*roles: Role, **extra: Any) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(make_user(*roles, **extra))}")
        return client

    return make


@pytest.fixture(autouse=True)
def _registry_without_import_hooks(settings: Any) -> None:
    """These tests pin the registry's own rows and events; the license assessment that the
    project hooks into every import is tested in tests/compliance."""
    settings.MODELGATE_IMPORT_HOOKS = []
