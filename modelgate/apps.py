from django.apps import AppConfig


class ModelgateConfig(AppConfig):
    """The project package as an app, for commands that span every layer (the demo setup)."""

    name = "modelgate"
    verbose_name = "Modelgate"
