"""Filling the EU AI Act documents: a pure function from an item list, facts and texts to a document.

An item is complete when an officer wrote its text, or, for an item the platform fills alone
(no free text), when every fact it is filled from is known. A required item that is neither is
missing, and the completeness report names it the way the law does ("Annex IV 2(e), human
oversight assessment: missing"). An item that applies only in some cases ("where applicable")
becomes required when the subject is such a case (``required_ids``, e.g. Art. 50(1) when the
classification says the system interacts with people).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from compliance.exports.sections import DocumentSpec, Item, Section

COMPLETE = "complete"
MISSING = "missing"
OPTIONAL_EMPTY = "optional_empty"  # "where applicable" items nobody filled
NOT_APPLICABLE = "not_applicable"  # e.g. Annex XI Section 2 for a model without systemic risk

FACT_LABELS = {
    "use_case.name": "Use case",
    "use_case.intended_purpose": "Intended purpose",
    "use_case.deployment_facts": "Deployment facts",
    "use_case.owner": "Owner",
    "classification.tier": "EU AI Act tier",
    "classification.reasons": "Classification reasons",
    "classification.articles": "Articles",
    "classification.annex_iii": "Annex III points",
    "approval.state": "Approval state",
    "approval.signoffs": "Sign-offs",
    "approval.conditions": "Approval conditions",
    "approval.gate_results": "Gate results",
    "approval.environment": "Environment",
    "approval.expires_at": "Approval expires",
    "approval.evidence.risk_management": "Risk management evidence (Art. 9)",
    "approval.evidence.data_governance": "Data governance evidence (Art. 10)",
    "approval.evidence.human_oversight": "Human oversight evidence (Art. 14)",
    "approval.evidence.accuracy_robustness_tests": "Accuracy, robustness and cybersecurity tests (Art. 15)",
    "approval.evidence.fundamental_rights_impact_assessment": "Fundamental rights impact assessment (Art. 27)",
    "model.hub_id": "Model",
    "model.provider": "Provider",
    "model.task": "Task",
    "model.modalities": "Modalities",
    "model.architecture": "Architecture",
    "model.model_type": "Model family",
    "model.parameter_count": "Parameters",
    "model.context_length": "Context window (tokens)",
    "model.training_compute_flops": "Training compute (FLOP)",
    "model.languages": "Languages",
    "model.description": "Description",
    "model.release_date": "Release date",
    "version.revision": "Pinned revision",
    "version.files": "Files (SHA-256)",
    "version.imported_at": "Imported",
    "version.lineage": "Lineage",
    "version.datasets": "Datasets",
    "version.metrics": "Evaluation results",
    "license.expression": "License (concluded)",
    "license.declared": "License (declared)",
    "license.verdict": "License verdict",
    "license.obligations": "License obligations",
    "license.names": "Licenses",
    "license.acceptable_use_policy": "Acceptable use policy",
    "deployment.endpoints": "Endpoints",
    "deployment.guardrail_policy": "Guardrail policy",
    "deployment.backends": "Serving backends",
    "serving.inference_records_retention": "Inference record retention",
    "serving.log_fields": "Logged per call",
    "audit.ledger": "Audit ledger",
}


@dataclass(frozen=True)
class FilledItem:
    item: Item
    facts: tuple[tuple[str, str], ...]  # (label, value) of the facts that are known
    text: str
    status: str

    @property
    def missing_line(self) -> str:
        return f"{self.item.source or self.item.id}, {self.item.title}: missing"


@dataclass(frozen=True)
class FilledSection:
    section: Section
    items: tuple[FilledItem, ...]


@dataclass(frozen=True)
class Document:
    spec: DocumentSpec
    subject: str
    generated_at: datetime
    sections: tuple[FilledSection, ...]
    summary: tuple[tuple[str, str], ...] = ()  # (label, value) shown on the title page

    def items(self) -> list[FilledItem]:
        return [item for section in self.sections for item in section.items]

    def missing(self) -> list[str]:
        return [item.missing_line for item in self.items() if item.status == MISSING]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.spec.kind,
            "title": self.spec.title,
            "legal_basis": self.spec.legal_basis,
            "retention": self.spec.retention,
            "subject": self.subject,
            "generated_at": self.generated_at.isoformat(),
            "summary": [{"label": label, "value": value} for label, value in self.summary],
            "missing": self.missing(),
            "sections": [
                {
                    "id": filled.section.id,
                    "title": filled.section.title,
                    "items": [
                        {
                            "id": item.item.id,
                            "key": item.item.key,
                            "title": item.item.title,
                            "source": item.item.source,
                            "law": item.item.text,
                            "required": item.item.required,
                            "status": item.status,
                            "facts": [{"label": label, "value": value} for label, value in item.facts],
                            "text": item.text,
                        }
                        for item in filled.items
                    ],
                }
                for filled in self.sections
            ],
        }


def _status(item: Item, known: list[tuple[str, str]], text: str, *, systemic_risk: bool, required: bool) -> str:
    if item.systemic_risk_only and not systemic_risk:
        return NOT_APPLICABLE
    if text.strip() or (not item.free_text and item.fill and len(known) == len(item.fill)) or item.export_metadata:
        return COMPLETE
    return MISSING if required else OPTIONAL_EMPTY


def build_document(
    spec: DocumentSpec,
    *,
    values: Mapping[str, str],
    texts: Mapping[str, str],
    subject: str,
    generated_at: datetime,
    systemic_risk: bool = False,
    required_ids: frozenset[str] = frozenset(),
    summary: tuple[tuple[str, str], ...] = (),
) -> Document:
    """Fill every item of ``spec`` from ``values`` (fact name -> display text, "" when unknown) and ``texts``.

    ``required_ids``: point prefixes (e.g. "50(1)") whose optional items apply to this subject.
    """
    sections = []
    for section in spec.sections:
        filled = []
        for item in section.items:
            known = [(FACT_LABELS.get(name, name), values[name]) for name in item.fill if values.get(name, "").strip()]
            if item.export_metadata:
                known.append(("Date", generated_at.date().isoformat()))
            text = texts.get(item.key, "")
            required = item.required or any(item.id.startswith(prefix) for prefix in required_ids)
            filled.append(
                FilledItem(
                    item=item,
                    facts=tuple(known),
                    text=text,
                    status=_status(item, known, text, systemic_risk=systemic_risk, required=required),
                )
            )
        sections.append(FilledSection(section=section, items=tuple(filled)))
    return Document(spec=spec, subject=subject, generated_at=generated_at, sections=tuple(sections), summary=summary)
