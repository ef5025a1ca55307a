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
APPROVAL_CREATED = register_event_type(230, "compliance.approval.created", "An approval request was drafted")
APPROVAL_UPDATED = register_event_type(
    231, "compliance.approval.updated", "A draft's evidence, licence or conditions changed"
)
APPROVAL_TRANSITIONED = register_event_type(
    232, "compliance.approval.transitioned", "An approval request changed state"
)
APPROVAL_SIGNED = register_event_type(233, "compliance.approval.signed", "Someone signed off an approval request")
APPROVAL_GATES_FAILED = register_event_type(
    234, "compliance.approval.gates_failed", "A move was refused by a machine gate"
)
APPROVAL_REREVIEWED = register_event_type(
    235, "compliance.approval.rereviewed", "An approval's gates were re-run after something it depends on changed"
)
EXPORT_TEXT_SET = register_event_type(
    240, "compliance.export_text.set", "A free-text section of the documentation exports was written or changed"
)
EXPORT_REQUESTED = register_event_type(241, "compliance.export.requested", "A documentation export was requested")
EXPORT_ISSUED = register_event_type(
    242, "compliance.export.issued", "A documentation export was generated and stored with its hash"
)
EXPORT_FAILED = register_event_type(243, "compliance.export.failed", "A documentation export could not be generated")
