"""ASGI entry point of the inference gateway: ``uvicorn modelgate.gateway_asgi:application``.

Django's ASGI handler does not speak the lifespan protocol, so this wraps it: startup
builds the gateway, shutdown (SIGTERM) flushes the batched inference records and closes the
upstream connection pools, so a clean stop loses no record.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modelgate.settings")
os.environ.setdefault("MODELGATE_COMPONENT", "gateway")

import django

django.setup(set_prefix=False)

from serving.gateway.asgi import GatewayASGIHandler  # noqa: E402
from serving.gateway.handler import gateway, quiet_request_signals, restore_request_signals  # noqa: E402

django_application = GatewayASGIHandler()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "lifespan":
        await django_application(scope, receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            quiet_request_signals()
            gateway()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await gateway().aclose()
            restore_request_signals()
            await send({"type": "lifespan.shutdown.complete"})
            return
