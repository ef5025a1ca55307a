from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.ledger import audit_export_jsonl


def _moment(option: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = parse_datetime(value)
        day = parse_date(value) if moment is None else None
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        moment = day = None
    if moment is None:
        if day is None:
            raise CommandError(
                f"{option}: {value!r} is not a date (2026-01-31) or an ISO 8601 time (2026-01-31T12:00:00Z)"
            )
        moment = datetime(day.year, day.month, day.day)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


class Command(BaseCommand):
    help = (
        "Export audit events in [--since, --until) as JSON Lines with their hashes. "
        "Verify the file offline with: python3 core/ledger_format.py FILE.jsonl"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="first moment included (UTC unless the value has an offset)")
        parser.add_argument("--until", help="first moment excluded")
        parser.add_argument("--out", required=True, metavar="FILE.jsonl")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _moment("--since", options["since"])
        until = _moment("--until", options["until"])
        if since and until and since >= until:
            raise CommandError("--since must be before --until")
        try:
            with open(options["out"], "w", encoding="utf-8") as out:
                count = audit_export_jsonl(since=since, until=until, out=out)
        except OSError as exc:
            raise CommandError(f"--out: cannot write {options['out']!r}: {exc.strerror}") from exc
        self.stdout.write(self.style.SUCCESS(f"exported {count} audit events to {options['out']}"))
