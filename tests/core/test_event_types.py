"""The event type registry: unique names and codes, each code inside its app's reserved range."""

from __future__ import annotations

import pytest

import registry.events  # noqa: F401  (registers the registry's event types)
from core import events
from core.events import EventType, all_event_types, event_type_by_name, register_event_type


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register test types into copies of the registry, so the real one is untouched afterwards."""
    monkeypatch.setattr(events, "_BY_NAME", dict(events._BY_NAME))
    monkeypatch.setattr(events, "_BY_CODE", dict(events._BY_CODE))


def test_registering_a_type_makes_it_findable(scratch_registry: None) -> None:
    event_type = register_event_type(98, "core.test.happened", "Something happened in a test")
    assert event_type == EventType(code=98, name="core.test.happened", summary="Something happened in a test")
    assert str(event_type) == "core.test.happened"
    assert event_type_by_name("core.test.happened") is event_type
    assert event_type in all_event_types()


def test_duplicate_name_is_refused(scratch_registry: None) -> None:
    with pytest.raises(ValueError, match=r"^event type 'core.user.created' \(code 97\) is registered twice$"):
        register_event_type(97, "core.user.created", "again, under another code")
    assert event_type_by_name("core.user.created") is events.USER_CREATED
    assert 97 not in events._BY_CODE


def test_duplicate_code_is_refused(scratch_registry: None) -> None:
    with pytest.raises(ValueError, match=r"^event type 'core.test.other' \(code 12\) is registered twice$"):
        register_event_type(12, "core.test.other", "reuses core.user.created's code")
    assert event_type_by_name("core.test.other") is None
    assert events._BY_CODE[12] is events.USER_CREATED


def test_registering_the_same_type_twice_is_refused(scratch_registry: None) -> None:
    register_event_type(96, "core.test.twice", "once")
    with pytest.raises(ValueError, match="registered twice"):
        register_event_type(96, "core.test.twice", "once")


@pytest.mark.parametrize(
    ("code", "name", "app"),
    [
        (100, "core.test.x", "core"),
        (0, "core.test.x", "core"),
        (-1, "core.test.x", "core"),
        (99, "registry.test.x", "registry"),
        (200, "registry.test.x", "registry"),
        (300, "compliance.test.x", "compliance"),
        (400, "serving.test.x", "serving"),
        (150, "billing.test.x", "billing"),
        (10, "test_without_app", "test_without_app"),
    ],
)
def test_code_outside_the_apps_range_is_refused(scratch_registry: None, code: int, name: str, app: str) -> None:
    with pytest.raises(
        ValueError, match=rf"^event type '{name}': code {code} is outside the range reserved for '{app}'$"
    ):
        register_event_type(code, name, "out of range")
    assert event_type_by_name(name) is None


@pytest.mark.parametrize(
    ("code", "name"), [(1, "core.a"), (99, "core.b"), (199, "registry.z"), (299, "compliance.z"), (399, "serving.z")]
)
def test_range_edges_are_accepted(scratch_registry: None, code: int, name: str) -> None:
    assert register_event_type(code, name, "edge").code == code


def test_the_real_registry_is_consistent() -> None:
    types = all_event_types()
    assert [t.code for t in types] == sorted(t.code for t in types)
    assert len({t.code for t in types}) == len({t.name for t in types}) == len(types)
    ranges = {
        "core": range(1, 100),
        "registry": range(100, 200),
        "compliance": range(200, 300),
        "serving": range(300, 400),
    }
    for event_type in types:
        assert event_type.code in ranges[event_type.name.split(".", 1)[0]], event_type
        assert event_type_by_name(event_type.name) is event_type
        assert event_type.summary
    names = {t.name for t in types}
    assert {
        "core.user.created",
        "core.user.role_assigned",
        "registry.organization.created",
        "registry.model_version.imported",
    } <= names
    # Names fit the ledger's action column.
    assert max(len(name) for name in names) <= 100
