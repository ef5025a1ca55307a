"""Writes for compliance, each with its audit event in the same transaction."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from compliance import events
from compliance.approvals.services import approvals_rereview
from compliance.classification.answers import parse_answers
from compliance.licenses.catalog import Catalog, load_catalog
from compliance.licenses.facts import parse_facts
from compliance.licenses.terms import Category
from compliance.models import (
    ApprovalRequest,
    CatalogLicense,
    LicenseAssessment,
    LicensePolicyRule,
    PolicyEffect,
    PolicyEnvironment,
    UseCase,
)
from compliance.selectors import catalog_sha256, version_license, versions_derived_from
from core.errors import ApplicationError, ConflictError
from core.ledger import Actor, Target, audit_record
from core.roles import Capability, Role, require_capability
from registry.models import ModelVersion


def _entry_row(entry: Any) -> dict[str, Any]:
    terms = json.loads(json.dumps(dataclasses.asdict(entry.terms), default=str))
    row = {
        "name": entry.name[:300],
        "version": entry.version[:60],
        "date": (entry.date or "")[:10],
        "url": entry.url[:500],
        "category": entry.category.value,
        "osi_approved": entry.osi_approved,
        "reviewed": entry.reviewed,
        "hf_tags": list(entry.hf_tags),
        "hf_license_names": list(entry.hf_license_names),
        "terms": terms,
    }
    row["content_sha256"] = hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()
    return row


def license_catalog_sync(*, actor: Actor, catalog: Catalog | None = None) -> dict[str, list[str]]:
    """Make the CatalogLicense table equal to the reviewed files and the SPDX list, re-assess versions
    assessed with an earlier catalog, and report what changed."""
    catalog = catalog or load_catalog()
    with transaction.atomic():
        existing = dict(CatalogLicense.objects.values_list("id", "content_sha256"))
        added, changed = [], []
        to_create, to_update = [], []
        for license_id, entry in catalog.licenses.items():
            row = _entry_row(entry)
            if license_id not in existing:
                added.append(license_id)
                to_create.append(CatalogLicense(id=license_id, **row))
            elif existing[license_id] != row["content_sha256"]:
                changed.append(license_id)
                to_update.append(CatalogLicense(id=license_id, **row))
        removed = sorted(set(existing) - set(catalog.licenses))
        CatalogLicense.objects.bulk_create(to_create, batch_size=500)
        if to_update:
            # Every column _entry_row fills, so the two can never disagree.
            CatalogLicense.objects.bulk_update(
                to_update, list(_entry_row(catalog.licenses[to_update[0].id])), batch_size=500
            )
        CatalogLicense.objects.filter(id__in=removed).delete()
        summary = {"added": sorted(added), "changed": sorted(changed), "removed": removed}
        if added or changed or removed:
            audit_record(
                event=events.LICENSE_CATALOG_SYNCED,
                actor=actor,
                target=Target("compliance.cataloglicense", "catalog"),
                after={
                    "catalog_sha256": catalog_sha256(catalog),
                    "added": len(added),
                    "changed": summary["changed"],
                    "removed": removed,
                    "reviewed": len(catalog.reviewed()),
                    "total": len(catalog),
                },
            )
        # Assessments made with an earlier catalog are redone, so no version keeps a stale verdict.
        current = catalog_sha256(catalog)
        stale = ModelVersion.objects.filter(license_assessment__isnull=False).exclude(
            license_assessment__catalog_sha256=current
        )
        summary["reassessed"] = [str(version.pk) for version in stale.order_by("pk")]
        for version in stale.order_by("pk"):
            _record_one(actor, version, catalog)
        if added or changed or removed:
            approvals_rereview(actor=actor, requests=ApprovalRequest.objects.all(), trigger="license catalog change")
    return summary


def license_assessment_record(
    *, actor: Actor, version: ModelVersion, include_derived: bool = True
) -> LicenseAssessment:
    """Assess ``version``'s license (declared vs LICENSE text, plus its lineage) and keep the result.

    Versions derived from it are re-assessed too, since their inherited terms may have changed.
    """
    catalog = load_catalog()
    with transaction.atomic():
        assessment = _record_one(actor, version, catalog)
        if include_derived:
            for derived in versions_derived_from(version):
                _record_one(actor, derived, catalog)
    return assessment


def _record_one(actor: Actor, version: ModelVersion, catalog: Catalog) -> LicenseAssessment:
    values = version_license(version, catalog).assessment_values() | {
        "catalog_sha256": catalog_sha256(catalog),
    }
    current = LicenseAssessment.objects.select_for_update().filter(version=version).first()
    before = {key: getattr(current, key) for key in values} if current else None
    if before == values and current is not None:
        return current
    assessment, _ = LicenseAssessment.objects.update_or_create(version=version, defaults=values)
    audit_record(event=events.LICENSE_ASSESSED, actor=actor, target=version, before=before, after=values)
    return assessment


def license_assessment_on_import(*, actor: Actor, version: ModelVersion) -> None:
    """Import hook (settings.MODELGATE_IMPORT_HOOKS): assess each version as the import records it,
    and re-review the approvals of the model's other versions (a new version is a reason to look again)."""
    license_assessment_record(actor=actor, version=version)
    approvals_rereview(
        actor=actor,
        requests=ApprovalRequest.objects.filter(version__model_id=version.model_id).exclude(version=version),
        trigger=f"new version {version.revision[:12]} of {version.model.hub_id}",
    )


# --- Organization policy --------------------------------------------------------

POLICY_FIELDS = ("name", "match_kind", "match_value", "environment", "effect", "signoff_role", "reason", "active")
SIGNOFF_ROLES = (Role.APPROVER_LEGAL.value, Role.APPROVER_SECURITY.value, Role.COMPLIANCE_OFFICER.value)


def license_policy_rule_validate(values: dict[str, Any]) -> None:
    """Check (and normalize in place) a rule's values; raise ApplicationError naming the field."""
    kind = values["match_kind"]
    if kind not in LicensePolicyRule.MatchKind.values:
        raise ApplicationError.for_field(
            "match_kind", f"must be one of {', '.join(LicensePolicyRule.MatchKind.values)}"
        )
    if kind == "category" and values["match_value"] not in Category.__members__.values():
        raise ApplicationError.for_field(
            "match_value",
            f"{values['match_value']!r} is not a license category: " + ", ".join(c.value for c in Category),
        )
    if kind == "license" and load_catalog().get(values["match_value"]) is None:
        raise ApplicationError.for_field("match_value", f"{values['match_value']!r} is not a license in the catalog")
    if kind == "license":
        values["match_value"] = load_catalog().get(values["match_value"]).id  # type: ignore[union-attr]
    if values["environment"] not in PolicyEnvironment.values:
        raise ApplicationError.for_field("environment", f"must be one of {', '.join(PolicyEnvironment.values)}")
    if values["effect"] not in PolicyEffect.values:
        raise ApplicationError.for_field("effect", f"must be one of {', '.join(PolicyEffect.values)}")
    if values["effect"] == PolicyEffect.REQUIRE_SIGNOFF and values["signoff_role"] not in SIGNOFF_ROLES:
        raise ApplicationError.for_field("signoff_role", f"a sign-off rule names one of {', '.join(SIGNOFF_ROLES)}")
    if values["effect"] == PolicyEffect.DENY:
        values["signoff_role"] = ""
    if not str(values["reason"]).strip():
        raise ApplicationError.for_field("reason", "say why the rule exists")


def license_policy_rule_create(
    *,
    actor: Actor,
    name: str,
    match_kind: str,
    match_value: str,
    effect: str,
    reason: str,
    environment: str = "any",
    signoff_role: str = "",
    active: bool = True,
) -> LicensePolicyRule:
    """Add an organization license rule (e.g. non-commercial licenses never in production)."""
    values = {
        "name": name,
        "match_kind": match_kind,
        "match_value": match_value,
        "environment": environment,
        "effect": effect,
        "signoff_role": signoff_role,
        "reason": reason,
        "active": active,
    }
    license_policy_rule_validate(values)
    with transaction.atomic():
        if LicensePolicyRule.objects.filter(name=name).exists():
            raise ConflictError.for_field("name", f"a rule named {name!r} exists already")
        try:
            with transaction.atomic():
                rule = LicensePolicyRule.objects.create(created_by=actor if isinstance(actor, User) else None, **values)
        except IntegrityError as exc:
            raise ConflictError.for_field("name", f"a rule named {name!r} exists already") from exc
        audit_record(event=events.POLICY_RULE_CREATED, actor=actor, target=rule, after=values)
    return rule


def license_policy_rule_update(
    *, actor: Actor, rule: LicensePolicyRule, reason_for_change: str = "", **changes: Any
) -> LicensePolicyRule:
    """Change a rule; deactivating (active=False) is how a rule is retired, so its history stays."""
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ApplicationError.for_field(sorted(unknown)[0], "cannot be changed")
    with transaction.atomic():
        rule = LicensePolicyRule.objects.select_for_update().get(pk=rule.pk)
        before = {name: getattr(rule, name) for name in POLICY_FIELDS}
        values = before | changes
        license_policy_rule_validate(values)
        if values == before:
            return rule
        for name, value in values.items():
            setattr(rule, name, value)
        try:
            with transaction.atomic():
                rule.save(update_fields=[*POLICY_FIELDS, "updated_at"])
        except IntegrityError as exc:
            raise ConflictError.for_field("name", "another rule has that name") from exc
        audit_record(
            event=events.POLICY_RULE_UPDATED,
            actor=actor,
            target=rule,
            before=before,
            after=values,
            reason=reason_for_change,
        )
    return rule


# --- Use cases ----------------------------------------------------------------------

USE_CASE_FIELDS = (
    "name",
    "owner",
    "intended_purpose",
    "deployment_facts",
    "classification_answers",
    "deployer_public_body_or_public_service",
)


RE_REVIEW_FIELDS = ("deployment_facts", "classification_answers", "deployer_public_body_or_public_service")


def _use_case_state(use_case: UseCase) -> dict[str, Any]:
    return {
        "name": use_case.name,
        "owner": use_case.owner_id,
        "intended_purpose": use_case.intended_purpose,
        "deployment_facts": use_case.deployment_facts,
        "classification_answers": use_case.classification_answers,
        "deployer_public_body_or_public_service": use_case.deployer_public_body_or_public_service,
    }


def use_case_validate(values: dict[str, Any]) -> None:
    """Validate facts and answers with the engines' own validators (errors name the nested field)."""
    if not str(values.get("name", "")).strip():
        raise ApplicationError.for_field("name", "is required")
    if not str(values.get("intended_purpose", "")).strip():
        raise ApplicationError.for_field("intended_purpose", "describe what the system is for")
    for field, parse in (("deployment_facts", parse_facts), ("classification_answers", parse_answers)):
        try:
            parse(values.get(field) or {})
        except ApplicationError as exc:
            raise ApplicationError(
                f"{field}: {exc.message}",
                fields={f"{field}.{name}": problems for name, problems in exc.fields.items()},
                code=exc.code,
            ) from exc


def use_case_create(
    *,
    actor: Actor,
    name: str,
    owner: User,
    intended_purpose: str,
    deployment_facts: dict[str, Any] | None = None,
    classification_answers: dict[str, Any] | None = None,
    deployer_public_body_or_public_service: bool = False,
) -> UseCase:
    """Describe a use case: what it is for, the deployer's facts and the EU AI Act answers."""
    if actor is not None:  # None: the platform itself (demo setup, commands run by an operator)
        require_capability(actor, Capability.USE_CASE_MANAGE, "describe use cases")
    values = {
        "name": name,
        "owner": owner,
        "intended_purpose": intended_purpose,
        "deployment_facts": deployment_facts or {},
        "classification_answers": classification_answers or {},
        "deployer_public_body_or_public_service": deployer_public_body_or_public_service,
    }
    use_case_validate(values)
    with transaction.atomic():
        if UseCase.objects.filter(name=name).exists():
            raise ConflictError.for_field("name", f"a use case named {name!r} exists already")
        try:
            with transaction.atomic():
                use_case = UseCase.objects.create(**values)
        except IntegrityError as exc:
            raise ConflictError.for_field("name", f"a use case named {name!r} exists already") from exc
        audit_record(event=events.USE_CASE_CREATED, actor=actor, target=use_case, after=_use_case_state(use_case))
    return use_case


def use_case_update(*, actor: Actor, use_case: UseCase, reason: str = "", **changes: Any) -> UseCase:
    """Change a use case; the before/after of every field is audited."""
    if actor is not None:
        require_capability(actor, Capability.USE_CASE_MANAGE, "change use cases")
    unknown = set(changes) - set(USE_CASE_FIELDS)
    if unknown:
        raise ApplicationError.for_field(sorted(unknown)[0], "cannot be changed")
    with transaction.atomic():
        use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
        before = _use_case_state(use_case)
        for name, value in changes.items():
            setattr(use_case, name, value)
        use_case_validate({name: getattr(use_case, name) for name in USE_CASE_FIELDS})
        after = _use_case_state(use_case)
        if after == before:
            return use_case
        try:
            with transaction.atomic():
                use_case.save(update_fields=[*changes, "updated_at"])
        except IntegrityError as exc:
            raise ConflictError.for_field("name", "another use case has that name") from exc
        audit_record(
            event=events.USE_CASE_UPDATED, actor=actor, target=use_case, before=before, after=after, reason=reason
        )
        # What the approvals were granted on changed: their gates run again.
        if any(before[name] != after[name] for name in RE_REVIEW_FIELDS):
            approvals_rereview(
                actor=actor, requests=use_case.approval_requests.all(), trigger=f"use case {use_case.pk} changed"
            )
    return use_case
