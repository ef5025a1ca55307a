from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """``Authorization: Bearer <token>``; also the scheme named in 401 responses."""

    keyword = "Bearer"


class LegacyTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``, DRF's own spelling, for existing clients."""
