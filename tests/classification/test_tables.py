"""The classification tables load strictly: a broken table fails at load time, naming the path."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
import yaml

from compliance.classification.tables import (
    ANNEX_III_CODES,
    EXCEPTION_CODES,
    PRACTICE_CODES,
    TABLES_FILE,
    TablesError,
    load_tables,
    parse_tables,
)


@pytest.fixture
def raw() -> dict[str, Any]:
    return yaml.safe_load(TABLES_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_shipped_tables_load_with_the_engine_vocabulary() -> None:
    tables = load_tables()

    assert tuple(tables.practices) == PRACTICE_CODES
    assert tuple(tables.exceptions) == EXCEPTION_CODES
    assert tuple(tables.annex_iii) == ANNEX_III_CODES
    assert len(tables.annex_i) == 20
    assert {entry.in_force.section for entry in tables.annex_i.values()} == {"A", "B"}


def test_machinery_moved_from_section_a_to_b_by_the_amendment() -> None:
    machinery = load_tables().annex_i["machinery"]

    assert (machinery.original.section, machinery.original.point) == ("A", 1)
    assert machinery.amended is not None
    assert (machinery.in_force.section, machinery.in_force.point) == ("B", 21)
    assert "2023/1230" in machinery.in_force.act


def test_the_new_prohibitions_have_their_own_date() -> None:
    tables = load_tables()
    for code in ("non_consensual_intimate_imagery", "child_sexual_abuse_material"):
        date = tables.date(tables.practices[code].dates)
        assert date.in_force == datetime.date(2026, 12, 2)
        assert date.basis == "amended"
    assert tables.date(tables.practices["social_scoring"].dates).in_force == datetime.date(2025, 2, 2)


def test_annex_iii_articles_are_named_as_the_annex_does() -> None:
    tables = load_tables()

    assert tables.annex_iii["4a"].article == "Annex III point 4(a)"
    assert tables.annex_iii["2"].article == "Annex III point 2"


def _fails(data: Any, fragment: str) -> None:
    with pytest.raises(TablesError, match=fragment):
        parse_tables(data)


def test_an_unknown_key_fails(raw: dict[str, Any]) -> None:
    broken = copy.deepcopy(raw)
    broken["practices"]["social_scoring"]["fine"] = "35m"
    _fails(broken, r"practices\.social_scoring: unknown key\(s\) fine")


def test_a_dangling_date_reference_fails(raw: dict[str, Any]) -> None:
    broken = copy.deepcopy(raw)
    broken["obligations"]["gpai"][0]["dates"] = "someday"
    _fails(broken, r"obligations\.gpai\[0\]\.dates: 'someday' is not one of")


def test_a_missing_practice_fails(raw: dict[str, Any]) -> None:
    broken = copy.deepcopy(raw)
    del broken["practices"]["social_scoring"]
    _fails(broken, "missing social_scoring")


def test_an_extra_annex_iii_point_fails(raw: dict[str, Any]) -> None:
    broken = copy.deepcopy(raw)
    broken["annex_iii"]["9a"] = {"area": "9. Invented", "text": "nothing"}
    _fails(broken, "unknown 9a")


def test_a_date_entry_without_any_date_fails(raw: dict[str, Any]) -> None:
    broken = copy.deepcopy(raw)
    broken["dates"]["gpai"]["original"] = None
    _fails(broken, "dates.gpai: needs an original or an amended date")


def test_a_bad_date_fails(raw: dict[str, Any]) -> None:
    broken = copy.deepcopy(raw)
    broken["dates"]["gpai"]["original"] = "August 2025"
    _fails(broken, r"dates\.gpai\.original: must be a date")


def test_an_uncertain_date_cannot_also_be_amended(raw: dict[str, Any]) -> None:
    broken = copy.deepcopy(raw)
    broken["dates"]["annex_iii_section_5"]["amended"] = datetime.date(2027, 12, 2)
    _fails(broken, "an uncertain entry keeps the original date")


def test_an_exception_for_an_unknown_practice_fails(raw: dict[str, Any]) -> None:
    broken = copy.deepcopy(raw)
    broken["exceptions"]["medical_or_safety_reasons"]["practice"] = "mind_reading"
    _fails(broken, r"exceptions\.medical_or_safety_reasons\.practice")


def test_a_transparency_trigger_must_be_an_answer(raw: dict[str, Any]) -> None:
    broken = copy.deepcopy(raw)
    broken["transparency"]["art50_1_disclose_ai_interaction"]["trigger"] = "chatbot"
    _fails(broken, r"transparency\.art50_1_disclose_ai_interaction\.trigger")


def test_an_obligation_row_narrowed_to_an_unknown_point_fails(raw: dict[str, Any]) -> None:
    broken = copy.deepcopy(raw)
    broken["obligations"]["high_risk_annex_iii"][0]["points_any"] = ["4c"]
    _fails(broken, r"points_any: '4c' is not one of")
