"""Admin pages obey the same role matrix as the API."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from core.errors import ApplicationError
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


class ServiceErrorsInAdmin:
    """A service that refuses an admin save undoes the whole save and shows why.

    ``save_model`` implementations just call their service. If it raises
    ``ApplicationError`` (a race the form could not see, say), the admin's transaction
    rolls back with its log entry, no "saved successfully" message is shown, and the
    user is sent back to the form with the service's words.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc,no-any-return]
        except ApplicationError as exc:
            messages.error(request, f"Not saved: {exc.message}")
            return HttpResponseRedirect(request.get_full_path())
