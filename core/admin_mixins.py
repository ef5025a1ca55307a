"""Admin pages obey the same role matrix as the API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.roles import Capability, user_can


class RoleAdminMixin:
    """``view_capability`` grants the change list and detail pages read-only; ``manage_capability`` grants editing.

    Adding and deleting go through services (imports, for instance), so the admin
    offers neither unless a subclass says otherwise.
    """

    view_capability: Capability
    manage_capability: Capability | None = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_can(request.user, self.view_capability)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, self.view_capability)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.manage_capability is not None and user_can(request.user, self.manage_capability)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
