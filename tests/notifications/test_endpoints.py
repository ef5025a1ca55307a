"""The audited webhook endpoint services (the admin saves through them)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from core.errors import ApplicationError, ConflictError
from core.models import AuditEvent, WebhookEndpoint
from core.notifications.services import webhook_endpoint_create, webhook_endpoint_update
from tests.notifications.conftest import SECRET

pytestmark = pytest.mark.django_db
GOOD: dict[str, Any] = {"name": "bus", "url": "https://hooks.example.org/x", "secret": SECRET}


def test_create_and_update_are_audited_without_the_secret(officer: User) -> None:
    endpoint = webhook_endpoint_create(actor=officer, **GOOD, event_prefixes=("compliance.",))
    assert endpoint.event_prefixes == ["compliance."]
    unchanged = webhook_endpoint_update(actor=officer, endpoint=endpoint, url=GOOD["url"], secret=SECRET)
    assert unchanged.pk == endpoint.pk
    assert not AuditEvent.objects.filter(action="core.webhook_endpoint.updated").exists()  # nothing changed

    webhook_endpoint_update(actor=officer, endpoint=endpoint, active=False, reason="receiver retired")
    event = AuditEvent.objects.get(action="core.webhook_endpoint.updated")
    assert (event.before["active"], event.after["active"], event.after["secret_changed"]) == (True, False, False)
    assert event.reason == "receiver retired"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "ftp://files.example.org/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"secret": "too-short"}, "secret"),
        ({"event_prefixes": "compliance."}, "event_prefixes"),
        ({"event_prefixes": ["compliance.", ""]}, "event_prefixes"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_endpoints_are_refused(officer: User, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        webhook_endpoint_create(actor=officer, **{**GOOD, **changes})
    assert field in caught.value.fields
    assert not WebhookEndpoint.objects.exists()


def test_names_are_unique_and_only_known_fields_change(officer: User) -> None:
    endpoint = webhook_endpoint_create(actor=officer, **GOOD)
    with pytest.raises(ConflictError, match="'bus' is taken"):
        webhook_endpoint_create(actor=officer, **GOOD)
    with pytest.raises(ApplicationError, match="cannot change created_at"):
        webhook_endpoint_update(actor=officer, endpoint=endpoint, created_at=None)
