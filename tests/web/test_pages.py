"""The web app's pages through Django's test client: access, decisions, exports and bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from compliance.approvals.selectors import approval_list, signoff_check
from compliance.models import ApprovalRequest, ExportDocument, LicenseAssessment, SignOff
from core.models import AuditEvent
from core.roles import Role, user_roles
from modelgate.demo.serving import tiny_model_deploy
from registry.models import Model, ModelVersion
from serving.models import Deployment, UsageRollup
from tests.gateway.support import closed_port_url, write_tiny_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings: object, tmp_path: Path) -> ApprovalRequest:
    """The demo data without the tiny deployment; returns the submitted high-risk CV-screening request."""
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    call_command("demo_setup", "--tiny-model-dir", str(tmp_path / "absent"), stdout=StringIO())
    return ApprovalRequest.objects.get(use_case__name="CV screening assistant")


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


PAGES = ["/", "/approvals/", "/models/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_anonymous_visitors_to_sign_in(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("path", PAGES)
def test_a_user_without_a_role_gets_a_403_page_that_names_the_permission(
    make_user: Callable[..., User], path: str
) -> None:
    client = Client()
    client.force_login(make_user())
    response = client.get(path)
    assert response.status_code == 403
    assert b"permission, which your roles do not give" in response.content


def test_sign_in_with_the_form_and_sign_out_with_post_only(make_user: Callable[..., User]) -> None:
    make_user(Role.AUDITOR, username="audrey")
    client = Client(enforce_csrf_checks=False)
    page = client.get("/login/")
    assert b'<label for="id_username">' in page.content
    refused = client.post("/login/", {"username": "audrey", "password": "wrong"})
    assert refused.status_code == 200
    assert b"Please enter a correct username and password" in refused.content
    response = client.post("/login/", {"username": "audrey", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_every_page_renders_for_each_role_that_may_see_it(demo: ApprovalRequest) -> None:
    model = Model.objects.get(hub_id="meta-llama/Llama-3.1-8B-Instruct")
    for username in ("olivia", "lena", "max", "dev", "audrey", "admin"):
        client = signed_in(username)
        for path in (*PAGES, "/approvals/?show=open", f"/approvals/{demo.pk}/", f"/models/{model.pk}/"):
            response = client.get(path)
            assert response.status_code == 200, (username, path)
            assert b'href="/static/web/app.css"' in response.content


def test_the_navigation_offers_only_what_the_role_may_open(demo: ApprovalRequest) -> None:
    auditor = signed_in("audrey").get("/").content.decode()
    developer = signed_in("dev").get("/").content.decode()
    assert 'href="/developer/"' not in auditor
    assert 'href="/developer/"' in developer


def test_the_dashboard_counts_what_waits_and_verifies_the_audit_chain(demo: ApprovalRequest) -> None:
    page = signed_in("olivia").get("/").content.decode()
    assert "Approvals awaiting sign-off" in page
    assert f"#{demo.pk} CV screening assistant" in page
    assert "<strong>Verified</strong>" in page
    assert "Models by license category" in page
    # The auditor's view of the chain is the same; a developer (no audit.view) sees no ledger.
    assert "Recent audit events" not in signed_in("dev").get("/").content.decode()


def test_the_dashboard_lists_a_license_tag_that_disagrees_with_the_license_text(demo: ApprovalRequest) -> None:
    version = ModelVersion.objects.get(model__hub_id="meta-llama/Llama-3.1-8B-Instruct")
    LicenseAssessment.objects.filter(version=version).update(
        tag_text_mismatch=True, declared_expression="Apache-2.0", detected_license="LicenseRef-Llama-3.1"
    )
    page = signed_in("olivia").get("/").content.decode()
    assert "the card declares <code>Apache-2.0</code> but the LICENSE text reads as" in page


def test_the_request_page_shows_gates_license_classification_evidence_and_signoffs(demo: ApprovalRequest) -> None:
    page = signed_in("olivia").get(f"/approvals/{demo.pk}/").content.decode()
    assert "Annex IV documentation complete" in page  # the gate the final sign-off will run
    assert "Copy of the EU declaration of conformity" in page
    assert "Allowed with obligations" in page
    assert "Llama 3.1 Acceptable Use Policy" in page  # the obligations' clauses
    assert "Art. 6(2); Annex III point 4(a)" in page  # the classification's articles
    assert "Risk management system (Art. 9)" in page
    assert "You can sign as <strong>Compliance officer</strong>" in page


def test_the_requester_is_told_why_they_cannot_sign_and_the_service_refuses_them(demo: ApprovalRequest) -> None:
    client = signed_in("max")
    page = client.get(f"/approvals/{demo.pk}/").content.decode()
    assert "You can't sign this request:</strong> you requested this approval" in page
    response = client.post(f"/approvals/{demo.pk}/decide/", {"action": "sign", "reason": "mine"})
    assert response.status_code == 403
    assert "segregation of duties" in response.content.decode()
    assert not SignOff.objects.filter(request=demo).exists()


def test_signing_needs_a_reason_and_records_it(demo: ApprovalRequest) -> None:
    client = signed_in("olivia")
    before = AuditEvent.objects.count()
    response = client.post(f"/approvals/{demo.pk}/decide/", {"action": "sign", "reason": "   "})
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()
    assert not SignOff.objects.filter(request=demo).exists()
    assert AuditEvent.objects.count() == before

    response = client.post(f"/approvals/{demo.pk}/decide/", {"action": "sign", "reason": "checked"})
    assert response.status_code == 302
    signoff = SignOff.objects.get(request=demo)
    assert (signoff.signer.username, signoff.reason) == ("olivia", "checked")
    assert AuditEvent.objects.filter(action="compliance.approval.signed", reason="checked").exists()


def test_request_changes_and_reject_need_the_decide_capability(demo: ApprovalRequest) -> None:
    refused = signed_in("dev").post(f"/approvals/{demo.pk}/decide/", {"action": "reject", "reason": "no"})
    assert refused.status_code == 403
    demo.refresh_from_db()
    assert demo.state == "submitted"
    sent_back = signed_in("lena").post(
        f"/approvals/{demo.pk}/decide/", {"action": "request_changes", "reason": "attach the FRIA"}
    )
    assert sent_back.status_code == 302
    demo.refresh_from_db()
    assert (demo.state, demo.state_reason) == ("changes_requested", "attach the FRIA")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"action": "approve_anyway", "reason": "x"}, "Select a valid choice"),
        ({"reason": "x"}, "This field is required"),
        ({"action": "sign", "reason": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    demo: ApprovalRequest, data: dict[str, str], problem: str
) -> None:
    response = signed_in("olivia").post(f"/approvals/{demo.pk}/decide/", data)
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not SignOff.objects.filter(request=demo).exists()


def test_decisions_are_post_only_csrf_protected_and_404_for_unknown_requests(demo: ApprovalRequest) -> None:
    client = signed_in("olivia")
    assert client.get(f"/approvals/{demo.pk}/decide/").status_code == 405
    assert client.get("/approvals/999999/").status_code == 404
    assert client.post("/approvals/999999/decide/", {"action": "sign", "reason": "x"}).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(User.objects.get(username="olivia"))
    assert strict.post(f"/approvals/{demo.pk}/decide/", {"action": "sign", "reason": "x"}).status_code == 403
    assert not SignOff.objects.filter(request=demo).exists()


def test_the_queue_puts_requests_the_user_can_sign_first_and_hides_them_from_the_requester(
    demo: ApprovalRequest,
) -> None:
    assert f"#{demo.pk}</strong> CV screening assistant" in signed_in("olivia").get("/approvals/").content.decode()
    mine = signed_in("max").get("/approvals/").content.decode()
    assert "Nothing waits for your sign-off." in mine
    assert (
        f"#{demo.pk}</strong> CV screening assistant" in signed_in("max").get("/approvals/?show=open").content.decode()
    )


def test_the_model_page_shows_lineage_license_approvals_and_audit_trail(demo: ApprovalRequest) -> None:
    distill = Model.objects.get(hub_id="deepseek-ai/DeepSeek-R1-Distill-Llama-8B")
    page = signed_in("audrey").get(f"/models/{distill.pk}/").content.decode()
    assert "meta-llama/Llama-3.1-8B" in page  # its base in the lineage graph
    assert "Distillation" in page
    assert "Declared on the card" in page
    assert "A model was added to the registry" in page
    base = Model.objects.get(hub_id="meta-llama/Llama-3.1-8B")
    base_page = signed_in("audrey").get(f"/models/{base.pk}/").content.decode()
    assert "deepseek-ai/DeepSeek-R1-Distill-Llama-8B" in base_page  # derivatives below
    assert signed_in("audrey").get("/models/999999/").status_code == 404


def test_an_export_is_queued_made_and_downloaded_from_the_model_page(
    demo: ApprovalRequest, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    version = demo.version
    client = signed_in("olivia")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/", {"document": "model_card:md", "version": version.pk})
    assert response.status_code == 302
    assert response["Location"] == f"/models/{version.model_id}/?version={version.pk}#exports-h"
    document = ExportDocument.objects.get(kind="model_card", version=version)
    assert document.status == "done"  # Celery runs eagerly in tests
    progress = client.get(f"/exports/{document.pk}/progress/").json()
    assert progress["status"] == "done"
    assert f"/exports/{document.pk}/download/" in progress["row_html"]
    download = client.get(f"/exports/{document.pk}/download/")
    assert download["X-Content-SHA256"] == document.sha256
    assert client.get("/exports/999999/progress/").status_code == 404


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"document": "annex_iv:docx", "approval": "1"}, "document"),
        ({"document": "model_card:md", "version": "abc"}, "version"),
        ({"document": "model_card:md", "version": "-3"}, "version"),
    ],
)
def test_bad_export_requests_name_the_field_and_store_nothing(
    demo: ApprovalRequest, data: dict[str, str], field: str
) -> None:
    response = signed_in("olivia").post("/exports/", data)
    assert response.status_code == 400
    assert f"{field}:" in response.content.decode()
    assert not ExportDocument.objects.exists()


def test_an_export_the_service_refuses_is_reported_and_not_stored(demo: ApprovalRequest) -> None:
    client = signed_in("olivia")
    response = client.post("/exports/", {"document": "annex_iv:pdf"}, follow=True)
    assert "Cannot generate this document: target: annex_iv is made for an approval request" in (
        response.content.decode()
    )
    assert not ExportDocument.objects.exists()
    assert client.post("/exports/", {"document": "model_card:md", "version": "999999"}).status_code == 404
    anonymous = Client().post("/exports/", {"document": "model_card:md", "version": demo.version_id})
    assert anonymous.status_code == 302


def test_the_dashboard_warns_of_expiring_approvals_and_deployments_near_a_license_user_threshold(
    demo: ApprovalRequest, tmp_path: Path
) -> None:
    served = tiny_model_deploy(
        model_dir=write_tiny_snapshot(tmp_path / "tiny"),
        backend_url=closed_port_url(),
        requester=User.objects.get(username="max"),
        officer=User.objects.get(username="olivia"),
    )
    deployment = served.deployment
    Deployment.objects.filter(pk=deployment.pk).update(
        license_conditions=[{"metric": "monthly_active_users", "limit": 100, "source": "approval conditions"}]
    )
    today = timezone.now().date()
    UsageRollup.objects.create(deployment=deployment, day=today, requests=900, month_distinct_end_users=85)
    ApprovalRequest.objects.filter(pk=deployment.approval_id).update(expires_at=timezone.now() + timedelta(days=12))

    page = signed_in("olivia").get("/").content.decode()
    assert "85 monthly active users, 85 % of the 100 allowed by approval conditions" in page
    assert "approaching the limit" in page
    assert f"#{deployment.approval_id} " in page.split("Expiring within 30 days", 1)[1]
    expiring = signed_in("olivia").get("/approvals/?show=expiring").content.decode()
    assert (timezone.now() + timedelta(days=12)).strftime("%-d %b %Y") in expiring

    UsageRollup.objects.filter(deployment=deployment).update(month_distinct_end_users=101)
    assert "over the limit, calls refused" in signed_in("olivia").get("/").content.decode()


def test_the_model_list_shows_each_models_newest_license_versions_and_approved_uses(
    demo: ApprovalRequest, tmp_path: Path, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    tiny_model_deploy(
        model_dir=write_tiny_snapshot(tmp_path / "tiny"),
        backend_url=closed_port_url(),
        requester=User.objects.get(username="max"),
        officer=User.objects.get(username="olivia"),
    )
    client = signed_in("audrey")
    client.get("/models/")  # warm the session and the license catalog
    with django_assert_max_num_queries(8):  # a fixed number, not one per model
        page = client.get("/models/").content.decode()
    row = page.split("modelgate/tiny-llama</strong>", 1)[1].split("</tr>", 1)[0]
    assert "Apache-2.0" in row
    assert '<td class="num">1</td>\n      <td class="num">1</td>' in row  # one version, one approved use
    llama = page.split("meta-llama/Llama-3.1-8B-Instruct</strong>", 1)[1].split("</tr>", 1)[0]
    assert "LicenseRef-Llama-3.1" in llama
    assert '<td class="num">1</td>\n      <td class="num">0</td>' in llama  # the CV request is not approved yet


def test_checking_who_may_sign_reads_nothing_more_for_a_listed_request(
    demo: ApprovalRequest, django_assert_num_queries: Callable[..., Any]
) -> None:
    """The queue asks it for every open request: the list's prefetched sign-offs and the user's roles suffice."""
    listed = approval_list().get(pk=demo.pk)
    officer, requester = User.objects.get(username="olivia"), User.objects.get(username="max")
    user_roles(officer)
    with django_assert_num_queries(0):
        assert signoff_check(listed, officer).role == "compliance_officer"
        assert signoff_check(listed, requester).problem == "the requester cannot sign"
