"""Settings come from the environment; production refuses to start without what it needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "MODELGATE_ENV", "DEBUG", "ALLOWED_HOSTS"}
    }
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "modelgate.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_no_environment_means_embedded_sqlite_and_eager_celery(tmp_path: Path) -> None:
    result = _load_settings({"MODELGATE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_database_and_broker_urls_switch_to_postgres_and_redis() -> None:
    result = _load_settings(
        {
            "DATABASE_URL": "postgres://u:p@db.example:5432/modelgate",
            "CELERY_BROKER_URL": "redis://broker.example:6379/0",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "False"]


def test_production_without_settings_names_each_missing_one() -> None:
    result = _load_settings({"MODELGATE_ENV": "production"})
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr
    assert "postgres://" in result.stderr


def test_production_lists_every_unsafe_setting_at_once() -> None:
    result = _load_settings(
        {
            "MODELGATE_ENV": "production",
            "DATABASE_URL": "postgres://u:p@db:5432/m",
            "CELERY_BROKER_URL": "redis://r:6379/0",
            "DEBUG": "true",
        }
    )
    assert result.returncode != 0
    for expected in ("SECRET_KEY must be set", "DEBUG must be false", "ALLOWED_HOSTS must list"):
        assert expected in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"DATABASE_URL": "mysql://u:p@h/db"}, "supports postgres:// and sqlite://", id="unsupported-database"
        ),
        pytest.param({"CELERY_BROKER_URL": "amqp://guest@localhost//"}, "must be a redis://", id="unsupported-broker"),
        pytest.param({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean", id="bad-boolean"),
        pytest.param({"MODELGATE_ENV": "staging"}, "use development or production", id="bad-env"),
        pytest.param(
            {"SECRET_KEY_FILE": "/nonexistent/secret"},
            "SECRET_KEY_FILE='/nonexistent/secret' cannot be read",
            id="secret-file",
        ),
    ],
)
def test_bad_settings_fail_at_start_with_a_message(env: dict[str, str], message: str) -> None:
    result = _load_settings(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_complete_settings(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("x" * 64)
    result = _load_settings(
        {
            "MODELGATE_ENV": "production",
            "DATABASE_URL": "postgres://u:p@db:5432/m",
            "CELERY_BROKER_URL": "redis://r:6379/0",
            "SECRET_KEY_FILE": str(secret),
            "ALLOWED_HOSTS": "modelgate.example.com",
        }
    )
    assert result.returncode == 0, result.stderr


def test_production_serves_the_collected_static_files_itself(tmp_path: Path) -> None:
    """The web app's CSS and JS come from the app (WhiteNoise), hashed for caching: no CDN, no extra server."""
    secret = tmp_path / "secret"
    secret.write_text("x" * 64)
    # Collected as the image does it (development settings, MODELGATE_STATIC_MANIFEST=1), served in production.
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env={
            **os.environ,
            "MODELGATE_ENV": "development",
            "MODELGATE_STATIC_MANIFEST": "1",
            "STATIC_ROOT": str(tmp_path / "static"),
            "MODELGATE_DATA_DIR": str(tmp_path / "data"),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert collected.returncode == 0, collected.stderr
    code = (
        "import django; django.setup()\n"
        "from django.templatetags.static import static\n"
        "from django.test import Client\n"
        "hashed = static('web/app.css')\n"
        "response = Client().get(hashed, secure=True)\n"
        "print(hashed, response.status_code, response.headers.get('Cache-Control'))\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "MODELGATE_ENV", "DEBUG", "ALLOWED_HOSTS"}
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "modelgate.settings",
            "MODELGATE_ENV": "production",
            "DATABASE_URL": "postgres://u:p@db:5432/m",
            "CELERY_BROKER_URL": "redis://r:6379/0",
            "SECRET_KEY_FILE": str(secret),
            "ALLOWED_HOSTS": "testserver",
            "STATIC_ROOT": str(tmp_path / "static"),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    url, status, cache = result.stdout.split(maxsplit=2)
    assert url.startswith("/static/web/app.")
    assert url.endswith(".css")
    assert url != "/static/web/app.css"
    assert status == "200"
    assert "max-age=315360000" in cache  # a hashed name never changes, so browsers keep it
