from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.ledger import audit_chain_verify
from core.models import AuditEvent


class Command(BaseCommand):
    help = "Recompute the audit ledger's hash chain from the first event; exit 1 naming the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-head",
            metavar="HASH",
            help="a head hash recorded earlier (e.g. with the last export); it must still be in the chain. "
            "Catches a chain truncated or rebuilt from that point on.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if report.broken is not None:
            raise CommandError(
                f"audit chain BROKEN at {report.broken} ({report.checked} events verified before it)", returncode=1
            )
        expected = options["expect_head"]
        if expected and not AuditEvent.objects.filter(hash=expected).exists():
            raise CommandError(
                f"audit chain BROKEN: the recorded head {expected} is no longer in the chain "
                "(events were removed or the chain was rebuilt)",
                returncode=1,
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
