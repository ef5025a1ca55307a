"""The demo setup that `./run demo` performs: users, offline imports, a printed login."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from core.ledger import audit_chain_verify
from registry.models import LineageLink, ModelVersion
from serving.models import Deployment, ServingKey
from serving.services import serving_key_hash

pytestmark = pytest.mark.django_db


def test_demo_setup_imports_the_bundled_snapshots_and_prints_a_login_that_works(
    settings: object, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    out = StringIO()

    no_tiny_model = ["--tiny-model-dir", str(tmp_path / "absent")]
    call_command("demo_setup", *no_tiny_model, stdout=out)
    call_command("demo_setup", *no_tiny_model, stdout=StringIO())  # running it again changes nothing

    assert ModelVersion.objects.count() == 4
    assert "no tiny model" in out.getvalue()
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


TINY_MODEL = Path(__file__).resolve().parents[1] / ".data" / "tiny-llama"


def test_demo_setup_deploys_the_tiny_model_with_a_key_for_the_developer(settings: object, tmp_path: Path) -> None:
    """./run test builds the tiny model first (deploy/local-vllm/vllm-local ensure)."""
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    out = StringIO()

    call_command("demo_setup", "--tiny-model-dir", str(TINY_MODEL), stdout=out)
    call_command("demo_setup", "--tiny-model-dir", str(TINY_MODEL), stdout=StringIO())

    deployment = Deployment.objects.get(name="tiny-llama")
    assert deployment.version.model.hub_id == "modelgate/tiny-llama"
    assert deployment.approval.state == "approved"
    key = (tmp_path / "demo-serving-key.txt").read_text().strip()
    assert key in out.getvalue()
    issued = ServingKey.objects.get()  # the second run issued no other key
    assert issued.key_hash == serving_key_hash(key)
    assert issued.user.username == "dev"
    assert audit_chain_verify().ok
