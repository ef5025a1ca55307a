"""The vLLM backends: one pooled HTTP client per backend, round-robin, unhealthy ones left out.

A backend that refuses connections or answers 5xx is left out for
``MODELGATE_GATEWAY_BACKEND_COOLDOWN_SECONDS``; a request that could not connect is tried
on the next backend (it never reached vLLM, so retrying cannot run it twice). When every
backend is cooling down they are all tried anyway: refusing outright would turn a blip into
an outage.

The client is aiohttp rather than httpx (ADR 0011): on this path httpx costs about 0.55 ms
of CPU per call against aiohttp's 0.13 ms, and that CPU is taken from vLLM on the same
machine. The rest of the gateway sees only ``UpstreamResponse`` and the three errors below.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator, Sequence

import aiohttp
from django.conf import settings

from serving.gateway import metrics
from serving.selectors import Backend


class UpstreamError(Exception):
    """The backend failed after the request may have reached it."""


class UpstreamUnreachable(UpstreamError):
    """The request never reached the backend (connection refused, connect timeout): safe to retry elsewhere."""


class UpstreamTimeout(UpstreamError):
    """The backend took longer than ``MODELGATE_GATEWAY_UPSTREAM_TIMEOUT_SECONDS`` between bytes."""


def _translated(exc: BaseException) -> UpstreamError:
    """Our error for aiohttp's, with a short reason fit for a record's error detail."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return UpstreamUnreachable("connect timeout")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamUnreachable("cannot connect")
    if isinstance(exc, TimeoutError):  # aiohttp's socket read timeout is a TimeoutError
        return UpstreamTimeout("read timeout")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return UpstreamError("server disconnected")
    return UpstreamError(f"{type(exc).__name__}: {exc}"[:300])


class UpstreamResponse:
    """An answer from a backend, read whole or as lines; close it when done."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status_code = response.status

    async def read(self) -> bytes:
        try:
            return await self._response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _translated(exc) from exc
        finally:
            self._response.release()

    async def lines(self) -> AsyncIterator[str]:
        """The body's lines without their line ends (server-sent events arrive line by line)."""
        pending = b""
        try:
            async for data in self._response.content.iter_any():
                pending += data
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    yield line.rstrip(b"\r").decode(errors="replace")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _translated(exc) from exc
        if pending:
            yield pending.rstrip(b"\r").decode(errors="replace")

    async def aclose(self) -> None:
        # Back to the pool when the body was read to its end, otherwise the connection is dropped.
        self._response.release()


class BackendPool:
    def __init__(self) -> None:
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._down_until: dict[str, float] = {}
        self._turn = itertools.count()

    def _session(self, base_url: str) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Sessions belong to the loop that made them (tests run several loops).
            self._loop, self._sessions = loop, {}
        session = self._sessions.get(base_url)
        if session is None or session.closed:
            session = self._sessions[base_url] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=settings.MODELGATE_GATEWAY_MAX_CONNECTIONS_PER_BACKEND,
                    # Below the 5 s after which vLLM's server (uvicorn) closes an idle connection,
                    # so a request is never sent on a connection the server is closing.
                    keepalive_timeout=4,
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    # Opening a connection is bounded by the connect timeout, each wait for bytes
                    # by the upstream timeout (a long generation streams, so it never trips).
                    # Waiting for a free pooled connection is not bounded here: aiohttp would
                    # report it like a connect timeout, and a busy backend is not a dead one.
                    connect=None,
                    sock_connect=settings.MODELGATE_GATEWAY_CONNECT_TIMEOUT_SECONDS,
                    sock_read=settings.MODELGATE_GATEWAY_UPSTREAM_TIMEOUT_SECONDS,
                ),
                # Never use the environment's proxies for an in-cluster call.
                trust_env=False,
                auto_decompress=False,
                skip_auto_headers=("User-Agent",),
            )
        return session

    async def post(self, backend: Backend, path: str, payload: bytes, headers: dict[str, str]) -> UpstreamResponse:
        """Send one request; the response's body is still to be read (or streamed)."""
        try:
            url = backend.base_url.rstrip("/") + path  # a base URL may carry a prefix (behind a proxy)
            response = await self._session(backend.base_url).post(url, data=payload, headers=headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _translated(exc) from exc
        return UpstreamResponse(response)

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
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()
