"""A background import through a real Celery worker and a real Redis broker (CI runs this)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.roles import Role
from modelgate.celery import app as celery_app
from registry.models import ModelVersion
from tests.hubfake import FakeHub
from tests.registry import recorded as r

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_background_import_runs_in_the_worker_and_is_reported(worker: None, fake_hub: FakeHub, client_for: Any) -> None:
    client: APIClient = client_for(Role.ML_ENGINEER)

    # when the API queues the import
    queued = client.post("/api/v1/versions/", {"repo_id": r.MISTRAL, "background": True}, format="json")

    # then the worker performs it, and the task endpoint reports the version it created
    assert queued.status_code == 202, queued.content
    task_id = queued.json()["task_id"]
    result = celery_app.AsyncResult(task_id).get(timeout=60)
    version = ModelVersion.objects.get(model__hub_id=r.MISTRAL)
    assert result["version_id"] == version.pk
    assert version.revision == r.MISTRAL_SHA
    status = client.get(f"/api/v1/import-tasks/{task_id}/").json()
    assert status == {"task_id": task_id, "status": "success", "version_id": version.pk, "error": None}
    imported = AuditEvent.objects.get(action="registry.model_version.imported")
    assert imported.request_id == queued["X-Request-ID"]


def test_a_refused_background_import_is_a_result_not_a_crash(worker: None, fake_hub: FakeHub, client_for: Any) -> None:
    client: APIClient = client_for(Role.ML_ENGINEER)
    queued = client.post("/api/v1/versions/", {"repo_id": "nobody/nothing", "background": True}, format="json")
    result = celery_app.AsyncResult(queued.json()["task_id"]).get(timeout=60)
    assert result["version_id"] is None
    assert result["error"]["code"] == "not_found"
    assert "repo_id" in result["error"]["fields"]
    assert ModelVersion.objects.count() == 0
