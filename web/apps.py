from django.apps import AppConfig


class WebConfig(AppConfig):
    """The people's web app: server-rendered pages over the domain apps' services and selectors (ADR 0014)."""

    name = "web"
    verbose_name = "Web app"
