from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.licenses.detect import detect_license


class Command(BaseCommand):
    help = "Recognize the catalog license (and version) of a LICENSE file, with a confidence from 0 to 1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the LICENSE file, or - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = (
                sys.stdin.read()
                if options["file"] == "-"
                else Path(options["file"]).read_text(encoding="utf-8", errors="replace")
            )
        except OSError as exc:
            raise CommandError(f"file: cannot read {options['file']!r}: {exc.strerror}", returncode=2) from exc
        self.stdout.write(json.dumps(detect_license(text).as_dict(), indent=2))
