from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.context import audit_context
from core.services import api_token_issue


class Command(BaseCommand):
    help = "Issue a management API token for a user (replacing the earlier one) and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"username: no active user named {options['username']!r}")
        with audit_context(request_id=None):
            key = api_token_issue(actor=None, user=user, reason="issued with manage.py issue_api_token")
        self.stdout.write(key)
