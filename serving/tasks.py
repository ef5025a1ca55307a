"""Periodic serving work (Celery beat): thin wrappers over the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from celery import shared_task

from core.context import audit_context
from serving.services import inference_records_purge, usage_rollup_refresh


@shared_task
def usage_rollup_task() -> int:
    """Recompute today's usage (and yesterday's, which late records may still change)."""
    today = datetime.now(UTC).date()
    with audit_context(request_id="usage-rollup"):
        usage_rollup_refresh(day=today - timedelta(days=1))
        return len(usage_rollup_refresh(day=today))


@shared_task
def inference_retention_task() -> dict[str, int]:
    with audit_context(request_id="inference-retention"):
        return inference_records_purge()
