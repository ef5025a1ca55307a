"""Sending due deliveries: claim one row, send it outside any transaction, record the result on the row.

A claim is a short transaction that locks a due row (``SKIP LOCKED`` on PostgreSQL; on
SQLite every write transaction already holds the database lock) and sets ``claimed_until``;
no other worker sees the row as due until the result is recorded or the claim expires (a
worker that died). So two workers never send the same delivery at once, no row lock or
transaction is held during network I/O, and a crash means one more attempt later: delivery
is at least once, and receivers drop duplicates by the message id.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from typing import IO, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import Delivery, DeliveryChannel, DeliveryState, OutboxMessage, WebhookEndpoint, format_timestamp
from core.notifications import signing

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
USER_AGENT = "Modelgate-Webhooks/1"
_ERROR_LIMIT = 2000
_RESPONSE_EXCERPT_BYTES = 300


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    status: int | None = None
    error: str = ""


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 30 s, 60 s, 120 s, ... at most one hour."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS))


def webhook_body(message: OutboxMessage) -> bytes:
    """The POST body: the same bytes on every attempt, so the signature and the id are stable."""
    document = {
        "id": message.idempotency_key,
        "topic": message.topic,
        "payload": message.payload,
        "created_at": format_timestamp(message.created_at),
    }
    return json.dumps(
        document, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode("utf-8")


def webhook_headers(*, delivery: Delivery, endpoint: WebhookEndpoint, body: bytes, now: datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.SIGNATURE_HEADER: signing.sign(endpoint.secret, body),
        signing.TIMESTAMP_HEADER: str(int(now.timestamp())),
        signing.DELIVERY_HEADER: str(delivery.pk),
        signing.IDEMPOTENCY_HEADER: delivery.message.idempotency_key,
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: following it would turn the POST into a GET elsewhere."""

    def redirect_request(  # noqa: PLR0917 (urllib's signature)
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_webhook(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> AttemptResult:
    """POST ``body``; any 2xx answer is a delivery, anything else (including a redirect) a failure."""
    if urlsplit(url).scheme not in {"http", "https"}:
        return AttemptResult(ok=False, error="refused: a webhook URL must be http:// or https://")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (scheme checked above)
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(_RESPONSE_EXCERPT_BYTES)
            return AttemptResult(ok=True, status=response.status)
    except urllib.error.HTTPError as exc:
        return AttemptResult(ok=False, status=exc.code, error=f"HTTP {exc.code} {exc.reason}{_excerpt(exc)}")
    except urllib.error.URLError as exc:
        reason = exc.reason
        kind = type(reason).__name__ if isinstance(reason, BaseException) else "URLError"
        return AttemptResult(ok=False, error=f"{kind}: {reason}")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return AttemptResult(ok=False, error=f"{type(exc).__name__}: {exc}")


def _excerpt(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(_RESPONSE_EXCERPT_BYTES).decode("utf-8", errors="replace").strip()
    except (OSError, http.client.HTTPException):
        return ""
    return f": {text}" if text else ""


def email_content(message: OutboxMessage) -> tuple[str, str]:
    """Subject and plain-text body. A string ``summary`` in the payload becomes the subject."""
    summary = message.payload.get("summary") if isinstance(message.payload, dict) else None
    headline = " ".join(summary.split())[:150] if isinstance(summary, str) and summary.strip() else message.topic
    details = json.dumps(message.payload, ensure_ascii=False, indent=2, sort_keys=True)
    text = (
        f"{headline}\n\n"
        f"Topic: {message.topic}\n"
        f"Message id: {message.idempotency_key}\n"
        f"Created: {format_timestamp(message.created_at)}\n\n"
        f"{details}\n"
    )
    return f"[Modelgate] {headline}", text


def send_email(message: OutboxMessage, recipient: str) -> AttemptResult:
    subject, text = email_content(message)
    try:
        sent = send_mail(subject, text, None, [recipient], fail_silently=False)
    except Exception as exc:  # SMTP, DNS, TLS, refused recipients: each is a failed attempt to retry
        return AttemptResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    if sent != 1:
        return AttemptResult(ok=False, error="the e-mail backend sent nothing")
    return AttemptResult(ok=True)


def _due(now: datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        Q(state__in=[DeliveryState.PENDING, DeliveryState.FAILED], next_attempt_at__lte=now),
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
        # Deliveries to an inactive endpoint wait until it is active again. A subquery, not a
        # join, so FOR UPDATE applies to the delivery rows alone.
        Q(endpoint__isnull=True) | Q(endpoint_id__in=WebhookEndpoint.objects.filter(active=True).values("pk")),
    )


def _claim(now: datetime, lease: timedelta) -> Delivery | None:
    with transaction.atomic():
        pk = (
            _due(now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return None
        Delivery.objects.filter(pk=pk).update(claimed_until=now + lease)
    return Delivery.objects.select_related("message", "endpoint").get(pk=pk)


def _attempt(delivery: Delivery, now: datetime) -> AttemptResult:
    if delivery.channel == DeliveryChannel.EMAIL:
        return send_email(delivery.message, delivery.recipient)
    endpoint = delivery.endpoint
    if endpoint is None:
        return AttemptResult(ok=False, error="a webhook delivery without an endpoint")
    body = webhook_body(delivery.message)
    headers = webhook_headers(delivery=delivery, endpoint=endpoint, body=body, now=now)
    return post_webhook(endpoint.url, body, headers, timeout=settings.MODELGATE_NOTIFICATION_TIMEOUT_SECONDS)


def _record(delivery: Delivery, result: AttemptResult, now: datetime, max_attempts: int) -> str:
    attempts = delivery.attempts + 1
    changes: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "claimed_until": None,
        "response_status": result.status,
        "last_error": result.error[:_ERROR_LIMIT],
    }
    if delivery.endpoint is not None:
        changes["recipient"] = delivery.endpoint.url
    if result.ok:
        state = DeliveryState.DELIVERED
        changes.update(delivered_at=now, next_attempt_at=None)
    elif attempts >= max_attempts:
        state = DeliveryState.DEAD
        changes.update(next_attempt_at=None)
    else:
        state = DeliveryState.FAILED
        changes.update(next_attempt_at=now + backoff(attempts))
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(state=state, **changes)
    return str(state)


def deliveries_send_due(*, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Send up to ``limit`` deliveries that are pending or failed and due at ``now``; count the outcomes.

    Webhooks are signed JSON POSTs (see ``core.notifications.signing``), e-mails go through
    Django's e-mail backend. A failure waits ``backoff(attempts)`` before the next attempt;
    after ``MODELGATE_NOTIFICATION_MAX_ATTEMPTS`` attempts the delivery is dead. Stops early
    when three quarters of the Celery soft time limit have passed.
    """
    now = now or timezone.now()
    max_attempts: int = settings.MODELGATE_NOTIFICATION_MAX_ATTEMPTS
    timeout: int = settings.MODELGATE_NOTIFICATION_TIMEOUT_SECONDS
    # Longer than any one attempt can take, so a claim expires only when its worker died.
    lease = timedelta(seconds=2 * max(timeout, settings.EMAIL_TIMEOUT or 0) + 60)
    deadline = time.monotonic() + 0.75 * settings.CELERY_TASK_SOFT_TIME_LIMIT
    counts = {str(DeliveryState.DELIVERED): 0, str(DeliveryState.FAILED): 0, str(DeliveryState.DEAD): 0}
    for _ in range(limit):
        if time.monotonic() > deadline:
            break
        delivery = _claim(now, lease)
        if delivery is None:
            break
        try:
            result = _attempt(delivery, now)
        except Exception as exc:  # a bug must not stop the other deliveries; the row records it
            logger.exception("delivery %s failed unexpectedly", delivery.pk)
            result = AttemptResult(ok=False, error=f"internal error: {type(exc).__name__}: {exc}")
        counts[_record(delivery, result, now, max_attempts)] += 1
    if any(counts.values()):
        logger.info("notification deliveries: %s", counts)
    return counts
