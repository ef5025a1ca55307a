"""Writes owned by the platform core: user accounts and their roles."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, User
from django.db import transaction
from rest_framework.authtoken.models import Token

from core import events
from core.errors import ApplicationError, ConflictError
from core.ledger import Actor, audit_record
from core.roles import Role, forget_capabilities


def user_create(
    *,
    actor: Actor,
    username: str,
    password: str | None,
    roles: Iterable[Role] = (),
    email: str = "",
    is_staff: bool = True,
    is_superuser: bool = False,
) -> User:
    """Create an account with the given roles; staff accounts can sign in to the web app."""
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ConflictError.for_field("username", f"{username!r} is taken")
        user = User.objects.create_user(
            username=username, email=email, password=password, is_staff=is_staff, is_superuser=is_superuser
        )
        audit_record(
            event=events.USER_CREATED,
            actor=actor,
            target=user,
            after={"username": username, "is_staff": is_staff, "is_superuser": is_superuser},
        )
        for role in roles:
            user_role_assign(actor=actor, user=user, role=role)
    return user


def user_role_assign(*, actor: Actor, user: User, role: Role, reason: str = "") -> None:
    """Give ``user`` a role; assigning a role the user has already changes nothing."""
    with transaction.atomic():
        group = Group.objects.filter(name=role.value).first()
        if group is None:
            raise ApplicationError.for_field("role", f"{role.value!r} is missing; run the migrations")
        if user.groups.filter(pk=group.pk).exists():
            return
        user.groups.add(group)
        audit_record(event=events.ROLE_ASSIGNED, actor=actor, target=user, after={"role": role.value}, reason=reason)
    forget_capabilities(user)


def user_role_revoke(*, actor: Actor, user: User, role: Role, reason: str = "") -> None:
    """Take a role from ``user``; revoking a role the user does not have changes nothing."""
    with transaction.atomic():
        group = Group.objects.filter(name=role.value).first()
        if group is None or not user.groups.filter(pk=group.pk).exists():
            return
        user.groups.remove(group)
        audit_record(event=events.ROLE_REVOKED, actor=actor, target=user, before={"role": role.value}, reason=reason)
    forget_capabilities(user)


def api_token_issue(*, actor: Actor, user: User, reason: str = "") -> str:
    """Issue a management API token for ``user``, replacing any earlier one; returns the key (shown once)."""
    with transaction.atomic():
        replaced = Token.objects.filter(user=user).delete()[0] > 0
        token = Token.objects.create(user=user)
        audit_record(
            event=events.API_TOKEN_ISSUED,
            actor=actor,
            target=user,
            after={"token_prefix": token.key[:6], "replaced_earlier_token": replaced},
            reason=reason,
        )
    return str(token.key)
