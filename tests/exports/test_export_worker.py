"""A bundle made by a real Celery worker over a real Redis broker (CI runs this), its progress
readable while it is made, and the result verifiable."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from compliance.exports import services
from compliance.exports.bundle import verify_bundle
from core.roles import Role
from modelgate.demo.documentation import DocumentationDemo

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_bundle_is_made_by_the_worker_with_visible_progress(
    worker: None, demo: DocumentationDemo, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, str]] = []
    real_progress = services._progress

    def recording_progress(document, percent: int, note: str) -> None:  # type: ignore[no-untyped-def]
        real_progress(document, percent, note)
        document.refresh_from_db(fields=["progress", "progress_note", "status"])
        seen.append((document.progress, document.status))

    monkeypatch.setattr(services, "_progress", recording_progress)
    client = APIClient()
    client.force_authenticate(make_user(Role.AUDITOR, username="audrey"))

    queued = client.post(
        "/api/v1/exports/", {"kind": "bundle", "format": "zip", "target": demo.approval.pk}, format="json"
    )

    assert queued.status_code == 202, queued.content
    url = f"/api/v1/exports/{queued.json()['id']}/"
    deadline = time.monotonic() + 120
    while (detail := client.get(url).json())["status"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert detail["status"] == "done", detail
    assert detail["progress"] == 100
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)  # it only moves forward
    assert len(seen) >= 8
    assert all(status == "running" for _, status in seen)
    download = client.get(detail["download"])
    assert verify_bundle(download.content).ok
