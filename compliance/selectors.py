"""Reads for compliance: a version's license as declared, detected and inherited."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from compliance.classification.engine import classify_answers
from compliance.licenses.catalog import Catalog, load_catalog
from compliance.licenses.detect import detect_license
from compliance.licenses.expressions import (
    ExpressionSyntaxError,
    UnknownLicenseError,
    evaluate_expression,
    license_ids,
    normalize_expression,
)
from compliance.licenses.facts import Facts, parse_facts
from compliance.licenses.policy import PolicyRule, apply_policy
from compliance.models import LicenseAssessment, LicensePolicyRule, UseCase
from registry.models import ModelVersion
from registry.selectors import model_version_ancestors

UNKNOWN_LICENSE = "LicenseRef-Unknown"


@dataclass
class OwnLicense:
    declared_expression: str
    detected_license: str
    detection_confidence: float | None
    detection_matched_by: str
    own_expression: str
    mismatch: bool
    findings: list[dict[str, str]] = field(default_factory=list)


@dataclass
class VersionLicense(OwnLicense):
    effective_expression: str = ""

    def assessment_values(self) -> dict[str, Any]:
        """The fields of a ``LicenseAssessment`` this result fills in."""
        return {
            "declared_expression": self.declared_expression,
            "detected_license": self.detected_license,
            "detection_confidence": self.detection_confidence,
            "detection_matched_by": self.detection_matched_by,
            "own_expression": self.own_expression,
            "effective_expression": self.effective_expression,
            "tag_text_mismatch": self.mismatch,
            "findings": self.findings,
        }


def catalog_sha256(catalog: Catalog) -> str:
    digest = hashlib.sha256()
    for license_id in sorted(catalog.licenses):
        digest.update(repr(catalog.licenses[license_id]).encode())
    return digest.hexdigest()


def _declared(version: ModelVersion, catalog: Catalog, findings: list[dict[str, str]]) -> str:
    tag = version.declared_license.strip()
    if not tag:
        findings.append({"kind": "no_license_declared", "text": "the model card declares no license"})
        return ""
    candidate = tag
    if tag.lower() == "other":
        name = version.declared_license_name.strip()
        if not name:
            findings.append(
                {"kind": "unknown_declared_license", "text": "the card says license: other without a license_name"}
            )
            return ""
        candidate = name
    try:
        return normalize_expression(candidate, catalog)
    except (UnknownLicenseError, ExpressionSyntaxError) as exc:
        findings.append(
            {
                "kind": "unknown_declared_license",
                "text": f"the declared license {candidate!r} is not in the catalog: {exc.message}",
            }
        )
        return ""


def version_own_license(version: ModelVersion, catalog: Catalog | None = None) -> OwnLicense:
    """The version's own license: the card's tag cross-checked against the LICENSE text (the text wins)."""
    catalog = catalog or load_catalog()
    findings: list[dict[str, str]] = []
    declared = _declared(version, catalog, findings)
    detected_id, confidence, matched_by = "", None, ""
    if version.license_text.strip():
        detection = detect_license(version.license_text, catalog)
        confidence, matched_by = detection.confidence, detection.matched_by
        if detection.license is not None:
            detected_id = detection.license.id
        else:
            findings.append(
                {
                    "kind": "license_text_unrecognized",
                    "text": f"{version.license_file or 'the LICENSE file'} matches no catalog license well enough",
                }
            )
    mismatch = bool(declared and detected_id and detected_id not in license_ids(declared, catalog))
    if mismatch:
        findings.append(
            {
                "kind": "tag_text_mismatch",
                "text": f"the card declares {declared} but {version.license_file or 'the LICENSE file'} is "
                f"{detected_id} (confidence {confidence:.2f}); the text wins",
            }
        )
    own = detected_id or declared or UNKNOWN_LICENSE
    if own == UNKNOWN_LICENSE:
        findings.append({"kind": "license_unknown", "text": "no license could be determined: no rights are assumed"})
    return OwnLicense(declared, detected_id, confidence, matched_by, own, mismatch, findings)


def _own_expression_of(version: ModelVersion, catalog: Catalog) -> str:
    assessment = LicenseAssessment.objects.filter(version=version).only("own_expression").first()
    return assessment.own_expression if assessment else version_own_license(version, catalog).own_expression


def version_license(version: ModelVersion, catalog: Catalog | None = None) -> VersionLicense:
    """Own license plus every base model's: a derivative is bound by its bases' terms too."""
    catalog = catalog or load_catalog()
    own = version_own_license(version, catalog)
    parts = [own.own_expression]
    findings = list(own.findings)
    for _depth, link in model_version_ancestors(version):
        if link.parent_version is not None:
            parent_expression = _own_expression_of(link.parent_version, catalog)
        else:
            parent_expression = UNKNOWN_LICENSE
            findings.append(
                {
                    "kind": "base_model_unknown",
                    "text": f"the base model {link.parent_ref} is not in the registry, so its license is unknown; "
                    "import it to assess the lineage",
                }
            )
        if parent_expression not in parts:
            parts.append(parent_expression)
    # AND binds tighter than OR, so only an OR inside a part needs parentheses.
    effective = " AND ".join(f"({part})" if len(parts) > 1 and " OR " in part else part for part in parts)
    return VersionLicense(**own.__dict__ | {"findings": findings}, effective_expression=effective)


def versions_derived_from(version: ModelVersion) -> list[ModelVersion]:
    """Every version whose lineage includes ``version``, nearest first."""
    found: list[ModelVersion] = []
    frontier = [version.pk]
    seen = {version.pk}
    while frontier:
        children = list(ModelVersion.objects.filter(base_links__parent_version_id__in=frontier).distinct())
        frontier = [child.pk for child in children if child.pk not in seen]
        seen.update(frontier)
        found.extend(child for child in children if child.pk in frontier)
    return found


def version_license_fields() -> list[str]:
    return list(VersionLicense("", "", None, "", "", False).assessment_values())


def version_license_expression(version: ModelVersion) -> str:
    """The effective license expression of a version, from its stored assessment when there is one."""
    stored = LicenseAssessment.objects.filter(version=version).values_list("effective_expression", flat=True).first()
    return stored or version_license(version).effective_expression


def active_policy_rules() -> list[PolicyRule]:
    return [
        PolicyRule(
            rule.name, rule.match_kind, rule.match_value, rule.environment, rule.effect, rule.signoff_role, rule.reason
        )
        for rule in LicensePolicyRule.objects.filter(active=True).order_by("name")
    ]


def version_license_report(version: ModelVersion, *, environment: str = "production") -> dict[str, Any]:
    """Everything the API and admin show about a version's license.

    ``default_evaluation`` applies the engine to the facts' defaults (commercial production use,
    nothing distributed); a real deployment's facts are checked with POST /api/v1/license-checks/.
    """
    catalog = load_catalog()
    stored = LicenseAssessment.objects.filter(version=version).first()
    if stored is not None:
        assessment: dict[str, Any] = {name: getattr(stored, name) for name in version_license_fields()} | {
            "assessed_at": stored.assessed_at,
            "stored": True,
        }
    else:
        assessment = version_license(version, catalog).assessment_values() | {"assessed_at": None, "stored": False}
    expression = str(assessment["effective_expression"])
    evaluation = evaluate_expression(expression, parse_facts({}), catalog)
    entries = [catalog.licenses[license_id] for license_id in dict.fromkeys(license_ids(expression, catalog))]
    decisions = apply_policy(active_policy_rules(), entries, environment)
    return {
        "version_id": version.pk,
        "declared_tag": version.declared_license,
        "declared_license_name": version.declared_license_name,
        "assessment": assessment,
        "licenses": [
            {"id": e.id, "name": e.name, "category": e.category.value, "osi_approved": e.osi_approved} for e in entries
        ],
        "default_evaluation": evaluation.as_dict(),
        "policy": {"environment": environment, "decisions": [decision.as_dict() for decision in decisions]},
    }


def use_case_facts_for(use_case: UseCase, version: ModelVersion | None = None) -> Facts:
    """The use case's deployment facts; the model's modalities fill in when the use case gives none."""
    data = dict(use_case.deployment_facts or {})
    if version is not None and "model_modalities" not in data and version.model.modalities:
        data["model_modalities"] = list(version.model.modalities)
    return parse_facts(data)


def use_case_assessment(use_case: UseCase, version: ModelVersion | None = None) -> dict[str, Any]:
    """The EU AI Act classification of a use case and, for a model version, the license verdict for its facts."""
    result: dict[str, Any] = {
        "use_case": use_case.pk,
        "classification": classify_answers(use_case.classification_answers or {}),
    }
    if version is not None:
        expression = version_license_expression(version)
        facts = use_case_facts_for(use_case, version)
        result["version"] = version.pk
        result["license"] = evaluate_expression(expression, facts).as_dict() | {"expression": expression}
    return result
