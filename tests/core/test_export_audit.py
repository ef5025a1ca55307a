"""export_audit writes a range of the ledger as JSON Lines that an auditor verifies offline."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from core.ledger import audit_export_jsonl
from core.ledger_format import CHAINED_FIELDS, GENESIS_HASH, read_jsonl, verify_chain
from core.models import AuditEvent
from tests.core.ledger_helpers import StepClock

pytestmark = pytest.mark.django_db

VERIFIER = Path(settings.BASE_DIR) / "core" / "ledger_format.py"
# A plain interpreter, isolated from the project and its virtualenv: the verifier must need the stdlib alone.
PYTHON = shutil.which("python3") or sys.executable


@pytest.fixture
def six_events(clock: StepClock, write_events: Callable[..., list[AuditEvent]]) -> list[AuditEvent]:
    """Events #1..#6, occurred at 2026-01-01T00:00Z, 01:00Z, ... 05:00Z."""
    return write_events(6)


def _export(tmp_path: Path, *args: str, name: str = "export.jsonl") -> tuple[Path, str]:
    path = tmp_path / name
    out = io.StringIO()
    call_command("export_audit", *args, "--out", str(path), stdout=out)
    return path, out.getvalue()


def _records(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return list(read_jsonl(handle))


def _cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-I", str(VERIFIER), str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=path.parent,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )


def test_clock_fixture_sets_occurred_at(six_events: list[AuditEvent]) -> None:
    stamps = [event.chain_record()["occurred_at"] for event in AuditEvent.objects.all()]
    assert stamps == [f"2026-01-01T0{hour}:00:00.000000Z" for hour in range(6)]


def test_export_everything_is_the_whole_chain(tmp_path: Path, six_events: list[AuditEvent]) -> None:
    path, message = _export(tmp_path)
    assert message == f"exported 6 audit events to {path}\n"
    records = _records(path)
    assert [record["sequence"] for record in records] == [1, 2, 3, 4, 5, 6]
    assert records == [event.chain_record() for event in AuditEvent.objects.order_by("sequence")]
    report = verify_chain(records)  # from genesis, sequence 1
    assert report.ok
    assert report.head_hash == six_events[-1].hash


def test_export_lines_are_sorted_json_objects_with_hashes(tmp_path: Path, six_events: list[AuditEvent]) -> None:
    path, _ = _export(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6
    for line, event in zip(lines, six_events, strict=True):
        record = json.loads(line)
        assert set(record) == {*CHAINED_FIELDS, "hash"}
        assert list(record) == sorted(record)
        assert (record["hash"], record["prev_hash"]) == (event.hash, event.prev_hash)
        assert len(record["hash"]) == len(record["prev_hash"]) == 64
    assert json.loads(lines[0])["prev_hash"] == GENESIS_HASH
    # Non-ASCII is written as UTF-8, not \u escapes.
    assert '"label": "état 0"' in lines[0]


def test_export_range_is_since_inclusive_until_exclusive(tmp_path: Path, six_events: list[AuditEvent]) -> None:
    path, message = _export(tmp_path, "--since", "2026-01-01T01:00:00Z", "--until", "2026-01-01T04:00:00Z")
    assert message == f"exported 3 audit events to {path}\n"
    assert [record["sequence"] for record in _records(path)] == [2, 3, 4]


def test_export_range_honours_utc_offsets(tmp_path: Path, six_events: list[AuditEvent]) -> None:
    # 01:30Z .. 03:00Z: only #3 (02:00Z).
    path, _ = _export(tmp_path, "--since", "2026-01-01T03:30:00+02:00", "--until", "2026-01-01T05:00:00+02:00")
    assert [record["sequence"] for record in _records(path)] == [3]


@pytest.mark.parametrize(
    ("args", "sequences"),
    [
        (["--since", "2026-01-01T04:00:00Z"], [5, 6]),
        (["--until", "2026-01-01T02:00:00Z"], [1, 2]),
        (["--since", "2026-01-01T00:59:59.999999Z", "--until", "2026-01-01T01:00:00.000001Z"], [2]),
        (["--since", "2026-01-02T00:00:00Z"], []),
    ],
    ids=["since-only", "until-only", "one-microsecond-either-side", "after-everything"],
)
def test_export_open_and_narrow_ranges(
    tmp_path: Path, six_events: list[AuditEvent], args: list[str], sequences: list[int]
) -> None:
    path, message = _export(tmp_path, *args)
    assert [record["sequence"] for record in _records(path)] == sequences
    assert message == f"exported {len(sequences)} audit events to {path}\n"


def test_export_function_counts_what_it_writes(six_events: list[AuditEvent]) -> None:
    out = io.StringIO()
    assert audit_export_jsonl(since=None, until=None, out=out) == 6
    assert out.getvalue().count("\n") == 6


@pytest.mark.parametrize(
    ("option", "value"),
    [("--since", "yesterday"), ("--until", "31/01/2026"), ("--since", "2026-01-31 noon"), ("--until", "")],
)
def test_export_refuses_what_is_not_a_date(
    tmp_path: Path, six_events: list[AuditEvent], option: str, value: str
) -> None:
    with pytest.raises(CommandError, match=rf"^{option}: '{value}' is not a date \(2026-01-31\) or an ISO 8601 time"):
        _export(tmp_path, option, value)
    assert not (tmp_path / "export.jsonl").exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [("--since", "2026-02-30"), ("--until", "2026-13-01"), ("--since", "2026-01-31T25:00:00")],
)
def test_export_refuses_impossible_dates_naming_the_option(
    tmp_path: Path, six_events: list[AuditEvent], option: str, value: str
) -> None:
    """BUG: a well-formed but impossible date makes parse_date/parse_datetime raise ValueError
    ("day is out of range for month"), which escapes as a traceback instead of a CommandError."""
    with pytest.raises(CommandError, match=rf"^{option}: '{value}' is not a date"):
        _export(tmp_path, option, value)


@pytest.mark.parametrize(
    ("since", "until", "sequences"),
    [
        ("2026-01-01", "2026-01-02", [1, 2, 3, 4, 5, 6]),
        ("2026-01-01T01:00:00", "2026-01-01T03:00:00", [2, 3]),
    ],
    ids=["dates", "naive-times"],
)
def test_export_reads_dates_and_naive_times_as_utc(
    tmp_path: Path, six_events: list[AuditEvent], since: str, until: str, sequences: list[int]
) -> None:
    """A date means midnight UTC; a time without an offset is UTC."""
    path, _ = _export(tmp_path, "--since", since, "--until", until)
    assert [record["sequence"] for record in _records(path)] == sequences


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("2026-01-01T05:00:00Z", "2026-01-01T01:00:00Z"),
        ("2026-01-01T01:00:00Z", "2026-01-01T01:00:00Z"),
        ("2026-01-01T03:00:00+02:00", "2026-01-01T01:00:00Z"),
    ],
    ids=["reversed", "empty", "equal-across-offsets"],
)
def test_export_refuses_since_not_before_until(
    tmp_path: Path, six_events: list[AuditEvent], since: str, until: str
) -> None:
    with pytest.raises(CommandError, match=r"^--since must be before --until$"):
        _export(tmp_path, "--since", since, "--until", until)
    assert not (tmp_path / "export.jsonl").exists()


def test_export_needs_out(six_events: list[AuditEvent]) -> None:
    with pytest.raises(CommandError, match="the following arguments are required: --out"):
        call_command("export_audit")


def test_export_reports_an_unwritable_out(tmp_path: Path, six_events: list[AuditEvent]) -> None:
    target = tmp_path / "missing-directory" / "export.jsonl"
    with pytest.raises(CommandError, match=r"^--out: cannot write '.*export\.jsonl': No such file or directory$"):
        call_command("export_audit", "--out", str(target), stdout=io.StringIO())


# --- verifying an export of a range ---------------------------------------------------------


def test_a_mid_chain_range_verifies_only_from_where_it_starts(tmp_path: Path, six_events: list[AuditEvent]) -> None:
    path, _ = _export(tmp_path, "--since", "2026-01-01T02:00:00Z", "--until", "2026-01-01T05:00:00Z")
    records = _records(path)
    assert [record["sequence"] for record in records] == [3, 4, 5]

    trusting = verify_chain(records, anchor=None, start_sequence=None)
    assert trusting.ok
    assert (trusting.checked, trusting.first_sequence, trusting.last_sequence) == (3, 3, 5)
    assert trusting.head_hash == six_events[4].hash

    anchored = verify_chain(records, anchor=six_events[1].hash, start_sequence=3)
    assert anchored.ok

    wrong = verify_chain(records, anchor=six_events[0].hash, start_sequence=None)
    assert wrong.broken is not None
    assert wrong.broken.sequence == 3
    assert "does not match the previous event's hash" in wrong.broken.problem

    # Read as a whole chain (from genesis, #1) the range is refused.
    assert not verify_chain(records).ok


def test_cli_accepts_a_good_export(tmp_path: Path, six_events: list[AuditEvent]) -> None:
    path, _ = _export(tmp_path)
    result = _cli(path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"OK: 6 events, sequence 1..6, head {six_events[-1].hash}\n"


def test_cli_checks_a_range_against_its_anchor(tmp_path: Path, six_events: list[AuditEvent]) -> None:
    path, _ = _export(tmp_path, "--since", "2026-01-01T02:00:00Z", "--until", "2026-01-01T05:00:00Z")

    trusting = _cli(path)
    assert (trusting.returncode, trusting.stdout) == (0, f"OK: 3 events, sequence 3..5, head {six_events[4].hash}\n")

    anchored = _cli(path, "--anchor", six_events[1].hash)
    assert anchored.returncode == 0
    assert anchored.stdout.startswith("OK: 3 events, sequence 3..5")

    wrong = _cli(path, "--anchor", six_events[0].hash)
    assert wrong.returncode == 1
    assert wrong.stdout.startswith("BROKEN at event #3: prev_hash ")
    assert wrong.stdout.endswith("(0 events verified before it)\n")


def _rewrite(path: Path, change: Callable[[list[dict[str, object]]], list[dict[str, object]]]) -> None:
    records = change(_records(path))
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "broken_at", "checked"),
    [
        (lambda records: [*records[:2], {**records[2], "after": {"n": 999}}, *records[3:]], 3, 2),
        (lambda records: [*records[:3], {**records[3], "reason": "edited"}, *records[4:]], 4, 3),
        (lambda records: records[:2] + records[3:], 4, 2),
        (lambda records: [records[0], records[2], records[1], *records[3:]], 3, 1),
        (lambda records: [*records[:5], {**records[5], "hash": "0" * 63 + "1"}], 6, 5),
    ],
    ids=["after", "reason", "line-removed", "lines-swapped", "hash"],
)
def test_cli_rejects_a_tampered_export(
    tmp_path: Path,
    six_events: list[AuditEvent],
    change: Callable[[list[dict[str, object]]], list[dict[str, object]]],
    broken_at: int,
    checked: int,
) -> None:
    path, _ = _export(tmp_path)
    _rewrite(path, change)
    result = _cli(path)
    assert result.returncode == 1
    assert result.stdout.startswith(f"BROKEN at event #{broken_at}: ")
    assert result.stdout.endswith(f"({checked} events verified before it)\n")
    assert result.stderr == ""


def test_cli_rejects_a_file_that_is_not_json_lines(tmp_path: Path, six_events: list[AuditEvent]) -> None:
    path, _ = _export(tmp_path)
    path.write_text(path.read_text(encoding="utf-8")[:-40] + "\n", encoding="utf-8")
    result = _cli(path)
    assert result.returncode == 1
    assert result.stdout.startswith("BROKEN: line 6 is not valid JSON: ")


def test_cli_accepts_an_empty_export(tmp_path: Path, six_events: list[AuditEvent]) -> None:
    path, message = _export(tmp_path, "--since", "2027-01-01T00:00:00Z")
    assert message == f"exported 0 audit events to {path}\n"
    assert path.read_text(encoding="utf-8") == ""
    result = _cli(path)
    assert (result.returncode, result.stdout) == (0, "OK: 0 events, sequence None..None, head None\n")
