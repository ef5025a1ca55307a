"""Browser tests: Playwright drives Debian's chromium (headless) against Django's live server.

Playwright's own browser download does not work here, so the tests launch the system
chromium through ``executable_path`` (``./run test`` installs it; ``MODELGATE_CHROMIUM``
points elsewhere). Every page a test visits is saved as a screenshot under
``artifacts/screenshots/`` (``MODELGATE_ARTIFACTS_DIR`` moves it), for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

from serving.models import Deployment, InferenceRecord, InferenceStatus, ServingKey
from serving.services import inference_records_write, usage_rollup_refresh

ROOT = Path(__file__).resolve().parents[2]
TINY_MODEL = ROOT / ".data" / "tiny-llama"
ARTIFACTS = Path(os.environ.get("MODELGATE_ARTIFACTS_DIR", ROOT / "artifacts")) / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str:
    candidate = os.environ.get("MODELGATE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(candidate).exists():
        pytest.fail(
            f"no chromium at {candidate}: ./run test installs Debian's chromium (apt-get install chromium), "
            "or set MODELGATE_CHROMIUM to a Chromium binary",
            pytrace=False,
        )
    return candidate


@pytest.fixture(scope="session")
def _screenshots_dir() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # this run's screenshots only
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def browser(_screenshots_dir: Path) -> Iterator[Browser]:
    """Chromium for one test module; the tests after it run without Playwright's event loop."""
    saved = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # Playwright's sync API keeps an event loop in this thread; the test bodies still use the ORM.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # That loop gives this thread a new asgiref context, in which Django's `connections` hands out
            # new connection objects. The snapshot serialized_rollback restores the database from (roles
            # and other migration data) lives on the old ones: carry it over.
            for alias, contents in saved.items():
                if contents is not None and not hasattr(connections[alias], "_test_serialized_contents"):
                    connections[alias]._test_serialized_contents = contents  # type: ignore[attr-defined]
            launched = playwright.chromium.launch(
                executable_path=chromium_path(), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            yield launched
            launched.close()
    finally:
        if async_unsafe is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = async_unsafe


@dataclass
class Visit:
    """One signed-in browser tab, watching for console errors and for requests that leave the site."""

    page: Page
    base_url: str
    test_name: str
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)

    def open(self, path: str) -> Page:
        response = self.page.goto(self.base_url + path)
        assert response is not None, path
        assert response.status < 400, f"{path}: HTTP {response.status}"
        return self.page

    def shoot(self, name: str) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.test_name}-{name}".lower()).strip("-")
        path = ARTIFACTS / f"{slug}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        return path

    def sign_in(self, username: str, password: str) -> None:
        self.open("/login/")
        self.page.get_by_label("User name").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r".*/(?!login).*"))


@pytest.fixture
def demo(settings: object, tmp_path: Path) -> str:
    """The data `./run demo` loads (users, models, the high-risk CV-screening request, the tiny deployment);
    returns the demo users' password."""
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    call_command("demo_setup", "--tiny-model-dir", str(TINY_MODEL), stdout=StringIO())
    return (tmp_path / "demo-password.txt").read_text(encoding="utf-8").strip()


@pytest.fixture
def traffic(demo: str) -> None:
    """A week of recorded gateway calls on the demo deployment, some blocked by guardrails (for the charts)."""
    deployment = Deployment.objects.select_related("approval").get(name="tiny-llama")
    developer = User.objects.get(username="dev")
    key = ServingKey.objects.filter(user=developer).first()
    now = timezone.now()
    records = []
    for day in range(7):
        for index in range(3 + day):
            blocked = index % 3 == 0
            records.append(
                InferenceRecord(
                    request_id=f"seed-{day}-{index}",
                    user=developer,
                    key=key,
                    created_at=now - timedelta(days=day, minutes=index),
                    endpoint="chat.completions",
                    deployment=deployment,
                    model_version=deployment.version,
                    approval=deployment.approval,
                    requested_model=deployment.name,
                    status=InferenceStatus.BLOCKED_INPUT if blocked else InferenceStatus.OK,
                    http_status=400 if blocked else 200,
                    prompt_tokens=12,
                    completion_tokens=0 if blocked else 16,
                    guardrail_outcomes=[
                        {
                            "validator": "secrets" if day % 2 else "personal_data",
                            "on": "input",
                            "outcome": "blocked" if blocked else "pass",
                            "on_fail": "exception",
                        }
                    ],
                )
            )
    inference_records_write(records)
    for day in range(7):
        usage_rollup_refresh(day=(now - timedelta(days=day)).date())


@pytest.fixture
def visit(browser: Browser, live_server: object, request: pytest.FixtureRequest) -> Iterator[Callable[..., Visit]]:
    contexts = []

    def make(viewport: dict[str, int] | None = None) -> Visit:
        context = browser.new_context(viewport=viewport or DESKTOP)  # type: ignore[arg-type]
        contexts.append(context)
        page = context.new_page()
        base = str(live_server.url)  # type: ignore[attr-defined]
        current = Visit(page, base, request.node.originalname.removeprefix("test_")[:48])

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                current.console_errors.append(message.text)

        def on_request(outgoing: Request) -> None:
            if not outgoing.url.startswith((base, "data:", "blob:")):
                current.foreign_requests.append(outgoing.url)

        page.on("console", on_console)
        page.on("request", on_request)
        return current

    yield make
    for context in contexts:
        context.close()
