"""Who can call the API at all: tokens (Bearer and Token), sessions, anonymous and role-less users."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from core.roles import Role
from tests.api.support import OPS, Op, Registry, call, registry_row_counts

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.usefixtures("fake_hub")


def _assert_error(response: object, status: int, code: str | None = None) -> dict[str, object]:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("op", OPS, ids=str)
def test_anonymous_gets_401_with_a_bearer_challenge_everywhere(op: Op, registry_rows: Registry) -> None:
    before = registry_row_counts()

    response = call(APIClient(), op, registry_rows)

    _assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert registry_row_counts() == before


@pytest.mark.parametrize("op", OPS, ids=str)
def test_authenticated_user_without_a_role_gets_403_everywhere(
    op: Op, registry_rows: Registry, bearer_client: Callable[..., APIClient]
) -> None:
    before = registry_row_counts()

    response = call(bearer_client(), op, registry_rows)

    _assert_error(response, 403, "permission_denied")
    assert registry_row_counts() == before


@pytest.mark.parametrize("scheme", ["Bearer", "Token"])
def test_a_drf_token_works_with_both_schemes(
    scheme: str, registry_rows: Registry, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    key = token_for(make_user(Role.DEVELOPER))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")

    response = client.get("/api/v1/models/")

    assert response.status_code == 200
    assert [m["hub_id"] for m in response.json()["results"]] == ["acme/base-7b", "acme/chat-7b"]


@pytest.mark.parametrize("scheme", ["bearer", "token"])
def test_the_scheme_is_case_insensitive(
    scheme: str, registry_rows: Registry, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    key = token_for(make_user(Role.DEVELOPER))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")

    assert client.get("/api/v1/models/").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Token not-a-token",
        "Bearer",
        "Bearer two words",
        "Bearer " + "0" * 40,
    ],
)
def test_a_bad_token_is_refused_with_401(header: str, registry_rows: Registry) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/models/")

    _assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_scheme_is_treated_as_anonymous(registry_rows: Registry) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

    response = client.get("/api/v1/models/")

    _assert_error(response, 401, "not_authenticated")


def test_a_token_of_an_inactive_user_is_refused(
    registry_rows: Registry, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(make_user(Role.COMPLIANCE_OFFICER, is_active=False))}")

    _assert_error(client.get("/api/v1/models/"), 401, "authentication_failed")


def test_a_token_stops_working_when_its_user_is_deactivated(
    registry_rows: Registry, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    user = make_user(Role.DEVELOPER)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    assert client.get("/api/v1/models/").status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert client.get("/api/v1/models/").status_code == 401


def test_a_force_authenticated_inactive_user_has_no_capabilities(
    registry_rows: Registry, make_user: Callable[..., User]
) -> None:
    client = APIClient()
    client.force_authenticate(make_user(Role.COMPLIANCE_OFFICER, is_active=False))

    _assert_error(client.get("/api/v1/models/"), 403, "permission_denied")


def test_session_login_works(registry_rows: Registry, make_user: Callable[..., User]) -> None:
    user = make_user(Role.AUDITOR)
    client = APIClient()
    assert client.login(username=user.username, password=PASSWORD)

    assert client.get("/api/v1/models/").status_code == 200
    assert client.get("/api/v1/audit-events/").status_code == 200
    _assert_error(client.post("/api/v1/organizations/", {"name": "X"}, format="json"), 403, "permission_denied")


def test_session_login_without_a_role_is_forbidden(registry_rows: Registry, make_user: Callable[..., User]) -> None:
    user = make_user()
    client = APIClient()
    assert client.login(username=user.username, password=PASSWORD)

    _assert_error(client.get("/api/v1/models/"), 403, "permission_denied")


def test_an_inactive_user_cannot_log_in(registry_rows: Registry, make_user: Callable[..., User]) -> None:
    user = make_user(Role.COMPLIANCE_OFFICER, is_active=False)
    client = APIClient()

    assert not client.login(username=user.username, password=PASSWORD)
    assert client.get("/api/v1/models/").status_code == 401


def test_session_writes_need_a_csrf_token(registry_rows: Registry, make_user: Callable[..., User]) -> None:
    user = make_user(Role.COMPLIANCE_OFFICER)
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=user.username, password=PASSWORD)
    before = registry_row_counts()

    response = client.post("/api/v1/organizations/", {"name": "Newco"}, format="json")

    error = _assert_error(response, 403, "permission_denied")
    assert "CSRF" in str(error["message"])
    assert registry_row_counts() == before


def test_token_writes_need_no_csrf_token(
    registry_rows: Registry, make_user: Callable[..., User], token_for: Callable[[User], str]
) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(make_user(Role.COMPLIANCE_OFFICER))}")

    response = client.post("/api/v1/organizations/", {"name": "Newco"}, format="json")

    assert response.status_code == 201, response.content
