"""Roles and what each may do: the one permission matrix of the platform.

Roles are Django groups (created by a data migration). The API's permission
classes and the admin both ask ``user_can``; nothing else decides access.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from core.errors import PermissionDeniedError


class Role(StrEnum):
    COMPLIANCE_OFFICER = "compliance_officer"
    APPROVER_LEGAL = "approver_legal"
    APPROVER_SECURITY = "approver_security"
    ML_ENGINEER = "ml_engineer"
    DEVELOPER = "developer"
    AUDITOR = "auditor"


class Capability(StrEnum):
    REGISTRY_VIEW = "registry.view"
    # Import models from the Hub or a snapshot, edit their descriptive facts.
    REGISTRY_MANAGE = "registry.manage"
    AUDIT_VIEW = "audit.view"
    # Read license terms and assessments; run license checks (they change nothing).
    COMPLIANCE_VIEW = "compliance.view"
    # Change the organization's license policy rules.
    POLICY_MANAGE = "compliance.policy_manage"
    # Describe use cases (purpose, deployment facts, classification answers).
    USE_CASE_MANAGE = "compliance.use_case_manage"
    # Request an approval and attach its evidence.
    APPROVAL_REQUEST = "compliance.approval_request"
    # Reject, send back, suspend, reinstate or revoke approvals (signing also needs a required role).
    APPROVAL_DECIDE = "compliance.approval_decide"
    # Assign roles and issue management API tokens.
    USERS_MANAGE = "users.manage"
    # Read deployments, guardrail policies, keys and inference records.
    SERVING_VIEW = "serving.view"
    # Deploy approved versions, edit guardrail policies, issue and revoke anyone's inference keys.
    SERVING_MANAGE = "serving.manage"
    # Hold an inference key and call the endpoint (and issue keys for oneself).
    SERVING_INVOKE = "serving.invoke"
    # Write the free-text sections of the documentation exports (Annex IV, model cards, ...).
    EXPORT_TEXT_EDIT = "compliance.export_text_edit"


_READ_ALL = frozenset(
    {Capability.REGISTRY_VIEW, Capability.AUDIT_VIEW, Capability.COMPLIANCE_VIEW, Capability.SERVING_VIEW}
)

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.COMPLIANCE_OFFICER: _READ_ALL
    | {
        Capability.REGISTRY_MANAGE,
        Capability.USERS_MANAGE,
        Capability.POLICY_MANAGE,
        Capability.USE_CASE_MANAGE,
        Capability.APPROVAL_REQUEST,
        Capability.APPROVAL_DECIDE,
        Capability.SERVING_MANAGE,
        Capability.SERVING_INVOKE,
        Capability.EXPORT_TEXT_EDIT,
    },
    Role.APPROVER_LEGAL: _READ_ALL | {Capability.APPROVAL_DECIDE},
    Role.APPROVER_SECURITY: _READ_ALL | {Capability.APPROVAL_DECIDE},
    Role.ML_ENGINEER: frozenset(
        {
            Capability.REGISTRY_VIEW,
            Capability.REGISTRY_MANAGE,
            Capability.COMPLIANCE_VIEW,
            Capability.USE_CASE_MANAGE,
            Capability.APPROVAL_REQUEST,
            Capability.SERVING_VIEW,
            Capability.SERVING_MANAGE,
            Capability.SERVING_INVOKE,
        }
    ),
    Role.DEVELOPER: frozenset(
        {Capability.REGISTRY_VIEW, Capability.COMPLIANCE_VIEW, Capability.SERVING_VIEW, Capability.SERVING_INVOKE}
    ),
    # Auditors read everything and change nothing.
    Role.AUDITOR: _READ_ALL,
}

_CACHE_ATTRIBUTE = "_modelgate_capabilities"
_ROLES_ATTRIBUTE = "_modelgate_roles"


def user_capabilities(user: Any) -> frozenset[Capability]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Capability)
    cached: frozenset[Capability] | None = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        names = user_roles(user)
        cached = frozenset().union(*(ROLE_CAPABILITIES[role] for role in Role if role.value in names))
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def user_roles(user: Any) -> frozenset[str]:
    """The names of the roles (groups) the user holds, read once per user object."""
    cached: frozenset[str] | None = getattr(user, _ROLES_ATTRIBUTE, None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        setattr(user, _ROLES_ATTRIBUTE, cached)
    return cached


def user_can(user: Any, capability: Capability) -> bool:
    return capability in user_capabilities(user)


def require_capability(actor: Any, capability: Capability, what: str) -> None:
    """Refuse a service call the actor's roles do not allow (services check, not only the interfaces)."""
    if not user_can(actor, capability):
        raise PermissionDeniedError(
            f"your roles do not allow you to {what}", fields={"actor": [f"needs {capability.value}"]}
        )


def forget_capabilities(user: Any) -> None:
    """Drop the per-request cache after the user's roles changed."""
    for attribute in (_CACHE_ATTRIBUTE, _ROLES_ATTRIBUTE):
        if hasattr(user, attribute):
            delattr(user, attribute)
