"""The completeness rules of the EU AI Act documents (a pure function: no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from compliance.classification.tables import load_tables
from compliance.exports.documents import COMPLETE, MISSING, NOT_APPLICABLE, OPTIONAL_EMPTY, build_document
from compliance.exports.sections import DocumentSpec, Item, Section, document_spec
from compliance.exports.selectors import ART50_ITEMS

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def item(key: str, **options: object) -> Item:
    defaults: dict[str, object] = {
        "id": key,
        "key": key,
        "title": key.replace("_", " "),
        "text": "the law",
        "source": f"Annex X {key}",
        "required": True,
        "fill": (),
        "free_text": True,
    }
    return Item(**(defaults | options))  # type: ignore[arg-type]


def statuses(items: list[Item], values: dict[str, str], texts: dict[str, str], **options: object) -> dict[str, str]:
    spec = DocumentSpec(
        "annex_x", "Annex X", "Art. 1", "10 years", "model_version", (Section("1", "One", tuple(items)),)
    )
    document = build_document(spec, values=values, texts=texts, subject="s", generated_at=NOW, **options)  # type: ignore[arg-type]
    return {filled.item.key: filled.status for filled in document.items()}


def test_facts_complete_an_item_only_when_no_text_is_asked_for() -> None:
    items = [
        item("facts_only", fill=("model.hub_id",), free_text=False),
        item("facts_and_text", fill=("model.hub_id",), free_text=True),
        item("facts_partly_known", fill=("model.hub_id", "model.task"), free_text=False),
        item("written", fill=(), free_text=True),
    ]
    result = statuses(items, {"model.hub_id": "acme/m", "model.task": ""}, {"written": "Done."})
    assert result == {
        "facts_only": COMPLETE,
        "facts_and_text": MISSING,
        "facts_partly_known": MISSING,
        "written": COMPLETE,
    }


def test_blank_text_does_not_count_and_the_report_names_the_point() -> None:
    spec = DocumentSpec(
        "annex_x",
        "Annex X",
        "Art. 1",
        "10 years",
        "model_version",
        (Section("2", "Two", (item("2(e)", title="Human oversight"),)),),
    )
    document = build_document(spec, values={}, texts={"2(e)": "   "}, subject="s", generated_at=NOW)
    assert document.missing() == ["Annex X 2(e), Human oversight: missing"]


def test_where_applicable_items_become_required_when_they_apply() -> None:
    items = [item("50(1)", required=False), item("50(2)", required=False)]
    assert statuses(items, {}, {}, required_ids=frozenset({"50(1)"})) == {"50(1)": MISSING, "50(2)": OPTIONAL_EMPTY}


def test_systemic_risk_items_apply_only_to_systemic_risk_models() -> None:
    items = [item("S2.1", systemic_risk_only=True)]
    assert statuses(items, {}, {}) == {"S2.1": NOT_APPLICABLE}
    assert statuses(items, {}, {}, systemic_risk=True) == {"S2.1": MISSING}


def test_the_date_of_the_document_fills_itself() -> None:
    spec = DocumentSpec(
        "cop_form",
        "Form",
        "Art. 53",
        "10 years",
        "model_version",
        (Section("h", "Header", (item("last_updated", export_metadata=True),)),),
    )
    document = build_document(spec, values={}, texts={}, subject="s", generated_at=NOW)
    filled = document.items()[0]
    assert (filled.status, filled.facts) == (COMPLETE, (("Date", "2026-11-22"),))


def test_every_art50_duty_of_the_classification_maps_to_a_transparency_notice_item() -> None:
    ids = {i.id for i in document_spec("transparency_notice").items()}
    assert set(load_tables().transparency) == set(ART50_ITEMS)
    assert set(ART50_ITEMS.values()) <= ids
