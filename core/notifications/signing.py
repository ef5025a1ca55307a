"""Webhook signatures: HMAC-SHA256 of the raw request body with the endpoint's secret.

A receiver checks each request before trusting it::

    from core.notifications.signing import verify_signature

    if not verify_signature(SECRET, request.body, request.headers.get("X-Modelgate-Signature", "")):
        return HttpResponse(status=401)

The signature covers the body only, which is the same bytes on every retry of a message.
Drop duplicates by the body's ``id`` (equal to the ``Idempotency-Key`` header). The
``X-Modelgate-Timestamp`` header (Unix seconds of the attempt) is not signed: it helps
debugging, not authentication. This module needs only the standard library, so a receiver
may copy it.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Modelgate-Signature"
TIMESTAMP_HEADER = "X-Modelgate-Timestamp"
DELIVERY_HEADER = "X-Modelgate-Delivery"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_SCHEME = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The ``X-Modelgate-Signature`` value for ``body``: ``sha256=<hex digest>``."""
    return _SCHEME + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """True if ``header`` is the signature of ``body`` with ``secret``; compares in constant time."""
    if not secret or not isinstance(header, str):
        return False
    return hmac.compare_digest(sign(secret, body).encode("ascii"), header.strip().encode("utf-8"))
