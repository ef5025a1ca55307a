"""Every role against every endpoint and method: the API answers exactly as core.roles.ROLE_CAPABILITIES says.

Two sources of truth are checked against each other on purpose: the expectations
derived from the matrix, and a table written out by hand below. If someone widens
a role in the matrix by mistake, the hand-written table catches it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from core.roles import ROLE_CAPABILITIES, Capability, Role, forget_capabilities, user_can
from tests.api.support import OPS, Op, Registry, call, registry_row_counts

pytestmark = pytest.mark.usefixtures("fake_hub")

READ_REGISTRY = frozenset(
    {
        "organizations.list",
        "organizations.detail",
        "models.list",
        "models.detail",
        "versions.list",
        "versions.detail",
    }
)
READ_AUDIT = frozenset({"audit-events.list", "audit-events.detail"})
MANAGE_REGISTRY = frozenset(
    {
        "organizations.create",
        "organizations.update",
        "models.create",
        "models.update",
        "versions.create",
        "versions.update",
        "import-tasks.detail",
    }
)
# Never granted to anyone: the audit ledger is written by the platform, import-tasks is read-only.
NOBODY = frozenset({"audit-events.create", "audit-events.update", "import-tasks.create"})

# The operations each role passes the permission check for, written out by hand.
EXPECTED_GRANTS: dict[Role, frozenset[str]] = {
    Role.COMPLIANCE_OFFICER: READ_REGISTRY | READ_AUDIT | MANAGE_REGISTRY,
    Role.APPROVER_LEGAL: READ_REGISTRY | READ_AUDIT,
    Role.APPROVER_SECURITY: READ_REGISTRY | READ_AUDIT,
    Role.ML_ENGINEER: READ_REGISTRY | MANAGE_REGISTRY,
    Role.DEVELOPER: READ_REGISTRY,
    Role.AUDITOR: READ_REGISTRY | READ_AUDIT,
}


def _granted_by_matrix(role: Role, op: Op) -> bool:
    return op.capability is not None and op.capability in ROLE_CAPABILITIES[role]


def test_the_endpoint_table_covers_every_operation_exactly_once() -> None:
    keys = [op.key for op in OPS]
    assert len(keys) == len(set(keys))
    assert set(keys) == READ_REGISTRY | READ_AUDIT | MANAGE_REGISTRY | NOBODY


def test_every_role_has_a_hand_written_row() -> None:
    assert set(EXPECTED_GRANTS) == set(Role)
    assert set(ROLE_CAPABILITIES) == set(Role)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_the_matrix_agrees_with_the_hand_written_table(role: Role) -> None:
    derived = {op.key for op in OPS if _granted_by_matrix(role, op)}
    assert derived == EXPECTED_GRANTS[role]


def test_key_cells_of_the_matrix() -> None:
    matrix = ROLE_CAPABILITIES
    # Auditors read everything and change nothing.
    assert matrix[Role.AUDITOR] == {
        Capability.REGISTRY_VIEW,
        Capability.AUDIT_VIEW,
        Capability.COMPLIANCE_VIEW,
        Capability.SERVING_VIEW,
    }
    # Approvers are read-only too.
    assert Capability.REGISTRY_MANAGE not in matrix[Role.APPROVER_LEGAL]
    assert Capability.REGISTRY_MANAGE not in matrix[Role.APPROVER_SECURITY]
    # Developers and ML engineers do not see the audit ledger.
    assert Capability.AUDIT_VIEW not in matrix[Role.DEVELOPER]
    assert Capability.AUDIT_VIEW not in matrix[Role.ML_ENGINEER]
    assert Capability.REGISTRY_MANAGE in matrix[Role.ML_ENGINEER]
    # Only compliance officers manage users.
    assert [role for role in Role if Capability.USERS_MANAGE in matrix[role]] == [Role.COMPLIANCE_OFFICER]
    # Only compliance officers change the license policy; every role may read licenses and run checks.
    assert [role for role in Role if Capability.POLICY_MANAGE in matrix[role]] == [Role.COMPLIANCE_OFFICER]
    assert all(Capability.COMPLIANCE_VIEW in matrix[role] for role in Role)
    # Deploying and guardrail policies: compliance officers and ML engineers; calling the endpoint adds developers.
    assert [role for role in Role if Capability.SERVING_MANAGE in matrix[role]] == [
        Role.COMPLIANCE_OFFICER,
        Role.ML_ENGINEER,
    ]
    assert [role for role in Role if Capability.SERVING_INVOKE in matrix[role]] == [
        Role.COMPLIANCE_OFFICER,
        Role.ML_ENGINEER,
        Role.DEVELOPER,
    ]


def _assert_status(response: object, expected: int) -> None:
    assert response.status_code == expected, response.content  # type: ignore[attr-defined]
    if expected == 403:
        assert response.json()["error"]["code"] == "permission_denied"  # type: ignore[attr-defined]
    elif expected == 405:
        assert response.json()["error"]["code"] == "method_not_allowed"  # type: ignore[attr-defined]


@pytest.mark.parametrize("op", OPS, ids=str)
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_role_against_endpoint(
    role: Role, op: Op, registry_rows: Registry, bearer_client: Callable[..., APIClient]
) -> None:
    granted = op.key in EXPECTED_GRANTS[role]
    assert granted == _granted_by_matrix(role, op)
    before = registry_row_counts()

    response = call(bearer_client(role), op, registry_rows)

    _assert_status(response, op.granted_status if granted else 403)
    if op.method == "GET" or not granted or op.granted_status >= 400:
        assert registry_row_counts() == before


@pytest.mark.parametrize("op", OPS, ids=str)
def test_a_user_with_every_role_gets_the_union(
    op: Op, registry_rows: Registry, bearer_client: Callable[..., APIClient]
) -> None:
    granted = any(op.key in grants for grants in EXPECTED_GRANTS.values())

    response = call(bearer_client(*Role), op, registry_rows)

    _assert_status(response, op.granted_status if granted else 403)


@pytest.mark.parametrize("op", OPS, ids=str)
def test_a_superuser_may_do_everything_a_view_allows(
    op: Op, registry_rows: Registry, bearer_client: Callable[..., APIClient]
) -> None:
    response = call(bearer_client(is_superuser=True, is_staff=True), op, registry_rows)

    # Views that name no write capability stay read-only even for a superuser.
    _assert_status(response, 403 if op.capability is None else op.granted_status)


@pytest.mark.parametrize("op", OPS, ids=str)
def test_an_inactive_superuser_is_refused(
    op: Op, registry_rows: Registry, bearer_client: Callable[..., APIClient]
) -> None:
    before = registry_row_counts()

    response = call(bearer_client(*Role, is_superuser=True, is_active=False), op, registry_rows)

    assert response.status_code == 401
    assert registry_row_counts() == before


def test_capabilities_are_cached_per_user_object_and_group_changes_need_a_new_object(
    make_user: Callable[..., User],
) -> None:
    """Documents the cache in core.roles: a role granted later is seen on the next request (a fresh user object)."""
    user = make_user()
    assert not user_can(user, Capability.REGISTRY_VIEW)
    user.groups.add(Group.objects.get(name=Role.DEVELOPER.value))
    assert not user_can(user, Capability.REGISTRY_VIEW)  # cached on this object
    assert user_can(User.objects.get(pk=user.pk), Capability.REGISTRY_VIEW)
    forget_capabilities(user)
    assert user_can(user, Capability.REGISTRY_VIEW)
