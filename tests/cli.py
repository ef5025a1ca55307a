"""Running management commands in-process and reading what they printed and how they exited."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.management import call_command


class Run:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    def json(self) -> Any:
        return json.loads(self.stdout)

    def error(self) -> dict[str, Any]:
        body = json.loads(self.stderr)
        assert set(body) == {"error"}
        return body["error"]  # type: ignore[no-any-return]


def run_command(command: str, *args: str) -> Run:
    """Call ``command``; a ``sys.exit`` becomes the returned exit code."""
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(command, *args, stdout=stdout, stderr=stderr)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return Run(code, stdout.getvalue(), stderr.getvalue())
