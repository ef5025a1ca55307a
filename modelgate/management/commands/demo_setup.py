from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandParser

from core.context import audit_context
from core.roles import Role
from core.services import user_create
from modelgate.demo.documentation import documentation_demo
from modelgate.demo.serving import tiny_model_deploy
from registry.models import Organization
from registry.services import local_source, model_version_import, organization_create
from serving.models import ServingKey
from serving.services import serving_key_issue

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_PROVIDERS = [("Meta", "meta-llama"), ("Mistral AI", "mistralai"), ("DeepSeek", "deepseek-ai")]
DEMO_USERS = [
    ("admin", [], True),
    ("olivia", [Role.COMPLIANCE_OFFICER], False),
    ("lena", [Role.APPROVER_LEGAL], False),
    ("sam", [Role.APPROVER_SECURITY], False),
    ("max", [Role.ML_ENGINEER], False),
    ("dev", [Role.DEVELOPER], False),
    ("audrey", [Role.AUDITOR], False),
]


class Command(BaseCommand):
    help = (
        "Create the demo users, import the bundled offline model snapshots and, when the tiny local model "
        "exists, approve and deploy it behind the gateway with a key for the developer. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vllm-url", default="http://127.0.0.1:8010", help="Where the local vLLM will listen")
        parser.add_argument(
            "--tiny-model-dir", default=str(Path(settings.BASE_DIR) / ".data" / "tiny-llama"), help="The tiny model"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._demo_password()
        with audit_context(request_id="demo-setup"):
            for username, roles, superuser in DEMO_USERS:
                if not User.objects.filter(username=username).exists():
                    user_create(actor=None, username=username, password=password, roles=roles, is_superuser=superuser)
            actor = User.objects.get(username="max")
            for name, namespace in DEMO_PROVIDERS:
                if not Organization.objects.filter(hub_namespace=namespace).exists():
                    organization_create(actor=actor, name=name, hub_namespace=namespace)
            manifest = yaml.safe_load((DEMO_DIR / "snapshots.yaml").read_text(encoding="utf-8"))
            for entry in manifest:
                model_version_import(
                    actor=actor,
                    repo_id=entry["repo_id"],
                    revision=entry["revision"],
                    source=local_source(str(DEMO_DIR / entry["directory"])),
                )
            documentation = documentation_demo(
                requester=User.objects.get(username="max"), officer=User.objects.get(username="olivia")
            )
            serving_line = self._serving_demo(Path(options["tiny_model_dir"]), options["vllm_url"])
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Sign in at http://127.0.0.1:8000/ as admin / {password} (raw data: /admin/)")
        self.stdout.write(
            "  Other demo users (same password): "
            + ", ".join(f"{name} ({roles[0].value})" for name, roles, _ in DEMO_USERS if roles)
        )
        self.stdout.write("  API docs: http://127.0.0.1:8000/api/docs/")
        if documentation is not None:
            self.stdout.write(
                f"  Documentation exports: approval #{documentation.approval.pk} ({documentation.use_case.name}, "
                f"high-risk) and model version #{documentation.version.pk} (GPAI); e.g. "
                f"manage.py export_docs --kind annex_iv --target {documentation.approval.pk} --format pdf "
                "--out annex-iv.pdf --as-user olivia"
            )
        self.stdout.write(serving_line)

    def _serving_demo(self, model_dir: Path, vllm_url: str) -> str:
        if not (model_dir / ".revision").exists():
            return f"  (no tiny model in {model_dir}: run deploy/local-vllm/vllm-local ensure for the serving demo)"
        demo = tiny_model_deploy(
            model_dir=model_dir,
            backend_url=vllm_url,
            requester=User.objects.get(username="max"),
            officer=User.objects.get(username="olivia"),
        )
        key_path = Path(settings.DATA_DIR) / "demo-serving-key.txt"
        developer = User.objects.get(username="dev")
        if not key_path.exists() or not ServingKey.objects.filter(user=developer, revoked_at__isnull=True).exists():
            _, key = serving_key_issue(actor=developer, user=developer, name="demo", deployments=[demo.deployment])
            key_path.write_text(key + "\n", encoding="utf-8")
            key_path.chmod(0o600)
        key = key_path.read_text(encoding="utf-8").strip()
        return (
            f"  Inference gateway: http://127.0.0.1:8001/v1 (model {demo.deployment.name!r}); dev's key: {key}\n"
            f"    curl -s http://127.0.0.1:8001/v1/chat/completions -H 'Authorization: Bearer {key}' "
            "-H 'Content-Type: application/json' "
            f'-d \'{{"model": "{demo.deployment.name}", "messages": [{{"role": "user", "content": "Hello"}}]}}\''
        )

    def _demo_password(self) -> str:
        """One random password per data directory, kept so every start prints the same login."""
        path = Path(settings.DATA_DIR) / "demo-password.txt"
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(12)
        path.write_text(password + "\n", encoding="utf-8")
        path.chmod(0o600)
        return password
