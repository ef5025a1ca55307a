"""Fixtures for the notification tests: a loopback receiver, endpoints, locmem e-mail."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.models import WebhookEndpoint
from tests.notifications.support import LoopbackReceiver

SECRET = "s3cret-shared-with-the-receiver"


@pytest.fixture(autouse=True)
def _mail_and_limits(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "modelgate@example.org"
    settings.MODELGATE_NOTIFICATION_MAX_ATTEMPTS = 8
    settings.MODELGATE_NOTIFICATION_TIMEOUT_SECONDS = 5


@pytest.fixture
def receiver() -> Iterator[LoopbackReceiver]:
    server = LoopbackReceiver()
    yield server
    server.close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture
def make_endpoint(db: None) -> Callable[..., WebhookEndpoint]:
    counter = iter(range(1, 1000))

    def make(
        url: str, *, prefixes: list[str] | None = None, active: bool = True, secret: str = SECRET
    ) -> WebhookEndpoint:
        return WebhookEndpoint.objects.create(
            name=f"endpoint-{next(counter)}", url=url, secret=secret, event_prefixes=prefixes or [], active=active
        )

    return make
