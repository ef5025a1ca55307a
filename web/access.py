"""Who may open a page: the same capability matrix as the API and the admin (core.roles)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.roles import Capability, user_can

View = Callable[..., HttpResponse]


def page_requires(capability: Capability) -> Callable[[View], View]:
    """Sign-in first; then a 403 page that names the missing capability, never a silent redirect loop."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_can(request.user, capability):
                return forbidden(
                    request, f"This page needs the {capability.value} permission, which your roles do not give."
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return TemplateResponse(request, "web/forbidden.html", {"message": message}, status=403)
