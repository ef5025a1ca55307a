from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.ledger import audit_chain_verify


class Command(BaseCommand):
    help = "Recompute the audit ledger's hash chain from the first event; exit 1 naming the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if report.broken is not None:
            raise CommandError(
                f"audit chain BROKEN at {report.broken} ({report.checked} events verified before it)", returncode=1
            )
        if report.checked == 0:
            self.stdout.write("audit chain OK: the ledger is empty")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain OK: {report.checked} events, #{report.first_sequence}..#{report.last_sequence}, "
                f"head {report.head_hash}"
            )
        )
