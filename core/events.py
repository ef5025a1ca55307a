"""The one registry of audit event types.

Each type has a stable dotted name (what the ledger stores and the API filters on)
and a stable numeric code. Codes are reserved in ranges per app, so an app can
add types without colliding with another: core 1-99, registry 100-199,
compliance 200-299, serving 300-399. Registering a name or code twice fails at
import time.
"""

from __future__ import annotations

from dataclasses import dataclass

_RANGES = {
    "core": range(1, 100),
    "registry": range(100, 200),
    "compliance": range(200, 300),
    "serving": range(300, 400),
}


@dataclass(frozen=True)
class EventType:
    code: int
    name: str
    summary: str

    def __str__(self) -> str:
        return self.name


_BY_NAME: dict[str, EventType] = {}
_BY_CODE: dict[int, EventType] = {}


def register_event_type(code: int, name: str, summary: str) -> EventType:
    app = name.split(".", 1)[0]
    if app not in _RANGES or code not in _RANGES[app]:
        raise ValueError(f"event type {name!r}: code {code} is outside the range reserved for {app!r}")
    if name in _BY_NAME or code in _BY_CODE:
        raise ValueError(f"event type {name!r} (code {code}) is registered twice")
    event_type = EventType(code=code, name=name, summary=summary)
    _BY_NAME[name] = event_type
    _BY_CODE[code] = event_type
    return event_type


def event_type_by_name(name: str) -> EventType | None:
    return _BY_NAME.get(name)


def all_event_types() -> list[EventType]:
    return sorted(_BY_CODE.values(), key=lambda event_type: event_type.code)


ROLE_ASSIGNED = register_event_type(10, "core.user.role_assigned", "A user was given a role")
ROLE_REVOKED = register_event_type(11, "core.user.role_revoked", "A role was taken from a user")
USER_CREATED = register_event_type(12, "core.user.created", "A user account was created")
API_TOKEN_ISSUED = register_event_type(13, "core.api_token.issued", "A management API token was issued")
# Notifications (20-29).
NOTIFICATION_REPLAYED = register_event_type(
    20, "core.notification.replayed", "A notification delivery was queued to be sent again"
)
WEBHOOK_ENDPOINT_CREATED = register_event_type(21, "core.webhook_endpoint.created", "A webhook endpoint was added")
WEBHOOK_ENDPOINT_UPDATED = register_event_type(22, "core.webhook_endpoint.updated", "A webhook endpoint was changed")
