"""Shared fixtures: users in each role, API clients, database-specific markers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import Group, User
from django.db import connection, connections
from rest_framework.test import APIClient

from core.roles import Role
from modelgate.celery import app as celery_app

REQUIRE_POSTGRES = os.environ.get("MODELGATE_REQUIRE_POSTGRES") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    vendor = connection.vendor
    broker = os.environ.get("CELERY_BROKER_URL", "")
    for item in items:
        if item.get_closest_marker("postgres") and vendor != "postgresql":
            if REQUIRE_POSTGRES:
                raise pytest.UsageError("MODELGATE_REQUIRE_POSTGRES=1 but the database is not PostgreSQL")
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"))
        if item.get_closest_marker("redis") and not broker.startswith("redis"):
            if REQUIRE_POSTGRES:
                raise pytest.UsageError("CI must run with CELERY_BROKER_URL=redis://...")
            item.add_marker(pytest.mark.skip(reason="needs Redis: set CELERY_BROKER_URL=redis://... (CI does)"))


@pytest.fixture(autouse=True)
def _fast_and_eager(settings: object) -> None:
    """Fast password hashing; Celery tasks run in-process unless a test starts a real worker."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_store_eager_result = True


@pytest.fixture
def worker() -> Iterator[None]:
    """A Celery worker thread consuming from the Redis broker in CELERY_BROKER_URL (tests marked redis)."""
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        yield
    celery_app.conf.task_always_eager = True
    connections.close_all()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(*roles: Role, username: str | None = None, **extra: object) -> User:
        name = username or f"{'-'.join(r.value for r in roles) or 'norole'}-{next(counter)}"
        user = User.objects.create_user(username=name, password="correct horse battery staple", **extra)  # type: ignore[arg-type]
        if roles:
            user.groups.add(*Group.objects.filter(name__in=[role.value for role in roles]))
        return user

    return make


@pytest.fixture
def client_for(make_user: Callable[..., User]) -> Callable[..., APIClient]:
    """An API client authenticated as a new user with the given roles (force-authenticated)."""

    def make(*roles: Role) -> APIClient:
        client = APIClient()
        client.force_authenticate(make_user(*roles))
        return client

    return make


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.COMPLIANCE_OFFICER, username="olivia")
