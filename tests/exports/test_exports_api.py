"""The exports API: request (a Celery task makes it), follow, download; texts; completeness; bad input."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from compliance.models import ExportDocument, ExportText
from core.models import AuditEvent
from core.roles import Role
from modelgate.demo.documentation import DocumentationDemo

pytestmark = pytest.mark.django_db

EXPORTS = "/api/v1/exports/"
TEXTS = "/api/v1/export-texts/"


def as_user(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_auditor_requests_a_document_follows_it_and_downloads_it(
    demo: DocumentationDemo, client_for: Callable[..., APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    auditor = client_for(Role.AUDITOR)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = auditor.post(EXPORTS, {"kind": "annex_iv", "format": "md", "target": demo.approval.pk}, format="json")

    assert created.status_code == 202, created.json()
    assert created.json()["status"] == "pending"
    assert len(callbacks) == 1  # the Celery task, queued once the request is committed
    document_id = created.json()["id"]
    detail = auditor.get(f"{EXPORTS}{document_id}/").json()
    assert detail["status"] == "done"  # the task ran in-process (no broker in tests)
    assert detail["progress"] == 100
    assert detail["missing_items"] == ["Annex IV 8, Copy of the EU declaration of conformity (Art. 47): missing"]
    download = auditor.get(detail["download"])
    assert download.status_code == 200
    assert download["X-Content-SHA256"] == hashlib.sha256(download.content).hexdigest() == detail["sha256"]
    assert download["Content-Disposition"].startswith(
        'attachment; filename="annex_iv-meta-llama--Llama-3.1-8B-Instruct'
    )
    listed = auditor.get(EXPORTS, {"kind": "annex_iv"}).json()
    assert [row["id"] for row in listed] == [document_id]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"kind": "annex_v", "format": "md", "target": 1}, "kind", "not a valid choice"),
        ({"kind": "spdx", "format": "pdf", "target": "VERSION"}, "format", "spdx comes as json, not 'pdf'"),
        ({"kind": "annex_iv", "format": "md", "target": "x"}, "target", "valid integer"),
        ({"kind": "annex_iv", "format": "md"}, "target", "required"),
    ],
)
def test_bad_requests_name_the_field_and_store_nothing(
    body: dict[str, Any], field: str, words: str, demo: DocumentationDemo, client_for: Callable[..., APIClient]
) -> None:
    if body.get("target") == "VERSION":
        body = {**body, "target": demo.version.pk}
    response = client_for(Role.COMPLIANCE_OFFICER).post(EXPORTS, body, format="json")

    assert response.status_code == 400
    assert words in str(response.json()["error"]["fields"][field])
    assert ExportDocument.objects.count() == 0


def test_unknown_targets_and_documents_are_404(demo: DocumentationDemo, client_for: Callable[..., APIClient]) -> None:
    client = client_for(Role.COMPLIANCE_OFFICER)
    assert client.post(EXPORTS, {"kind": "annex_iv", "format": "md", "target": 9999}, format="json").status_code == 404
    assert client.post(EXPORTS, {"kind": "spdx", "format": "json", "target": 9999}, format="json").status_code == 404
    assert client.get(f"{EXPORTS}9999/").status_code == 404
    assert client.get(f"{EXPORTS}9999/download/").status_code == 404


def test_malformed_json_is_refused(client_for: Callable[..., APIClient]) -> None:
    response = client_for(Role.COMPLIANCE_OFFICER).post(EXPORTS, b"{not json", content_type="application/json")
    assert response.status_code == 400


def test_only_compliance_readers_generate_and_anonymous_callers_are_refused(demo: DocumentationDemo) -> None:
    body = {"kind": "spdx", "format": "json", "target": demo.version.pk}
    assert APIClient().post(EXPORTS, body, format="json").status_code in (401, 403)
    assert ExportDocument.objects.count() == 0


def test_officers_write_texts_and_the_completeness_report_follows(
    demo: DocumentationDemo, officer: User, client_for: Callable[..., APIClient]
) -> None:
    url = f"{EXPORTS}completeness/?kind=annex_iv&target={demo.approval.pk}"
    before = as_user(officer).get(url).json()
    assert before["missing"] == ["Annex IV 8, Copy of the EU declaration of conformity (Art. 47): missing"]

    written = as_user(officer).put(
        TEXTS,
        {
            "key": "eu_declaration_of_conformity",
            "text": "DoC-HR-AI-1, signed 2026-11-20.",
            "use_case": demo.use_case.pk,
        },
        format="json",
    )

    assert written.status_code == 200, written.json()
    assert as_user(officer).get(url).json()["missing"] == []
    assert AuditEvent.objects.filter(action="compliance.export_text.set", target_id=str(demo.use_case.pk)).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Bad Key", "text": "x", "use_case": 1}, "key"),
        ({"key": "eu_declaration_of_conformity", "text": "x"}, "use_case"),
        ({"key": "eu_declaration_of_conformity", "text": 5, "version": 1, "use_case": 1}, "use_case"),
        ({"key": "eu_declaration_of_conformity", "text": "x" * 50_001, "use_case": 1}, "text"),
    ],
)
def test_bad_texts_are_refused_by_field(
    body: dict[str, Any], field: str, demo: DocumentationDemo, officer: User
) -> None:
    count = ExportText.objects.count()
    response = as_user(officer).put(TEXTS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert ExportText.objects.count() == count


def test_only_compliance_officers_write_texts(demo: DocumentationDemo, client_for: Callable[..., APIClient]) -> None:
    body = {"key": "eu_declaration_of_conformity", "text": "mine", "use_case": demo.use_case.pk}
    for role in (Role.AUDITOR, Role.ML_ENGINEER, Role.APPROVER_LEGAL, Role.DEVELOPER):
        assert client_for(role).put(TEXTS, body, format="json").status_code == 403
    assert not ExportText.objects.filter(key="eu_declaration_of_conformity").exists()


def test_completeness_refuses_a_kind_without_items(client_for: Callable[..., APIClient]) -> None:
    response = client_for(Role.AUDITOR).get(f"{EXPORTS}completeness/?kind=spdx&target=1")
    assert response.status_code == 400
    assert "kind" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("query", "field"), [("kind=annex_v", "kind"), ("version=abc", "version"), ("approval=1x", "approval")]
)
def test_bad_list_filters_name_the_field(query: str, field: str, client_for: Callable[..., APIClient]) -> None:
    response = client_for(Role.AUDITOR).get(f"{EXPORTS}?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
