"""The record writer: allowed calls' records in batches, nothing lost on a clean stop, a spool when the database refuses."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import OperationalError, connections
from django.utils import timezone

from serving.gateway import records
from serving.gateway.records import RecordWriter
from serving.models import InferenceRecord, InferenceStatus
from serving.services import inference_records_write

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def record(request_id: str | None = None) -> InferenceRecord:
    return InferenceRecord(
        request_id=request_id or uuid.uuid4().hex,
        created_at=timezone.now(),
        endpoint="chat.completions",
        status=InferenceStatus.OK,
        http_status=200,
    )


@pytest.fixture
def make_writer(tmp_path: Path) -> Iterator[Callable[..., RecordWriter]]:
    made: list[RecordWriter] = []

    def make(*, batch_size: int = 100, flush_seconds: float = 3600.0) -> RecordWriter:
        writer = RecordWriter(batch_size=batch_size, flush_seconds=flush_seconds, spool_dir=tmp_path / "spool")
        made.append(writer)
        return writer

    yield make
    for writer in made:
        writer._executor.submit(connections.close_all).result()
        writer._executor.shutdown(wait=True)


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch the writer commits."""
    sizes: list[int] = []

    def counting(batch: Any) -> int:
        batch = list(batch)
        sizes.append(len(batch))
        return inference_records_write(batch)

    monkeypatch.setattr(records, "inference_records_write", counting)
    return sizes


async def _count() -> int:
    return await sync_to_async(InferenceRecord.objects.count)()


async def _wait_for(rows: int, seconds: float = 5.0) -> int:
    deadline = asyncio.get_running_loop().time() + seconds
    while (count := await _count()) < rows and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    return count


def test_a_clean_stop_writes_everything_queued_in_batches_of_at_most_the_batch_size(
    make_writer: Callable[..., RecordWriter], batches: list[int]
) -> None:
    writer = make_writer(batch_size=100, flush_seconds=3600)

    async def shutdown() -> None:
        for _ in range(250):
            writer.submit(record())
        await writer.stop()

    async_to_sync(shutdown)()

    assert InferenceRecord.objects.count() == 250
    assert batches == [100, 100, 50]
    assert writer.pending() == 0


def test_a_full_batch_is_written_at_once_and_a_partial_one_waits_for_the_timer(
    make_writer: Callable[..., RecordWriter], batches: list[int]
) -> None:
    writer = make_writer(batch_size=10, flush_seconds=3600)

    async def scenario() -> tuple[int, int, int]:
        for _ in range(10):
            writer.submit(record())
        full = await _wait_for(10)
        for _ in range(3):
            writer.submit(record())
        await asyncio.sleep(0.2)
        return full, await _count(), writer.pending()

    full, after_partial, pending = async_to_sync(scenario)()

    assert (full, after_partial, pending) == (10, 10, 3)
    assert batches == [10]


def test_the_timer_writes_a_partial_batch(make_writer: Callable[..., RecordWriter]) -> None:
    writer = make_writer(batch_size=100, flush_seconds=0.05)

    async def scenario() -> int:
        for _ in range(3):
            writer.submit(record())
        return await _wait_for(3)

    assert async_to_sync(scenario)() == 3
    assert writer.pending() == 0


def _fail_once(monkeypatch: pytest.MonkeyPatch, *, after_commit: bool = False) -> None:
    """The next write fails with a database error (optionally after its commit succeeded); later ones work."""
    state = {"failed": False}

    def flaky(batch: Any) -> int:
        if not state["failed"]:
            state["failed"] = True
            if after_commit:
                inference_records_write(batch)
            raise OperationalError("server closed the connection unexpectedly")
        return inference_records_write(batch)

    monkeypatch.setattr(records, "inference_records_write", flaky)


def test_a_batch_the_database_refuses_is_spooled_and_replayed_after_the_next_write(
    make_writer: Callable[..., RecordWriter], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    writer = make_writer()
    _fail_once(monkeypatch)

    async_to_sync(writer.write_now)(record("refused-at-first"))

    spooled = list((tmp_path / "spool").glob("records-*.json"))
    assert len(spooled) == 1
    assert [item["fields"]["request_id"] for item in json.loads(spooled[0].read_text())] == ["refused-at-first"]
    assert not InferenceRecord.objects.exists()

    async_to_sync(writer.write_now)(record("next"))

    assert set(InferenceRecord.objects.values_list("request_id", flat=True)) == {"refused-at-first", "next"}
    assert not list((tmp_path / "spool").glob("*"))


def test_a_spooled_batch_that_was_committed_after_all_does_not_break_later_writes(
    make_writer: Callable[..., RecordWriter], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    writer = make_writer()
    # The commit reached the database but its acknowledgement was lost: the batch is spooled anyway.
    _fail_once(monkeypatch, after_commit=True)
    async_to_sync(writer.write_now)(record("committed-and-spooled"))
    assert list((tmp_path / "spool").glob("records-*.json"))

    async_to_sync(writer.write_now)(record("next"))

    assert sorted(InferenceRecord.objects.values_list("request_id", flat=True)) == ["committed-and-spooled", "next"]
    assert not list((tmp_path / "spool").glob("*"))
