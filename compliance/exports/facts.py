"""What an export knows about a model version: plain, frozen data gathered once by the selectors.

The writers (SPDX, CycloneDX, model card, the EU AI Act documents) are pure functions over
these, so each can be tested without a database and called from the CLI, the API or a task.
Empty strings, ``None`` and empty tuples mean "not known"; writers never invent values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FileFact:
    """One file of the pinned revision."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class LineageFact:
    """One base model of the version (fine_tune, adapter, quantized, merge or distillation)."""

    relation: str
    parent_ref: str  # as declared, e.g. "meta-llama/Llama-3.1-8B"
    parent_revision: str = ""  # the pinned commit when the base is in the registry
    parent_license: str = ""  # SPDX-style expression, e.g. "LicenseRef-llama3.1"


@dataclass(frozen=True)
class DatasetFact:
    """A dataset the model was trained, tested or validated on."""

    name: str  # e.g. "HuggingFaceFW/fineweb"
    role: str  # "training", "testing" or "validation"
    url: str = ""
    license: str = ""  # license expression, "" when not known
    description: str = ""
    dataset_types: tuple[str, ...] = ()  # SPDX DatasetType values, e.g. ("text",)


@dataclass(frozen=True)
class MetricFact:
    """One evaluation result."""

    name: str  # e.g. "accuracy"
    value: str  # as reported, e.g. "0.71"
    dataset: str = ""
    slice: str = ""


@dataclass(frozen=True)
class LicenseFact:
    """A license named by the expression, from the reviewed catalog when it is there."""

    id: str  # catalog id or SPDX id, e.g. "llama3.1" or "Apache-2.0"
    name: str
    url: str = ""
    spdx_listed: bool = False  # on the SPDX License List (usable as a plain SPDX id)
    osi_approved: bool = False
    category: str = ""  # e.g. "permissive", "source_available"
    text: str = ""  # the license text when the repo carries it


@dataclass(frozen=True)
class ModelFacts:
    """A model version as the registry and the license engine know it."""

    version_id: int
    hub_id: str  # e.g. "meta-llama/Llama-3.1-8B-Instruct"
    name: str  # the part after the namespace
    revision: str  # pinned commit sha
    provider: str  # organization name
    provider_url: str = ""
    download_location: str = ""  # e.g. https://huggingface.co/<hub_id>/tree/<revision>, or "" for offline
    imported_at: datetime | None = None
    release_date: str = ""  # ISO date when known
    task: str = ""  # Hub pipeline tag, e.g. "text-generation"
    modalities: tuple[str, ...] = ()  # text, image, audio, video
    architecture: str = ""  # e.g. "LlamaForCausalLM"
    model_type: str = ""  # config.json model_type, e.g. "llama"
    parameter_count: int | None = None
    context_length: int | None = None  # max_position_embeddings
    training_compute_flops: float | None = None
    languages: tuple[str, ...] = ()
    description: str = ""
    declared_license: str = ""  # the card's license tag, as written
    license_expression: str = ""  # the effective (concluded) expression, lineage included
    own_license_expression: str = ""  # the version's own license, before lineage
    licenses: tuple[LicenseFact, ...] = ()  # every license named by the expressions
    license_file: str = ""
    files: tuple[FileFact, ...] = ()
    lineage: tuple[LineageFact, ...] = ()
    datasets: tuple[DatasetFact, ...] = ()
    metrics: tuple[MetricFact, ...] = ()
    tags: tuple[str, ...] = ()
    # Free text kept with the model version, edited by compliance officers (ExportText);
    # keys are the section keys of compliance/exports/sections, e.g. "limitations".
    texts: dict[str, str] = field(default_factory=dict)
