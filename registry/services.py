"""Every write to the registry, each with its audit event in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.errors import ApplicationError, ConflictError
from core.ledger import Actor, audit_ledger_lock, audit_record
from registry import events
from registry.cards import ParsedVersion, parse_snapshot, validate_repo_id
from registry.models import (
    LineageLink,
    Modality,
    Model,
    ModelVersion,
    ModelVersionDocument,
    Organization,
)
from registry.snapshots import HubSource, LocalSnapshotSource, SnapshotSource

MAX_BASE_MODEL_DEPTH = 5
MODEL_EDITABLE_FIELDS = (
    "task",
    "modalities",
    "parameter_count",
    "architecture",
    "training_compute_flops",
    "description",
)


def _acting_user(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


# --- Organizations --------------------------------------------------------------


def organization_create(
    *, actor: Actor, name: str, hub_namespace: str | None = None, website: str = ""
) -> Organization:
    """Add a model provider."""
    with transaction.atomic():
        if Organization.objects.filter(name=name).exists():
            raise ConflictError.for_field("name", f"an organization named {name!r} exists already")
        if hub_namespace and Organization.objects.filter(hub_namespace=hub_namespace).exists():
            raise ConflictError.for_field("hub_namespace", f"{hub_namespace!r} belongs to another organization")
        try:
            # The checks above give the precise message; the unique constraints settle a race.
            with transaction.atomic():
                organization = Organization.objects.create(
                    name=name, hub_namespace=hub_namespace or None, website=website
                )
        except IntegrityError as exc:
            raise ConflictError("another organization has that name or namespace") from exc
        audit_record(
            event=events.ORGANIZATION_CREATED, actor=actor, target=organization, after=_organization_state(organization)
        )
    return organization


def organization_update(*, actor: Actor, organization: Organization, reason: str = "", **changes: Any) -> Organization:
    """Change an organization's name, namespace or website."""
    allowed = {"name", "hub_namespace", "website"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError.for_field(sorted(unknown)[0], "cannot be changed")
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        before = _organization_state(organization)
        for name, value in changes.items():
            # An empty namespace is stored as NULL so that many organizations can lack one.
            setattr(organization, name, (value or None) if name == "hub_namespace" else value)
        if _organization_state(organization) == before:
            return organization
        try:
            with transaction.atomic():
                organization.save(update_fields=[*changes, "updated_at"])
        except IntegrityError as exc:
            raise ConflictError("another organization has that name or namespace") from exc
        audit_record(
            event=events.ORGANIZATION_UPDATED,
            actor=actor,
            target=organization,
            before=before,
            after=_organization_state(organization),
            reason=reason,
        )
    return organization


def _organization_state(organization: Organization) -> dict[str, Any]:
    return {"name": organization.name, "hub_namespace": organization.hub_namespace, "website": organization.website}


# --- Models -----------------------------------------------------------------------


def model_update(*, actor: Actor, model: Model, reason: str = "", **changes: Any) -> Model:
    """Correct a model's descriptive facts (task, modalities, size, architecture, training compute)."""
    unknown = set(changes) - set(MODEL_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError.for_field(sorted(unknown)[0], "cannot be changed")
    if "modalities" in changes:
        changes["modalities"] = model_modalities_clean(changes["modalities"])
    with transaction.atomic():
        model = Model.objects.select_for_update().get(pk=model.pk)
        before = {name: getattr(model, name) for name in changes}
        for name, value in changes.items():
            setattr(model, name, value)
        after = {name: getattr(model, name) for name in changes}
        if after == before:
            return model
        model.save(update_fields=[*changes, "updated_at"])
        audit_record(event=events.MODEL_UPDATED, actor=actor, target=model, before=before, after=after, reason=reason)
    return model


def model_modalities_clean(value: Any) -> list[str]:
    """A list of known modality codes without repeats, or ApplicationError naming the field."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApplicationError.for_field("modalities", "must be a list of strings")
    unknown = [item for item in value if item not in Modality.values]
    if unknown:
        raise ApplicationError.for_field("modalities", f"{unknown[0]!r} is not one of {', '.join(Modality.values)}")
    return list(dict.fromkeys(value))


# --- Import -----------------------------------------------------------------------


@dataclass
class ImportResult:
    version: ModelVersion
    created: bool
    base_versions: list[ModelVersion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def hub_source() -> HubSource:
    return HubSource(
        endpoint=settings.HF_ENDPOINT,
        token=settings.HF_TOKEN,
        timeout=settings.HF_IMPORT_TIMEOUT_SECONDS,
        max_text_bytes=settings.HF_IMPORT_MAX_TEXT_FILE_BYTES,
    )


def local_source(directory: str) -> LocalSnapshotSource:
    return LocalSnapshotSource(directory, max_text_bytes=settings.HF_IMPORT_MAX_TEXT_FILE_BYTES)


def model_version_import(
    *,
    actor: Actor,
    repo_id: str,
    revision: str | None = None,
    source: SnapshotSource | None = None,
    with_base_models: bool = False,
) -> ImportResult:
    """Import ``repo_id`` at ``revision`` (default: the current head) into the registry.

    Reads metadata and the few text files (never weights) from ``source`` (the
    Hub unless given), checks them, then writes the model, the pinned version,
    its documents and its lineage in one transaction: either all of it is
    recorded or none of it. With ``with_base_models`` the declared base models
    not yet in the registry are fetched from the Hub and imported with it.
    Importing a revision that is already registered changes nothing.
    """
    validate_repo_id(repo_id)
    source = source or hub_source()
    max_bytes = settings.HF_IMPORT_MAX_TEXT_FILE_BYTES

    # Everything from the network first, so no transaction waits on the Hub.
    root = parse_snapshot(source.fetch(repo_id, revision), max_text_bytes=max_bytes)
    fetched = [root]
    # Declared base-model id -> the id the Hub knows it by now (repositories get renamed).
    aliases = {ref.hub_id: source.current_id(ref.hub_id) for ref in root.base_models}
    if with_base_models:
        fetched.extend(_fetch_missing_bases(root, aliases, max_bytes=max_bytes))

    with transaction.atomic():
        # Taken first so that two imports of the same revision run one after the other
        # and the second finds the first's rows instead of colliding with them.
        audit_ledger_lock()
        recorded: dict[str, tuple[ModelVersion, bool]] = {}
        # Bases first, so each child can link to the version just written.
        for parsed in reversed(fetched):
            if parsed.repo_id not in recorded:
                recorded[parsed.repo_id] = _record_version(parsed, actor=actor, aliases=aliases)
        # Checks owned by higher layers (the license assessment), inside this transaction:
        # a version is never recorded without them.
        for hook in _import_hooks():
            for new_version, was_created in recorded.values():
                if was_created:
                    hook(actor=actor, version=new_version)
        version, created = recorded[root.repo_id]
        bases = [recorded[p.repo_id][0] for p in fetched[1:]]
    warnings = list(root.warnings)
    if not with_base_models:
        missing = [link.parent_ref for link in version.base_links.all() if link.parent_version_id is None]
        warnings.extend(
            f"base_model: {ref} is not in the registry; import it with --with-base-models" for ref in missing
        )
    return ImportResult(version=version, created=created, base_versions=bases, warnings=warnings)


def _import_hooks() -> list[Callable[..., None]]:
    """Functions settings.MODELGATE_IMPORT_HOOKS names, called as hook(actor=..., version=...) per new version."""
    return [import_string(path) for path in settings.MODELGATE_IMPORT_HOOKS]


def _fetch_missing_bases(root: ParsedVersion, aliases: dict[str, str], *, max_bytes: int) -> list[ParsedVersion]:
    """Fetch, breadth first, every base model above ``root`` that the registry lacks; extends ``aliases``."""
    hub = hub_source()
    fetched: list[ParsedVersion] = []
    seen = {root.repo_id}
    frontier = [(ref.hub_id, 1) for ref in root.base_models]
    while frontier:
        declared, depth = frontier.pop(0)
        current = aliases.setdefault(declared, hub.current_id(declared))
        if current in seen or Model.objects.filter(hub_id=current, versions__isnull=False).exists():
            continue
        if depth > MAX_BASE_MODEL_DEPTH:
            raise ApplicationError.for_field(
                "with_base_models", f"the lineage is deeper than {MAX_BASE_MODEL_DEPTH} levels at {declared}"
            )
        parsed = parse_snapshot(hub.fetch(current, None), max_text_bytes=max_bytes)
        aliases[declared] = parsed.repo_id
        seen.update({current, parsed.repo_id})
        fetched.append(parsed)
        frontier.extend((ref.hub_id, depth + 1) for ref in parsed.base_models)
    return fetched


def _provider_for(repo_id: str, actor: Actor) -> Organization:
    namespace = repo_id.split("/", 1)[0]
    organization = Organization.objects.filter(hub_namespace=namespace).first()
    if organization is not None:
        return organization
    name = namespace
    if Organization.objects.filter(name=name).exists():
        name = f"{namespace} (Hub)"
    return organization_create(actor=actor, name=name, hub_namespace=namespace)


def _record_version(parsed: ParsedVersion, *, actor: Actor, aliases: dict[str, str]) -> tuple[ModelVersion, bool]:
    existing = ModelVersion.objects.filter(model__hub_id=parsed.repo_id, revision=parsed.revision).first()
    if existing is not None:
        return existing, False

    model = Model.objects.select_for_update().filter(hub_id=parsed.repo_id).first()
    if model is None:
        model = Model.objects.create(
            hub_id=parsed.repo_id,
            provider=_provider_for(parsed.repo_id, actor),
            task=parsed.task,
            modalities=parsed.modalities,
            parameter_count=parsed.parameter_count,
            architecture=parsed.architecture,
        )
        audit_record(event=events.MODEL_CREATED, actor=actor, target=model, after=_model_state(model))
    else:
        # A new revision fills facts nobody has recorded yet; it never overwrites an officer's correction.
        filled = {
            name: getattr(parsed, name)
            for name in ("task", "modalities", "parameter_count", "architecture")
            if not getattr(model, name) and getattr(parsed, name)
        }
        if filled:
            before = {name: getattr(model, name) for name in filled}
            for name, value in filled.items():
                setattr(model, name, value)
            model.save(update_fields=[*filled, "updated_at"])
            audit_record(
                event=events.MODEL_UPDATED,
                actor=actor,
                target=model,
                before=before,
                after=filled,
                reason=f"filled from the import of revision {parsed.revision}",
            )

    license_document = parsed.license_document
    version = ModelVersion.objects.create(
        model=model,
        revision=parsed.revision,
        source=parsed.source,
        files=parsed.files,
        card_metadata=parsed.card_metadata,
        tags=parsed.tags,
        config=parsed.config,
        declared_license=parsed.declared_license,
        declared_license_name=parsed.declared_license_name,
        declared_license_link=parsed.declared_license_link,
        license_file=license_document.path if license_document else "",
        license_text=license_document.text if license_document else "",
        license_sha256=license_document.sha256 if license_document else "",
        import_warnings=parsed.warnings,
        imported_by=_acting_user(actor),
    )
    ModelVersionDocument.objects.bulk_create(
        ModelVersionDocument(
            version=version, path=doc.path, kind=doc.kind, sha256=doc.sha256, size=doc.size, text=doc.text
        )
        for doc in parsed.documents
    )
    audit_record(
        event=events.MODEL_VERSION_IMPORTED, actor=actor, target=version, after=_version_state(version, parsed)
    )

    for ref in parsed.base_models:
        parent_hub_id = aliases.get(ref.hub_id, ref.hub_id)
        link = LineageLink.objects.create(
            child=version,
            relation=ref.relation,
            relation_declared=ref.declared,
            parent_ref=ref.hub_id,
            parent_hub_id=parent_hub_id,
            parent_version=_latest_version_of(parent_hub_id),
        )
        audit_record(event=events.LINEAGE_LINKED, actor=actor, target=link, after=_link_state(link))

    # Versions that named this model as their base before it was registered now point at it.
    for link in LineageLink.objects.select_for_update().filter(
        parent_hub_id=parsed.repo_id, parent_version__isnull=True
    ):
        link.parent_version = version
        link.save(update_fields=["parent_version"])
        audit_record(
            event=events.LINEAGE_RESOLVED,
            actor=actor,
            target=link,
            before={"parent_version": None},
            after={"parent_version": version.pk},
        )
    return version, True


def _latest_version_of(hub_id: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(model__hub_id=hub_id).order_by("-imported_at", "-pk").first()


def _model_state(model: Model) -> dict[str, Any]:
    return {
        "hub_id": model.hub_id,
        "provider": model.provider_id,
        **{name: getattr(model, name) for name in MODEL_EDITABLE_FIELDS},
    }


def _version_state(version: ModelVersion, parsed: ParsedVersion) -> dict[str, Any]:
    return {
        "model": version.model.hub_id,
        "revision": version.revision,
        "source": version.source,
        "file_count": len(version.files),
        "declared_license": version.declared_license,
        "license_file": version.license_file,
        "license_sha256": version.license_sha256,
        "documents": {doc.path: doc.sha256 for doc in parsed.documents},
        "warnings": parsed.warnings,
    }


def _link_state(link: LineageLink) -> dict[str, Any]:
    return {
        "child": link.child_id,
        "relation": link.relation,
        "relation_declared": link.relation_declared,
        "parent_ref": link.parent_ref,
        "parent_hub_id": link.parent_hub_id,
        "parent_version": link.parent_version_id,
    }


# --- Locking ----------------------------------------------------------------------


def model_version_lock(*, actor: Actor, version: ModelVersion, reason: str) -> ModelVersion:
    """Make a version immutable; called when an approval first references it. Locking twice is a no-op."""
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if version.locked_at is not None:
            return version
        version.locked_at = timezone.now()
        version.save(update_fields=["locked_at"])
        audit_record(
            event=events.MODEL_VERSION_LOCKED,
            actor=actor,
            target=version,
            after={"locked_at": version.locked_at},
            reason=reason,
        )
    return version
