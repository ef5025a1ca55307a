"""Bad requests get a clean 4xx with the one error body, and change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from core.roles import Role
from tests.api.support import FakeHub, Registry, registry_row_counts


@pytest.fixture
def officer_client(registry_rows: Registry, bearer_client: Callable[..., APIClient]) -> APIClient:
    return bearer_client(Role.COMPLIANCE_OFFICER)


def _error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) <= {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str)
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]  # type: ignore[no-any-return]


def _write_paths(rows: Registry) -> list[tuple[str, str]]:
    return [
        ("post", "/api/v1/organizations/"),
        ("patch", f"/api/v1/organizations/{rows.organization.pk}/"),
        ("patch", f"/api/v1/models/{rows.model.pk}/"),
        ("post", "/api/v1/versions/"),
    ]


WRITES = ["organizations.create", "organizations.update", "models.update", "versions.create"]


@pytest.mark.parametrize("index", range(len(WRITES)), ids=WRITES)
@pytest.mark.parametrize(
    "body",
    ["{bad json", '{"name": "x",}', "{'name': 'x'}", '{"a": 1} trailing', "\xff\xfe"],
    ids=["unquoted", "trailing-comma", "single-quotes", "trailing-data", "not-utf8"],
)
def test_malformed_json_is_400_malformed_request(
    index: int, body: str, officer_client: APIClient, registry_rows: Registry, fake_hub: FakeHub
) -> None:
    method, path = _write_paths(registry_rows)[index]
    before = registry_row_counts()

    response = getattr(officer_client, method)(path, data=body.encode("latin-1"), content_type="application/json")

    _error(response, 400, "malformed_request")
    assert registry_row_counts() == before
    assert fake_hub.calls == []


@pytest.mark.parametrize("index", range(len(WRITES)), ids=WRITES)
@pytest.mark.parametrize("body", ["[]", '[{"name": "x"}]', '"a string"', "42", "true"])
def test_a_json_value_other_than_an_object_is_400(
    index: int, body: str, officer_client: APIClient, registry_rows: Registry, fake_hub: FakeHub
) -> None:
    method, path = _write_paths(registry_rows)[index]
    before = registry_row_counts()

    response = getattr(officer_client, method)(path, data=body, content_type="application/json")

    error = _error(response, 400, "invalid")
    assert "__all__" in error["fields"]
    assert registry_row_counts() == before
    assert fake_hub.calls == []


@pytest.mark.parametrize("index", range(len(WRITES)), ids=WRITES)
def test_a_form_encoded_body_is_415(
    index: int, officer_client: APIClient, registry_rows: Registry, fake_hub: FakeHub
) -> None:
    method, path = _write_paths(registry_rows)[index]
    before = registry_row_counts()

    response = getattr(officer_client, method)(path, data="name=x", content_type="application/x-www-form-urlencoded")

    _error(response, 415, "unsupported_media_type")
    assert registry_row_counts() == before


WRONG_IMPORTS: list[tuple[dict[str, Any], str]] = [
    ({"repo_id": 5}, "repo_id"),
    ({"repo_id": ["acme/x"]}, "repo_id"),
    ({"repo_id": None}, "repo_id"),
    ({"repo_id": ""}, "repo_id"),
    ({"repo_id": "no-namespace"}, "repo_id"),
    ({"repo_id": "a/b/c"}, "repo_id"),
    ({"repo_id": "acme/../etc"}, "repo_id"),
    ({"repo_id": "acme/x\u0000"}, "repo_id"),
    ({"repo_id": "a" * 200 + "/b"}, "repo_id"),
    ({}, "repo_id"),
    ({"repo_id": "acme/x", "with_base_models": "maybe"}, "with_base_models"),
    ({"repo_id": "acme/x", "with_base_models": [True]}, "with_base_models"),
    ({"repo_id": "acme/x", "background": {"yes": True}}, "background"),
    ({"repo_id": "acme/x", "revision": "has space"}, "revision"),
    ({"repo_id": "acme/x", "revision": "r" * 129}, "revision"),
    ({"repo_id": "acme/x", "revision": ["main"]}, "revision"),
]


@pytest.mark.parametrize(("body", "field"), WRONG_IMPORTS, ids=[json.dumps(b)[:40] for b, _ in WRONG_IMPORTS])
def test_wrong_import_requests_name_the_field_and_never_reach_the_hub(
    body: dict[str, Any], field: str, officer_client: APIClient, fake_hub: FakeHub
) -> None:
    before = registry_row_counts()

    response = officer_client.post("/api/v1/versions/", body, format="json")

    error = _error(response, 400, "invalid")
    assert field in error["fields"], error
    assert registry_row_counts() == before
    assert fake_hub.calls == []


WRONG_MODEL_UPDATES: list[tuple[dict[str, Any], str]] = [
    ({"parameter_count": "lots"}, "parameter_count"),
    ({"parameter_count": -1}, "parameter_count"),
    ({"parameter_count": 2**64}, "parameter_count"),
    ({"parameter_count": 1.5}, "parameter_count"),
    ({"modalities": ["smell"]}, "modalities.0"),
    ({"modalities": ["text", "smell"]}, "modalities.1"),
    ({"modalities": "text"}, "modalities"),
    ({"modalities": [["text"]]}, "modalities.0"),
    ({"modalities": ["text"] * 5}, "modalities"),
    ({"training_compute_flops": -1}, "training_compute_flops"),
    ({"training_compute_flops": -1e-9}, "training_compute_flops"),
    ({"training_compute_flops": "a lot"}, "training_compute_flops"),
    ({"training_compute_flops": "NaN"}, "training_compute_flops"),
    ({"training_compute_flops": "Infinity"}, "training_compute_flops"),
    ({"training_compute_flops": 1e41}, "training_compute_flops"),
    ({"task": 5.5j if False else ["text-generation"]}, "task"),
    ({"task": "t" * 65}, "task"),
    ({"architecture": {"name": "llama"}}, "architecture"),
    ({"description": "x\u0000y"}, "description"),
    ({"reason": "r" * 2001, "task": "x"}, "reason"),
]


@pytest.mark.parametrize(
    ("body", "field"), WRONG_MODEL_UPDATES, ids=[json.dumps(b)[:40] for b, _ in WRONG_MODEL_UPDATES]
)
def test_wrong_model_updates_name_the_field(
    body: dict[str, Any], field: str, officer_client: APIClient, registry_rows: Registry
) -> None:
    before = registry_row_counts()

    response = officer_client.patch(f"/api/v1/models/{registry_rows.model.pk}/", body, format="json")

    error = _error(response, 400, "invalid")
    assert field in error["fields"], error
    assert registry_row_counts() == before
    registry_rows.model.refresh_from_db()
    assert registry_rows.model.training_compute_flops == 1e23
    assert registry_rows.model.modalities == ["text"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_numbers_are_refused(literal: str, officer_client: APIClient, registry_rows: Registry) -> None:
    before = registry_row_counts()

    response = officer_client.patch(
        f"/api/v1/models/{registry_rows.model.pk}/",
        data=f'{{"training_compute_flops": {literal}}}',
        content_type="application/json",
    )

    _error(response, 400, "malformed_request")
    assert registry_row_counts() == before


WRONG_ORGANIZATIONS: list[tuple[dict[str, Any], str]] = [
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"name": "n" * 201}, "name"),
    ({"name": {"first": "Acme"}}, "name"),
    ({"name": "Newco", "hub_namespace": "has space"}, "hub_namespace"),
    ({"name": "Newco", "hub_namespace": "-leading-dash"}, "hub_namespace"),
    ({"name": "Newco", "website": "not a url"}, "website"),
    ({"name": "Newco", "website": "javascript:alert(1)"}, "website"),
]


@pytest.mark.parametrize(
    ("body", "field"), WRONG_ORGANIZATIONS, ids=[json.dumps(b)[:40] for b, _ in WRONG_ORGANIZATIONS]
)
def test_wrong_organizations_name_the_field(
    body: dict[str, Any], field: str, officer_client: APIClient, registry_rows: Registry
) -> None:
    before = registry_row_counts()

    created = officer_client.post("/api/v1/organizations/", body, format="json")
    updated = officer_client.patch(f"/api/v1/organizations/{registry_rows.organization.pk}/", body, format="json")

    assert field in _error(created, 400, "invalid")["fields"]
    assert field in _error(updated, 400, "invalid")["fields"]
    assert registry_row_counts() == before


def test_a_duplicate_organization_is_409(officer_client: APIClient, registry_rows: Registry) -> None:
    before = registry_row_counts()

    response = officer_client.post("/api/v1/organizations/", {"name": "Acme AI"}, format="json")

    assert "name" in _error(response, 409, "conflict")["fields"]
    assert registry_row_counts() == before


def test_renaming_an_organization_onto_another_is_409(officer_client: APIClient, registry_rows: Registry) -> None:
    assert (
        officer_client.post(
            "/api/v1/organizations/", {"name": "Other", "hub_namespace": "other"}, format="json"
        ).status_code
        == 201
    )
    before = registry_row_counts()

    response = officer_client.patch(
        f"/api/v1/organizations/{registry_rows.organization.pk}/", {"hub_namespace": "other"}, format="json"
    )

    _error(response, 409, "conflict")
    assert registry_row_counts() == before


def _detail_paths(rows: Registry) -> list[str]:
    return [
        "/api/v1/organizations/999999/",
        "/api/v1/organizations/abc/",
        "/api/v1/organizations/99999999999999999999/",
        "/api/v1/models/999999/",
        "/api/v1/models/-1/",
        "/api/v1/versions/999999/",
        "/api/v1/versions/0/",
        f"/api/v1/audit-events/{rows.event.sequence + 1000}/",
        "/api/v1/audit-events/9999999999999999999/",
    ]


def test_unknown_ids_are_404_with_the_json_error_body(officer_client: APIClient, registry_rows: Registry) -> None:
    for path in _detail_paths(registry_rows):
        _error(officer_client.get(path), 404, "not_found")


def test_patching_an_unknown_id_is_404_and_writes_nothing(officer_client: APIClient, registry_rows: Registry) -> None:
    before = registry_row_counts()

    _error(officer_client.patch("/api/v1/models/999999/", {"task": "x"}, format="json"), 404, "not_found")
    _error(officer_client.patch("/api/v1/organizations/999999/", {"name": "x"}, format="json"), 404, "not_found")

    assert registry_row_counts() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/audit-events/abc/",
        "/api/v1/audit-events/99999999999999999999/",
        "/api/v1/no-such-collection/",
    ],
)
def test_paths_under_the_api_that_match_no_route_answer_with_the_json_error_body(
    path: str, officer_client: APIClient
) -> None:
    """BUG: these fall through to Django's HTML 404 page, so a client expecting the one error body gets HTML."""
    _error(officer_client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/models/?provider=abc", "provider"),
        ("/api/v1/models/?provider=NaN", "provider"),
        ("/api/v1/models/?provider=1e400", "provider"),
        ("/api/v1/versions/?model=abc", "model"),
        ("/api/v1/versions/?source=bogus", "source"),
        ("/api/v1/organizations/?hub_namespace=%00", "hub_namespace"),
        ("/api/v1/audit-events/?actor_id=abc", "actor_id"),
        ("/api/v1/audit-events/?since=yesterday", "since"),
        ("/api/v1/audit-events/?until=2025-13-01T00:00:00Z", "until"),
        ("/api/v1/audit-events/?target_id=%00", "target_id"),
    ],
)
def test_filter_values_of_the_wrong_type_are_400(path: str, field: str, officer_client: APIClient) -> None:
    assert field in _error(officer_client.get(path), 400, "invalid")["fields"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/models/?provider=99999999999999999999", "provider"),
        ("/api/v1/models/?provider=1e20", "provider"),
        ("/api/v1/versions/?model=9223372036854775808", "model"),
        ("/api/v1/versions/?model=-99999999999999999999", "model"),
        ("/api/v1/audit-events/?actor_id=99999999999999999999", "actor_id"),
        # Not a whole number: matching model 1 for model=1.5 would be a wrong answer, not a filter.
        ("/api/v1/versions/?model=1.5", "model"),
        ("/api/v1/audit-events/?actor_id=1.5", "actor_id"),
    ],
)
def test_id_filters_refuse_numbers_that_are_not_ids(path: str, field: str, officer_client: APIClient) -> None:
    """BUG: NumberFilter on a foreign key passes 1e20 on to the database (500 on SQLite) and truncates 1.5 to 1."""
    assert field in _error(officer_client.get(path), 400, "invalid")["fields"]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00%2B05:00", "9999-12-31T23:59:59-05:00"])
def test_datetime_filters_outside_the_representable_range_are_400(value: str, officer_client: APIClient) -> None:
    """BUG: a valid ISO timestamp that leaves years 1..9999 once converted to UTC is a 500 on SQLite."""
    response = officer_client.get(f"/api/v1/audit-events/?since={value}")

    assert "since" in _error(response, 400, "invalid")["fields"]


@pytest.mark.parametrize("value", ["2025-01-01T00:00:00%2B22:01", "2025-01-01T00:00:00-23:59"])
def test_datetime_filters_accept_any_offset_python_accepts(value: str, officer_client: APIClient) -> None:
    """BUG: PostgreSQL refuses UTC offsets beyond 15:59 (DataError, a 500); converting to UTC first avoids it."""
    response = officer_client.get(f"/api/v1/audit-events/?until={value}")

    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/models/?page=abc",
        "/api/v1/models/?page=999",
        "/api/v1/audit-events/?cursor=garbage",
    ],
)
def test_bad_page_and_cursor_are_404_with_the_error_body(path: str, officer_client: APIClient) -> None:
    _error(officer_client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/models/?page_size=abc",
        "/api/v1/models/?page_size=-1",
        "/api/v1/models/?page_size=100000",
        "/api/v1/audit-events/?page_size=0",
    ],
)
def test_odd_page_sizes_fall_back_or_are_capped(path: str, officer_client: APIClient) -> None:
    assert officer_client.get(path).status_code == 200


@pytest.mark.parametrize("index", range(len(WRITES)), ids=WRITES)
def test_an_oversized_body_is_413_and_writes_nothing(
    index: int, officer_client: APIClient, registry_rows: Registry, fake_hub: FakeHub
) -> None:
    method, path = _write_paths(registry_rows)[index]
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 3 * 1024 * 1024
    body = json.dumps({"name": "Huge", "repo_id": "acme/huge", "description": "x" * (3 * 1024 * 1024)})
    before = registry_row_counts()

    response = getattr(officer_client, method)(path, data=body, content_type="application/json")

    _error(response, 413, "too_large")
    assert registry_row_counts() == before
    assert fake_hub.calls == []


def test_a_body_just_under_the_limit_is_parsed(officer_client: APIClient, registry_rows: Registry) -> None:
    padding = settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 100
    body = json.dumps({"reason": "", "pad": "x" * padding})

    response = officer_client.patch(
        f"/api/v1/models/{registry_rows.model.pk}/", data=body, content_type="application/json"
    )

    # Unknown keys are ignored; nothing to change, so nothing is written.
    assert response.status_code == 200


def test_an_unknown_field_in_a_model_update_changes_nothing(officer_client: APIClient, registry_rows: Registry) -> None:
    before = registry_row_counts()

    response = officer_client.patch(
        f"/api/v1/models/{registry_rows.model.pk}/", {"hub_id": "evil/renamed"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["hub_id"] == "acme/chat-7b"
    assert registry_row_counts() == before
