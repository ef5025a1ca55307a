"""python manage.py verify_bundle FILE.zip: check an audit evidence bundle offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.exports.bundle import verify_bundle


class Command(BaseCommand):
    help = "Verify an audit evidence bundle: every SHA-256 digest, the manifest, and the audit events' hashes."
    requires_system_checks: list[str] = []  # works without a database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundle", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["bundle"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        report = verify_bundle(path.read_bytes())
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"FAILED: {problem}")
            raise CommandError(f"{path}: the bundle does not verify ({len(report.problems)} problems)")
        self.stdout.write(f"{path}: OK, {report.checked} files match their SHA-256 digests")
        self.stdout.write(
            f"bundle SHA-256 {report.sha256}: compare it with the one Modelgate recorded when it issued the bundle "
            "(audit event compliance.export.issued, or the X-Content-SHA256 header of the download)"
        )
