"""Usage rollups with their license-condition notices, inference-record retention, and the settings that bound them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from core.models import AuditEvent, OutboxMessage
from serving import events
from serving.models import InferenceRecord, InferenceStatus, ServingKey, UsageRollup
from serving.services import inference_records_purge, inference_records_write, usage_rollup_refresh
from tests.gateway.support import Served, make_record

pytestmark = pytest.mark.django_db

DAY = date(2025, 3, 15)
ROOT = Path(__file__).resolve().parents[2]


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def two_keys(served: Served) -> tuple[ServingKey, ServingKey]:
    served.key()
    served.key(served.requester)
    first, second = ServingKey.objects.order_by("pk")
    return first, second


def test_a_day_is_counted_by_outcome_tokens_and_distinct_end_users(served: Served) -> None:
    key, _ = two_keys(served)
    d = served.deployment
    inference_records_write(
        [
            make_record(d, key=key, end_user="alice", created_at=at(DAY, 0), prompt_tokens=10, completion_tokens=5),
            make_record(d, key=key, end_user="alice", created_at=at(DAY, 9), prompt_tokens=20, completion_tokens=7),
            make_record(d, key=key, end_user="bob", created_at=at(DAY, 23), prompt_tokens=1, completion_tokens=1),
            make_record(d, key=key, end_user="mallory", status=InferenceStatus.BLOCKED_INPUT, created_at=at(DAY)),
            make_record(d, key=key, end_user="carol", status=InferenceStatus.UPSTREAM_ERROR, created_at=at(DAY)),
            make_record(d, key=key, end_user="dave", status=InferenceStatus.RATE_LIMITED, created_at=at(DAY)),
            make_record(d, key=key, end_user="erin", created_at=at(DAY + timedelta(days=1), 0)),  # the next day
        ]
    )

    [rollup] = usage_rollup_refresh(day=DAY)

    assert (rollup.deployment, rollup.day) == (d, DAY)
    assert (rollup.requests, rollup.allowed, rollup.blocked, rollup.failed) == (6, 3, 1, 2)
    assert (rollup.prompt_tokens, rollup.completion_tokens) == (31, 13)
    # Only allowed calls make someone a user of the model.
    assert (rollup.distinct_end_users, rollup.month_distinct_end_users) == (2, 2)


def test_recomputing_a_day_updates_its_rollup_in_place(served: Served) -> None:
    key, _ = two_keys(served)
    d = served.deployment
    inference_records_write([make_record(d, key=key, end_user="alice", created_at=at(DAY))])
    usage_rollup_refresh(day=DAY)
    inference_records_write([make_record(d, key=key, end_user="bob", created_at=at(DAY, 13))])

    usage_rollup_refresh(day=DAY)

    rollup = UsageRollup.objects.get()
    assert (rollup.requests, rollup.distinct_end_users) == (2, 2)


def test_without_a_user_field_each_key_counts_as_one_end_user(served: Served) -> None:
    first, second = two_keys(served)
    d = served.deployment
    inference_records_write(
        [
            make_record(d, key=first, created_at=at(DAY, 1)),
            make_record(d, key=first, created_at=at(DAY, 2)),
            make_record(d, key=second, created_at=at(DAY, 3)),
            make_record(d, key=first, end_user="alice", created_at=at(DAY, 4)),
        ]
    )

    [rollup] = usage_rollup_refresh(day=DAY)

    assert rollup.distinct_end_users == 3  # key 1, key 2 and alice


def test_month_to_date_counts_distinct_users_from_the_first_of_the_month(served: Served) -> None:
    key, _ = two_keys(served)
    d = served.deployment
    inference_records_write(
        [
            make_record(d, key=key, end_user="erin", created_at=at(date(2025, 2, 28), 23)),  # last month
            make_record(d, key=key, end_user="carol", created_at=at(date(2025, 3, 1), 0)),
            make_record(d, key=key, end_user="dave", created_at=at(date(2025, 3, 14))),
            make_record(d, key=key, end_user="alice", created_at=at(DAY)),
            make_record(d, key=key, end_user="carol", created_at=at(DAY)),
            make_record(d, key=key, end_user="frank", created_at=at(date(2025, 3, 16))),  # after the day
        ]
    )

    [rollup] = usage_rollup_refresh(day=DAY)

    assert rollup.distinct_end_users == 2  # alice, carol
    assert rollup.month_distinct_end_users == 3  # carol, dave, alice


def _users(served: Served, key: ServingKey, names: list[str], day: date) -> None:
    inference_records_write(
        [make_record(served.deployment, key=key, end_user=name, created_at=at(day)) for name in names]
    )


def test_crossing_80_and_100_percent_of_a_license_condition_notifies_the_owners_once_each(
    deploy: Callable[..., Served],
) -> None:
    condition = {"metric": "monthly_active_users", "limit": 5, "source": "contract §4"}
    served = deploy(license_conditions=[condition])
    key, _ = two_keys(served)
    rolled_up = events.USAGE_ROLLED_UP.name

    _users(served, key, ["u1", "u2", "u3"], DAY)
    usage_rollup_refresh(day=DAY)
    assert not AuditEvent.objects.filter(action=rolled_up).exists()  # 3 of 5 is below 80 %
    assert not OutboxMessage.objects.filter(topic__startswith="serving.").exists()

    _users(served, key, ["u4"], DAY)
    usage_rollup_refresh(day=DAY)
    usage_rollup_refresh(day=DAY)  # the same level again: told already
    _users(served, key, ["u5"], DAY)
    usage_rollup_refresh(day=DAY)  # 5 of the 5 allowed: still the warning level, told already
    _users(served, key, ["u6"], DAY)
    usage_rollup_refresh(day=DAY)
    usage_rollup_refresh(day=DAY)

    told = list(AuditEvent.objects.filter(action=rolled_up).order_by("sequence"))
    assert [(e.after["level"], e.after["month_to_date"]) for e in told] == [("warning", 4), ("exceeded", 6)]
    assert told[1].after == {
        "deployment": "tiny-llama",
        "metric": "monthly_active_users",
        "limit": 5,
        "month_to_date": 6,
        "source": "contract §4",
        "level": "exceeded",
        "marker": "monthly_active_users:contract §4:2025-03:exceeded",
    }
    assert {(e.actor, e.target_type, e.target_id) for e in told} == {
        (None, "serving.deployment", str(served.deployment.pk))
    }
    messages = list(OutboxMessage.objects.filter(topic__startswith="serving.").order_by("created_at", "pk"))
    assert [m.topic for m in messages] == ["serving.license_condition.warning", "serving.license_condition.exceeded"]
    assert all(m.recipients_email == ["rita@example.com"] for m in messages)

    # A new month starts counting, and telling, afresh.
    april = date(2025, 4, 2)
    _users(served, key, ["u1", "u2", "u3", "u4", "u5", "u6"], april)
    usage_rollup_refresh(day=april)
    assert AuditEvent.objects.filter(action=rolled_up).count() == 3
    assert AuditEvent.objects.filter(action=rolled_up).order_by("-sequence").first().after["marker"] == (
        "monthly_active_users:contract §4:2025-04:exceeded"
    )


def test_purging_clears_expired_content_and_deletes_records_past_retention(served: Served, settings: object) -> None:
    settings.MODELGATE_INFERENCE_RETENTION_DAYS = 200  # type: ignore[attr-defined]
    now = timezone.now()
    key, _ = two_keys(served)
    d = served.deployment
    content = {"prompt_text": '[{"role":"user","content":"hi"}]', "completion_text": "hello", "prompt_sha256": "a" * 64}
    inference_records_write(
        [
            make_record(d, key=key, request_id="too-old", created_at=now - timedelta(days=200, seconds=1)),
            make_record(d, key=key, request_id="just-kept", created_at=now - timedelta(days=200)),
            make_record(
                d, key=key, request_id="content-expired", content_expires_at=now - timedelta(hours=1), **content
            ),
            make_record(d, key=key, request_id="content-kept", content_expires_at=now + timedelta(days=1), **content),
        ]
    )

    result = inference_records_purge(now=now)

    assert result == {"content_cleared": 1, "records_deleted": 1}
    rows = {r.request_id: r for r in InferenceRecord.objects.all()}
    assert set(rows) == {"just-kept", "content-expired", "content-kept"}
    expired = rows["content-expired"]
    assert (expired.prompt_text, expired.completion_text, expired.content_expires_at) == (None, None, None)
    assert expired.prompt_sha256 == "a" * 64  # the evidence stays
    assert (rows["content-kept"].prompt_text, rows["content-kept"].completion_text) == (content["prompt_text"], "hello")
    [event] = AuditEvent.objects.filter(action=events.INFERENCE_RECORDS_PURGED.name)
    assert (event.target_type, event.target_id, event.actor) == ("serving.inferencerecord", "*", None)
    assert event.after["content_cleared"] == 1
    assert event.after["records_deleted"] == 1
    assert event.after["older_than"].startswith((now - timedelta(days=200)).date().isoformat())

    assert inference_records_purge(now=now) == {"content_cleared": 0, "records_deleted": 0}
    assert AuditEvent.objects.filter(action=events.INFERENCE_RECORDS_PURGED.name).count() == 1


# --- settings ------------------------------------------------------------------------------


def _load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import the settings module in a fresh interpreter with ``env`` (nothing else is set up)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MODELGATE_") and k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import modelgate.settings as s; "
        "print(s.MODELGATE_INFERENCE_RETENTION_DAYS, s.MODELGATE_GATEWAY_ADMISSION_TTL_MS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_retention_below_six_months_is_refused_at_start(tmp_path: Path) -> None:
    result = _load_settings({"MODELGATE_DATA_DIR": str(tmp_path), "MODELGATE_INFERENCE_RETENTION_DAYS": "183"})

    assert result.returncode != 0
    assert "MODELGATE_INFERENCE_RETENTION_DAYS=183 must be at least 184" in result.stderr


def test_an_admission_ttl_above_one_second_is_refused_at_start(tmp_path: Path) -> None:
    result = _load_settings({"MODELGATE_DATA_DIR": str(tmp_path), "MODELGATE_GATEWAY_ADMISSION_TTL_MS": "1001"})

    assert result.returncode != 0
    assert "MODELGATE_GATEWAY_ADMISSION_TTL_MS must be at most 1000" in result.stderr


def test_the_limits_themselves_are_accepted(tmp_path: Path) -> None:
    result = _load_settings(
        {
            "MODELGATE_DATA_DIR": str(tmp_path),
            "MODELGATE_INFERENCE_RETENTION_DAYS": "184",
            "MODELGATE_GATEWAY_ADMISSION_TTL_MS": "1000",
        }
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["184", "1000"]
