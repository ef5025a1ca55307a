"""Template context every page gets: the navigation the signed-in user may use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from core.roles import Capability, Role, user_can, user_roles


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    section: str
    capability: Capability


_NAV = (
    ("Dashboard", "web:dashboard", "dashboard", Capability.COMPLIANCE_VIEW),
    ("Approvals", "web:approval-queue", "approvals", Capability.COMPLIANCE_VIEW),
    ("Models", "web:model-list", "models", Capability.REGISTRY_VIEW),
    ("Use cases", "web:use-case-list", "use-cases", Capability.COMPLIANCE_VIEW),
    ("Developer", "web:developer", "developer", Capability.SERVING_INVOKE),
)

ROLE_LABELS = {
    Role.COMPLIANCE_OFFICER.value: "Compliance officer",
    Role.APPROVER_LEGAL.value: "Legal approver",
    Role.APPROVER_SECURITY.value: "Security approver",
    Role.ML_ENGINEER.value: "ML engineer",
    Role.DEVELOPER.value: "Developer",
    Role.AUDITOR.value: "Auditor",
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or not request.path.startswith("/")
        or request.path.startswith(("/admin/", "/api/"))
    ):
        return {}
    items = [NavItem(label, reverse(name), section, cap) for label, name, section, cap in _NAV if user_can(user, cap)]
    roles = [ROLE_LABELS.get(name, name) for name in sorted(user_roles(user))]
    if user.is_superuser:
        roles.insert(0, "Administrator")
    return {"nav_items": items, "user_roles": roles, "can_open_admin": user.is_staff}
