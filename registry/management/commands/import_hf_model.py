from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.context import audit_context
from core.errors import ApplicationError
from registry.services import local_source, model_version_import


class Command(BaseCommand):
    help = (
        "Import a model version from the Hugging Face Hub (metadata, model card, LICENSE, config; never weights), "
        "or from a local snapshot directory with --from-dir."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("repo_id", help="Hub model id, e.g. meta-llama/Llama-3.1-8B-Instruct")
        parser.add_argument("--revision", help="branch, tag or commit sha (default: the Hub's main branch)")
        parser.add_argument(
            "--with-base-models",
            action="store_true",
            help="also import the declared base models that are not in the registry yet",
        )
        parser.add_argument(
            "--from-dir", metavar="PATH", help="read a local snapshot directory instead of the Hub (air-gapped sites)"
        )
        parser.add_argument("--as-user", metavar="USERNAME", help="record the import as this user's action")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["as_user"]:
            actor = get_user_model().objects.filter(username=options["as_user"]).first()
            if actor is None:
                raise CommandError(f"--as-user: no user named {options['as_user']!r}")
        source = local_source(options["from_dir"]) if options["from_dir"] else None
        with audit_context(request_id=None):
            try:
                result = model_version_import(
                    actor=actor,
                    repo_id=options["repo_id"],
                    revision=options["revision"],
                    source=source,
                    with_base_models=options["with_base_models"],
                )
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
        version = result.version
        verb = "Imported" if result.created else "Already in the registry:"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {version.model.hub_id} at {version.revision} (version {version.pk})")
        )
        for base in result.base_versions:
            self.stdout.write(f"  with base model {base.model.hub_id} at {base.revision} (version {base.pk})")
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
