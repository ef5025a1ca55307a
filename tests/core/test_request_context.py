"""The request id and client address of an API call end up on the audit events it writes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from core.context import AuditContext, audit_context, clean_request_id, current_audit_context
from core.ledger import audit_chain_verify
from core.models import AuditEvent
from registry.models import Organization

pytestmark = pytest.mark.django_db

ORGANIZATIONS = "/api/v1/organizations/"
GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def api(officer: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(officer)
    return client


def _create(api: APIClient, name: str = "Acme AI", **headers: str) -> tuple[object, AuditEvent | None]:
    response = api.post(ORGANIZATIONS, {"name": name}, format="json", **headers)
    event = AuditEvent.objects.filter(action="registry.organization.created").order_by("-sequence").first()
    return response, event


def test_request_id_and_client_ip_are_echoed_and_recorded(api: APIClient, officer: User) -> None:
    response, event = _create(api, HTTP_X_REQUEST_ID="req-2026.01:abc_DEF-9", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "req-2026.01:abc_DEF-9"

    assert event is not None
    organization = Organization.objects.get(name="Acme AI")
    assert (event.request_id, event.client_ip) == ("req-2026.01:abc_DEF-9", "203.0.113.7")
    assert (event.actor_id, event.actor_label) == (officer.pk, "olivia")
    assert (event.target_type, event.target_id) == ("registry.organization", str(organization.pk))
    assert event.after == {"name": "Acme AI", "hub_namespace": None, "website": ""}
    assert event.chain_record()["request_id"] == "req-2026.01:abc_DEF-9"
    assert audit_chain_verify().ok


def test_a_64_character_request_id_is_kept(api: APIClient) -> None:
    request_id = "r" * 64
    response, event = _create(api, HTTP_X_REQUEST_ID=request_id)
    assert response["X-Request-ID"] == request_id
    assert event is not None
    assert event.request_id == request_id


@pytest.mark.parametrize(
    "request_id",
    ["has space", "r" * 65, "<script>", "naïve", "semi;colon", "new\nline", "a/b", ""],
    ids=["space", "too-long", "markup", "non-ascii", "semicolon", "newline", "slash", "empty"],
)
def test_an_invalid_request_id_is_replaced_by_a_generated_one(api: APIClient, request_id: str) -> None:
    response, event = _create(api, HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 201
    generated = response["X-Request-ID"]
    assert GENERATED.match(generated)
    assert event is not None
    assert event.request_id == generated


def test_a_missing_request_id_is_generated_fresh_for_each_request(api: APIClient) -> None:
    first, first_event = _create(api, "First")
    second, second_event = _create(api, "Second")
    assert GENERATED.match(first["X-Request-ID"])
    assert GENERATED.match(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert first_event is not None
    assert second_event is not None
    assert (first_event.request_id, second_event.request_id) == (first["X-Request-ID"], second["X-Request-ID"])


def test_responses_that_write_nothing_still_carry_the_request_id(api: APIClient) -> None:
    _create(api, "Taken")
    count = AuditEvent.objects.count()
    response = api.post(ORGANIZATIONS, {"name": "Taken"}, format="json", HTTP_X_REQUEST_ID="dup-1")
    assert response.status_code == 409
    assert response["X-Request-ID"] == "dup-1"
    assert AuditEvent.objects.count() == count

    anonymous = APIClient().get(ORGANIZATIONS, HTTP_X_REQUEST_ID="anon-1")
    assert anonymous.status_code == 401
    assert anonymous["X-Request-ID"] == "anon-1"


@pytest.mark.parametrize(
    ("remote_addr", "recorded"),
    [
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
        ("not-an-address", ""),
        ("", ""),
    ],
    ids=["ipv6-compressed", "ipv4-mapped", "garbage", "empty"],
)
def test_client_ip_is_normalised(api: APIClient, remote_addr: str, recorded: str) -> None:
    _, event = _create(api, REMOTE_ADDR=remote_addr)
    assert event is not None
    assert event.client_ip == recorded


def test_forwarded_for_is_ignored_without_trusted_proxies(api: APIClient, settings: Any) -> None:
    settings.MODELGATE_TRUSTED_PROXY_COUNT = 0
    _, event = _create(api, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.66")
    assert event is not None
    assert event.client_ip == "10.0.0.5"


@pytest.mark.parametrize(
    ("hops", "forwarded", "recorded"),
    [
        (1, "198.51.100.66, 192.0.2.44", "192.0.2.44"),
        (2, "198.51.100.66, 192.0.2.44", "198.51.100.66"),
        (2, "192.0.2.44", "10.0.0.5"),  # fewer hops than proxies: fall back to the peer
    ],
)
def test_forwarded_for_is_read_behind_trusted_proxies(
    api: APIClient, settings: Any, hops: int, forwarded: str, recorded: str
) -> None:
    settings.MODELGATE_TRUSTED_PROXY_COUNT = hops
    _, event = _create(api, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert event is not None
    assert event.client_ip == recorded


def test_the_context_ends_with_the_request(api: APIClient) -> None:
    _create(api, HTTP_X_REQUEST_ID="req-1", REMOTE_ADDR="203.0.113.7")
    assert current_audit_context() == AuditContext()


def test_audit_context_nests_and_restores() -> None:
    with audit_context(request_id="outer", client_ip="192.0.2.1") as outer:
        assert current_audit_context() is outer
        with audit_context(request_id="bad id", client_ip="") as inner:
            assert GENERATED.match(inner.request_id)
            assert current_audit_context() is inner
        assert current_audit_context() == AuditContext("outer", "192.0.2.1")
    assert current_audit_context() == AuditContext()


@pytest.mark.parametrize("candidate", [None, "", " ", "x" * 65, "é"])
def test_clean_request_id_mints_one_for_bad_input(candidate: str | None) -> None:
    assert GENERATED.match(clean_request_id(candidate))


@pytest.mark.parametrize("candidate", ["a", "A-b_c.d:e", "0" * 64])
def test_clean_request_id_keeps_good_input(candidate: str) -> None:
    assert clean_request_id(candidate) == candidate
