from __future__ import annotations

from django.contrib.auth.views import LoginView, LogoutView


class SignInView(LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class SignOutView(LogoutView):
    """POST only (Django's default): a link or an image cannot sign anyone out."""
