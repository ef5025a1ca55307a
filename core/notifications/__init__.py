"""Notifications through a transactional outbox (docs/adr/0009).

- ``services``: ``notification_enqueue`` (inside the caller's transaction), ``delivery_replay``
  and the audited webhook endpoint writes.
- ``delivery``: ``deliveries_send_due``, which the Celery task ``core.tasks.deliver_pending_task`` runs.
- ``signing``: ``verify_signature`` for receivers of the webhooks.

Nothing is re-exported here, so importing ``core.tasks`` never pulls in the services that import it.
"""
