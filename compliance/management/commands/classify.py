from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.classification.engine import classify_answers
from core.errors import ApplicationError

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    help = (
        "Classify an AI system (and its model) under the EU AI Act from answers JSON "
        "(see compliance/classification/README.md). Exit 0: classified, 2: bad input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--answers", required=True, metavar="FILE", help="answers as JSON, or - for stdin")
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = classify_answers(_read_json(options["answers"]))
        except ApplicationError as exc:
            self.stderr.write(
                json.dumps(
                    {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields, **exc.extra}},
                    indent=2,
                    ensure_ascii=False,
                )
            )
            sys.exit(EXIT_BAD_INPUT)
        self.stdout.write(
            json.dumps(result, indent=2, ensure_ascii=False) if options["format"] == "json" else _as_text(result)
        )


def _read_json(source: str) -> Any:
    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ApplicationError.for_field("answers", f"cannot read {source!r}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ApplicationError.for_field("answers", f"is not UTF-8 text: {exc.reason}") from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApplicationError.for_field("answers", f"is not valid JSON: {exc.msg} at line {exc.lineno}") from exc


def _as_text(result: dict[str, Any]) -> str:
    lines = [
        f"tier: {result['tier']}",
        f"gpai: {result['gpai']}",
        f"transparency duties: {', '.join(result['transparency_duties']) or 'none'}",
    ]
    if result["obligations"]:
        lines.append("obligations:")
        lines.extend(
            f"  - {item['text']} [{item['article']}; from {item['applies_from']}, {item['date_basis']}]"
            for item in result["obligations"]
        )
    lines.append("reasons:")
    lines.extend(f"  - {item['text']} [{item['article']}]" for item in result["reasons"])
    return "\n".join(lines)
