"""OpenAPI names for our two token schemes, so the schema documents both."""

from drf_spectacular.authentication import TokenScheme


class BearerTokenScheme(TokenScheme):  # type: ignore[no-untyped-call]
    target_class = "core.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"
    priority = 0


class LegacyTokenScheme(TokenScheme):  # type: ignore[no-untyped-call]
    target_class = "core.api.authentication.LegacyTokenAuthentication"
    name = "tokenAuth"
    priority = 0
