from __future__ import annotations

from typing import Any

from rest_framework import serializers


def validated_input(
    serializer_class: type[serializers.Serializer[Any]], data: Any, *, partial: bool = False
) -> dict[str, Any]:
    """Validate a request body with an input serializer; a failure becomes the API's 400 error body."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
