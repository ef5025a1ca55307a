"""User accounts, roles and API tokens are changed only through audited services."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.roles import Capability, Role, user_can
from core.services import user_create, user_role_assign, user_role_revoke

pytestmark = pytest.mark.django_db


def test_user_create_records_the_account_and_each_role(officer: User) -> None:
    # when
    user = user_create(
        actor=officer, username="rita", password="a long passphrase 123", roles=[Role.APPROVER_LEGAL, Role.AUDITOR]
    )
    # then
    actions = list(AuditEvent.objects.filter(target_id=str(user.pk)).values_list("action", "after"))
    assert actions == [
        ("core.user.created", {"username": "rita", "is_staff": True, "is_superuser": False}),
        ("core.user.role_assigned", {"role": "approver_legal"}),
        ("core.user.role_assigned", {"role": "auditor"}),
    ]
    assert user_can(user, Capability.AUDIT_VIEW)
    assert not user_can(user, Capability.REGISTRY_MANAGE)


def test_duplicate_username_is_refused_and_writes_nothing(officer: User) -> None:
    user_create(actor=officer, username="rita", password=None)
    before = AuditEvent.objects.count()
    with pytest.raises(Exception, match="'rita' is taken"):
        user_create(actor=officer, username="rita", password=None)
    assert AuditEvent.objects.count() == before


def test_role_changes_take_effect_at_once_and_are_audited(officer: User) -> None:
    user = user_create(actor=officer, username="rita", password=None)
    assert not user_can(user, Capability.REGISTRY_MANAGE)
    user_role_assign(actor=officer, user=user, role=Role.ML_ENGINEER, reason="joined the platform team")
    assert user_can(user, Capability.REGISTRY_MANAGE)
    user_role_assign(actor=officer, user=user, role=Role.ML_ENGINEER)  # no-op
    user_role_revoke(actor=officer, user=user, role=Role.ML_ENGINEER, reason="left the team")
    assert not user_can(user, Capability.REGISTRY_MANAGE)
    assert list(AuditEvent.objects.filter(action__startswith="core.user.role").values_list("action", "reason")) == [
        ("core.user.role_assigned", "joined the platform team"),
        ("core.user.role_revoked", "left the team"),
    ]


def test_issue_api_token_prints_a_working_bearer_token_and_replaces_the_old_one(officer: User) -> None:
    out = StringIO()
    call_command("issue_api_token", "olivia", stdout=out)
    first = out.getvalue().strip()
    call_command("issue_api_token", "olivia", stdout=out)
    second = out.getvalue().split()[-1]
    assert first != second

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {first}")
    assert client.get("/api/v1/models/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {second}")
    assert client.get("/api/v1/models/").status_code == 200
    events = AuditEvent.objects.filter(action="core.api_token.issued").order_by("sequence")
    assert [event.after["replaced_earlier_token"] for event in events] == [False, True]
    assert all(first not in str(event.after) for event in events)


def test_issue_api_token_for_unknown_user_names_it() -> None:
    with pytest.raises(CommandError, match="no active user named 'ghost'"):
        call_command("issue_api_token", "ghost")


def test_verify_audit_chain_with_a_recorded_head_that_vanished_fails(officer: User) -> None:
    # given a head hash that an auditor recorded earlier, and a chain that no longer holds it
    user_role_assign(actor=officer, user=officer, role=Role.AUDITOR)
    head = AuditEvent.objects.order_by("-sequence").values_list("hash", flat=True).first()
    call_command("verify_audit_chain", "--expect-head", head, stdout=StringIO())
    # when / then
    with pytest.raises(CommandError, match="no longer in the chain") as failure:
        call_command("verify_audit_chain", "--expect-head", "f" * 64, stdout=StringIO())
    assert failure.value.returncode == 1
