from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.licenses.catalog import CatalogError
from compliance.services import license_catalog_sync
from core.context import audit_context


class Command(BaseCommand):
    help = "Validate the license catalog files and bring the catalog table in line with them (run at every deploy)."

    def handle(self, *args: Any, **options: Any) -> None:
        with audit_context(request_id=None):
            try:
                summary = license_catalog_sync(actor=None)
            except CatalogError as exc:
                raise CommandError(f"the license catalog is invalid: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"license catalog in sync: {len(summary['added'])} added, {len(summary['changed'])} changed, "
                f"{len(summary['removed'])} removed; {len(summary['reassessed'])} model versions re-assessed"
            )
        )
