"""The vLLM backends: one pooled HTTP client per backend, round-robin, unhealthy ones left out.

A backend that refuses connections or answers 5xx is left out for
``MODELGATE_GATEWAY_BACKEND_COOLDOWN_SECONDS``; a request that could not connect is tried
on the next backend (it never reached vLLM, so retrying cannot run it twice). When every
backend is cooling down they are all tried anyway: refusing outright would turn a blip into
an outage.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence

import httpx
from django.conf import settings

from serving.gateway import metrics
from serving.selectors import Backend


class BackendPool:
    def __init__(self) -> None:
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._down_until: dict[str, float] = {}
        self._turn = itertools.count()

    def client(self, base_url: str) -> httpx.AsyncClient:
        client = self._clients.get(base_url)
        if client is None or client.is_closed:
            limit = settings.MODELGATE_GATEWAY_MAX_CONNECTIONS_PER_BACKEND
            client = self._clients[base_url] = httpx.AsyncClient(
                base_url=base_url,
                timeout=httpx.Timeout(
                    settings.MODELGATE_GATEWAY_UPSTREAM_TIMEOUT_SECONDS,
                    connect=settings.MODELGATE_GATEWAY_CONNECT_TIMEOUT_SECONDS,
                ),
                limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
                # Never use the environment's proxies for an in-cluster call.
                trust_env=False,
            )
        return client

    def order(self, backends: Sequence[Backend]) -> Iterator[Backend]:
        """Backends to try, healthy ones first, starting at the next in turn."""
        if len(backends) == 1:
            yield backends[0]
            return
        start = next(self._turn) % len(backends)
        rotated = [*backends[start:], *backends[:start]]
        now = time.monotonic()
        healthy = [b for b in rotated if self._down_until.get(b.base_url, 0.0) <= now]
        cooling = [b for b in rotated if b not in healthy]
        yield from healthy
        yield from cooling

    def mark_down(self, backend: Backend) -> None:
        self._down_until[backend.base_url] = time.monotonic() + settings.MODELGATE_GATEWAY_BACKEND_COOLDOWN_SECONDS
        metrics.BACKEND_UP.labels(backend=backend.base_url).set(0)

    def mark_up(self, backend: Backend) -> None:
        if self._down_until.pop(backend.base_url, None) is not None:
            metrics.BACKEND_UP.labels(backend=backend.base_url).set(1)

    def is_down(self, backend: Backend) -> bool:
        return self._down_until.get(backend.base_url, 0.0) > time.monotonic()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
