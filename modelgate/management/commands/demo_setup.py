from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from core.context import audit_context
from core.roles import Role
from core.services import user_create
from registry.models import Organization
from registry.services import local_source, model_version_import, organization_create

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
    help = "Create the demo users and import the bundled offline model snapshots. Safe to run again."

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
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Sign in at http://127.0.0.1:8000/admin/ as admin / {password}")
        self.stdout.write(
            "  Other demo users (same password): "
            + ", ".join(f"{name} ({roles[0].value})" for name, roles, _ in DEMO_USERS if roles)
        )
        self.stdout.write("  API docs: http://127.0.0.1:8000/api/docs/")

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
