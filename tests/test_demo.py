"""The demo setup that `./run demo` performs: users, offline imports, a printed login."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from core.ledger import audit_chain_verify
from registry.models import LineageLink, ModelVersion

pytestmark = pytest.mark.django_db


def test_demo_setup_imports_the_bundled_snapshots_and_prints_a_login_that_works(
    settings: object, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    out = StringIO()

    call_command("demo_setup", stdout=out)
    call_command("demo_setup", stdout=StringIO())  # running it again changes nothing

    assert ModelVersion.objects.count() == 4
    assert set(ModelVersion.objects.values_list("model__provider__name", flat=True)) == {
        "DeepSeek",
        "Meta",
        "Mistral AI",
    }
    distill = LineageLink.objects.get(child__model__hub_id="deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    assert (distill.relation, distill.parent_version.model.hub_id) == ("distillation", "meta-llama/Llama-3.1-8B")
    assert audit_chain_verify().ok
    password = (tmp_path / "demo-password.txt").read_text().strip()
    assert f"as admin / {password}" in out.getvalue()

    browser = Client()
    assert browser.login(username="admin", password=password)
    assert browser.get("/admin/registry/modelversion/").status_code == 200
    officer = Client()
    assert officer.login(username="olivia", password=password)
    assert officer.get("/api/v1/audit-events/").status_code == 200
