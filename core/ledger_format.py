#!/usr/bin/env python3
"""The audit ledger's hash-chain format, with no dependency beyond the standard library.

Both the platform and an auditor's offline check use this one module, so the rule
that decides whether a chain is intact exists exactly once. Run it on an export::

    python3 ledger_format.py audit-2026-q3.jsonl [--anchor PREV_HASH]

Each event's hash is SHA-256 over the UTF-8 bytes of its canonical JSON: the
fields in ``CHAINED_FIELDS`` (with ``v``), keys sorted, no whitespace, non-ASCII
kept as is, and floats with an integral value written as integers (PostgreSQL's
jsonb does not keep ``1e+20`` and ``100000000000000000000`` apart, so neither may
the hash). ``prev_hash`` of the first event ever written is ``GENESIS_HASH``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64
CHAINED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
    "reason",
    "request_id",
    "client_ip",
    "prev_hash",
)


def normalize_json(value: Any) -> Any:
    """Return ``value`` with integral floats as ints; refuse NaN and infinities."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN and infinite numbers cannot be recorded in the audit ledger")
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(key): normalize_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize_json(item) for item in value]
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def canonical_bytes(record: Mapping[str, Any]) -> bytes:
    payload = {"v": FORMAT_VERSION}
    for field in CHAINED_FIELDS:
        payload[field] = normalize_json(record.get(field))
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def event_hash(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    sequence: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event #{self.sequence}" if self.sequence is not None else "the chain"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_sequence: int | None
    last_sequence: int | None
    head_hash: str | None
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify_chain(
    records: Iterable[Mapping[str, Any]], *, anchor: str | None = GENESIS_HASH, start_sequence: int | None = 1
) -> ChainReport:
    """Walk ``records`` in order and stop at the first broken link.

    ``anchor`` is the hash the first record must point back to and ``start_sequence``
    the sequence it must carry; pass ``None`` for either to accept what the first
    record says (an export of a range starts somewhere in the middle).
    """
    expected_prev = anchor
    expected_sequence = start_sequence
    checked = 0
    first: int | None = None
    last: int | None = None
    for record in records:
        sequence = record.get("sequence")
        if not isinstance(sequence, int) or isinstance(sequence, bool):
            return ChainReport(
                checked, first, last, expected_prev, ChainBreak(None, f"record {checked + 1} has no integer sequence")
            )
        if expected_sequence is not None and sequence != expected_sequence:
            problem = f"sequence {sequence} follows {last}: expected {expected_sequence} (an event is missing or was inserted)"
            return ChainReport(checked, first, last, expected_prev, ChainBreak(sequence, problem))
        if expected_prev is not None and record.get("prev_hash") != expected_prev:
            problem = (
                f"prev_hash {record.get('prev_hash')!r} does not match the previous event's hash {expected_prev!r}"
            )
            return ChainReport(checked, first, last, expected_prev, ChainBreak(sequence, problem))
        try:
            recomputed = event_hash(record)
        except (TypeError, ValueError) as exc:
            return ChainReport(
                checked, first, last, expected_prev, ChainBreak(sequence, f"cannot be serialized: {exc}")
            )
        if record.get("hash") != recomputed:
            problem = f"content does not match its hash (stored {record.get('hash')!r}, recomputed {recomputed!r}): the event was altered"
            return ChainReport(checked, first, last, expected_prev, ChainBreak(sequence, problem))
        checked += 1
        first = sequence if first is None else first
        last = sequence
        expected_prev = recomputed
        expected_sequence = sequence + 1
    return ChainReport(checked, first, last, expected_prev, None)


def read_jsonl(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number} is not valid JSON: {exc.msg}") from exc
            if not isinstance(record, dict):
                raise ValueError(f"line {number} is not a JSON object")
            yield record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Modelgate audit-ledger export (JSON Lines).")
    parser.add_argument("file")
    parser.add_argument("--anchor", help="hash of the event before the first one in the file (default: trust the file)")
    args = parser.parse_args(argv)
    with open(args.file, encoding="utf-8") as handle:
        try:
            report = verify_chain(read_jsonl(handle), anchor=args.anchor, start_sequence=None)
        except ValueError as exc:
            print(f"BROKEN: {exc}")
            return 1
    if report.broken:
        print(f"BROKEN at {report.broken} ({report.checked} events verified before it)")
        return 1
    print(
        f"OK: {report.checked} events, sequence {report.first_sequence}..{report.last_sequence}, head {report.head_hash}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
