"""Admission state is reused for at most MODELGATE_GATEWAY_ADMISSION_TTL_MS (≤ 1 s): revocations bite within it."""

from __future__ import annotations

import time
import types
from typing import Any

import pytest

from serving.gateway import handler
from serving.models import ServingKey
from serving.services import deployment_set_state, serving_key_revoke
from tests.gateway.support import Served, chat, error_of

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.urls("serving.gateway.urls"),
]


@pytest.fixture(autouse=True)
def _one_second_cache(settings: Any) -> None:
    settings.MIDDLEWARE = []
    settings.MODELGATE_GATEWAY_ADMISSION_TTL_MS = 1000


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the gateway's monotonic clock ``seconds`` ahead (its other clocks are left alone)."""
    clock = types.SimpleNamespace(
        monotonic=lambda: time.monotonic() + seconds, perf_counter=time.perf_counter, time=time.time
    )
    monkeypatch.setattr(handler, "time", clock)


def test_a_revoked_key_is_refused_once_its_cached_admission_is_a_second_old(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = served.key()
    assert chat(key).status_code == 502  # admitted (the backend is down)
    serving_key_revoke(actor=served.officer, key=ServingKey.objects.get(), reason="leaked in a chat")

    within_the_second = chat(key)
    later(monkeypatch, 1.0)
    after_the_second = chat(key)

    assert within_the_second.status_code == 502  # the cached grant may still be used ...
    assert after_the_second.status_code == 401  # ... but not after one second
    assert error_of(after_the_second)["message"] == "This API key cannot be used: the key was revoked."


def test_a_paused_deployment_stops_taking_traffic_within_a_second(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = served.key()
    assert chat(key).status_code == 502
    deployment_set_state(actor=served.officer, deployment=served.deployment, state="paused", reason="incident")

    later(monkeypatch, 1.0)
    response = chat(key)

    assert response.status_code == 403
    assert error_of(response)["message"] == "The model 'tiny-llama' is not available: the deployment is paused."


def test_without_caching_a_revocation_bites_on_the_next_call(served: Served, settings: Any) -> None:
    settings.MODELGATE_GATEWAY_ADMISSION_TTL_MS = 0
    key = served.key()
    assert chat(key).status_code == 502
    serving_key_revoke(actor=served.officer, key=ServingKey.objects.get(), reason="leaked")

    assert chat(key).status_code == 401
