"""The roles data migration creates one group per Role, and nothing else."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.models import Group

from core.roles import ROLE_CAPABILITIES, Role


@pytest.mark.django_db
def test_migration_created_exactly_the_six_role_groups() -> None:
    assert len(Role) == 6
    assert sorted(Group.objects.values_list("name", flat=True)) == sorted(role.value for role in Role)
    # Access comes from core.roles, not from Django permissions on the groups.
    assert not Group.objects.filter(permissions__isnull=False).exists()


def test_migration_and_role_enum_agree() -> None:
    migration = importlib.import_module("core.migrations.0002_roles")
    assert [role.value for role in Role] == migration.ROLES
    assert set(ROLE_CAPABILITIES) == set(Role)
