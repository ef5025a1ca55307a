"""An officer reviews and signs a request; its requester tries to approve it and is refused."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from compliance.models import ApprovalRequest, SignOff
from tests.browser.conftest import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _cv_screening() -> ApprovalRequest:
    return ApprovalRequest.objects.get(use_case__name="CV screening assistant")


def test_a_compliance_officer_signs_in_reviews_a_request_and_signs_it(
    demo: str, traffic: None, visit: Callable[..., Visit]
) -> None:
    approval = _cv_screening()
    tab = visit()
    tab.sign_in("olivia", demo)
    page = tab.page
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Approvals awaiting sign-off")).to_be_visible()
    tab.shoot("dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    expect(page.get_by_role("link", name=re.compile("Needs my sign-off"))).to_have_attribute("aria-current", "page")
    tab.shoot("approval-queue")
    page.get_by_role("link", name=re.compile(r"#\d+ CV screening assistant")).click()

    # The review: gates, license verdict with clauses, classification with articles, evidence.
    expect(page.get_by_role("heading", name="Machine gates")).to_be_visible()
    expect(page.get_by_text("Annex IV documentation complete")).to_be_visible()
    expect(page.get_by_text("Allowed with obligations").first).to_be_visible()
    expect(page.get_by_text("Art. 6(2); Annex III point 4(a)").first).to_be_visible()
    expect(page.get_by_text("You can sign as Compliance officer")).to_be_visible()
    tab.shoot("approval-request")

    # A decision without a reason is refused by the form, and nothing is signed.
    page.get_by_role("button", name="Sign off").click()
    assert not SignOff.objects.filter(request=approval).exists()

    page.get_by_label("Reason").fill("License obligations and the high-risk evidence checked.")
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("Signed.", exact=True)).to_be_visible()
    expect(page.get_by_text("olivia,")).to_be_visible()
    tab.shoot("approval-signed")

    signoff = SignOff.objects.get(request=approval)
    assert (signoff.signer.username, signoff.role) == ("olivia", "compliance_officer")
    assert signoff.reason == "License obligations and the high-risk evidence checked."
    approval.refresh_from_db()
    assert approval.state == "in_review"
    assert tab.console_errors == []
    assert tab.foreign_requests == []


def test_the_requester_sees_why_they_cannot_sign_and_is_refused_when_they_try(
    demo: str, visit: Callable[..., Visit]
) -> None:
    approval = _cv_screening()
    assert approval.requested_by.username == "max"
    tab = visit()
    tab.sign_in("max", demo)
    page = tab.page
    tab.open(f"/approvals/{approval.pk}/")
    notice = page.get_by_test_id("sod-notice")
    expect(notice).to_contain_text("you requested this approval, so you cannot sign it (segregation of duties)")
    # An ML engineer may request approvals but not decide them: no reject or request-changes buttons.
    expect(page.get_by_role("button", name="Reject")).to_have_count(0)
    tab.shoot("requester-view")

    page.get_by_label("Reason").fill("Looks fine to me.")
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_role("alert")).to_contain_text("You requested this approval, so you cannot sign it")
    tab.shoot("requester-refused")

    assert not SignOff.objects.filter(request=approval).exists()
    approval.refresh_from_db()
    assert approval.state == "submitted"
