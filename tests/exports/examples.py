"""A fine-tuned model's facts as the writers' tests use them (a Llama base, an Apache-2.0 and a custom
dataset, files with hashes, two metrics, officers' texts)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from compliance.exports.facts import (
    DatasetFact,
    FileFact,
    LicenseFact,
    LineageFact,
    MetricFact,
    ModelFacts,
)

REVISION = "0123456789abcdef0123456789abcdef01234567"
BASE_REVISION = "fedcba9876543210fedcba9876543210fedcba98"


def fine_tune_facts(**changes: Any) -> ModelFacts:
    """A fine-tune of Llama 3.1 8B on an Apache-2.0 dataset and a custom-licensed one."""
    facts = ModelFacts(
        version_id=7,
        hub_id="acme/llama-support-8b",
        name="llama-support-8b",
        revision=REVISION,
        provider="Acme AI",
        provider_url="https://acme.example",
        download_location=f"https://huggingface.co/acme/llama-support-8b/tree/{REVISION}",
        imported_at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        release_date="2026-10-15",
        task="text-generation",
        modalities=("text",),
        architecture="LlamaForCausalLM",
        model_type="llama",
        parameter_count=8_030_261_248,
        context_length=131072,
        languages=("en", "de"),
        description="A support assistant fine-tuned from Llama 3.1 8B.",
        declared_license="apache-2.0",
        license_expression="Apache-2.0 AND LicenseRef-Llama-3.1",
        own_license_expression="Apache-2.0",
        licenses=(
            LicenseFact(
                id="Apache-2.0",
                name="Apache License 2.0",
                url="https://www.apache.org/licenses/LICENSE-2.0",
                spdx_listed=True,
                osi_approved=True,
                category="permissive",
            ),
            LicenseFact(
                id="LicenseRef-Llama-3.1",
                name="Llama 3.1 Community License Agreement",
                url="https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE",
                category="source_available_ai",
                text="LLAMA 3.1 COMMUNITY LICENSE AGREEMENT ...",
            ),
            LicenseFact(
                id="LicenseRef-Acme-Data-1.0",
                name="Acme Data License 1.0",
                url="https://acme.example/data-license",
            ),
        ),
        license_file="LICENSE",
        files=(
            FileFact(path="config.json", size=826, sha256="a" * 64),
            FileFact(path="model-00001-of-00002.safetensors", size=4_976_698_672, sha256="b" * 64),
            FileFact(path="model-00002-of-00002.safetensors", size=1_168_138_808, sha256="c" * 64),
        ),
        lineage=(
            LineageFact(
                relation="fine_tune",
                parent_ref="meta-llama/Llama-3.1-8B",
                parent_revision=BASE_REVISION,
                parent_license="LicenseRef-Llama-3.1",
            ),
        ),
        datasets=(
            DatasetFact(
                name="OpenAssistant/oasst1",
                role="training",
                url="https://huggingface.co/datasets/OpenAssistant/oasst1",
                license="Apache-2.0",
                description="Human-written assistant conversations.",
                dataset_types=("text",),
            ),
            DatasetFact(
                name="acme/support-tickets",
                role="training",
                license="LicenseRef-Acme-Data-1.0",
                description="Anonymised support tickets.",
            ),
            DatasetFact(name="cais/mmlu", role="testing", url="https://huggingface.co/datasets/cais/mmlu"),
        ),
        metrics=(
            MetricFact(name="accuracy", value="0.68", dataset="cais/mmlu"),
            MetricFact(name="f1", value="0.81", dataset="acme/support-tickets", slice="billing"),
        ),
        tags=("transformers", "llama", "license:apache-2.0", "region:us", "llama"),
        texts={
            "intended_uses": "Answering customer support questions about Acme products.",
            "limitations": "Answers about products released after the training cut-off are unreliable.",
            "bias_risks": "May reproduce the tone of the support tickets it was trained on.",
            "training_procedure": "LoRA fine-tuning, merged into the base weights.",
        },
    )
    return dataclasses.replace(facts, **changes)
