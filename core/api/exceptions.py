"""One error body for the whole API::

{"error": {"code": "invalid", "message": "...", "fields": {"field": ["problem"]}}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into ``{"path.to.field": ["problem", ...]}``."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = str(key) if key != "non_field_errors" else "__all__"
            fields.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
        return fields
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "__all__": [str(item) for item in detail]}
        fields = {}
        for index, item in enumerate(detail):
            fields.update(_flatten(item, f"{prefix}[{index}]"))
        return fields
    return {prefix or "__all__": [str(detail)]}


def _body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(_body(exc.code, exc.message, exc.fields), status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            _body("too_large", "The request body is larger than this server accepts."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        summary = "; ".join(f"{name}: {problems[0]}" for name, problems in fields.items())
        response.data = _body("invalid", summary or "The request is invalid.", fields)
    elif isinstance(exc, exceptions.ParseError):
        response.data = _body("malformed_request", f"The request body could not be parsed: {exc.detail}")
    else:
        code = exc.get_codes()
        response.data = _body(code if isinstance(code, str) else exc.default_code, str(exc.detail))
    return response
