"""The license catalog's data model: plain, frozen dataclasses, no database.

``compliance/licenses/SCHEMA.md`` documents the YAML these are read from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Category(StrEnum):
    OSI_PERMISSIVE = "osi_permissive"
    OSI_COPYLEFT = "osi_copyleft"
    OPEN_NON_OSI = "open_non_osi"
    SOURCE_AVAILABLE_AI = "source_available_ai"
    NON_COMMERCIAL = "non_commercial"
    RESEARCH_ONLY = "research_only"
    PROPRIETARY = "proprietary"


class Verdict(StrEnum):
    """Ordered from least to most severe."""

    ALLOWED = "allowed"
    ALLOWED_WITH_OBLIGATIONS = "allowed_with_obligations"
    NEEDS_SEPARATE_LICENSE = "needs_separate_license"
    FORBIDDEN = "forbidden"

    @property
    def severity(self) -> int:
        return list(Verdict).index(self)


REFUSALS = (Verdict.NEEDS_SEPARATE_LICENSE, Verdict.FORBIDDEN)
PURPOSES = ("production", "internal_business", "evaluation", "research", "personal")
TRIGGERS = (
    "always",
    "commercial",
    "weights_distributed",
    "hosted_service",
    "derivative_created",
    "derivative_distributed",
    "outputs_used_to_train_models",
    "outputs_trained_model_distributed",
    "end_users_in_eu",
)


@dataclass(frozen=True)
class Clause:
    clause: str
    text: str = ""


@dataclass(frozen=True)
class CommercialUse:
    allowed: bool
    consequence: Verdict
    clause: str
    text: str = ""


@dataclass(frozen=True)
class PermittedPurposes:
    purposes: tuple[str, ...]
    consequence: Verdict
    clause: str
    text: str = ""


@dataclass(frozen=True)
class Threshold:
    metric: str  # monthly_active_users | annual_revenue_usd
    limit: int
    comparison: str  # greater_than | at_least
    basis: str  # license_release_date | continuous | trailing_12_months
    includes_affiliates: bool
    applies_when: str  # always | commercial
    consequence: Verdict
    clause: str
    text: str = ""

    def exceeded_by(self, value: float) -> bool:
        return value > self.limit if self.comparison == "greater_than" else value >= self.limit


@dataclass(frozen=True)
class Territorial:
    region: str
    licensee_domiciled: bool
    modalities_beyond_text: bool
    consequence: Verdict
    clause: str
    text: str = ""


@dataclass(frozen=True)
class Hosting:
    allowed: bool
    consequence: Verdict
    clause: str
    text: str = ""


@dataclass(frozen=True)
class OutputsTraining:
    allowed: bool
    exempt_target_licenses: tuple[str, ...]
    consequence: Verdict
    clause: str
    text: str = ""


@dataclass(frozen=True)
class DerivativeNaming:
    prefix: str
    applies_to_outputs_training: bool
    clause: str
    text: str = ""


@dataclass(frozen=True)
class UseRestrictions:
    codes: tuple[str, ...]
    flow_down: bool
    clause: str
    text: str = ""


@dataclass(frozen=True)
class Registration:
    required_when: str  # always | commercial
    consequence: str  # obligation | needs_separate_license
    clause: str
    text: str = ""


@dataclass(frozen=True)
class Termination:
    trigger: str
    clause: str
    text: str = ""


@dataclass(frozen=True)
class Obligation:
    text: str
    clause: str
    when: tuple[str, ...]


@dataclass(frozen=True)
class Terms:
    commercial_use: CommercialUse | None = None
    permitted_purposes: PermittedPurposes | None = None
    thresholds: tuple[Threshold, ...] = ()
    territorial: tuple[Territorial, ...] = ()
    hosting: Hosting | None = None
    outputs_training: OutputsTraining | None = None
    derivative_naming: DerivativeNaming | None = None
    use_restrictions: UseRestrictions | None = None
    registration: Registration | None = None
    termination: tuple[Termination, ...] = ()
    network_copyleft: Clause | None = None
    obligations: tuple[Obligation, ...] = ()


@dataclass(frozen=True)
class Fingerprint:
    phrases: tuple[str, ...] = ()
    normalized_sha256: tuple[str, ...] = ()


@dataclass(frozen=True)
class License:
    id: str
    name: str
    version: str
    date: str | None
    url: str
    category: Category
    osi_approved: bool
    grant: Clause
    terms: Terms = field(default_factory=Terms)
    hf_tags: tuple[str, ...] = ()
    hf_license_names: tuple[str, ...] = ()
    fingerprint: Fingerprint = field(default_factory=Fingerprint)
    scancode_key: str | None = None
    source: str = ""
    # False for SPDX-listed licenses the catalog describes only by their category.
    reviewed: bool = True
