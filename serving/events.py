from core.events import register_event_type

GUARDRAIL_POLICY_CREATED = register_event_type(
    300, "serving.guardrail_policy.created", "A guardrail policy was created with its first version"
)
GUARDRAIL_POLICY_VERSION_PUBLISHED = register_event_type(
    301, "serving.guardrail_policy.version_published", "A new version of a guardrail policy was published"
)
DEPLOYMENT_CREATED = register_event_type(310, "serving.deployment.created", "An approved model version was deployed")
DEPLOYMENT_UPDATED = register_event_type(
    311, "serving.deployment.updated", "A deployment's backends, limits, policy or settings changed"
)
DEPLOYMENT_STATE_CHANGED = register_event_type(
    312, "serving.deployment.state_changed", "A deployment was paused, resumed or retired"
)
SERVING_KEY_ISSUED = register_event_type(320, "serving.key.issued", "An inference API key was issued")
SERVING_KEY_REVOKED = register_event_type(321, "serving.key.revoked", "An inference API key was revoked")
USAGE_ROLLED_UP = register_event_type(
    330, "serving.usage.rolled_up", "Daily usage was recomputed and a license condition crossed a threshold"
)
INFERENCE_RECORDS_PURGED = register_event_type(
    340, "serving.inference_records.purged", "Inference records or their content passed their retention period"
)
