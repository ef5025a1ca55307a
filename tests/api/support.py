"""Helpers shared by the API tests: a fake Hub, the endpoint table, row counting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.models import AuditEvent
from core.roles import Capability
from registry.models import LineageLink, Model, ModelVersion, Organization
from registry.snapshots import Snapshot, SnapshotFile

FAKE_SHA = "0123456789abcdef0123456789abcdef01234567"


def fake_snapshot(repo_id: str, revision: str | None = None) -> Snapshot:
    """A tiny, valid model repository: a card with a license tag, a LICENSE and a config.json."""
    readme = f"---\nlicense: apache-2.0\npipeline_tag: text-generation\n---\n# {repo_id}\n".encode()
    config = b'{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}'
    license_text = b"Apache License\nVersion 2.0, January 2004\n"
    return Snapshot(
        repo_id=repo_id,
        revision=revision if revision and len(revision) == 40 else FAKE_SHA,
        source="hub",
        files=(
            SnapshotFile(path="README.md", size=len(readme), sha256=None, blob_id="a" * 40),
            SnapshotFile(path="LICENSE", size=len(license_text), sha256=None, blob_id="b" * 40),
            SnapshotFile(path="config.json", size=len(config), sha256=None, blob_id="c" * 40),
            SnapshotFile(path="model.safetensors", size=1234, sha256="d" * 64, blob_id="e" * 40),
        ),
        texts={"README.md": readme, "LICENSE": license_text, "config.json": config},
        pipeline_tag="text-generation",
        tags=("transformers",),
        parameter_count=8_000_000_000,
    )


@dataclass
class FakeHub:
    """Stands in for ``registry.snapshots.HubSource``; records what was fetched."""

    error: Exception | None = None
    name: str = "hub"
    calls: list[tuple[str, str | None]] = field(default_factory=list)

    def fetch(self, repo_id: str, revision: str | None) -> Snapshot:
        self.calls.append((repo_id, revision))
        if self.error is not None:
            raise self.error
        return fake_snapshot(repo_id, revision)

    def current_id(self, repo_id: str) -> str:
        return repo_id  # nothing was renamed on this fake


@dataclass
class Registry:
    organization: Organization
    model: Model
    version: ModelVersion
    base_version: ModelVersion
    event: AuditEvent


def registry_row_counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "models": Model.objects.count(),
        "versions": ModelVersion.objects.count(),
        "links": LineageLink.objects.count(),
        "events": AuditEvent.objects.count(),
    }


# --- The endpoint table ---------------------------------------------------------------

V1 = "/api/v1"


@dataclass(frozen=True)
class Op:
    """One endpoint and method, what it needs, and what it answers a caller who has that."""

    key: str
    method: str
    path: Callable[[Registry], str]
    capability: Capability | None  # None: nobody may (the view names no capability for it)
    granted_status: int
    body: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self.key


VIEW = Capability.REGISTRY_VIEW
MANAGE = Capability.REGISTRY_MANAGE
AUDIT = Capability.AUDIT_VIEW

OPS: list[Op] = [
    Op("organizations.list", "GET", lambda r: f"{V1}/organizations/", VIEW, 200),
    Op("organizations.detail", "GET", lambda r: f"{V1}/organizations/{r.organization.pk}/", VIEW, 200),
    Op(
        "organizations.create",
        "POST",
        lambda r: f"{V1}/organizations/",
        MANAGE,
        201,
        {"name": "Newco", "hub_namespace": "newco", "website": "https://newco.example"},
    ),
    Op(
        "organizations.update",
        "PATCH",
        lambda r: f"{V1}/organizations/{r.organization.pk}/",
        MANAGE,
        200,
        {"website": "https://acme.example/ai", "reason": "moved"},
    ),
    Op("models.list", "GET", lambda r: f"{V1}/models/", VIEW, 200),
    Op("models.detail", "GET", lambda r: f"{V1}/models/{r.model.pk}/", VIEW, 200),
    # Models are created by imports only: whoever may write gets 405, everyone else 403.
    Op("models.create", "POST", lambda r: f"{V1}/models/", MANAGE, 405, {"hub_id": "acme/other"}),
    Op(
        "models.update",
        "PATCH",
        lambda r: f"{V1}/models/{r.model.pk}/",
        MANAGE,
        200,
        {"training_compute_flops": 2e23, "reason": "from the technical report"},
    ),
    Op("versions.list", "GET", lambda r: f"{V1}/versions/", VIEW, 200),
    Op("versions.detail", "GET", lambda r: f"{V1}/versions/{r.version.pk}/", VIEW, 200),
    Op("versions.create", "POST", lambda r: f"{V1}/versions/", MANAGE, 201, {"repo_id": "acme/new-model"}),
    # Versions never change after import.
    Op("versions.update", "PATCH", lambda r: f"{V1}/versions/{r.version.pk}/", MANAGE, 405, {"revision": "main"}),
    Op("audit-events.list", "GET", lambda r: f"{V1}/audit-events/", AUDIT, 200),
    Op("audit-events.detail", "GET", lambda r: f"{V1}/audit-events/{r.event.sequence}/", AUDIT, 200),
    # The ledger is written by the platform alone: no role, not even a superuser, may write it.
    Op("audit-events.create", "POST", lambda r: f"{V1}/audit-events/", None, 403, {"action": "x"}),
    Op("audit-events.update", "PATCH", lambda r: f"{V1}/audit-events/{r.event.sequence}/", None, 403, {"reason": "x"}),
    Op("import-tasks.detail", "GET", lambda r: f"{V1}/import-tasks/x/", MANAGE, 200),
    Op("import-tasks.create", "POST", lambda r: f"{V1}/import-tasks/x/", None, 403, {}),
]
OPS_BY_KEY = {op.key: op for op in OPS}


def call(client: Any, op: Op, rows: Registry) -> Any:
    path = op.path(rows)
    if op.method == "GET":
        return client.get(path)
    return getattr(client, op.method.lower())(path, op.body or {}, format="json")
