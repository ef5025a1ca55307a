from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from serving.models import Deployment
from serving.vllm import VllmLaunch


class Command(BaseCommand):
    help = (
        "Print the `vllm serve` arguments for a deployment: model and pinned revision, served name, "
        "API key (as an environment reference), max model length and tensor parallel size."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("deployment", help="The deployment's name (what developers pass as model)")
        parser.add_argument(
            "--backend", type=int, default=0, help="Which of its backends (0-based), for the served name"
        )
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="0.0.0.0")  # noqa: S104
        parser.add_argument("--api-key-env", default="VLLM_API_KEY", help="The variable vLLM reads its key from")
        parser.add_argument(
            "--format", choices=["shell", "json"], default="shell", help="json: an args list for Kubernetes"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deployment = Deployment.objects.filter(name=options["deployment"]).first()
        if deployment is None:
            raise CommandError(f"deployment: no deployment named {options['deployment']!r}")
        backends = list(deployment.backends.order_by("pk"))
        if not 0 <= options["backend"] < len(backends):
            raise CommandError(f"--backend: {deployment.name} has {len(backends)} backend(s)")
        launch = VllmLaunch(
            model_source=deployment.model_source,
            revision=deployment.revision,
            served_model_name=backends[options["backend"]].served_model_name,
            api_key_env=options["api_key_env"],
            max_model_len=deployment.max_model_len,
            tensor_parallel_size=deployment.tensor_parallel_size,
            host=options["host"],
            port=options["port"],
        )
        if options["format"] == "json":
            self.stdout.write(json.dumps(["serve", *launch.args(key_reference="$({})")]))
        else:
            self.stdout.write(launch.shell())
