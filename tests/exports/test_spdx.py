"""The SPDX 3.0.1 AI-BOM writer, checked against the official SPDX 3.0.1 JSON schema (vendored, no network)."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no types-jsonschema in the lock file
import pytest

from compliance.exports import spdx
from compliance.exports.facts import DatasetFact, FileFact, LicenseFact, LineageFact, MetricFact, ModelFacts
from compliance.exports.spdx import NO_ASSERTION_LICENSE, spdx_document

SCHEMA_PATH = Path(spdx.__file__).resolve().parent / "schemas" / "spdx-3.0.1-json-schema.json"
VENDORED_SCHEMA_SHA256 = "dd0b626dc43cc9c7083d00127af34407c8b2e82b74b5b2550d8a92a870d87b72"
NAMESPACE = "https://modelgate.example/spdx/versions/42"
CREATED = datetime(2026, 11, 22, 9, 30, 5, 123456, tzinfo=UTC)
LLAMA_URL = "https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE"
BASE_REVISION = "d04e592bb4f6aa9cfee91e2e20afa771667e1d4b"


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


FILES = (
    FileFact(path="config.json", size=826, sha256=sha256_of(b"config")),
    FileFact(path="model.safetensors", size=16_060_522_800, sha256=sha256_of(b"weights")),
    FileFact(path="adapters/README.md", size=1_204, sha256=sha256_of(b"readme")),
)

FINE_TUNE = ModelFacts(
    version_id=42,
    hub_id="acme/Llama-3.1-8B-Support",
    name="Llama-3.1-8B-Support",
    revision="6f1a3c0e9b7d4a2f8e5c1b3d7a9f0e2c4b6d8a1f",
    provider="ACME Corp",
    provider_url="https://acme.example",
    download_location="https://huggingface.co/acme/Llama-3.1-8B-Support/tree/6f1a3c0e9b7d4a2f8e5c1b3d7a9f0e2c4b6d8a1f",
    imported_at=datetime(2026, 10, 1, 12, 0, tzinfo=UTC),
    release_date="2026-09-15",
    task="text-generation",
    description="Llama 3.1 8B fine-tuned on ACME support tickets.",
    declared_license="llama3.1",
    license_expression="Apache-2.0 AND LicenseRef-Llama-3.1",
    own_license_expression="Apache-2.0",
    licenses=(
        LicenseFact(
            id="Apache-2.0",
            name="Apache License 2.0",
            url="https://www.apache.org/licenses/LICENSE-2.0",
            spdx_listed=True,
        ),
        LicenseFact(id="LicenseRef-Llama-3.1", name="Llama 3.1 Community License Agreement", url=LLAMA_URL),
    ),
    files=FILES,
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
            name="HuggingFaceFW/fineweb",
            role="training",
            url="https://huggingface.co/datasets/HuggingFaceFW/fineweb",
            license="ODC-By-1.0",
            dataset_types=("text",),
        ),
        DatasetFact(name="acme/support-tickets-eval", role="validation"),
    ),
    metrics=(MetricFact(name="accuracy", value="0.71", dataset="acme/support-tickets-eval"),),
    texts={"limitations": "Answers only in English.", "domain": "customer support"},
)


@functools.cache
def official_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@functools.cache
def element_errors(element_json: str) -> tuple[str, ...]:
    validator = official_validator()
    # The schema's own rule for every item of "@graph".
    item_rule = validator.schema["oneOf"][0]["properties"]["@graph"]["items"]
    return tuple(
        f"{e.json_path}: {e.message[:200]}"
        for e in validator.evolve(schema=item_rule).iter_errors(json.loads(element_json))
    )


def schema_errors(document: dict[str, Any]) -> list[str]:
    """The official schema's verdict on ``document``, checked element by element.

    Same verdict as validating the whole document (the envelope, then each "@graph" item against the
    schema's item rule), but python-jsonschema tries all ~80 classes of the schema for every element,
    about 0.05 s each, so elements that recur across the tests are checked once.
    """
    errors = [f"{e.json_path}: {e.message[:200]}" for e in official_validator().iter_errors({**document, "@graph": []})]
    for index, element in enumerate(document.get("@graph", [])):
        errors += [f"@graph[{index}] {error}" for error in element_errors(json.dumps(element, sort_keys=True))]
    return errors


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return spdx_document(FINE_TUNE, created=CREATED, namespace=NAMESPACE)


def elements(document: dict[str, Any], element_type: str) -> list[dict[str, Any]]:
    return [e for e in document["@graph"] if e.get("type") == element_type]


def relationships(document: dict[str, Any], relationship_type: str, from_id: str | None = None) -> list[dict[str, Any]]:
    return [
        r
        for r in elements(document, "Relationship")
        if r["relationshipType"] == relationship_type and (from_id is None or r["from"] == from_id)
    ]


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["spdxId"]: e for e in document["@graph"] if "spdxId" in e}


def the_model(document: dict[str, Any]) -> dict[str, Any]:
    (spdx_doc,) = elements(document, "SpdxDocument")
    return by_id(document)[spdx_doc["rootElement"][0]]


def test_the_vendored_schema_is_the_recorded_spdx_3_0_1_schema() -> None:
    # The provenance is in compliance/exports/schemas/README.md; a changed file must be a deliberate swap.
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == VENDORED_SCHEMA_SHA256
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["@context"] == {"const": spdx.SPDX_CONTEXT}
    assert {"ai_AIPackage", "dataset_DatasetPackage", "simplelicensing_LicenseExpression"} <= set(schema["$defs"])


def test_the_document_is_valid_against_the_official_schema(document: dict[str, Any]) -> None:
    # Once on the whole document in one call, as any other user of the schema would validate it.
    assert [error.message for error in official_validator().iter_errors(document)] == []
    assert schema_errors(document) == []
    assert document["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    json.dumps(document)  # JSON-serializable as it is


def test_the_validator_rejects_a_document_missing_a_required_property(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    expression = next(e for e in broken["@graph"] if e["type"] == "simplelicensing_LicenseExpression")
    del expression["simplelicensing_licenseExpression"]
    assert not official_validator().is_valid(broken)
    assert schema_errors(broken) != []


@pytest.mark.parametrize(
    ("element_type", "change"),
    [
        ("ai_AIPackage", {"creationInfo": None}),  # required on every Element
        ("Relationship", {"relationshipType": "validatedOn"}),  # not in the RelationshipType vocabulary
        ("ai_AIPackage", {"ai_limitations": "misspelled property"}),  # unknown properties are refused
        ("CreationInfo", {"created": "2026-11-22T09:30:05.123+00:00"}),  # only UTC to the second with Z
    ],
)
def test_the_validator_rejects_broken_elements(
    document: dict[str, Any], element_type: str, change: dict[str, Any]
) -> None:
    broken = copy.deepcopy(document)
    target = next(e for e in broken["@graph"] if e["type"] == element_type)
    for key, value in change.items():
        if value is None:
            del target[key]
        else:
            target[key] = value
    assert schema_errors(broken) != []


def test_every_package_has_exactly_one_declared_and_one_concluded_license(document: dict[str, Any]) -> None:
    packages = elements(document, "ai_AIPackage") + elements(document, "dataset_DatasetPackage")
    assert len(packages) == 4  # the model, its base, two datasets
    licenses = {e["spdxId"] for e in elements(document, "simplelicensing_LicenseExpression")} | {NO_ASSERTION_LICENSE}
    for package in packages:
        for relationship_type in ("hasDeclaredLicense", "hasConcludedLicense"):
            (found,) = relationships(document, relationship_type, package["spdxId"])
            assert len(found["to"]) == 1
            assert found["to"][0] in licenses


def test_the_model_package(document: dict[str, Any]) -> None:
    model = the_model(document)
    ids = by_id(document)
    assert model["type"] == "ai_AIPackage"
    assert model["name"] == "acme/Llama-3.1-8B-Support"
    assert model["software_packageVersion"] == FINE_TUNE.revision
    assert model["software_downloadLocation"] == FINE_TUNE.download_location
    assert model["software_primaryPurpose"] == "model"
    assert model["releaseTime"] == "2026-09-15T00:00:00Z"
    assert ids[model["suppliedBy"]] == {
        "type": "Organization",
        "spdxId": f"{NAMESPACE}/organization/ACME%20Corp",
        "creationInfo": "_:creationinfo",
        "name": "ACME Corp",
    }
    assert model["ai_limitation"] == "Answers only in English."
    assert model["ai_domain"] == ["customer support"]
    assert model["ai_metric"] == [
        {"type": "DictionaryEntry", "key": "accuracy on acme/support-tickets-eval", "value": "0.71"}
    ]
    assert "ai_typeOfModel" not in model  # no text for it: left out, not guessed


def test_the_model_licenses_declared_own_and_concluded_with_lineage(document: dict[str, Any]) -> None:
    model_id = the_model(document)["spdxId"]
    ids = by_id(document)
    (declared,) = relationships(document, "hasDeclaredLicense", model_id)
    (concluded,) = relationships(document, "hasConcludedLicense", model_id)
    assert ids[declared["to"][0]]["simplelicensing_licenseExpression"] == "Apache-2.0"
    assert "simplelicensing_customIdToUri" not in ids[declared["to"][0]]
    assert ids[concluded["to"][0]]["simplelicensing_licenseExpression"] == "Apache-2.0 AND LicenseRef-Llama-3.1"


def test_a_license_ref_maps_to_the_license_url(document: dict[str, Any]) -> None:
    model_id = the_model(document)["spdxId"]
    (concluded,) = relationships(document, "hasConcludedLicense", model_id)
    expression = by_id(document)[concluded["to"][0]]
    assert expression["simplelicensing_customIdToUri"] == [
        {"type": "DictionaryEntry", "key": "LicenseRef-Llama-3.1", "value": LLAMA_URL}
    ]


def test_a_license_off_the_spdx_list_becomes_a_license_ref() -> None:
    facts = replace(
        FINE_TUNE,
        license_expression="llama3.1 OR (MIT AND qwen-research)",
        licenses=(
            LicenseFact(id="llama3.1", name="Llama 3.1", url=LLAMA_URL),
            LicenseFact(id="MIT", name="MIT License", spdx_listed=True),
            LicenseFact(id="qwen-research", name="Qwen Research License"),  # no URL known
        ),
    )
    document = spdx_document(facts, created=CREATED, namespace=NAMESPACE)
    (concluded,) = relationships(document, "hasConcludedLicense", the_model(document)["spdxId"])
    expression = by_id(document)[concluded["to"][0]]
    assert (
        expression["simplelicensing_licenseExpression"] == "LicenseRef-llama3.1 OR (MIT AND LicenseRef-qwen-research)"
    )
    assert expression["simplelicensing_customIdToUri"] == [
        {"type": "DictionaryEntry", "key": "LicenseRef-llama3.1", "value": LLAMA_URL}
    ]
    assert schema_errors(document) == []


def test_datasets_trained_on_and_tested_on(document: dict[str, Any]) -> None:
    model_id = the_model(document)["spdxId"]
    ids = by_id(document)
    (trained_on,) = relationships(document, "trainedOn", model_id)
    (tested_on,) = relationships(document, "testedOn", model_id)
    training, validation = ids[trained_on["to"][0]], ids[tested_on["to"][0]]
    assert training["type"] == validation["type"] == "dataset_DatasetPackage"
    assert training["name"] == "HuggingFaceFW/fineweb"
    assert training["dataset_datasetType"] == ["text"]
    assert training["software_downloadLocation"] == "https://huggingface.co/datasets/HuggingFaceFW/fineweb"
    assert validation["name"] == "acme/support-tickets-eval"
    assert validation["dataset_datasetType"] == ["noAssertion"]
    assert tested_on["comment"] == "dataset role: validation"


def test_unknown_licenses_are_no_assertion(document: dict[str, Any]) -> None:
    ids = by_id(document)
    training = next(e for e in elements(document, "dataset_DatasetPackage") if e["name"] == "HuggingFaceFW/fineweb")
    validation = next(e for e in elements(document, "dataset_DatasetPackage") if e["name"] != training["name"])
    (declared,) = relationships(document, "hasDeclaredLicense", training["spdxId"])
    assert ids[declared["to"][0]]["simplelicensing_licenseExpression"] == "ODC-By-1.0"
    for dataset, relationship_type in [
        (training, "hasConcludedLicense"),
        (validation, "hasDeclaredLicense"),
        (validation, "hasConcludedLicense"),
    ]:
        (found,) = relationships(document, relationship_type, dataset["spdxId"])
        assert found["to"] == [NO_ASSERTION_LICENSE]
    (spdx_doc,) = elements(document, "SpdxDocument")
    assert "expandedLicensing" in spdx_doc["profileConformance"]


def test_the_engines_unknown_license_is_no_assertion() -> None:
    facts = replace(FINE_TUNE, license_expression="LicenseRef-Unknown", own_license_expression="", lineage=())
    document = spdx_document(facts, created=CREATED, namespace=NAMESPACE)
    model_id = the_model(document)["spdxId"]
    for relationship_type in ("hasDeclaredLicense", "hasConcludedLicense"):
        (found,) = relationships(document, relationship_type, model_id)
        assert found["to"] == [NO_ASSERTION_LICENSE]
    assert schema_errors(document) == []


def test_the_base_model_is_an_ai_package_the_model_descends_from(document: dict[str, Any]) -> None:
    model_id = the_model(document)["spdxId"]
    ids = by_id(document)
    (lineage,) = relationships(document, "descendantOf", model_id)
    assert lineage["comment"] == "lineage relation: fine_tune"
    base = ids[lineage["to"][0]]
    assert base["type"] == "ai_AIPackage"
    assert base["name"] == "meta-llama/Llama-3.1-8B"
    assert base["software_packageVersion"] == BASE_REVISION
    assert "suppliedBy" not in base
    assert "releaseTime" not in base
    (declared,) = relationships(document, "hasDeclaredLicense", base["spdxId"])
    (concluded,) = relationships(document, "hasConcludedLicense", base["spdxId"])
    assert declared["to"] == [NO_ASSERTION_LICENSE]
    concluded_expression = ids[concluded["to"][0]]
    assert concluded_expression["simplelicensing_licenseExpression"] == "LicenseRef-Llama-3.1"
    assert concluded_expression["simplelicensing_customIdToUri"][0]["value"] == LLAMA_URL


def test_files_with_sha256_hashes_contained_by_the_model(document: dict[str, Any]) -> None:
    model_id = the_model(document)["spdxId"]
    ids = by_id(document)
    (contains,) = relationships(document, "contains", model_id)
    files = [ids[file_id] for file_id in contains["to"]]
    assert [f["name"] for f in files] == [f.path for f in FILES]
    for element, fact in zip(files, FILES, strict=True):
        assert element["type"] == "software_File"
        assert element["verifiedUsing"] == [{"type": "Hash", "algorithm": "sha256", "hashValue": fact.sha256}]
    assert ids[f"{NAMESPACE}/file/adapters/README.md"]["name"] == "adapters/README.md"


def test_a_value_that_is_not_a_sha256_digest_is_left_out() -> None:
    facts = replace(FINE_TUNE, files=(FileFact(path="weights bin", size=3, sha256="not-a-digest"),))
    document = spdx_document(facts, created=CREATED, namespace=NAMESPACE)
    (file_element,) = elements(document, "software_File")
    assert file_element["spdxId"] == f"{NAMESPACE}/file/weights%20bin"
    assert "verifiedUsing" not in file_element
    assert schema_errors(document) == []


def test_ids_are_stable_iris_under_the_namespace(document: dict[str, Any]) -> None:
    later = spdx_document(FINE_TUNE, created=CREATED + timedelta(days=3), namespace=NAMESPACE)
    (creation_info,) = elements(later, "CreationInfo")
    assert creation_info["created"] == "2026-11-25T09:30:05Z"
    creation_info["created"] = "2026-11-22T09:30:05Z"
    assert later == document
    ids = [e["spdxId"] for e in document["@graph"] if "spdxId" in e]
    assert len(ids) == len(set(ids))
    assert all(spdx_id.startswith(NAMESPACE + "/") for spdx_id in ids)
    (spdx_doc,) = elements(document, "SpdxDocument")
    assert set(spdx_doc["element"]) == set(ids) - {spdx_doc["spdxId"]}
    assert all(e["creationInfo"] == "_:creationinfo" for e in document["@graph"] if "spdxId" in e)


def test_the_document_and_its_creator(document: dict[str, Any]) -> None:
    (creation_info,) = elements(document, "CreationInfo")
    assert creation_info["specVersion"] == "3.0.1"
    assert creation_info["created"] == "2026-11-22T09:30:05Z"
    (agent,) = elements(document, "SoftwareAgent")
    assert agent["name"] == "Modelgate"
    assert creation_info["createdBy"] == [agent["spdxId"]]
    (spdx_doc,) = elements(document, "SpdxDocument")
    # The base model has no supplier or release time and the datasets no originator: those profiles are not claimed.
    assert spdx_doc["profileConformance"] == ["core", "software", "simpleLicensing", "expandedLicensing"]


def test_sparse_facts_give_a_valid_document_with_nothing_invented() -> None:
    facts = ModelFacts(version_id=7, hub_id="", name="local-model", revision="", provider="")
    document = spdx_document(facts, created=CREATED, namespace=NAMESPACE + "/")
    model = the_model(document)
    assert set(model) == {"type", "spdxId", "creationInfo", "name", "software_primaryPurpose"}
    assert model["spdxId"] == f"{NAMESPACE}/model/local-model@7"
    assert elements(document, "Organization") == []
    assert schema_errors(document) == []


def test_a_complete_model_without_lineage_claims_the_ai_profile() -> None:
    facts = replace(FINE_TUNE, lineage=(), datasets=(), release_date="", own_license_expression="LicenseRef-Llama-3.1")
    document = spdx_document(facts, created=CREATED, namespace=NAMESPACE)
    assert the_model(document)["releaseTime"] == "2026-10-01T12:00:00Z"  # the import time when no release date
    (spdx_doc,) = elements(document, "SpdxDocument")
    assert spdx_doc["profileConformance"] == ["core", "software", "simpleLicensing", "ai"]
    assert schema_errors(document) == []


@pytest.mark.parametrize(
    "arguments",
    [
        {"created": datetime(2026, 11, 22, 9, 30), "namespace": NAMESPACE},  # naive
        {"created": CREATED, "namespace": "modelgate-42"},  # not an IRI
        {"created": CREATED, "namespace": "_:blank"},
    ],
)
def test_bad_arguments_raise(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="SPDX"):
        spdx_document(FINE_TUNE, **arguments)


def test_graph_lists_creation_info_and_document_first(document: dict[str, Any]) -> None:
    graph: Iterator[dict[str, Any]] = iter(document["@graph"])
    assert next(graph)["type"] == "CreationInfo"
    assert next(graph)["type"] == "SpdxDocument"
