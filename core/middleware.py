from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.context import audit_context


def client_ip_of(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the hop our trusted proxies saw when we run behind them."""
    candidate = request.META.get("REMOTE_ADDR", "")
    hops = settings.MODELGATE_TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
    try:
        return ipaddress.ip_address(candidate).compressed
    except ValueError:
        return ""


class AuditContextMiddleware:
    """Tags the request with a request id (echoed as X-Request-ID) for the audit events it causes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_context(request_id=request.headers.get("X-Request-ID"), client_ip=client_ip_of(request)) as context:
            request.request_id = context.request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
        response["X-Request-ID"] = context.request_id
        return response
