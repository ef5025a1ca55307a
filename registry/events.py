from core.events import register_event_type

ORGANIZATION_CREATED = register_event_type(
    100, "registry.organization.created", "An organization (model provider) was added"
)
ORGANIZATION_UPDATED = register_event_type(101, "registry.organization.updated", "An organization's details changed")
MODEL_CREATED = register_event_type(110, "registry.model.created", "A model was added to the registry")
MODEL_UPDATED = register_event_type(111, "registry.model.updated", "A model's descriptive facts changed")
MODEL_VERSION_IMPORTED = register_event_type(
    120, "registry.model_version.imported", "A model version was imported at a pinned revision"
)
MODEL_VERSION_LOCKED = register_event_type(
    121, "registry.model_version.locked", "A model version became immutable because an approval references it"
)
LINEAGE_LINKED = register_event_type(130, "registry.lineage.linked", "A version was linked to a base model")
LINEAGE_RESOLVED = register_event_type(
    131, "registry.lineage.resolved", "A base-model link was resolved to a version in the registry"
)
