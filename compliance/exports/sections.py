"""The reviewed item lists of the EU AI Act documents (compliance/exports/sections/*.yaml)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

SECTIONS_DIR = Path(__file__).resolve().parent / "sections"

# Texts kept with a model version that the model card, the SPDX AI-BOM and the CycloneDX ML-BOM
# read (besides the items of the EU AI Act documents), with what officers are asked to write.
MODEL_TEXT_KEYS = {
    "intended_uses": "Model card: intended uses (also SPDX informationAboutApplication, CycloneDX useCases)",
    "out_of_scope_uses": "Model card: out-of-scope uses",
    "how_to_use": "Model card: how to get started",
    "limitations": "Model card: limitations (also SPDX limitation, CycloneDX technicalLimitations)",
    "bias_risks": "Model card: bias and risks (also CycloneDX ethicalConsiderations)",
    "training_procedure": "Model card: training procedure (also SPDX informationAboutTraining)",
    "evaluation": "Model card: evaluation",
    "environmental_impact": "Model card: environmental impact",
    "domain": "SPDX AI-BOM: domain, e.g. natural language processing",
    "type_of_model": "SPDX AI-BOM: type of model, e.g. transformer decoder, supervised fine-tuning",
    "model_data_preprocessing": "SPDX AI-BOM: preprocessing of the training data",
    "model_explainability": "SPDX AI-BOM: explainability mechanisms",
    "standard_compliance": "SPDX AI-BOM: standards complied with",
}


@dataclass(frozen=True)
class Item:
    id: str  # the point of the law, e.g. "2(e)"
    key: str  # stable snake_case key; officers' texts are stored under it
    title: str
    text: str  # the law's words
    source: str  # e.g. "Annex IV 2(e)"
    required: bool
    fill: tuple[str, ...]  # facts the platform fills in
    free_text: bool  # an officer writes (part of) it
    applicability: str = ""
    systemic_risk_only: bool = False
    recipients: tuple[str, ...] = ()
    uncertain: bool = False
    export_metadata: bool = False  # filled from the export itself (e.g. the date it was made)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class DocumentSpec:
    kind: str
    title: str
    legal_basis: str
    retention: str
    applies_to: str  # "use_case_version" (an approval's use case and version) or "model_version"
    sections: tuple[Section, ...]

    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]


def _item(raw: dict[str, object]) -> Item:
    return Item(
        id=str(raw["id"]),
        key=str(raw["key"]),
        title=str(raw["title"]),
        text=str(raw.get("text", "")),
        source=str(raw.get("source", "")),
        required=bool(raw.get("required", True)),
        fill=tuple(str(name) for name in raw.get("fill") or []),  # type: ignore[attr-defined]
        free_text=bool(raw.get("free_text", False)),
        applicability=str(raw.get("applicability", "")),
        systemic_risk_only=bool(raw.get("systemic_risk_only", False)),
        recipients=tuple(str(r) for r in raw.get("recipients") or []),  # type: ignore[attr-defined]
        uncertain=bool(raw.get("uncertain", False)),
        export_metadata=bool(raw.get("export_metadata", False)),
    )


@functools.cache
def document_spec(kind: str) -> DocumentSpec:
    """The item list of ``kind`` (e.g. "annex_iv"); KeyError for a kind without one."""
    path = SECTIONS_DIR / f"{kind}.yaml"
    if not path.is_file():
        raise KeyError(kind)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return DocumentSpec(
        kind=raw["kind"],
        title=raw["title"],
        legal_basis=raw.get("legal_basis", ""),
        retention=raw.get("retention", ""),
        applies_to=raw.get("applies_to", "model_version"),
        sections=tuple(
            Section(id=str(s["id"]), title=str(s["title"]), items=tuple(_item(i) for i in s.get("items") or []))
            for s in raw["sections"]
        ),
    )
