"""Django's ASGI handler without its per-request thread.

Django's ``ASGIHandler`` closes every response through ``sync_to_async`` inside a
``ThreadSensitiveContext``, which makes asgiref start a new thread for each request and join
it afterwards: about 1 ms of a 2-core machine's time per call, measured with py-spy under
the benchmark. The gateway's responses hold nothing that blocks when closed (bytes, or an
async iterator over the upstream stream that is closed by then) and the gateway process has
no synchronous ``request_finished`` receivers (``handler.quiet_request_signals``), so the
response is closed in the event loop. Everything else is Django's: body reading, request
creation, URL resolution, the async views, and cancelling the view when the client leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.urls import set_script_prefix


class GatewayASGIHandler(ASGIHandler):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"The gateway serves HTTP only, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        await signals.request_started.asend(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            assert error_response is not None  # Django returns one or the other
            body_file.close()
            await self.send_response(error_response, send)
            error_response.close()
            return
        respond = asyncio.create_task(self._respond(request, send))
        disconnect = asyncio.create_task(self.listen_for_disconnect(receive))
        try:
            await asyncio.wait([respond, disconnect], return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not disconnect.done():
                disconnect.cancel()
            if not respond.done():
                # The client left before the answer: cancel the view (and its upstream call).
                respond.cancel()
            results = await asyncio.gather(respond, disconnect, return_exceptions=True)
            body_file.close()
        response = results[0]
        if isinstance(response, BaseException):
            if isinstance(response, asyncio.CancelledError | RequestAborted):
                await signals.request_finished.asend(sender=self.__class__)
                return
            raise response
        response.close()

    async def _respond(self, request: Any, send: Any) -> Any:
        response = await self.run_get_response(request)
        with contextlib.suppress(asyncio.CancelledError):  # the client left while it was being sent
            await self.send_response(response, send)
        return response
