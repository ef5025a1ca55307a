"""The CycloneDX 1.6 ML-BOM writer: schema-valid, model card, licenses, lineage, files, no invented values."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from compliance.exports.cyclonedx import cyclonedx_bom
from compliance.exports.facts import (
    LineageFact,
    ModelFacts,
)
from tests.exports.examples import BASE_REVISION, REVISION, fine_tune_facts

SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
CREATED = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
MODEL_PURL = f"pkg:huggingface/acme/llama-support-8b@{REVISION}"
BASE_PURL = f"pkg:huggingface/meta-llama/Llama-3.1-8B@{BASE_REVISION}"


def bom(facts: ModelFacts | None = None) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(cyclonedx_bom(facts or fine_tune_facts(), serial=SERIAL, created=CREATED))
    return loaded


def model_component(document: dict[str, Any]) -> dict[str, Any]:
    component: dict[str, Any] = document["metadata"]["component"]
    return component


def components_by_ref(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {component["bom-ref"]: component for component in document.get("components", [])}


def validation_error(document: dict[str, Any]) -> object:
    return JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))


# ---- schema --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts",
    [
        fine_tune_facts(),
        ModelFacts(version_id=1, hub_id="acme/bare", name="bare", revision=REVISION, provider=""),
    ],
    ids=["fine-tune", "bare"],
)
def test_the_bom_is_valid_cyclonedx_1_6(facts: ModelFacts) -> None:
    text = cyclonedx_bom(facts, serial=SERIAL, created=CREATED)
    document = json.loads(text)

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert document["bomFormat"] == "CycloneDX"
    assert document["specVersion"] == "1.6"
    assert document["serialNumber"] == SERIAL
    assert document["metadata"]["timestamp"].startswith("2026-11-22T09:30:00")


def test_the_validator_bites() -> None:
    """A broken BOM fails the same validator, so the passing test above means something."""
    document = bom()
    assert validation_error(document) is None

    wrong_type = copy.deepcopy(document)
    model_component(wrong_type)["type"] = "neural-network"
    assert validation_error(wrong_type) is not None

    # A custom license is not an SPDX id: the schema only takes listed ids in `license.id`.
    custom_as_id = copy.deepcopy(document)
    model_component(custom_as_id)["licenses"] = [{"license": {"id": "LicenseRef-Llama-3.1"}}]
    assert validation_error(custom_as_id) is not None

    bad_hash = copy.deepcopy(document)
    model_component(bad_hash)["components"][0]["hashes"] = [{"alg": "SHA-256", "content": "not-a-hash"}]
    assert validation_error(bad_hash) is not None


def test_the_same_facts_give_the_same_bom() -> None:
    facts = fine_tune_facts()

    assert cyclonedx_bom(facts, serial=SERIAL, created=CREATED) == cyclonedx_bom(facts, serial=SERIAL, created=CREATED)


def test_a_bare_uuid_serial_is_accepted_and_none_gives_a_fresh_one() -> None:
    facts = fine_tune_facts()
    bare = json.loads(cyclonedx_bom(facts, serial=SERIAL.removeprefix("urn:uuid:"), created=CREATED))
    first = json.loads(cyclonedx_bom(facts, created=CREATED))
    second = json.loads(cyclonedx_bom(facts, created=CREATED))

    assert bare["serialNumber"] == SERIAL
    assert first["serialNumber"].startswith("urn:uuid:")
    assert first["serialNumber"] != second["serialNumber"]


def test_an_invalid_serial_or_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="serial"):
        cyclonedx_bom(fine_tune_facts(), serial="not-a-uuid", created=CREATED)
    with pytest.raises(ValueError, match="timezone"):
        cyclonedx_bom(fine_tune_facts(), serial=SERIAL, created=CREATED.replace(tzinfo=None))


# ---- the model component -------------------------------------------------------------------------


def test_the_model_is_the_subject_of_the_bom() -> None:
    model = model_component(bom())

    assert model["type"] == "machine-learning-model"
    assert model["bom-ref"] == MODEL_PURL
    assert model["purl"] == MODEL_PURL
    assert model["group"] == "acme"
    assert model["name"] == "llama-support-8b"
    assert model["version"] == REVISION
    assert model["supplier"] == {"name": "Acme AI", "url": ["https://acme.example"]}
    assert model["description"] == "A support assistant fine-tuned from Llama 3.1 8B."
    assert {"type": "distribution", "url": f"https://huggingface.co/acme/llama-support-8b/tree/{REVISION}"} in model[
        "externalReferences"
    ]


def test_files_are_components_of_the_model_with_their_sha256() -> None:
    files = {f["name"]: f for f in model_component(bom())["components"]}

    assert set(files) == {"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}
    weights = files["model-00001-of-00002.safetensors"]
    assert weights["type"] == "file"
    assert weights["hashes"] == [{"alg": "SHA-256", "content": "b" * 64}]
    assert {"name": "modelgate:file:size", "value": "4976698672"} in weights["properties"]


def test_model_card_parameters_datasets_and_metrics() -> None:
    document = bom()
    card = model_component(document)["modelCard"]
    data_refs = {ref for ref, c in components_by_ref(document).items() if c["type"] == "data"}

    parameters = card["modelParameters"]
    assert parameters["task"] == "text-generation"
    assert parameters["architectureFamily"] == "llama"
    assert parameters["modelArchitecture"] == "LlamaForCausalLM"
    assert {item["ref"] for item in parameters["datasets"]} == data_refs
    assert len(data_refs) == 3
    assert parameters["inputs"] == [{"format": "text"}]
    assert parameters["outputs"] == [{"format": "text"}]
    assert "approach" not in parameters  # the facts do not say how it was trained

    metrics = card["quantitativeAnalysis"]["performanceMetrics"]
    assert {"type": "accuracy", "value": "0.68", "slice": "cais/mmlu"} in metrics
    assert {"type": "f1", "value": "0.81", "slice": "acme/support-tickets: billing"} in metrics


def test_model_card_considerations_come_from_the_texts() -> None:
    card = model_component(bom())["modelCard"]
    considerations = card["considerations"]

    assert considerations["useCases"] == ["Answering customer support questions about Acme products."]
    assert considerations["technicalLimitations"] == [
        "Answers about products released after the training cut-off are unreliable."
    ]
    assert considerations["ethicalConsiderations"] == [
        {"name": "May reproduce the tone of the support tickets it was trained on."}
    ]
    properties = {p["name"]: p["value"] for p in card["properties"]}
    assert properties["modelgate:text:training_procedure"] == "LoRA fine-tuning, merged into the base weights."
    assert properties["modelgate:parameter-count"] == "8030261248"
    assert properties["modelgate:context-length"] == "131072"


def test_data_components_carry_their_licenses_and_roles() -> None:
    by_ref = components_by_ref(bom())
    datasets = {c["name"]: c for c in by_ref.values() if c["type"] == "data"}

    assert datasets["oasst1"]["group"] == "OpenAssistant"
    assert datasets["oasst1"]["licenses"] == [{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]
    assert datasets["support-tickets"]["licenses"] == [
        {
            "license": {
                "name": "Acme Data License 1.0",
                "url": "https://acme.example/data-license",
                "acknowledgement": "declared",
            }
        }
    ]
    assert {"name": "modelgate:dataset:role", "value": "training"} in datasets["oasst1"]["properties"]
    assert {"name": "modelgate:dataset:role", "value": "testing"} in datasets["mmlu"]["properties"]
    assert "licenses" not in datasets["mmlu"]  # not known, not invented


# ---- licenses ------------------------------------------------------------------------------------


def test_model_licenses_spdx_by_id_custom_by_name_declared_and_concluded() -> None:
    licenses = [entry["license"] for entry in model_component(bom())["licenses"]]

    assert {"id": "Apache-2.0", "acknowledgement": "declared"} in licenses
    assert {"id": "Apache-2.0", "acknowledgement": "concluded"} in licenses
    llama = [entry for entry in licenses if entry.get("name") == "Llama 3.1 Community License Agreement"]
    assert len(llama) == 1
    assert llama[0]["acknowledgement"] == "concluded"
    assert llama[0]["url"] == "https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE"
    assert llama[0]["text"]["content"] == "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT ..."
    assert all(not entry.get("id", "").startswith("LicenseRef-") for entry in licenses)


def test_a_choice_between_licenses_is_kept_as_an_expression() -> None:
    facts = fine_tune_facts(own_license_expression="MIT OR Apache-2.0", license_expression="MIT OR Apache-2.0")
    document = bom(facts)

    assert model_component(document)["licenses"] == [
        {"expression": "MIT OR Apache-2.0", "acknowledgement": "concluded"}
    ]
    assert validation_error(document) is None


# ---- lineage -------------------------------------------------------------------------------------


def test_the_base_model_is_a_pedigree_ancestor() -> None:
    document = bom()
    ancestors = model_component(document)["pedigree"]["ancestors"]

    assert len(ancestors) == 1
    base = ancestors[0]
    assert base["type"] == "machine-learning-model"
    assert base["bom-ref"] == BASE_PURL
    assert base["purl"] == BASE_PURL
    assert base["group"] == "meta-llama"
    assert base["name"] == "Llama-3.1-8B"
    assert base["version"] == BASE_REVISION
    assert base["licenses"] == [
        {
            "license": {
                "name": "Llama 3.1 Community License Agreement",
                "url": "https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE",
                "text": {"content": "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT ...", "contentType": "text/plain"},
                "acknowledgement": "declared",
            }
        }
    ]
    assert {"name": "modelgate:lineage:relation", "value": "fine_tune"} in base["properties"]
    # A full fine-tune runs without its base: no dependency is claimed.
    model_dependencies = [d for d in document.get("dependencies", []) if d["ref"] == MODEL_PURL]
    assert all(BASE_PURL not in d.get("dependsOn", []) for d in model_dependencies)


def test_an_adapter_also_depends_on_its_base_model() -> None:
    adapter = LineageFact(relation="adapter", parent_ref="meta-llama/Llama-3.1-8B", parent_revision=BASE_REVISION)
    document = bom(fine_tune_facts(lineage=(adapter,)))

    # The base is in the BOM's inventory (the adapter cannot run without it) and holds the
    # bom-ref there; the pedigree copy has none, as bom-refs are unique within a BOM.
    assert components_by_ref(document)[BASE_PURL]["type"] == "machine-learning-model"
    ancestor = model_component(document)["pedigree"]["ancestors"][0]
    assert ancestor["purl"] == BASE_PURL
    assert "bom-ref" not in ancestor
    assert {"ref": MODEL_PURL, "dependsOn": [BASE_PURL]} in document["dependencies"]
    assert validation_error(document) is None


def test_a_base_without_a_pinned_revision_has_no_version() -> None:
    base = LineageFact(relation="merge", parent_ref="org/other-model")
    ancestor = model_component(bom(fine_tune_facts(lineage=(base,))))["pedigree"]["ancestors"][0]

    assert ancestor["purl"] == "pkg:huggingface/org/other-model"
    assert "version" not in ancestor
    assert "licenses" not in ancestor


# ---- nothing invented ----------------------------------------------------------------------------


def test_a_bare_version_gets_no_invented_fields() -> None:
    facts = ModelFacts(version_id=1, hub_id="acme/bare", name="bare", revision=REVISION, provider="")
    document = bom(facts)
    model = model_component(document)

    assert model["purl"] == f"pkg:huggingface/acme/bare@{REVISION}"
    for key in ("licenses", "supplier", "modelCard", "pedigree", "components", "description", "externalReferences"):
        assert key not in model, key
    assert "components" not in document


def test_every_model_card_text_has_a_place_and_other_texts_stay_out() -> None:
    texts = {
        "intended_uses": "Support answers.",
        "out_of_scope_uses": "Medical advice.",
        "evaluation": "Evaluated on MMLU, 5-shot.",
        "environmental_impact": "About 120 GPU hours on A100s.",
        "cop_signatory": "An EU AI Act text that is not model card material.",
    }
    document = bom(fine_tune_facts(texts=texts))
    card = model_component(document)["modelCard"]

    assert validation_error(document) is None
    assert card["considerations"]["environmentalConsiderations"] == {
        "properties": [{"name": "modelgate:text:environmental_impact", "value": "About 120 GPU hours on A100s."}]
    }
    properties = {p["name"]: p["value"] for p in card["properties"]}
    assert properties["modelgate:text:out_of_scope_uses"] == "Medical advice."
    assert properties["modelgate:text:evaluation"] == "Evaluated on MMLU, 5-shot."
    assert "cop_signatory" not in json.dumps(document)


def test_a_model_outside_a_namespace_has_no_purl_but_a_stable_ref() -> None:
    facts = fine_tune_facts(hub_id="gpt2", name="gpt2")
    document = bom(facts)
    model = model_component(document)

    assert "purl" not in model
    assert "group" not in model
    assert model["bom-ref"] == f"model:gpt2@{REVISION}"
    assert validation_error(document) is None
