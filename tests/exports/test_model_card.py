"""The Hugging Face model card writer: Hub metadata that round-trips, template sections, no invented values."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from huggingface_hub import ModelCard

from compliance.exports.facts import (
    LicenseFact,
    LineageFact,
    MetricFact,
    ModelFacts,
)
from compliance.exports.model_card import MORE_INFORMATION_NEEDED, card_metadata, model_card
from tests.exports.examples import REVISION, fine_tune_facts


def minimal_facts() -> ModelFacts:
    return ModelFacts(version_id=1, hub_id="acme/bare", name="bare", revision=REVISION, provider="")


def front_matter(text: str) -> dict[str, Any]:
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, "the card starts with a YAML block"
    loaded: dict[str, Any] = yaml.safe_load(match.group(1))
    return loaded


def section(text: str, heading: str) -> str:
    """The text under a heading, up to the next heading of any level."""
    match = re.search(rf"^{re.escape(heading)}\n\n(.*?)(?=^#{{1,6}} |\Z)", text, re.DOTALL | re.MULTILINE)
    assert match, f"{heading!r} is in the card"
    return match.group(1).strip()


# ---- round trip ----------------------------------------------------------------------------------


@pytest.mark.parametrize("facts", [fine_tune_facts(), minimal_facts()], ids=["fine-tune", "minimal"])
def test_the_card_round_trips_through_huggingface_hub(facts: ModelFacts) -> None:
    text = model_card(facts)
    card = ModelCard(text)

    # huggingface_hub leaves CardData.to_dict unannotated.
    parsed = card.data.to_dict()  # type: ignore[no-untyped-call]

    assert parsed == front_matter(text) == card_metadata(facts)
    assert str(card) == text
    assert str(ModelCard(str(card))) == text


def test_front_matter_carries_the_hub_metadata() -> None:
    metadata = front_matter(model_card(fine_tune_facts()))

    assert metadata["license"] == "apache-2.0"
    assert "license_name" not in metadata
    assert metadata["base_model"] == "meta-llama/Llama-3.1-8B"
    assert metadata["base_model_relation"] == "finetune"
    # Only the training datasets: the Hub reads `datasets` as "trained on".
    assert metadata["datasets"] == ["OpenAssistant/oasst1", "acme/support-tickets"]
    assert metadata["language"] == ["en", "de"]
    assert metadata["pipeline_tag"] == "text-generation"
    assert metadata["metrics"] == ["accuracy", "f1"]
    # Hub-computed "key:value" tags are dropped, duplicates collapsed.
    assert metadata["tags"] == ["transformers", "llama"]
    assert "library_name" not in metadata  # the facts do not know it


def test_model_index_holds_the_results_it_can_express() -> None:
    metadata = front_matter(model_card(fine_tune_facts()))

    assert metadata["model-index"] == [
        {
            "name": "llama-support-8b",
            "results": [
                {
                    "task": {"type": "text-generation"},
                    "dataset": {"name": "cais/mmlu", "type": "cais/mmlu"},
                    "metrics": [{"type": "accuracy", "value": 0.68}],
                }
            ],
        }
    ]
    # The sliced F1 has no place in model-index but is in the Results table.
    results = section(model_card(fine_tune_facts()), "### Results")
    assert "| f1 | 0.81 | acme/support-tickets | billing |" in results


def test_no_model_index_without_a_task_or_metrics() -> None:
    assert "model-index" not in card_metadata(fine_tune_facts(task=""))
    assert "model-index" not in card_metadata(fine_tune_facts(metrics=()))


def test_non_numeric_metric_values_are_kept_as_reported() -> None:
    facts = fine_tune_facts(metrics=(MetricFact(name="accuracy", value="68.2 ± 0.4", dataset="cais/mmlu"),))
    text = model_card(facts)

    index = front_matter(text)["model-index"]
    assert index[0]["results"][0]["metrics"][0]["value"] == "68.2 ± 0.4"
    assert str(ModelCard(text)) == text


# ---- licenses ------------------------------------------------------------------------------------


def test_a_license_the_hub_does_not_list_is_other_with_name_and_link() -> None:
    qwen = LicenseFact(
        id="LicenseRef-Qwen",
        name="Qwen LICENSE AGREEMENT",
        url="https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/main/LICENSE",
    )
    facts = fine_tune_facts(
        declared_license="other", own_license_expression="LicenseRef-Qwen", licenses=(qwen,), license_file=""
    )

    metadata = card_metadata(facts)

    assert metadata["license"] == "other"
    assert metadata["license_name"] == "qwen"
    assert metadata["license_link"] == qwen.url


def test_other_links_the_repository_license_file_when_there_is_one() -> None:
    qwen = LicenseFact(id="LicenseRef-Qwen", name="Qwen LICENSE AGREEMENT", url="https://example.com/qwen")
    facts = fine_tune_facts(declared_license="other", own_license_expression="LicenseRef-Qwen", licenses=(qwen,))

    assert card_metadata(facts)["license_link"] == "LICENSE"


def test_hub_license_tags_are_written_as_declared() -> None:
    facts = fine_tune_facts(declared_license="llama3.1", own_license_expression="LicenseRef-Llama-3.1")

    assert card_metadata(facts)["license"] == "llama3.1"


def test_body_names_the_declared_and_the_effective_license() -> None:
    details = section(model_card(fine_tune_facts()), "### Model Description")

    assert "- **License:** `Apache-2.0` ([Apache License 2.0](https://www.apache.org/licenses/LICENSE-2.0))" in details
    assert "- **Effective license (base models included):** `Apache-2.0 AND LicenseRef-Llama-3.1`" in details


# ---- lineage -------------------------------------------------------------------------------------


def test_merges_list_every_parent() -> None:
    facts = fine_tune_facts(
        lineage=(
            LineageFact(relation="merge", parent_ref="org/a"),
            LineageFact(relation="merge", parent_ref="org/b"),
        )
    )

    metadata = card_metadata(facts)

    assert metadata["base_model"] == ["org/a", "org/b"]
    assert metadata["base_model_relation"] == "merge"


@pytest.mark.parametrize(
    "lineage",
    [
        (LineageFact(relation="distillation", parent_ref="org/teacher"),),
        (LineageFact(relation="adapter", parent_ref="org/a"), LineageFact(relation="quantized", parent_ref="org/b")),
    ],
    ids=["no-hub-value", "mixed"],
)
def test_no_relation_is_written_when_the_hub_has_no_single_value_for_it(lineage: tuple[LineageFact, ...]) -> None:
    metadata = card_metadata(fine_tune_facts(lineage=lineage))

    assert "base_model" in metadata
    assert "base_model_relation" not in metadata


# ---- body sections -------------------------------------------------------------------------------


def test_body_follows_the_template_sections_in_order() -> None:
    text = model_card(fine_tune_facts())
    headings = [
        "## Model Details",
        "## Uses",
        "## Bias, Risks, and Limitations",
        "## How to Get Started with the Model",
        "## Training Details",
        "## Evaluation",
        "## Environmental Impact",
        "## Technical Specifications [optional]",
    ]

    positions = [text.index(f"\n{heading}\n") for heading in headings]

    assert positions == sorted(positions)


def test_sections_are_filled_from_the_facts() -> None:
    text = model_card(fine_tune_facts())

    assert section(text, "### Direct Use") == "Answering customer support questions about Acme products."
    assert section(text, "## Bias, Risks, and Limitations") == (
        "May reproduce the tone of the support tickets it was trained on.\n\n"
        "Answers about products released after the training cut-off are unreliable."
    )
    training_data = section(text, "### Training Data")
    assert "[OpenAssistant/oasst1](https://huggingface.co/datasets/OpenAssistant/oasst1)" in training_data
    assert "license `LicenseRef-Acme-Data-1.0`" in training_data
    assert "cais/mmlu" in section(text, "#### Testing Data")
    assert "cais/mmlu" not in training_data
    assert section(text, "#### Factors") == "billing"
    assert "- **Finetuned from model [optional]:** meta-llama/Llama-3.1-8B (fine_tune" in text
    assert "- **Parameters:** 8,030,261,248" in section(text, "### Model Architecture and Objective")
    assert f"| model-00001-of-00002.safetensors | 4976698672 | {'b' * 64} |" in section(text, "### Files")


def test_missing_facts_say_more_information_needed() -> None:
    text = model_card(fine_tune_facts())

    # The fixture has no out-of-scope, how-to-use or environmental texts.
    assert section(text, "### Out-of-Scope Use") == MORE_INFORMATION_NEEDED
    assert section(text, "## How to Get Started with the Model") == MORE_INFORMATION_NEEDED
    assert "- **Carbon Emitted:** [More Information Needed]" in section(text, "## Environmental Impact")
    assert "- **Funded by [optional]:** [More Information Needed]" in text


def test_nothing_is_invented_for_a_bare_version() -> None:
    text = model_card(minimal_facts())

    assert front_matter(text) == {}
    for heading in (
        "### Direct Use",
        "### Out-of-Scope Use",
        "## Bias, Risks, and Limitations",
        "### Training Data",
        "#### Testing Data",
        "#### Metrics",
        "### Results",
        "### Model Architecture and Objective",
    ):
        assert section(text, heading) == MORE_INFORMATION_NEEDED, heading
    for line in ("Developed by", "Model type", "Language(s) (NLP)", "License", "Finetuned from model [optional]"):
        assert re.search(rf"\*\*{re.escape(line)}:\*\* \[More Information Needed\]", text), line
    assert "None" not in text
    assert "### Files" not in text
    assert "Effective license" not in text


def test_how_to_use_and_environmental_texts_fill_their_sections() -> None:
    texts = {
        "how_to_use": "```python\nfrom transformers import pipeline\n```",
        "environmental_impact": "About 120 GPU hours.",
    }
    text = model_card(fine_tune_facts(texts=texts))

    assert section(text, "## How to Get Started with the Model") == texts["how_to_use"]
    assert section(text, "## Environmental Impact").startswith(
        "About 120 GPU hours.\n\nCarbon emissions can be estimated"
    )
    assert str(ModelCard(text)) == text
