"""Exports in the admin: the generate button, the progress page, the download, and officers' texts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from compliance.models import ExportDocument, ExportText
from core.models import AuditEvent
from core.roles import Role
from modelgate.demo.documentation import DocumentationDemo

pytestmark = pytest.mark.django_db


def login(user: User) -> Client:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


def test_generate_from_an_approval_then_follow_and_download(
    demo: DocumentationDemo, make_user: Callable[..., User], django_capture_on_commit_callbacks: object
) -> None:
    auditor = login(make_user(Role.AUDITOR, username="audrey"))
    approval_page = auditor.get(f"/admin/compliance/approvalrequest/{demo.approval.pk}/change/")
    assert "Generate documentation…" in approval_page.content.decode()
    url = f"/admin/compliance/exportdocument/generate/?approval={demo.approval.pk}"
    assert auditor.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=False) as queued:  # type: ignore[operator]
        response = auditor.post(url, {"document": "annex_iv:md"})

    document = ExportDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/compliance/exportdocument/{document.pk}/change/"
    waiting = auditor.get(response["Location"])
    assert waiting["Refresh"] == "2"
    assert "pending" in waiting.content.decode()

    for callback in queued:
        callback()  # the Celery task, as the worker would run it
    done = auditor.get(response["Location"])
    assert "Refresh" not in done
    download = auditor.get(f"/admin/compliance/exportdocument/{document.pk}/download/")
    assert hashlib.sha256(download.content).hexdigest() == download["X-Content-SHA256"]
    assert b"Annex IV" in download.content


def test_an_approval_kind_cannot_be_made_from_a_model_version(demo: DocumentationDemo, officer: User) -> None:
    response = login(officer).post(
        f"/admin/compliance/exportdocument/generate/?version={demo.version.pk}", {"document": "annex_iv:pdf"}
    )
    assert response.status_code == 200
    assert "annex_iv is made for an approval request" in response.content.decode()
    assert ExportDocument.objects.count() == 0


def test_officers_write_texts_in_the_admin_and_others_may_not(
    demo: DocumentationDemo, officer: User, make_user: Callable[..., User]
) -> None:
    body = {
        "use_case": demo.use_case.pk,
        "key": "eu_declaration_of_conformity",
        "text": "DoC-HR-AI-1.",
        "_save": "Save",
    }
    response = login(officer).post("/admin/compliance/exporttext/add/", body)
    assert response.status_code == 302
    stored = ExportText.objects.get(key="eu_declaration_of_conformity")
    assert stored.updated_by == officer
    assert AuditEvent.objects.filter(action="compliance.export_text.set", actor=officer).exists()

    auditor = login(make_user(Role.AUDITOR))
    assert auditor.post("/admin/compliance/exporttext/add/", body).status_code == 403
