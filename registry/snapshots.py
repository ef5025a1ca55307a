"""Where a model version's metadata comes from: the Hugging Face Hub or a local snapshot directory.

Both produce the same ``Snapshot``; everything after that (parsing, checks,
writes) is shared, so the air-gapped path is not a second implementation. Neither
source ever downloads weights: only README.md, LICENSE*, USE_POLICY* and
config.json are read, each capped at ``HF_IMPORT_MAX_TEXT_FILE_BYTES``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from huggingface_hub import HfApi, hf_hub_url
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status  # type: ignore[attr-defined]

from core.errors import ApplicationError, NotFoundError, UpstreamError

FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_TEXT_FILE = re.compile(r"^(README\.md|config\.json|(LICEN[CS]E|USE_POLICY)[^/]*)$", re.IGNORECASE)
_SAFETENSORS_HEADER_LIMIT = 100 * 1024 * 1024


@dataclass(frozen=True)
class SnapshotFile:
    path: str
    size: int | None
    sha256: str | None
    blob_id: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """A model repository at one revision, as read from the Hub or from disk."""

    repo_id: str
    revision: str
    source: str
    files: tuple[SnapshotFile, ...]
    # Raw bytes of the text files fetched (or the first cap+1 bytes of an oversized one).
    texts: dict[str, bytes] = field(default_factory=dict)
    pipeline_tag: str | None = None
    tags: tuple[str, ...] = ()
    parameter_count: int | None = None

    def text_paths(self) -> list[str]:
        return sorted(self.texts)


class SnapshotSource(Protocol):
    name: str

    def fetch(self, repo_id: str, revision: str | None) -> Snapshot: ...

    def current_id(self, repo_id: str) -> str: ...


def is_text_file_to_fetch(path: str) -> bool:
    return "/" not in path and bool(_TEXT_FILE.match(path))


# --- The Hub -------------------------------------------------------------------


class HubSource:
    """Reads model_info and the few text files over the Hub's HTTP API."""

    name = "hub"

    def __init__(self, *, endpoint: str, token: str | None, timeout: float, max_text_bytes: int) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.token = token or None
        self.timeout = timeout
        self.max_text_bytes = max_text_bytes

    def fetch(self, repo_id: str, revision: str | None) -> Snapshot:
        api = HfApi(endpoint=self.endpoint, token=self.token or False)
        try:
            info = api.model_info(repo_id, revision=revision, files_metadata=True, timeout=self.timeout)
        except RevisionNotFoundError as exc:
            raise NotFoundError.for_field("revision", f"{revision!r} does not exist in {repo_id}") from exc
        except GatedRepoError as exc:
            raise _gated(repo_id) from exc
        except RepositoryNotFoundError as exc:
            raise NotFoundError.for_field(
                "repo_id", f"no model {repo_id!r} on the Hub (or it is private and HF_TOKEN has no access)"
            ) from exc
        except HfHubHTTPError as exc:
            raise UpstreamError(f"the Hub refused model_info for {repo_id}: {exc}") from exc
        except Exception as exc:  # connection errors come from httpx and differ by version
            raise UpstreamError(
                f"cannot reach the Hub at {self.endpoint} ({type(exc).__name__}: {exc}); "
                "for an air-gapped site import from a snapshot directory (--from-dir)"
            ) from exc

        if not info.sha or not FULL_SHA.match(info.sha):
            raise UpstreamError(f"the Hub returned no commit sha for {repo_id}@{revision or 'main'}")
        files = tuple(
            SnapshotFile(
                path=sibling.rfilename,
                size=sibling.lfs.size if sibling.lfs else sibling.size,
                sha256=sibling.lfs.sha256 if sibling.lfs else None,
                blob_id=sibling.blob_id,
            )
            for sibling in (info.siblings or [])
        )
        texts = {f.path: self._download(repo_id, info.sha, f.path) for f in files if is_text_file_to_fetch(f.path)}
        parameters = info.safetensors.total if info.safetensors else None
        return Snapshot(
            # The Hub answers for a renamed repository under its old name; record the current one.
            repo_id=info.id or repo_id,
            revision=info.sha,
            source=self.name,
            files=files,
            texts=texts,
            pipeline_tag=info.pipeline_tag,
            tags=tuple(info.tags or ()),
            parameter_count=parameters,
        )

    def current_id(self, repo_id: str) -> str:
        """The name the Hub knows ``repo_id`` by now (repositories get renamed; the Hub redirects)."""
        try:
            info = HfApi(endpoint=self.endpoint, token=self.token or False).model_info(
                repo_id, expand=["sha"], timeout=self.timeout
            )
        except (RepositoryNotFoundError, GatedRepoError):
            return repo_id
        except Exception as exc:
            raise UpstreamError(f"cannot reach the Hub at {self.endpoint} to look up {repo_id}: {exc}") from exc
        return info.id or repo_id

    def _download(self, repo_id: str, sha: str, path: str) -> bytes:
        url = hf_hub_url(repo_id, path, revision=sha, endpoint=self.endpoint)
        headers = build_hf_headers(token=self.token or False)
        try:
            with get_session().stream(
                "GET", url, headers=headers, timeout=self.timeout, follow_redirects=True
            ) as response:
                hf_raise_for_status(response)
                chunks: list[bytes] = []
                received = 0
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    received += len(chunk)
                    if received > self.max_text_bytes:
                        break  # enough to know it is too large; the parser says so
                return b"".join(chunks)[: self.max_text_bytes + 1]
        except ApplicationError:
            raise
        except GatedRepoError as exc:
            raise _gated(repo_id) from exc
        except Exception as exc:
            raise UpstreamError(f"cannot download {path} of {repo_id}@{sha[:12]} from the Hub: {exc}") from exc


def _gated(repo_id: str) -> UpstreamError:
    return UpstreamError.for_field(
        "repo_id",
        f"{repo_id} is gated: accept its terms on the Hub and set HF_TOKEN to a token with access",
        code="hub_gated",
    )


# --- A local snapshot directory -------------------------------------------------


class LocalSnapshotSource:
    """A directory holding a repository's files, e.g. from ``hf download --local-dir`` or the HF cache."""

    name = "local_snapshot"

    def __init__(self, directory: str | os.PathLike[str], *, max_text_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_text_bytes = max_text_bytes

    def fetch(self, repo_id: str, revision: str | None) -> Snapshot:
        root = self.directory
        if not root.is_dir():
            raise ApplicationError.for_field("from_dir", f"{str(root)!r} is not a directory")
        pinned = self._revision(revision)
        files: list[SnapshotFile] = []
        texts: dict[str, bytes] = {}
        # None once any shard's header is unreadable: a partial count would be wrong.
        parameters: int | None = 0
        saw_safetensors = False
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not _is_hidden(p, root)):
            relative = path.relative_to(root).as_posix()
            files.append(SnapshotFile(path=relative, size=path.stat().st_size, sha256=_sha256_of_file(path)))
            if is_text_file_to_fetch(relative):
                with path.open("rb") as handle:
                    texts[relative] = handle.read(self.max_text_bytes + 1)
            if relative.endswith(".safetensors"):
                count = safetensors_parameter_count(path)
                saw_safetensors = True
                parameters = None if count is None or parameters is None else parameters + count
        if not files:
            raise ApplicationError.for_field("from_dir", f"{str(root)!r} holds no files")
        return Snapshot(
            repo_id=repo_id,
            revision=pinned,
            source=self.name,
            files=tuple(files),
            texts=texts,
            parameter_count=parameters if saw_safetensors else None,
        )

    def current_id(self, repo_id: str) -> str:
        return repo_id  # offline: a declared id is taken as it stands

    def _revision(self, requested: str | None) -> str:
        recorded = _revision_recorded_in(self.directory)
        if requested:
            if not FULL_SHA.match(requested):
                raise ApplicationError.for_field(
                    "revision", f"{requested!r} is not a full commit sha; a snapshot directory must be pinned to one"
                )
            if recorded and recorded != requested:
                raise ApplicationError.for_field(
                    "revision", f"{requested} differs from the commit {recorded} recorded in the directory"
                )
            return requested
        if recorded:
            return recorded
        raise ApplicationError.for_field(
            "revision", "cannot tell which commit the directory holds; pass --revision <40-character commit sha>"
        )


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _revision_recorded_in(directory: Path) -> str | None:
    """The commit sha a download left behind: the HF cache's snapshot folder name, or local-dir metadata."""
    if FULL_SHA.match(directory.name) and directory.parent.name == "snapshots":
        return directory.name
    metadata_dir = directory / ".cache" / "huggingface" / "download"
    if metadata_dir.is_dir():
        for metadata in sorted(metadata_dir.rglob("*.metadata")):
            first_line = metadata.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].strip()
            if FULL_SHA.match(first_line):
                return first_line
    return None


def _sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def safetensors_parameter_count(path: Path) -> int | None:
    """Count parameters from a safetensors header without reading the tensors."""
    try:
        with path.open("rb") as handle:
            (header_size,) = struct.unpack("<Q", handle.read(8))
            if header_size > _SAFETENSORS_HEADER_LIMIT:
                return None
            header = json.loads(handle.read(header_size))
    except (OSError, struct.error, ValueError):
        return None
    total = 0
    for name, tensor in header.items():
        if name == "__metadata__" or not isinstance(tensor, dict):
            continue
        count = 1
        for dimension in tensor.get("shape", []):
            count *= int(dimension)
        total += count
    return total
