"""The reviewed EU AI Act item lists (compliance/exports/sections/*.yaml): schema, ids, keys, fill names, the law's points."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.exports.sections import document_spec

SECTIONS_DIR = Path(__file__).resolve().parents[2] / "compliance" / "exports" / "sections"

KINDS = ("annex_iv", "annex_xi", "annex_xii", "cop_form", "training_summary", "transparency_notice")

# The facts the platform has (compliance/exports/selectors.py); `fill` may name only these.
ALLOWED_FILL = frozenset(
    {
        "use_case.name",
        "use_case.intended_purpose",
        "use_case.deployment_facts",
        "use_case.owner",
        "classification.tier",
        "classification.reasons",
        "classification.articles",
        "classification.annex_iii",
        "approval.state",
        "approval.signoffs",
        "approval.conditions",
        "approval.gate_results",
        "approval.environment",
        "approval.expires_at",
        "approval.evidence.risk_management",
        "approval.evidence.data_governance",
        "approval.evidence.human_oversight",
        "approval.evidence.accuracy_robustness_tests",
        "approval.evidence.fundamental_rights_impact_assessment",
        "model.hub_id",
        "model.provider",
        "model.task",
        "model.modalities",
        "model.architecture",
        "model.model_type",
        "model.parameter_count",
        "model.context_length",
        "model.training_compute_flops",
        "model.languages",
        "model.description",
        "model.release_date",
        "version.revision",
        "version.files",
        "version.imported_at",
        "version.lineage",
        "version.datasets",
        "version.metrics",
        "license.expression",
        "license.declared",
        "license.verdict",
        "license.obligations",
        "license.names",
        "license.acceptable_use_policy",
        "deployment.endpoints",
        "deployment.guardrail_policy",
        "deployment.backends",
        "serving.inference_records_retention",
        "serving.log_fields",
        "audit.ledger",
    }
)

TOP_REQUIRED = {"kind", "title", "legal_basis", "retention", "applies_to", "sections"}
TOP_OPTIONAL = {"source_status", "note"}
SECTION_REQUIRED = {"id", "title", "items"}
SECTION_OPTIONAL = {"text", "part"}
ITEM_REQUIRED = {"id", "key", "title", "text", "source", "required", "fill", "free_text"}
ITEM_OPTIONAL = {
    "applicability",
    "note",
    "unnumbered",
    "systemic_risk_only",
    "recipients",
    "uncertain",
    "uncertainty",
    "implements",
    "export_metadata",
}
RECIPIENTS = ("AIO", "NCA", "DP")
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")

SOURCE_PREFIX = {
    "annex_iv": "Annex IV ",
    "annex_xi": "Annex XI Section ",
    "annex_xii": "Annex XII ",
    "cop_form": "CoP Model Documentation Form ",
    "training_summary": "Training content template ",
    "transparency_notice": "Art. 50(",
}

# Keys in more than one file name the same content on purpose: an officer's text stored under such a key is
# reused by every document that has it. Any other repeat would make one document show another's text.
SHARED_KEYS = {
    "tasks_and_integration": {"annex_xi", "annex_xii"},
    "acceptable_use_policy": {"annex_xi", "annex_xii", "cop_form"},
    "release_date_and_distribution": {"annex_xi", "annex_xii"},
    "architecture_and_parameters": {"annex_xi", "annex_xii"},
    "input_output_modalities": {"annex_xi", "annex_xii"},
    "licence": {"annex_xi", "annex_xii"},
    "integration_technical_means": {"annex_xi", "annex_xii", "cop_form"},
    "union_market_release_date": {"cop_form", "training_summary"},
}

# Text keys the model card, CycloneDX and SPDX writers read from the same texts (compliance/exports/*.py).
# Only `intended_uses` (CoP form 4.2) is meant to be the same text.
OTHER_WRITER_KEYS = {
    "bias_risks",
    "domain",
    "environmental_impact",
    "evaluation",
    "how_to_use",
    "information_about_application",
    "information_about_training",
    "intended_uses",
    "limitations",
    "model_data_preprocessing",
    "model_explainability",
    "out_of_scope_uses",
    "standard_compliance",
    "training_procedure",
    "type_of_model",
}


def _load(kind: str) -> dict[str, Any]:
    data = yaml.safe_load((SECTIONS_DIR / f"{kind}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), kind
    return data


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in data["sections"] for item in section["items"]]


def _ids(data: dict[str, Any]) -> list[str]:
    return [item["id"] for item in _items(data)]


def test_one_file_per_kind() -> None:
    assert sorted(path.stem for path in SECTIONS_DIR.glob("*.yaml")) == sorted(KINDS)
    assert not list(SECTIONS_DIR.glob("*.yml"))


@pytest.mark.parametrize("kind", KINDS)
def test_document_schema(kind: str) -> None:
    data = _load(kind)
    assert data.keys() >= TOP_REQUIRED, TOP_REQUIRED - data.keys()
    assert data.keys() <= TOP_REQUIRED | TOP_OPTIONAL, data.keys() - TOP_REQUIRED - TOP_OPTIONAL
    assert data["kind"] == kind
    for field in ("title", "legal_basis", "retention"):
        assert isinstance(data[field], str), field
        assert data[field].strip(), field
    assert data["applies_to"] in {"use_case_version", "model_version"}
    assert data.get("source_status", "law") in {"law", "secondary"}
    assert isinstance(data["sections"], list)
    assert data["sections"]
    for section in data["sections"]:
        assert section.keys() >= SECTION_REQUIRED, (section.get("id"), SECTION_REQUIRED - section.keys())
        assert section.keys() <= SECTION_REQUIRED | SECTION_OPTIONAL, (section["id"], section.keys())
        assert isinstance(section["id"], str)
        assert isinstance(section["title"], str)
        assert section["title"].strip()
        assert isinstance(section["items"], list)
        assert section["items"], section["id"]


@pytest.mark.parametrize("kind", KINDS)
def test_item_schema(kind: str) -> None:
    for item in _items(_load(kind)):
        where = (kind, item.get("id"))
        assert item.keys() >= ITEM_REQUIRED, (where, ITEM_REQUIRED - item.keys())
        assert item.keys() <= ITEM_REQUIRED | ITEM_OPTIONAL, (where, item.keys() - ITEM_REQUIRED - ITEM_OPTIONAL)
        for field in ("id", "key", "title", "text", "source"):
            assert isinstance(item[field], str), (where, field)
            assert item[field].strip(), (where, field)
        assert isinstance(item["required"], bool), where
        assert isinstance(item["free_text"], bool), where
        assert isinstance(item["fill"], list), where
        assert len(set(item["fill"])) == len(item["fill"]), where
        assert item["source"].startswith(SOURCE_PREFIX[kind]), (where, item["source"])
        if not item["required"]:
            # Optional only where the law (or template) makes the item conditional: say when it applies.
            assert str(item.get("applicability", "")).strip(), where
        if not item["fill"] and not item.get("export_metadata", False):
            # Nothing the platform knows answers it, so an officer must write it.
            assert item["free_text"] is True, where
        if item.get("uncertain", False):
            assert str(item.get("uncertainty", "")).strip(), where
        for flag in ("unnumbered", "systemic_risk_only", "uncertain", "export_metadata"):
            assert isinstance(item.get(flag, False), bool), (where, flag)
        if "recipients" in item:
            recipients = item["recipients"]
            assert isinstance(recipients, list), where
            assert recipients, where
            assert set(recipients) <= set(RECIPIENTS), where
            assert recipients == [r for r in RECIPIENTS if r in recipients], (where, "listed in AIO, NCA, DP order")


@pytest.mark.parametrize("kind", KINDS)
def test_ids_are_unique(kind: str) -> None:
    data = _load(kind)
    section_ids = [section["id"] for section in data["sections"]]
    assert [i for i, n in Counter(section_ids).items() if n > 1] == []
    assert [i for i, n in Counter(_ids(data)).items() if n > 1] == []


@pytest.mark.parametrize("kind", KINDS)
def test_keys_are_unique_and_snake_case(kind: str) -> None:
    keys = [item["key"] for item in _items(_load(kind))]
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    assert [k for k in keys if not SNAKE_CASE.match(k)] == []


@pytest.mark.parametrize("kind", KINDS)
def test_fill_names_are_known_facts(kind: str) -> None:
    unknown = {(item["id"], name) for item in _items(_load(kind)) for name in item["fill"] if name not in ALLOWED_FILL}
    assert unknown == set()


def test_keys_repeat_across_files_only_where_the_content_is_the_same() -> None:
    where: dict[str, set[str]] = {}
    for kind in KINDS:
        for item in _items(_load(kind)):
            where.setdefault(item["key"], set()).add(kind)
    repeated = {key: kinds for key, kinds in where.items() if len(kinds) > 1}
    assert repeated == SHARED_KEYS


def test_keys_shared_with_the_other_writers_are_deliberate() -> None:
    keys = {item["key"] for kind in KINDS for item in _items(_load(kind))}
    assert keys & OTHER_WRITER_KEYS == {"intended_uses"}


def test_annex_iv_has_every_point() -> None:
    data = _load("annex_iv")
    assert data["applies_to"] == "use_case_version"
    assert [section["id"] for section in data["sections"]] == [str(n) for n in range(1, 10)]
    expected = (
        [f"1({letter})" for letter in "abcdefgh"]
        + [f"2({letter})" for letter in "abcdefgh"]
        + [f"3({letter})" for letter in "abcd"]
        + [str(n) for n in range(4, 10)]
    )
    assert _ids(data) == expected
    for item in _items(data):
        # Section 3's four points are unlettered indents in the law.
        assert item.get("unnumbered", False) is item["id"].startswith("3("), item["id"]
        if item["id"].startswith("3("):
            assert item["source"].startswith("Annex IV 3, "), item["source"]
        else:
            assert item["source"] == f"Annex IV {item['id']}"


def test_annex_iv_human_oversight_cites_evidence_but_needs_text() -> None:
    item = next(item for item in _items(_load("annex_iv")) if item["id"] == "3(c)")
    assert {"approval.evidence.human_oversight", "deployment.guardrail_policy"} <= set(item["fill"])
    assert item["free_text"] is True


def test_annex_xi_sections_and_systemic_risk_items() -> None:
    data = _load("annex_xi")
    assert data["applies_to"] == "model_version"
    assert _ids(data) == [
        *(f"1({letter})" for letter in "abcdef"),
        *(f"2({letter})" for letter in "abcde"),
        "S2.1",
        "S2.2",
        "S2.3",
    ]
    for section in data["sections"]:
        for item in section["items"]:
            systemic = section["id"] == "2"
            assert item.get("systemic_risk_only", False) is systemic, item["id"]
            assert item["source"].startswith("Annex XI Section 2" if systemic else "Annex XI Section 1"), item["id"]


def test_annex_xii_has_every_point() -> None:
    data = _load("annex_xii")
    assert data["applies_to"] == "model_version"
    assert _ids(data) == [*(f"1({letter})" for letter in "abcdefgh"), *(f"2({letter})" for letter in "abc")]
    for item in _items(data):
        assert item["source"] == f"Annex XII {item['id']}"
        assert "systemic_risk_only" not in item


def test_cop_form_has_every_field_with_recipients() -> None:
    data = _load("cop_form")
    assert data["applies_to"] == "model_version"
    assert data["source_status"] == "secondary"
    fields = {1: 6, 2: 5, 3: 2, 4: 6, 5: 2, 6: 8, 7: 3, 8: 4}
    expected = ["header.1", "header.2"] + [f"{s}.{n}" for s, count in fields.items() for n in range(1, count + 1)]
    assert _ids(data) == expected
    by_id = {item["id"]: item for item in _items(data)}
    assert all(item.get("recipients") for item in by_id.values())
    # Stated by the reference: authenticity goes to the authorities only, as do compute and energy.
    assert by_id["1.3"]["recipients"] == ["AIO", "NCA"]
    for item_id, item in by_id.items():
        if item_id[0] in "78":
            assert item["recipients"] == ["AIO", "NCA"], item_id
    assert by_id["3.1"]["recipients"] == ["AIO", "NCA", "DP"]
    assert by_id["6.4"]["uncertain"] is True
    # Flags the reference does not state are inferred, and said to be.
    stated = {"1.3", "3.1", "7.1", "7.2", "7.3", "8.1", "8.2", "8.3", "8.4"}
    for item_id, item in by_id.items():
        if item_id not in stated:
            assert item.get("uncertain") is True, item_id


def test_training_summary_has_every_heading() -> None:
    data = _load("training_summary")
    assert data["applies_to"] == "model_version"
    assert [section["id"] for section in data["sections"]] == [
        "1.1",
        "1.2",
        "1.3",
        "2.1",
        "2.2.1",
        "2.2.2",
        "2.3",
        "2.4",
        "2.5",
        "2.6",
        "3.1",
        "3.2",
        "3.3",
    ]
    for section in data["sections"]:
        for item in section["items"]:
            assert item["id"].startswith(section["id"]), item["id"]
    crawler_ids = [item["id"] for s in data["sections"] if s["id"] == "2.3" for item in s["items"]]
    romans = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"]
    assert crawler_ids == ["2.3(a)", *(f"2.3({r})" for r in romans)]


def test_transparency_notice_covers_article_50_1_to_5() -> None:
    data = _load("transparency_notice")
    assert data["applies_to"] == "use_case_version"
    assert [item["source"] for item in _items(data)] == [
        "Art. 50(1)",
        "Art. 50(2)",
        "Art. 50(3)",
        "Art. 50(4), first subparagraph",
        "Art. 50(4), second subparagraph",
        "Art. 50(5)",
    ]
    timing = _items(data)[-1]
    assert "at the latest at the time of the first interaction or exposure" in timing["text"]
    assert timing["required"] is True


def test_the_loader_reads_every_file() -> None:
    for kind in KINDS:
        spec = document_spec(kind)
        assert spec.kind == kind
        assert [item.key for item in spec.items()] == [item["key"] for item in _items(_load(kind))]
