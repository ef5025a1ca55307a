"""Reads for the exports: a model version's facts, and everything an export of an approval or a version shows.

Facts the serving tier owns (deployments, guardrail policies, record retention) come from the
providers named in ``settings.MODELGATE_EXPORT_FACT_PROVIDERS`` (serving registers one), so
this package never imports serving.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from compliance.classification.engine import classify_answers
from compliance.exports.documents import Document, build_document
from compliance.exports.facts import DatasetFact, FileFact, LicenseFact, LineageFact, MetricFact, ModelFacts
from compliance.exports.sections import document_spec
from compliance.licenses.catalog import load_catalog
from compliance.licenses.expressions import ExpressionSyntaxError, UnknownLicenseError, evaluate_expression, license_ids
from compliance.licenses.facts import parse_facts
from compliance.models import ApprovalRequest, ExportDocument, ExportText, UseCase
from compliance.selectors import use_case_facts_for, version_license_expression
from core.errors import NotFoundError
from core.models import AuditEvent
from registry.models import ModelVersion, VersionSource

FactProvider = Callable[..., Mapping[str, str]]
# What an export's target id names: an approval request (its use case and version) or a model version.
APPROVAL_KINDS = ("annex_iv", "transparency_notice", "bundle")
# The classification's Art. 50 duties and the transparency notice's items they make required.
ART50_ITEMS = {
    "art50_1_disclose_ai_interaction": "50(1)",
    "art50_2_mark_synthetic_content": "50(2)",
    "art50_3_inform_exposed_persons": "50(3)",
    "art50_4_disclose_deep_fake": "50(4), first subparagraph",
    "art50_4_disclose_ai_generated_text": "50(4), second subparagraph",
}


def export_target_kind(kind: str) -> str:
    return "approval" if kind in APPROVAL_KINDS else "version"


def export_target(kind: str, target: int) -> dict[str, Any]:
    """``{"approval": ...}`` or ``{"version": ...}`` for an export of ``kind``; NotFoundError names ``target``."""
    if export_target_kind(kind) == "approval":
        approval = ApprovalRequest.objects.select_related("version", "use_case").filter(pk=target).first()
        if approval is None:
            raise NotFoundError.for_field(
                "target", f"no approval request {target} ({kind} is made for an approval request)"
            )
        return {"approval": approval}
    version = ModelVersion.objects.filter(pk=target).first()
    if version is None:
        raise NotFoundError.for_field("target", f"no model version {target} ({kind} is made for a model version)")
    return {"version": version}


def _listed(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if v)
    return ()


def _metrics(card: Mapping[str, Any]) -> tuple[MetricFact, ...]:
    found = []
    for entry in card.get("model-index") or []:
        for result in (entry or {}).get("results") or []:
            dataset = ((result or {}).get("dataset") or {}).get("name", "")
            for metric in (result or {}).get("metrics") or []:
                if isinstance(metric, Mapping) and "value" in metric:
                    found.append(
                        MetricFact(
                            name=str(metric.get("name") or metric.get("type") or "metric"),
                            value=str(metric["value"]),
                            dataset=str(dataset),
                        )
                    )
    return tuple(found)


def _license_facts(expression: str, own_text: str) -> tuple[LicenseFact, ...]:
    catalog = load_catalog()
    try:
        ids = list(dict.fromkeys(license_ids(expression, catalog))) if expression else []
    except (UnknownLicenseError, ExpressionSyntaxError):
        return ()
    facts = []
    for license_id in ids:
        entry = catalog.licenses.get(license_id)
        if entry is None:
            continue
        facts.append(
            LicenseFact(
                id=license_id,
                name=entry.name,
                url=entry.url,
                spdx_listed=not license_id.startswith("LicenseRef-"),
                osi_approved=bool(entry.osi_approved),
                category=entry.category.value,
                text=own_text if len(ids) == 1 else "",
            )
        )
    return tuple(facts)


def model_facts(version: ModelVersion) -> ModelFacts:
    """Everything the registry and the license engine know about ``version``, as plain data."""
    model = version.model
    card = version.card_metadata or {}
    config = version.config or {}
    expression = version_license_expression(version)
    assessment = getattr(version, "license_assessment", None)
    lineage = []
    for link in version.base_links.select_related("parent_version").all():
        parent = link.parent_version
        lineage.append(
            LineageFact(
                relation=link.relation,
                parent_ref=link.parent_ref,
                parent_revision=parent.revision if parent else "",
                parent_license=version_license_expression(parent) if parent else "",
            )
        )
    hub = version.source == VersionSource.HUB
    datasets = tuple(
        DatasetFact(name=name, role="training", url=f"https://huggingface.co/datasets/{name}" if "/" in name else "")
        for name in _listed(card.get("datasets"))
    )
    texts = dict(ExportText.objects.filter(version=version).values_list("key", "text"))
    return ModelFacts(
        version_id=version.pk,
        hub_id=model.hub_id,
        name=model.hub_id.rsplit("/", 1)[-1],
        revision=version.revision,
        provider=model.provider.name,
        provider_url=model.provider.website,
        download_location=f"https://huggingface.co/{model.hub_id}/tree/{version.revision}" if hub else "",
        imported_at=version.imported_at,
        task=model.task,
        modalities=tuple(model.modalities or ()),
        architecture=model.architecture,
        model_type=str(config.get("model_type", "")),
        parameter_count=model.parameter_count,
        context_length=config.get("max_position_embeddings") if isinstance(config, dict) else None,
        training_compute_flops=model.training_compute_flops,
        languages=_listed(card.get("language")),
        description=model.description,
        declared_license=version.declared_license,
        license_expression=expression,
        own_license_expression=assessment.own_expression if assessment is not None else "",
        licenses=_license_facts(expression, version.license_text),
        license_file=version.license_file,
        files=tuple(
            FileFact(path=f["path"], size=int(f.get("size") or 0), sha256=f.get("sha256", ""))
            for f in version.files or []
            if isinstance(f, dict) and f.get("path")
        ),
        lineage=tuple(lineage),
        datasets=datasets,
        metrics=_metrics(card),
        tags=_listed(version.tags),
        texts=texts,
    )


@dataclass(frozen=True)
class ExportSubject:
    """What one export is about: an approval (its use case and version) or a model version alone."""

    version: ModelVersion
    approval: ApprovalRequest | None
    facts: ModelFacts
    values: dict[str, str]  # fill name -> display text ("" when unknown)
    texts: dict[str, str]  # item key -> officer text (the use case's before the version's)
    classification: dict[str, Any] = field(default_factory=dict)
    license: dict[str, Any] = field(default_factory=dict)

    @property
    def use_case(self) -> UseCase | None:
        return self.approval.use_case if self.approval is not None else None

    @property
    def label(self) -> str:
        who = f"{self.facts.hub_id}@{self.facts.revision[:12]}"
        if self.approval is not None:
            return f"{self.approval.use_case.name} — {who} ({self.approval.environment}, approval #{self.approval.pk})"
        return who

    @property
    def systemic_risk(self) -> bool:
        return self.classification.get("gpai") == "systemic_risk"

    @property
    def transparency_points(self) -> frozenset[str]:
        """The transparency notice's items the classification's Art. 50 duties make required."""
        duties = self.classification.get("transparency_duties", [])
        return frozenset(ART50_ITEMS[str(duty)] for duty in duties if str(duty) in ART50_ITEMS)

    def data_sha256(self) -> str:
        """The data version an export is made from: a hash of the facts, values and texts."""
        payload = {
            "facts": asdict(self.facts),
            "values": self.values,
            "texts": self.texts,
            "classification": self.classification,
            "license": self.license,
        }
        canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: Any) -> str:
    if value is None or value in ("", [], {}):
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(_plain(v) for v in value if _plain(v))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items() if _plain(v))
    return str(value)


def _evidence(approval: ApprovalRequest | None, kind: str) -> str:
    item = (approval.evidence or {}).get(kind) if approval is not None else None
    if not isinstance(item, Mapping) or not str(item.get("reference", "")).strip():
        return ""
    note = str(item.get("note", "") or item.get("summary", "")).strip()
    return str(item["reference"]) + (f" — {note}" if note else "")


def _audit_summary(approval: ApprovalRequest | None, version: ModelVersion) -> str:
    about = Q(target_type="registry.modelversion", target_id=str(version.pk))
    if approval is not None:
        about |= Q(target_type="compliance.approvalrequest", target_id=str(approval.pk))
    count = AuditEvent.objects.filter(about).count()
    return (
        f"{count} events about this subject in the hash-chained audit ledger (SHA-256, append-only); "
        "the bundle carries them with their hashes"
    )


def export_subject(*, version: ModelVersion, approval: ApprovalRequest | None = None) -> ExportSubject:
    """Gather the facts, the officers' texts and the engines' results for one export."""
    facts = model_facts(version)
    use_case = approval.use_case if approval is not None else None
    texts = dict(facts.texts)
    if use_case is not None:
        texts.update(dict(ExportText.objects.filter(use_case=use_case).values_list("key", "text")))
    classification = classify_answers(use_case.classification_answers or {}) if use_case is not None else {}
    deployment_facts = use_case_facts_for(use_case, version) if use_case is not None else parse_facts({})
    try:
        evaluation = evaluate_expression(facts.license_expression, deployment_facts).as_dict()
    except (UnknownLicenseError, ExpressionSyntaxError):
        evaluation = {}
    catalog = load_catalog()
    aups = []
    for license_fact in facts.licenses:
        entry = catalog.licenses.get(license_fact.id)
        restrictions = entry.terms.use_restrictions if entry is not None else None
        if restrictions is not None:
            aups.append(f"{license_fact.name}: {restrictions.clause}")
    values: dict[str, str] = {
        "use_case.name": use_case.name if use_case else "",
        "use_case.intended_purpose": use_case.intended_purpose if use_case else "",
        "use_case.deployment_facts": _plain(use_case.deployment_facts) if use_case else "",
        "use_case.owner": use_case.owner.get_username() if use_case else "",
        "classification.tier": str(classification.get("tier", "")),
        "classification.reasons": _plain([f"{r['text']} [{r['article']}]" for r in classification.get("reasons", [])]),
        "classification.articles": _plain(sorted({r["article"] for r in classification.get("reasons", [])})),
        "classification.annex_iii": _plain((use_case.classification_answers or {}).get("annex_iii", []))
        if use_case
        else "",
        "approval.state": approval.state if approval else "",
        "approval.signoffs": _plain(
            [
                f"{s.signer.get_username()} as {s.role} on {s.created_at:%Y-%m-%d}"
                for s in approval.signoffs.select_related("signer")
            ]
        )
        if approval
        else "",
        "approval.conditions": _plain(approval.conditions) if approval else "",
        "approval.gate_results": _plain(
            [f"{g.get('gate')}: {'passed' if g.get('passed') else 'failed'}" for g in approval.gate_results or []]
        )
        if approval
        else "",
        "approval.environment": approval.environment if approval else "",
        "approval.expires_at": f"{approval.expires_at:%Y-%m-%d}" if approval and approval.expires_at else "",
        "model.hub_id": facts.hub_id,
        "model.provider": facts.provider,
        "model.task": facts.task,
        "model.modalities": _plain(facts.modalities),
        "model.architecture": facts.architecture,
        "model.model_type": facts.model_type,
        "model.parameter_count": f"{facts.parameter_count:,}" if facts.parameter_count else "",
        "model.context_length": str(facts.context_length or ""),
        "model.training_compute_flops": f"{facts.training_compute_flops:.2e}" if facts.training_compute_flops else "",
        "model.languages": _plain(facts.languages),
        "model.description": facts.description,
        "model.release_date": facts.release_date,
        "version.revision": facts.revision,
        # Only files whose digest is known: a list without hashes proves nothing about authenticity.
        "version.files": _plain([f"{f.path} ({f.size:,} bytes, sha256 {f.sha256})" for f in facts.files if f.sha256]),
        "version.imported_at": f"{facts.imported_at:%Y-%m-%d}" if facts.imported_at else "",
        "version.lineage": _plain(
            [
                f"{link.relation} of {link.parent_ref}"
                + (f"@{link.parent_revision[:12]}" if link.parent_revision else "")
                for link in facts.lineage
            ]
        ),
        "version.datasets": _plain([f"{d.name} ({d.role})" for d in facts.datasets]),
        "version.metrics": _plain(
            [f"{m.name} = {m.value}" + (f" on {m.dataset}" if m.dataset else "") for m in facts.metrics]
        ),
        "license.expression": facts.license_expression,
        "license.declared": facts.declared_license,
        "license.verdict": str(evaluation.get("verdict", "")),
        "license.obligations": _plain([f"{o['text']} [{o['clause']}]" for o in evaluation.get("obligations", [])]),
        "license.names": _plain([f"{lic.name} ({lic.id})" for lic in facts.licenses]),
        "license.acceptable_use_policy": _plain(aups),
        "audit.ledger": _audit_summary(approval, version),
    }
    for evidence_kind in (
        "risk_management",
        "data_governance",
        "human_oversight",
        "accuracy_robustness_tests",
        "fundamental_rights_impact_assessment",
    ):
        values[f"approval.evidence.{evidence_kind}"] = _evidence(approval, evidence_kind)
    for path in settings.MODELGATE_EXPORT_FACT_PROVIDERS:
        provider: FactProvider = import_string(path)
        values.update({name: str(value) for name, value in provider(version=version, approval=approval).items()})
    return ExportSubject(
        version=version,
        approval=approval,
        facts=facts,
        values=values,
        texts=texts,
        classification=classification,
        license=evaluation,
    )


def export_document_build(kind: str, subject: ExportSubject, *, generated_at: datetime) -> Document:
    """The filled EU AI Act document of ``kind`` for ``subject`` (no side effects)."""
    spec = document_spec(kind)
    summary = [("Model version", f"{subject.facts.hub_id} @ {subject.facts.revision}")]
    if subject.approval is not None:
        summary.append(("Use case", subject.approval.use_case.name))
        summary.append(
            ("Approval", f"#{subject.approval.pk}, {subject.approval.state}, {subject.approval.environment}")
        )
    if subject.classification:
        summary.append(("EU AI Act tier", str(subject.classification.get("tier", ""))))
    return build_document(
        spec,
        values=subject.values,
        texts=subject.texts,
        subject=subject.label,
        generated_at=generated_at,
        systemic_risk=subject.systemic_risk,
        required_ids=subject.transparency_points if kind == "transparency_notice" else frozenset(),
        summary=tuple(summary),
    )


def annex_iv_missing(approval: ApprovalRequest) -> list[str]:
    """The required Annex IV items still missing for an approval's use case and version (read only)."""
    subject = export_subject(version=approval.version, approval=approval)
    return export_document_build("annex_iv", subject, generated_at=timezone.now()).missing()


def export_document_for(document_id: int) -> ExportDocument:
    """One export by id; NotFoundError names ``id``."""
    document = ExportDocument.objects.filter(pk=document_id).first()
    if document is None:
        raise NotFoundError.for_field("id", f"no export {document_id}")
    return document
