"""Who is acting and from where, for the audit events a unit of work writes.

The request middleware and Celery tasks set this; services read it when they
record an event, so request plumbing does not leak into every service signature.
The actor is always passed to services explicitly.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class AuditContext:
    request_id: str = ""
    client_ip: str = ""


# AuditContext is a frozen dataclass, so sharing one default instance is safe.
_current: ContextVar[AuditContext] = ContextVar("modelgate_audit_context", default=AuditContext())  # noqa: B039


def current_audit_context() -> AuditContext:
    return _current.get()


def clean_request_id(candidate: str | None) -> str:
    """Keep a caller's request id if it is a sane token, else mint one."""
    if candidate and _REQUEST_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


@contextmanager
def audit_context(*, request_id: str | None = None, client_ip: str = "") -> Iterator[AuditContext]:
    context = AuditContext(request_id=clean_request_id(request_id), client_ip=client_ip)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
