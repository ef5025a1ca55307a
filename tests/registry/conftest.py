"""Fixtures for the registry tests: the fake Hub, an unreachable Hub, row counts, tiny safetensors files."""

from __future__ import annotations

import json
import math
import socket
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.models import AuditEvent
from registry.models import LineageLink, Model, ModelVersion, ModelVersionDocument, Organization
from tests.hubfake import FakeHub

_DTYPE_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


@pytest.fixture
def fake_hub(settings: Any) -> Iterator[FakeHub]:
    """The fake Hub, running; the services reach it through settings.HF_ENDPOINT with a token it accepts."""
    hub = FakeHub().start()
    settings.HF_ENDPOINT = hub.url
    settings.HF_TOKEN = hub.token
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def unreachable_hub(settings: Any) -> str:
    """HF_ENDPOINT pointing at a loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Closed now: connecting is refused at once.
    settings.HF_ENDPOINT = f"http://127.0.0.1:{port}"
    settings.HF_TOKEN = None
    return str(settings.HF_ENDPOINT)


def table_counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "models": Model.objects.count(),
        "versions": ModelVersion.objects.count(),
        "documents": ModelVersionDocument.objects.count(),
        "lineage_links": LineageLink.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


@pytest.fixture
def counts(db: None) -> Callable[[], dict[str, int]]:
    """Row counts of every table an import writes to, for 'nothing was written' assertions."""
    return table_counts


def write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> int:
    """Write a real (tiny) safetensors file by hand; return its parameter count.

    Layout: 8-byte little-endian header length, the JSON header (padded with
    spaces to a multiple of 8), then the zero-filled tensor data.
    """
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    parameters = 0
    for name, (dtype, shape) in tensors.items():
        count = math.prod(shape)
        size = count * _DTYPE_SIZES[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
        parameters += count
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(offset))
    return parameters


@pytest.fixture(autouse=True)
def _registry_without_import_hooks(settings: Any) -> None:
    """These tests pin the registry's own rows and events; the license assessment that the
    project hooks into every import is tested in tests/compliance."""
    settings.MODELGATE_IMPORT_HOOKS = []
