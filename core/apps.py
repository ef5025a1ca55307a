from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform core: audit ledger and roles"

    def ready(self) -> None:
        from core import events  # noqa: F401  (registers the event types)
        from core.api import schema  # noqa: F401  (registers the OpenAPI auth extensions)
