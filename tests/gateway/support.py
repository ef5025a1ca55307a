"""Helpers for the serving tests: calling the gateway, reading its errors, building records."""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from compliance.models import ApprovalRequest
from core.models import AuditEvent
from registry.models import ModelVersion
from registry.services import local_source, model_version_import
from serving.gateway.handler import gateway
from serving.models import Deployment, InferenceRecord, InferenceStatus, ServingKey
from serving.services import serving_key_issue

TINY_REPO_ID = "modelgate/tiny-llama"
TINY_REVISION = "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c"


def write_tiny_snapshot(directory: Path) -> Path:
    """A tiny model snapshot: a README with an Apache-2.0 license, a config, a small file and its pinned commit."""
    directory.mkdir()
    (directory / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Tiny llama\n\nA test model.\n")
    (directory / "config.json").write_text('{"model_type": "llama", "architectures": ["LlamaForCausalLM"]}\n')
    (directory / "tokenizer.txt").write_text("a b c\n")
    (directory / ".revision").write_text(TINY_REVISION + "\n")
    return directory


DEMO_SNAPSHOTS = Path(__file__).resolve().parents[2] / "modelgate" / "demo"
LLAMA_SNAPSHOT = DEMO_SNAPSHOTS / "llama-3.1-8b-instruct"
LLAMA_REVISION = "0e9e39f249a16976918f6564b8830bc894c89659"
LLAMA_BASE_SNAPSHOT = DEMO_SNAPSHOTS / "llama-3.1-8b"
LLAMA_BASE_REVISION = "d04e592bb4f6aa9cfee91e2e20afa771667e1d4b"

SECRETS_ONLY: list[dict[str, Any]] = [{"name": "modelgate/secret_patterns", "on": "input", "on_fail": "exception"}]
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
GITHUB_TOKEN = "ghp_" + "Xq7Lm2Pz9Rt4Vb8Nc1Kd6Fg3Hj5Ws0Ey2Ua7"
HELLO = [{"role": "user", "content": "Say hello."}]


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def import_version(actor: User, directory: Path, repo_id: str, revision: str) -> ModelVersion:
    existing = ModelVersion.objects.filter(model__hub_id=repo_id, revision=revision).first()
    if existing is not None:
        return existing
    return model_version_import(
        actor=actor, repo_id=repo_id, revision=revision, source=local_source(str(directory))
    ).version


@dataclass
class Served:
    """An approved model deployed behind a backend URL, and the people around it."""

    deployment: Deployment
    approval: ApprovalRequest
    version: ModelVersion
    requester: User
    officer: User
    developer: User
    backend_url: str

    def key(self, user: User | None = None, *, deployments: list[Deployment] | None = None, **options: Any) -> str:
        """Issue a key (by the officer) for ``user`` (default: the developer); returns the plaintext."""
        _, plaintext = serving_key_issue(
            actor=self.officer,
            user=user or self.developer,
            name="test key",
            deployments=deployments or [self.deployment],
            **options,
        )
        return plaintext


def post(path: str, body: Any, key: str | None = None, *, client: Client | None = None, **extra: Any) -> HttpResponse:
    """POST ``body`` (bytes as they are, anything else as JSON) to the gateway."""
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key is not None else {}
    return (client or Client()).post(path, data=data, content_type="application/json", **headers, **extra)


def chat(key: str | None, messages: Any = None, *, model: str = "tiny-llama", **params: Any) -> HttpResponse:
    return post(
        "/v1/chat/completions", {"model": model, "messages": HELLO if messages is None else messages, **params}, key
    )


def error_of(response: HttpResponse) -> dict[str, Any]:
    """The OpenAI error object of a refusal, after checking it has exactly OpenAI's shape."""
    assert response["Content-Type"] == "application/json"
    body = orjson.loads(response.content)
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"message", "type", "param", "code"}, body
    return body["error"]  # type: ignore[no-any-return]


def flush_records() -> None:
    async_to_sync(gateway().writer.flush)()


def only_record() -> InferenceRecord:
    rows = list(InferenceRecord.objects.all())
    assert len(rows) == 1, [(r.status, r.error_code) for r in rows]
    return rows[0]


def record_values(record: InferenceRecord) -> str:
    """Every column of a record as one text, to look for what must never be stored."""
    return repr({field.attname: getattr(record, field.attname) for field in InferenceRecord._meta.fields})


def audit_text() -> str:
    return repr(list(AuditEvent.objects.values()))


def make_record(
    deployment: Deployment,
    *,
    key: ServingKey | None,
    end_user: str = "",
    status: str = InferenceStatus.OK,
    created_at: datetime | None = None,
    **fields: Any,
) -> InferenceRecord:
    """An unsaved record of one call, as the gateway builds it (written through inference_records_write)."""
    fields.setdefault("request_id", uuid.uuid4().hex)
    return InferenceRecord(
        created_at=created_at or timezone.now(),
        endpoint="chat.completions",
        key=key,
        user=key.user if key else None,
        requested_model=deployment.name,
        deployment=deployment,
        model_version_id=deployment.version_id,
        revision=deployment.revision,
        approval_id=deployment.approval_id,
        end_user=end_user,
        status=status,
        http_status=200 if status == InferenceStatus.OK else 400,
        **fields,
    )
