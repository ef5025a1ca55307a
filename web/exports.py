"""The documentation exports as the pages offer them: plain names for each kind and format."""

from __future__ import annotations

from compliance.exports.selectors import APPROVAL_KINDS
from compliance.exports.services import KIND_FORMATS

KIND_NAMES = {
    "annex_iv": "Annex IV technical documentation",
    "transparency_notice": "Art. 50 transparency notice",
    "bundle": "Evidence bundle (zip)",
    "annex_xi": "Annex XI GPAI documentation",
    "annex_xii": "Annex XII information for integrators",
    "cop_form": "Code of Practice model documentation form",
    "training_summary": "Training content summary (Art. 53(1)(d))",
    "model_card": "Model card",
    "spdx": "SPDX 3.0 AI-BOM",
    "cyclonedx": "CycloneDX 1.6 ML-BOM",
}
FORMAT_NAMES = {"pdf": "PDF", "html": "HTML", "md": "Markdown", "json": "JSON", "zip": "ZIP"}


def export_choices(kinds: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs "kind:format" for the kinds given (default: every kind made for a model version)."""
    chosen = kinds if kinds is not None else tuple(k for k in KIND_FORMATS if k not in APPROVAL_KINDS)
    return [
        (f"{kind}:{fmt}", f"{KIND_NAMES.get(kind, kind)} · {FORMAT_NAMES.get(fmt, fmt)}")
        for kind in chosen
        for fmt in KIND_FORMATS[kind]
    ]
