"""OpenAI's error body, so that OpenAI clients raise the right exception with a useful message."""

from __future__ import annotations

import orjson
from django.http import HttpResponse

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


class GatewayError(Exception):
    """A refusal or failure the gateway answers with an OpenAI error and records."""

    def __init__(
        self,
        http_status: int,
        code: str,
        message: str,
        *,
        status: str,
        param: str | None = None,
        detail: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.status = status  # the InferenceRecord status
        self.param = param
        # What the record keeps beyond the message (never a secret, never the prompt).
        self.detail = detail or message
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        return {
            "error": {
                "message": self.message,
                "type": _TYPES.get(self.http_status, "api_error"),
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self, request_id: str) -> HttpResponse:
        response = HttpResponse(orjson.dumps(self.body()), status=self.http_status, content_type="application/json")
        response["x-request-id"] = request_id
        for name, value in self.headers.items():
            response[name] = value
        return response


def bad_request(message: str, *, param: str | None = None, code: str = "invalid_request") -> GatewayError:
    return GatewayError(400, code, message, status="bad_request", param=param)
