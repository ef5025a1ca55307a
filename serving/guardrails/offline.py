"""Keep guardrails-ai off the network: no telemetry, no remote inference.

guardrails-ai sends usage spans to its vendor unless ``~/.guardrailsrc`` says
``enable_metrics=false`` (there is no environment variable for it), and the singleton
that decides is re-read whenever a ``Guard`` is built. The gateway never builds a Guard
(docs/adr/0010), and this module switches the singleton and the settings off in-process
as well, so a missing rc file in some container cannot turn telemetry back on.
Deployments still ship the rc file (deploy/guardrailsrc) for any other guardrails use.

Importing guardrails also registers a process-wide sqlite3 adapter that turns every datetime
parameter into an integer epoch (guardrails/call_tracing/sqlite_trace_handler.py). Django's
SQLite backend passes datetimes of raw SQL through sqlite3's adapters, so that would silently
corrupt them; the adapters are put back as they were.
"""

from __future__ import annotations

import sqlite3

_ADAPTERS_BEFORE_GUARDRAILS = dict(sqlite3.adapters)

from guardrails.settings import settings as guardrails_settings  # type: ignore[import-untyped, unused-ignore]  # noqa: E402
from guardrails.utils.hub_telemetry_utils import HubTelemetry  # type: ignore[import-untyped, unused-ignore]  # noqa: E402


def disable_guardrails_network() -> None:
    guardrails_settings.rc.enable_metrics = False
    guardrails_settings.rc.use_remote_inferencing = False
    HubTelemetry(enabled=False)._enabled = False


def guardrails_telemetry_enabled() -> bool:
    return bool(HubTelemetry()._enabled or guardrails_settings.rc.enable_metrics)


def restore_sqlite_adapters() -> None:
    for key in [key for key in sqlite3.adapters if key not in _ADAPTERS_BEFORE_GUARDRAILS]:
        del sqlite3.adapters[key]
    sqlite3.adapters.update(_ADAPTERS_BEFORE_GUARDRAILS)


disable_guardrails_network()
restore_sqlite_adapters()
