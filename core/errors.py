"""Errors that services raise and every interface (API, admin, CLI, task) reports the same way."""

from __future__ import annotations

from typing import Any, Self


class ApplicationError(Exception):
    """A request the platform refuses, with a stable code and, where it applies, the fields at fault."""

    code = "invalid"
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code
        self.extra = extra or {}

    @classmethod
    def for_field(cls, field: str, problem: str, **kwargs: Any) -> Self:
        return cls(f"{field}: {problem}", fields={field: [problem]}, **kwargs)

    def __str__(self) -> str:
        return self.message


class NotFoundError(ApplicationError):
    code = "not_found"
    http_status = 404


class ConflictError(ApplicationError):
    code = "conflict"
    http_status = 409


class UpstreamError(ApplicationError):
    """A system we depend on (the Hugging Face Hub, a model server) failed or could not be reached."""

    code = "upstream_unavailable"
    http_status = 502


class PermissionDeniedError(ApplicationError):
    """The actor's roles do not allow the change (services check it too, not only the interfaces)."""

    code = "permission_denied"
    http_status = 403
