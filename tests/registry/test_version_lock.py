"""A locked version (one an approval references) cannot change or disappear."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from core.models import AuditEvent
from registry.models import ModelVersion, ModelVersionLocked
from registry.services import model_version_import, model_version_lock
from tests.hubfake import FakeHub
from tests.registry import recorded as r

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(fake_hub: FakeHub, officer: User) -> ModelVersion:
    return model_version_import(actor=officer, repo_id=r.INSTRUCT).version


def test_locking_sets_locked_at_once_and_is_audited(version: ModelVersion, officer: User) -> None:
    locked = model_version_lock(actor=officer, version=version, reason="referenced by approval APR-1")
    again = model_version_lock(actor=officer, version=version, reason="referenced by approval APR-2")

    assert locked.locked_at is not None
    assert again.locked_at == locked.locked_at
    events = AuditEvent.objects.filter(action="registry.model_version.locked")
    assert [(e.target_id, e.reason, e.actor_label) for e in events] == [
        (str(version.pk), "referenced by approval APR-1", "olivia")
    ]


def test_a_locked_version_refuses_save(version: ModelVersion, officer: User) -> None:
    locked = model_version_lock(actor=officer, version=version, reason="approved")
    locked.declared_license = "mit"

    with pytest.raises(ModelVersionLocked, match="is referenced by an approval and cannot change"):
        locked.save()

    assert ModelVersion.objects.get(pk=version.pk).declared_license == "llama3.1"


def test_a_locked_version_refuses_save_through_an_instance_loaded_before_the_lock(
    version: ModelVersion, officer: User
) -> None:
    stale = ModelVersion.objects.get(pk=version.pk)
    model_version_lock(actor=officer, version=version, reason="approved")
    stale.license_text = "something else"

    with pytest.raises(ModelVersionLocked):
        stale.save(update_fields=["license_text"])

    assert ModelVersion.objects.get(pk=version.pk).license_text == r.file_bytes(r.INSTRUCT, "LICENSE").decode()


def test_a_locked_version_refuses_delete(version: ModelVersion, officer: User) -> None:
    locked = model_version_lock(actor=officer, version=version, reason="approved")

    with pytest.raises(ModelVersionLocked, match="is referenced by an approval and cannot be deleted"):
        locked.delete()

    assert ModelVersion.objects.filter(pk=version.pk).exists()


def test_a_locked_version_refuses_delete_through_an_instance_loaded_before_the_lock(
    version: ModelVersion, officer: User
) -> None:
    # Given an instance loaded before the version was locked (the lock service works on its own copy)
    stale = ModelVersion.objects.get(pk=version.pk)
    model_version_lock(actor=officer, version=version, reason="approved")

    # When that instance is deleted
    with pytest.raises(ModelVersionLocked):
        stale.delete()

    # Then the locked version is still there
    assert ModelVersion.objects.filter(pk=version.pk).exists()


def test_reimporting_a_locked_revision_changes_nothing(fake_hub: FakeHub, version: ModelVersion, officer: User) -> None:
    locked = model_version_lock(actor=officer, version=version, reason="approved")

    result = model_version_import(actor=officer, repo_id=r.INSTRUCT)

    assert result.created is False
    assert result.version.pk == locked.pk
    assert ModelVersion.objects.get(pk=locked.pk).locked_at == locked.locked_at


def test_an_unlocked_version_can_still_be_deleted(version: ModelVersion) -> None:
    version.delete()

    assert not ModelVersion.objects.filter(pk=version.pk).exists()
