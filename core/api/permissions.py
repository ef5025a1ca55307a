from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from core.roles import Capability, user_can


class RoleCapabilities(BasePermission):
    """Grants safe methods with ``view.read_capability`` and writes with ``view.write_capability``.

    A view without a write capability is read-only for everyone.
    """

    message = "Your roles do not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            needed: Capability | None = getattr(view, "read_capability", None)
        else:
            needed = getattr(view, "write_capability", None)
        return needed is not None and user_can(request.user, needed)
