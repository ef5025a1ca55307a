"""Writing inference records: blocked and failed calls at once, allowed calls in batches.

Allowed calls are queued and committed by one writer thread, in batches of at most
``MODELGATE_GATEWAY_RECORD_BATCH_SIZE`` or every ``MODELGATE_GATEWAY_RECORD_FLUSH_MS``. A clean
shutdown (the ASGI lifespan's shutdown, i.e. SIGTERM to uvicorn) flushes the queue, so it
loses nothing; a crash loses at most the records queued since the last flush, which is at
most one batch. Blocked and failed calls are committed before their response is sent.

When the database refuses a batch, the batch goes to a local spool file (JSON lines) and is
replayed after the next successful write, so an outage does not lose the evidence either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.db import DatabaseError, connection, connections

from serving.gateway import metrics
from serving.models import InferenceRecord
from serving.services import inference_records_write

logger = logging.getLogger("modelgate.gateway.records")


class RecordWriter:
    def __init__(self, *, batch_size: int, flush_seconds: float, spool_dir: Path) -> None:
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.spool_dir = spool_dir
        self._pending: list[InferenceRecord] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference-records")
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- called by request handlers -------------------------------------------------

    def submit(self, record: InferenceRecord) -> None:
        """Queue an allowed call's record for the next batch."""
        with self._lock:
            self._pending.append(record)
            size = len(self._pending)
        metrics.RECORDS_PENDING.set(size)
        self._ensure_running()
        if size >= self.batch_size and self._wake is not None:
            self._wake.set()

    async def write_now(self, record: InferenceRecord) -> None:
        """Commit one record before the caller answers (blocked or failed calls)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._write, [record])

    # --- lifecycle -----------------------------------------------------------------------

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and self._loop is loop and not self._task.done():
            return
        self._loop = loop
        self._wake = asyncio.Event()
        self._task = loop.create_task(self._run(), name="inference-record-writer")

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.flush_seconds)
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write everything queued now (in batches)."""
        loop = asyncio.get_running_loop()
        while True:
            batch = self._take()
            if not batch:
                return
            await loop.run_in_executor(self._executor, self._write, batch)

    async def stop(self) -> None:
        """Flush and stop: the lifespan shutdown calls this, so a clean stop loses nothing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await self.flush()
        # The writer thread's database connection goes with it (a stopped gateway holds none open).
        await asyncio.get_running_loop().run_in_executor(self._executor, connections.close_all)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    # --- writer thread ------------------------------------------------------------------

    def _take(self) -> list[InferenceRecord]:
        with self._lock:
            batch, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size :]
            size = len(self._pending)
        metrics.RECORDS_PENDING.set(size)
        return batch

    def _write(self, batch: list[InferenceRecord]) -> None:
        try:
            inference_records_write(batch)
        except DatabaseError:
            logger.exception("database refused %d inference records; spooling them", len(batch))
            self._spool(batch)
            connection.close_if_unusable_or_obsolete()
            return
        metrics.RECORDS_WRITTEN.inc(len(batch))
        try:
            self._replay_spool()
        except DatabaseError:
            logger.exception("replaying spooled inference records failed; they stay spooled")
            connection.close_if_unusable_or_obsolete()

    def _spool(self, batch: list[InferenceRecord]) -> None:
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        path = self.spool_dir / f"records-{os.getpid()}-{time.time_ns()}.json"
        path.write_text(serializers.serialize("json", batch), encoding="utf-8")
        metrics.RECORDS_SPOOLED.inc(len(batch))

    def _replay_spool(self) -> None:
        if not self.spool_dir.is_dir():
            return
        for path in sorted(self.spool_dir.glob("records-*.json")):
            records = [
                item.object
                for item in serializers.deserialize("json", path.read_text(encoding="utf-8"))
                if isinstance(item.object, InferenceRecord)
            ]
            # A spooled batch may have been committed after all (the acknowledgement was lost):
            # request ids are unique, so replaying skips what is stored already.
            stored = set(
                InferenceRecord.objects.filter(request_id__in=[r.request_id for r in records]).values_list(
                    "request_id", flat=True
                )
            )
            missing = [record for record in records if record.request_id not in stored]
            inference_records_write(missing)
            metrics.RECORDS_WRITTEN.inc(len(missing))
            path.unlink()
            logger.warning("replayed %d spooled inference records from %s", len(records), path.name)


_writer: RecordWriter | None = None


def record_writer() -> RecordWriter:
    global _writer  # noqa: PLW0603  (one writer per process)
    if _writer is None:
        _writer = RecordWriter(
            batch_size=settings.MODELGATE_GATEWAY_RECORD_BATCH_SIZE,
            flush_seconds=settings.MODELGATE_GATEWAY_RECORD_FLUSH_MS / 1000,
            spool_dir=Path(settings.DATA_DIR) / "inference-spool",
        )
    return _writer
