"""Guardrails for the serving gateway: Modelgate's own offline validators and the policy spec that configures them.

Importing this package first makes guardrails-ai safe to import (see ``offline``): no telemetry,
no remote inference, and Python's sqlite3 adapters left as they were.
"""

from serving.guardrails import offline as _offline  # noqa: F401  (before any guardrails import)
