from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.licenses.check import EXIT_BAD_INPUT, EXIT_CODES, license_check
from compliance.licenses.terms import Verdict
from core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Decide whether a license permits a deployment. Exit 0: allowed (with or without obligations), "
        "3: needs a separate license, 4: forbidden, 2: bad input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument(
            "--license", help="SPDX id, LicenseRef- id, Hugging Face tag or license_name, or an expression"
        )
        source.add_argument("--license-file", metavar="PATH", help="a LICENSE text to recognize and evaluate")
        parser.add_argument("--facts", required=True, metavar="FILE", help="deployment facts as JSON, or - for stdin")
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self._check(options)
        except ApplicationError as exc:
            self.stderr.write(
                json.dumps(
                    {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields, **exc.extra}}, indent=2
                )
            )
            sys.exit(EXIT_BAD_INPUT)
        self.stdout.write(
            json.dumps(result, indent=2, ensure_ascii=False) if options["format"] == "json" else _as_text(result)
        )
        sys.exit(EXIT_CODES[Verdict(result["verdict"])])

    def _check(self, options: dict[str, Any]) -> dict[str, Any]:
        facts = _read_json(options["facts"])
        if options["license_file"]:
            try:
                text = Path(options["license_file"]).read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                raise ApplicationError.for_field(
                    "license_file", f"cannot read {options['license_file']!r}: {exc.strerror}"
                ) from exc
            return license_check(license_text=text, facts=facts, text_field="license_file")
        return license_check(license=options["license"], facts=facts)


def _read_json(source: str) -> Any:
    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ApplicationError.for_field("facts", f"cannot read {source!r}: {exc.strerror}") from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApplicationError.for_field("facts", f"is not valid JSON: {exc.msg} at line {exc.lineno}") from exc


def _as_text(result: dict[str, Any]) -> str:
    lines = [
        f"verdict: {result['verdict']}",
        f"license: {result['license']['id']} ({result['license']['name']}, "
        f"{result['license']['category']}, OSI approved: {'yes' if result['license']['osi_approved'] else 'no'})",
    ]
    if result["obligations"]:
        lines.append("obligations:")
        lines.extend(f"  - {item['text']} [{item['clause']}]" for item in result["obligations"])
    lines.append("reasons:")
    lines.extend(f"  - {item['text']} [{item['clause']}]" for item in result["reasons"])
    return "\n".join(lines)
