"""Fixtures for the license assessment tests: the fake Hub with the import hooks ON, repos made up per test."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from compliance.models import LicenseAssessment
from core.models import AuditEvent
from registry.models import LineageLink, Model, ModelVersion, Organization
from tests.hubfake import FakeHub, model_info_json

ASSESSMENT_HOOK = "compliance.services.license_assessment_on_import"


@pytest.fixture(autouse=True)
def _import_hooks_on(settings: Any) -> None:
    """Unlike tests/registry, these tests run the import with the project's hooks, as production does."""
    assert ASSESSMENT_HOOK in settings.MODELGATE_IMPORT_HOOKS


@pytest.fixture
def fake_hub(settings: Any) -> Iterator[FakeHub]:
    """The fake Hub, running; the services reach it through settings.HF_ENDPOINT with a token it accepts."""
    hub = FakeHub().start()
    settings.HF_ENDPOINT = hub.url
    settings.HF_TOKEN = hub.token
    try:
        yield hub
    finally:
        hub.stop()


def card(front_matter: dict[str, Any], body: str = "# A model\n\nMade up for a license test.\n") -> bytes:
    return ("---\n" + yaml.safe_dump(front_matter, sort_keys=False) + "---\n" + body).encode()


CONFIG = json.dumps({"architectures": ["LlamaForCausalLM"], "model_type": "llama"}).encode()


def publish_on(hub: FakeHub, repo_id: str, front_matter: dict[str, Any], *, license_text: str | None = None) -> str:
    """Register ``repo_id`` on the fake Hub with a card, an optional LICENSE and a config; return its commit."""
    files = {"README.md": card(front_matter), "config.json": CONFIG}
    if license_text is not None:
        files["LICENSE"] = license_text.encode()
    sha = hashlib.sha1(repo_id.encode() + b"".join(files.values())).hexdigest()  # noqa: S324 - a commit id
    hub.add_repo(
        model_info_json(
            repo_id,
            sha,
            files,
            lfs_files={"model.safetensors": 16_000_000},
            card_data=front_matter,
            safetensors_total=8_000_000,
        ),
        files,
    )
    return sha


@pytest.fixture
def publish(fake_hub: FakeHub) -> Callable[..., str]:
    def make(repo_id: str, front_matter: dict[str, Any], *, license_text: str | None = None) -> str:
        return publish_on(fake_hub, repo_id, front_matter, license_text=license_text)

    return make


def row_counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "models": Model.objects.count(),
        "versions": ModelVersion.objects.count(),
        "lineage_links": LineageLink.objects.count(),
        "assessments": LicenseAssessment.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }
