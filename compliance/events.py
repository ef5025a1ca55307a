from core.events import register_event_type

LICENSE_CATALOG_SYNCED = register_event_type(
    200, "compliance.license_catalog.synced", "The license catalog table was brought in line with the reviewed files"
)
LICENSE_ASSESSED = register_event_type(
    201,
    "compliance.license_assessment.recorded",
    "A model version's license was assessed (declared, detected, lineage)",
)
POLICY_RULE_CREATED = register_event_type(210, "compliance.policy_rule.created", "A license policy rule was added")
POLICY_RULE_UPDATED = register_event_type(211, "compliance.policy_rule.updated", "A license policy rule was changed")
USE_CASE_CREATED = register_event_type(220, "compliance.use_case.created", "A use case was described")
USE_CASE_UPDATED = register_event_type(
    221, "compliance.use_case.updated", "A use case's purpose, facts or answers changed"
)
