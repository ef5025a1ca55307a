from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core.context import audit_context
from core.errors import ApplicationError
from serving.models import Deployment
from serving.services import serving_key_issue


class Command(BaseCommand):
    help = "Issue an inference key for a user, scoped to deployments. The key is printed once and stored hashed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="Who holds the key")
        parser.add_argument("--deployment", action="append", required=True, help="A deployment it may call (repeat)")
        parser.add_argument("--name", default="cli", help="What the key is for")
        parser.add_argument("--expires-in-days", type=int, default=None)
        parser.add_argument("--rate-limit-per-minute", type=int, default=None)
        parser.add_argument("--issued-by", default=None, help="The manager issuing it (default: the holder)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"username: no user {options['username']!r}")
        issuer: User | None = user
        if options["issued_by"]:
            issuer = User.objects.filter(username=options["issued_by"]).first()
            if issuer is None:
                raise CommandError(f"--issued-by: no user {options['issued_by']!r}")
        names = options["deployment"]
        deployments = list(Deployment.objects.filter(name__in=names))
        missing = sorted(set(names) - {d.name for d in deployments})
        if missing:
            raise CommandError(f"--deployment: no deployment named {', '.join(missing)}")
        days = options["expires_in_days"]
        try:
            with audit_context(request_id="cli-issue-serving-key"):
                _, plaintext = serving_key_issue(
                    actor=issuer,
                    user=user,
                    name=options["name"],
                    deployments=deployments,
                    expires_at=timezone.now() + timedelta(days=days) if days else None,
                    rate_limit_per_minute=options["rate_limit_per_minute"],
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(plaintext)
