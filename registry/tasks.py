from __future__ import annotations

from typing import Any

from celery import shared_task
from django.contrib.auth import get_user_model

from core.context import audit_context
from core.errors import ApplicationError, UpstreamError
from registry.services import model_version_import


@shared_task(bind=True, max_retries=3)
def import_hf_model_task(
    self: Any,
    *,
    repo_id: str,
    revision: str | None,
    with_base_models: bool,
    actor_id: int | None,
    request_id: str = "",
    client_ip: str = "",
) -> dict[str, Any]:
    """Run ``model_version_import`` from the Hub in a worker; a refused import is a result, not a retry."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id is not None else None
    with audit_context(request_id=request_id or self.request.id, client_ip=client_ip):
        try:
            result = model_version_import(
                actor=actor, repo_id=repo_id, revision=revision, with_base_models=with_base_models
            )
        except ApplicationError as exc:
            # A Hub outage may pass, so a worker retries it with backoff; a gated repo or a bad
            # card will not, and an in-process (eager) run reports at once rather than sleeping.
            retryable = isinstance(exc, UpstreamError) and exc.code != "hub_gated"
            if retryable and not self.request.is_eager and self.request.retries < self.max_retries:
                raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
            return {"version_id": None, "error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}
    return {"version_id": result.version.pk, "created": result.created, "warnings": result.warnings, "error": None}
