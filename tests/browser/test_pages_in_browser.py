"""A developer's key shown once, the questionnaire's live tier, exports with progress, and every page
on a desktop and a phone screen: no request leaves the site, no console error, keyboard first."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from compliance.exports.services import export_generate, export_request
from compliance.models import ApprovalRequest, ExportDocument, UseCase
from registry.models import Model
from serving.models import ServingKey
from serving.services import serving_key_hash
from tests.browser.conftest import PHONE, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_developer_creates_a_key_and_sees_it_exactly_once(demo: str, visit: Callable[..., Visit]) -> None:
    tab = visit()
    tab.sign_in("dev", demo)
    page = tab.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Developer").click()
    expect(page.get_by_role("heading", name="Developer", exact=True)).to_be_visible()
    tab.shoot("developer")

    page.get_by_label("Name", exact=True).fill("notebook")
    page.get_by_role("group", name="Deployments the key may call").get_by_label(re.compile("tiny-llama")).check()
    page.get_by_label("Expires in (days)").fill("30")
    page.get_by_role("button", name="Create key").click()

    expect(page.get_by_role("heading", name="Your new key: notebook")).to_be_visible()
    shown = page.locator("#new-key").inner_text().strip()
    assert shown.startswith("mg_")
    key = ServingKey.objects.get(name="notebook")
    assert key.key_hash == serving_key_hash(shown)
    assert key.user.username == "dev"
    assert key.expires_at is not None
    tab.shoot("key-created")

    # Back on the developer page, and after a reload, the key is listed by its prefix only.
    tab.open("/developer/")
    expect(page.get_by_role("cell", name="notebook", exact=True)).to_be_visible()
    assert shown not in page.content()
    page.reload()
    assert shown not in page.content()
    # Going back in history does not bring the page with the key back from a cache (no-store).
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        page.go_back()
    assert tab.console_errors == []
    assert tab.foreign_requests == []


def test_the_questionnaire_shows_the_tier_live_and_saves_with_a_reason(demo: str, visit: Callable[..., Visit]) -> None:
    use_case = UseCase.objects.exclude(name="CV screening assistant").order_by("pk").first()
    assert use_case is not None
    before = dict(use_case.classification_answers)
    tab = visit()
    tab.sign_in("olivia", demo)
    page = tab.page
    tab.open("/use-cases/")
    tab.shoot("use-cases")
    page.get_by_role("link", name=use_case.name).click()
    result = page.locator("#questionnaire-result")
    expect(result).not_to_contain_text("High risk")

    page.locator("input[name=annex_iii][value='4a']").check()
    expect(result).to_contain_text("High risk")  # updated by the preview, not saved
    expect(result).to_contain_text("Annex III point 4(a)")
    use_case.refresh_from_db()
    assert use_case.classification_answers == before
    tab.shoot("questionnaire-live")

    page.get_by_label("Why are you changing the answers?").fill("The assistant will also pre-rank applicants.")
    page.get_by_role("button", name="Save answers").click()
    expect(page.get_by_role("status")).to_contain_text("High risk")
    use_case.refresh_from_db()
    assert "4a" in use_case.classification_answers["annex_iii"]
    assert tab.console_errors == []


def test_documents_are_generated_from_the_request_page_with_progress_then_downloaded(
    demo: str, visit: Callable[..., Visit]
) -> None:
    approval = ApprovalRequest.objects.get(use_case__name="CV screening assistant")
    tab = visit()
    tab.sign_in("olivia", demo)
    page = tab.page
    tab.open(f"/approvals/{approval.pk}/")
    page.get_by_label("Document to generate").select_option(label="Art. 50 transparency notice · Markdown")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("status")).to_contain_text("Generating")
    document = ExportDocument.objects.get(approval=approval)
    row = page.locator(f"#export-{document.pk}")
    expect(row.get_by_role("link", name="Download")).to_be_visible()
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == document.filename
    tab.shoot("exports")


def test_a_document_being_made_shows_its_progress_and_turns_into_a_download_link(
    demo: str, visit: Callable[..., Visit]
) -> None:
    """The page polls a queued document's progress and swaps in the finished row, without a reload."""
    approval = ApprovalRequest.objects.get(use_case__name="CV screening assistant")
    queued = export_request(actor=None, kind="annex_iv", format="md", approval=approval)  # not made yet
    tab = visit()
    tab.sign_in("olivia", demo)
    page = tab.open(f"/approvals/{approval.pk}/")
    row = page.locator(f"#export-{queued.pk}")
    expect(row.get_by_role("progressbar")).to_be_visible()
    tab.shoot("export-queued")
    export_generate(queued)  # what the Celery worker does
    expect(page.locator(f"#export-{queued.pk}").get_by_role("link", name="Download")).to_be_visible(timeout=10_000)
    assert tab.console_errors == []


PAGES = [
    ("dashboard", "/"),
    ("approval-queue", "/approvals/"),
    ("approval-queue-open", "/approvals/?show=open"),
    ("approval-queue-decided", "/approvals/?show=decided"),
    ("approval-request", "/approvals/{approval}/"),
    ("approval-approved", "/approvals/{approved}/"),
    ("models", "/models/"),
    ("model", "/models/{model}/"),
    ("model-distilled", "/models/{distilled}/"),
    ("use-cases", "/use-cases/"),
    ("questionnaire", "/use-cases/{use_case}/questionnaire/"),
    ("developer", "/developer/"),
]


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_every_page_on_desktop_and_phone_uses_only_local_assets_and_has_no_errors(
    demo: str, traffic: None, visit: Callable[..., Visit], screen: str
) -> None:
    ids = {
        "approval": ApprovalRequest.objects.get(use_case__name="CV screening assistant").pk,
        "approved": ApprovalRequest.objects.filter(state="approved").first().pk,  # type: ignore[union-attr]
        "model": Model.objects.get(hub_id="meta-llama/Llama-3.1-8B-Instruct").pk,
        "distilled": Model.objects.get(hub_id="deepseek-ai/DeepSeek-R1-Distill-Llama-8B").pk,
        "use_case": UseCase.objects.get(name="CV screening assistant").pk,
    }
    tab = visit(PHONE if screen == "phone" else None)
    tab.open("/login/")
    tab.shoot(f"{screen}-sign-in")
    tab.sign_in("olivia", demo)
    for name, path in PAGES:
        page = tab.open(path.format(**ids))
        expect(page.locator("h1")).to_be_visible()
        # Nothing wider than the screen: the page never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
        tab.shoot(f"{screen}-{name}")
    if screen == "phone":
        menu = tab.page.get_by_role("button", name="Menu")
        expect(menu).to_have_attribute("aria-expanded", "false")
        menu.click()
        expect(tab.page.get_by_role("navigation", name="Main").get_by_role("link", name="Models")).to_be_visible()
        tab.shoot("phone-menu-open")
    assert tab.console_errors == []
    assert tab.foreign_requests == []


def test_the_keyboard_reaches_the_skip_link_first_and_every_form_control_has_a_label(
    demo: str, visit: Callable[..., Visit]
) -> None:
    tab = visit()
    tab.sign_in("olivia", demo)
    approval = ApprovalRequest.objects.get(use_case__name="CV screening assistant")
    for path in ("/", f"/approvals/{approval.pk}/", "/developer/", f"/use-cases/{approval.use_case_id}/questionnaire/"):
        page = tab.open(path)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                              && !el.getAttribute('aria-labelledby') && !(el.textContent || '').trim())
                 .map(el => el.outerHTML.slice(0, 120))"""
        )
        assert unlabelled == [], (path, unlabelled)
