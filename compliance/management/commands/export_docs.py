"""python manage.py export_docs --kind annex_iv --target 12 --format pdf --out annex-iv.pdf"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.exports.selectors import export_target
from compliance.exports.services import KIND_FORMATS, export_generate, export_request
from compliance.models import ExportStatus
from core.context import audit_context
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Generate a documentation export (stored with its hash, like the API's) and write it to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=list(KIND_FORMATS))
        parser.add_argument(
            "--target",
            required=True,
            type=int,
            help="approval request id (annex_iv, transparency_notice, bundle) or model version id",
        )
        parser.add_argument("--format", required=True, choices=sorted({f for fs in KIND_FORMATS.values() for f in fs}))
        parser.add_argument("--out", required=True, type=Path, help="file to write ('-' for standard output)")
        parser.add_argument(
            "--as-user", help="who asks (recorded with the export and in the audit ledger; default: the system)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind, target = options["kind"], options["target"]
        actor = None
        if options["as_user"]:
            actor = User.objects.filter(username=options["as_user"]).first()
            if actor is None:
                raise CommandError(f"--as-user: no user {options['as_user']!r}")
        try:
            where = export_target(kind, target)
        except ApplicationError as exc:
            raise CommandError(f"--{exc}") from exc
        with audit_context(request_id=f"cli:export_docs:{kind}"):
            try:
                document = export_request(actor=actor, kind=kind, format=options["format"], **where)
            except ApplicationError as exc:
                raise CommandError(str(exc)) from exc
            try:
                document = export_generate(document)
            except Exception as exc:  # stored on the document and audited by the service
                raise CommandError(f"export {document.pk} failed: {type(exc).__name__}: {exc}") from exc
        if document.status != ExportStatus.DONE or document.content is None:
            raise CommandError(f"export {document.pk} failed: {document.error}")
        content = bytes(document.content)
        out: Path = options["out"]
        if str(out) == "-":
            self.stdout.buffer.write(content) if hasattr(self.stdout, "buffer") else self.stdout.write(content.decode())  # type: ignore[attr-defined]
        else:
            out.write_bytes(content)
        for line in document.missing_items:
            self.stderr.write(f"missing: {line}")
        self.stderr.write(
            f"export {document.pk}: {kind}.{document.format} v{document.sequence}, {len(content):,} bytes, "
            f"sha256 {document.sha256}, {len(document.missing_items)} required items missing"
        )
