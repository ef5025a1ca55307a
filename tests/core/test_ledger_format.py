"""The canonical form and chain rule of core.ledger_format (no database)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core import ledger_format
from core.ledger import to_json_value
from core.ledger_format import (
    CHAINED_FIELDS,
    GENESIS_HASH,
    ChainBreak,
    canonical_bytes,
    event_hash,
    normalize_json,
    verify_chain,
)


def _record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "sequence": 1,
        "occurred_at": "2026-01-31T12:00:00.000000Z",
        "actor_id": 7,
        "actor": "olivia",
        "action": "core.user.created",
        "target_type": "auth.user",
        "target_id": "7",
        "before": None,
        "after": {"b": 2, "a": [1, "x"]},
        "reason": "",
        "request_id": "req-1",
        "client_ip": "192.0.2.1",
        "prev_hash": GENESIS_HASH,
    }
    record.update(overrides)
    return record


def _chain(count: int, *, first_sequence: int = 1, anchor: str = GENESIS_HASH) -> list[dict[str, Any]]:
    records, prev = [], anchor
    for sequence in range(first_sequence, first_sequence + count):
        record = _record(sequence=sequence, prev_hash=prev, after={"n": sequence})
        record["hash"] = prev = event_hash(record)
        records.append(record)
    return records


# --- canonical form ------------------------------------------------------------


def test_canonical_bytes_are_pinned() -> None:
    """The exact bytes are a published format: an auditor's verifier depends on them."""
    expected = (
        '{"action":"core.user.created","actor":"olivia","actor_id":7,"after":{"a":[1,"x"],"b":2},"before":null,'
        '"client_ip":"192.0.2.1","occurred_at":"2026-01-31T12:00:00.000000Z","prev_hash":"' + "0" * 64 + '",'
        '"reason":"","request_id":"req-1","sequence":1,"target_id":"7","target_type":"auth.user","v":1}'
    ).encode()
    assert canonical_bytes(_record()) == expected
    assert event_hash(_record()) == hashlib.sha256(expected).hexdigest()


def test_hash_ignores_key_order_at_every_level() -> None:
    record = _record(after={"z": {"y": 1, "x": [{"b": 1, "a": 2}]}, "a": None})
    reordered = dict(reversed(list(_record(after={"a": None, "z": {"x": [{"a": 2, "b": 1}], "y": 1}}).items())))
    assert list(reordered) != list(record)
    assert canonical_bytes(reordered) == canonical_bytes(record)
    assert event_hash(reordered) == event_hash(record)


def test_hash_covers_only_the_chained_fields() -> None:
    record = _record()
    assert event_hash({**record, "hash": "f" * 64, "extra": "ignored"}) == event_hash(record)
    # A missing field reads as null.
    assert event_hash({k: v for k, v in record.items() if k != "before"}) == event_hash(record)


@pytest.mark.parametrize("field", CHAINED_FIELDS)
def test_changing_any_chained_field_changes_the_hash(field: str) -> None:
    record = _record()
    changed = {**record, field: "something else" if record[field] != "something else" else "other"}
    assert event_hash(changed) != event_hash(record)


@pytest.mark.parametrize(
    ("as_float", "as_int"),
    [(1e20, 10**20), (1.0, 1), (-3.0, -3), (0.0, 0), (-0.0, 0), (2.0**70, 2**70), (1e23, int(1e23))],
)
def test_integral_floats_hash_like_ints(as_float: float, as_int: int) -> None:
    assert event_hash(_record(after={"v": as_float})) == event_hash(_record(after={"v": as_int}))
    assert event_hash(_record(after=[as_float])) == event_hash(_record(after=[as_int]))
    assert normalize_json(as_float) == as_int
    assert type(normalize_json(as_float)) is int


def test_integral_float_is_written_as_digits() -> None:
    assert b'"after":{"v":100000000000000000000}' in canonical_bytes(_record(after={"v": 1e20}))


def test_fractional_floats_stay_floats() -> None:
    assert b'"after":[1.5,-0.25,1e-07]' in canonical_bytes(_record(after=[1.5, -0.25, 1e-7]))
    assert event_hash(_record(after=1.5)) != event_hash(_record(after=1))


def test_booleans_are_not_numbers() -> None:
    assert b'"after":[true,false,1,0]' in canonical_bytes(_record(after=[True, False, 1, 0]))
    assert event_hash(_record(after=True)) != event_hash(_record(after=1))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
def test_nan_and_infinities_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="NaN and infinite numbers cannot be recorded"):
        normalize_json({"deep": [bad]})
    with pytest.raises(ValueError, match="NaN and infinite numbers cannot be recorded"):
        event_hash(_record(after={"deep": [bad]}))
    with pytest.raises(ValueError, match="not JSON compliant"):
        to_json_value({"deep": [bad]})


@pytest.mark.parametrize("bad", [{1, 2}, b"bytes", object(), Decimal("1.5")], ids=["set", "bytes", "object", "decimal"])
def test_values_that_are_not_json_are_refused(bad: object) -> None:
    with pytest.raises(TypeError, match="is not a JSON value"):
        event_hash(_record(after={"x": bad}))


def test_non_ascii_text_is_hashed_as_utf8_not_escaped() -> None:
    text = "Zürich, 模型 🙂 ñ"
    body = canonical_bytes(_record(reason=text, after={"名前": text}))
    assert text.encode("utf-8") in body
    assert '"名前"'.encode() in body
    assert b"\\u" not in body
    assert event_hash(_record(reason=text)) != event_hash(_record(reason="Zurich, ?? ? n"))


def test_tuples_hash_like_lists() -> None:
    assert event_hash(_record(after=(1, (2, 3)))) == event_hash(_record(after=[1, [2, 3]]))


# --- to_json_value: what audit_record stores in before/after ----------------------


def test_to_json_value_turns_rich_values_into_strings() -> None:
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        "at": datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC),
        "naive": datetime(2026, 1, 31, 12, 0, 0),
        "day": date(2026, 1, 31),
        "price": Decimal("1.10"),
        "id": ident,
        "took": timedelta(seconds=90),
        "pair": (1, 2),
        "big": 1e20,
        "nested": [{"at": datetime(2026, 2, 1, tzinfo=UTC)}],
    }
    assert to_json_value(value) == {
        # DjangoJSONEncoder keeps milliseconds and writes UTC as Z.
        "at": "2026-01-31T12:00:00.123Z",
        "naive": "2026-01-31T12:00:00",
        "day": "2026-01-31",
        "price": "1.10",
        "id": "12345678-1234-5678-1234-567812345678",
        "took": "P0DT00H01M30S",
        "pair": [1, 2],
        "big": 10**20,
        "nested": [{"at": "2026-02-01T00:00:00Z"}],
    }
    assert type(to_json_value(value)["big"]) is int


def test_to_json_value_keeps_plain_json_and_none() -> None:
    value = {"s": "é", "i": -5, "f": 0.5, "b": False, "n": None, "l": []}
    assert to_json_value(value) == value
    assert to_json_value(None) is None


def test_to_json_value_refuses_unknown_types() -> None:
    with pytest.raises(TypeError):
        to_json_value({"x": {1, 2}})


# --- verify_chain ------------------------------------------------------------------


def test_verify_chain_accepts_an_intact_chain() -> None:
    records = _chain(4)
    report = verify_chain(records)
    assert report.ok
    assert (report.checked, report.first_sequence, report.last_sequence) == (4, 1, 4)
    assert report.head_hash == records[-1]["hash"]


def test_verify_chain_of_nothing_is_ok_and_the_head_is_the_anchor() -> None:
    report = verify_chain([])
    assert report.ok
    assert (report.checked, report.first_sequence, report.last_sequence, report.head_hash) == (
        0,
        None,
        None,
        GENESIS_HASH,
    )


def test_verify_chain_names_the_altered_event() -> None:
    records = _chain(5)
    records[2]["after"] = {"n": 999}
    report = verify_chain(records)
    assert report.broken is not None
    assert report.broken.sequence == 3
    assert "content does not match its hash" in report.broken.problem
    assert (report.checked, report.last_sequence, report.head_hash) == (2, 2, records[1]["hash"])
    assert str(report.broken).startswith("event #3: content does not match its hash")


def test_verify_chain_names_the_event_after_a_gap() -> None:
    records = _chain(5)
    del records[2]
    report = verify_chain(records)
    assert report.broken is not None
    assert report.broken.sequence == 4
    assert report.broken.problem == "sequence 4 follows 2: expected 3 (an event is missing or was inserted)"


def test_verify_chain_detects_a_rehashed_alteration_at_the_next_event() -> None:
    records = _chain(5)
    records[2]["after"] = {"n": 999}
    records[2]["hash"] = event_hash(records[2])
    report = verify_chain(records)
    assert report.broken is not None
    assert report.broken.sequence == 4
    assert report.broken.problem.startswith("prev_hash ")


def test_verify_chain_from_the_middle_needs_anchor_none_or_the_right_anchor() -> None:
    records = _chain(6)[3:]
    assert verify_chain(records).broken == ChainBreak(
        4, "sequence 4 follows None: expected 1 (an event is missing or was inserted)"
    )
    assert verify_chain(records, anchor=None, start_sequence=None).ok
    assert verify_chain(records, anchor=_chain(6)[2]["hash"], start_sequence=4).ok
    wrong = verify_chain(records, anchor="a" * 64, start_sequence=None)
    assert wrong.broken is not None
    assert wrong.broken.sequence == 4
    assert "does not match the previous event's hash 'aaaa" in wrong.broken.problem


@pytest.mark.parametrize("sequence", [None, "1", 1.0, True], ids=["missing", "string", "float", "bool"])
def test_verify_chain_needs_an_integer_sequence(sequence: object) -> None:
    records = _chain(2)
    records[1]["sequence"] = sequence
    report = verify_chain(records)
    assert report.broken == ChainBreak(None, "record 2 has no integer sequence")
    assert str(report.broken) == "the chain: record 2 has no integer sequence"


def test_verify_chain_reports_unserializable_content() -> None:
    records = _chain(2)
    records[1]["after"] = {"x": float("nan")}
    report = verify_chain(records)
    assert report.broken is not None
    assert report.broken.sequence == 2
    assert report.broken.problem.startswith("cannot be serialized: NaN")


# --- the command-line verifier, in process ----------------------------------------------


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def test_cli_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _chain(3)
    assert ledger_format.main([str(_write_jsonl(tmp_path / "a.jsonl", records))]) == 0
    assert capsys.readouterr().out == f"OK: 3 events, sequence 1..3, head {records[-1]['hash']}\n"


def test_cli_ignores_blank_lines(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "a.jsonl", _chain(2))
    path.write_text("\n" + path.read_text(encoding="utf-8").replace("\n", "\n\n"), encoding="utf-8")
    assert ledger_format.main([str(path)]) == 0


def test_cli_reports_a_line_that_is_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_jsonl(tmp_path / "a.jsonl", _chain(2))
    path.write_text(path.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    assert ledger_format.main([str(path)]) == 1
    assert capsys.readouterr().out.startswith("BROKEN: line 3 is not valid JSON: ")


def test_cli_reports_a_line_that_is_not_an_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """BUG: a valid JSON line that is not an object ([1, 2], 42, null) crashes the verifier with
    AttributeError ('list' object has no attribute 'get') instead of reporting BROKEN."""
    path = _write_jsonl(tmp_path / "a.jsonl", _chain(2))
    path.write_text(path.read_text(encoding="utf-8") + "[1, 2]\n", encoding="utf-8")
    assert ledger_format.main([str(path)]) == 1
    assert capsys.readouterr().out.startswith("BROKEN: line 3 is not a JSON object")
