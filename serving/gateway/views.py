"""The gateway's HTTP surface: thin async views over serving.gateway.handler."""

from __future__ import annotations

import hmac
import ipaddress

import orjson
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from serving.gateway.errors import GatewayError
from serving.gateway.handler import gateway
from serving.gateway.metrics import REGISTRY


def _method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    error = GatewayError(405, "method_not_allowed", f"Use {allowed} {request.path}.", status="bad_request")
    response = error.response("")
    response["Allow"] = allowed
    return response


async def chat_completions(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if request.method != "POST":
        return _method_not_allowed(request, "POST")
    return await gateway().inference(request, "chat.completions")


async def completions(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if request.method != "POST":
        return _method_not_allowed(request, "POST")
    return await gateway().inference(request, "completions")


async def models(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return _method_not_allowed(request, "GET")
    return await gateway().models(request)


def _loopback(request: HttpRequest) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


async def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics: with MODELGATE_METRICS_TOKEN as a bearer token, or from loopback when none is set."""
    token = settings.MODELGATE_METRICS_TOKEN
    if token:
        presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        allowed = hmac.compare_digest(presented.encode(), token.encode())
    else:
        allowed = _loopback(request)
    if not allowed:
        return HttpResponse(status=404)
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def _select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def healthz(request: HttpRequest) -> HttpResponse:
    """Ready when the database answers (the gateway cannot admit anything without it).

    Asked in the admission thread, whose connection is the one admission uses and which drops
    a broken connection, so the probe recovers as soon as the database does.
    """
    try:
        await gateway().database.run(_select_one)
    except Exception as exc:  # any database failure means not ready
        body = {"status": "unavailable", "database": type(exc).__name__}
        return HttpResponse(orjson.dumps(body), status=503, content_type="application/json")
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return GatewayError(404, "not_found", f"Unknown route {request.path}.", status="bad_request").response("")


def server_error(request: HttpRequest) -> HttpResponse:
    return GatewayError(500, "internal_error", "The gateway failed.", status="unavailable").response("")
