"""verify_bundle against hostile or broken zips (no database: a bundle is checked offline)."""

from __future__ import annotations

import io
import zipfile

import orjson
import pytest

from compliance.exports import bundle
from compliance.exports.bundle import bundle_build, verify_bundle
from core.ledger_format import GENESIS_HASH, event_hash


def events(count: int) -> bytes:
    lines, previous = [], GENESIS_HASH
    for sequence in range(1, count + 1):
        record = {
            "sequence": sequence,
            "occurred_at": "2026-11-22T09:00:00.000000Z",
            "actor_id": None,
            "actor": "system",
            "action": "x",
            "target_type": "t",
            "target_id": "1",
            "before": None,
            "after": None,
            "reason": "",
            "request_id": "",
            "client_ip": None,
            "prev_hash": previous,
        }
        record["hash"] = previous = event_hash(record)
        lines.append(orjson.dumps(record))
    return b"\n".join(lines) + b"\n"


def good() -> bytes:
    return bundle_build({"documents/a.md": b"# A\n", "audit-events.jsonl": events(3)}, manifest={"bundle": "test"})


def zip_of(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def members_of(data: bytes) -> list[tuple[str, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return [(info.filename, archive.read(info)) for info in archive.infolist()]


def test_a_built_bundle_verifies_and_reports_its_own_digest() -> None:
    data = good()
    report = verify_bundle(data)
    assert report.ok, report.problems
    assert report.checked == 3
    assert len(report.sha256) == 64


def test_a_second_member_of_the_same_name_is_refused() -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = zip_of([*members_of(good()), ("documents/a.md", b"# forged\n")])
    assert verify_bundle(data).problems == ["documents/a.md: appears twice in the zip"]


@pytest.mark.parametrize("name", ["../evil.md", "/etc/passwd", "documents\\\\a.md", "C:/x.md"])
def test_unsafe_paths_are_refused(name: str) -> None:
    report = verify_bundle(zip_of([*members_of(good()), (name, b"x")]))
    assert not report.ok
    assert "unsafe path" in report.problems[0]


def test_an_oversized_member_is_refused_without_reading_it_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "MAX_MEMBER_BYTES", 5000)
    report = verify_bundle(zip_of([*members_of(good()), ("big.bin", b"\0" * 10_000_000)]))
    assert report.problems == ["big.bin: larger than a bundle holds"]


def test_events_out_of_chain_and_non_events_are_reported() -> None:
    chain = events(3).splitlines()
    swapped = b"\n".join([chain[0], chain[2]]).replace(b'"sequence":3', b'"sequence":2') + b"\n"
    data = bundle_build({"audit-events.jsonl": swapped + b"[1, 2]\n"}, manifest={})
    problems = verify_bundle(data).problems
    assert "audit-events.jsonl line 2: event 2 hash does not match its fields" in problems
    assert "audit-events.jsonl line 2: event 2 does not follow event 1" in problems
    assert "audit-events.jsonl line 3 is not an event" in problems


def test_garbage_is_a_report_not_a_crash() -> None:
    assert verify_bundle(b"not a zip").problems[0].startswith("not a readable zip file")
    manifest_not_object = bundle_build({"manifest.json": b"[]"}, manifest={})
    assert (
        verify_bundle(
            zip_of([(n, b"[]" if n == "manifest.json" else d) for n, d in members_of(manifest_not_object)])
        ).ok
        is False
    )
