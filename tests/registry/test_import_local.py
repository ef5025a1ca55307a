"""Importing from a local snapshot directory (air-gapped sites): same facts, no network."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from core.errors import ApplicationError
from registry.models import LineageRelation, ModelVersion, VersionSource
from registry.services import local_source, model_version_import
from tests.hubfake import FakeHub, git_blob_id
from tests.registry import recorded as r
from tests.registry.conftest import write_safetensors

pytestmark = pytest.mark.django_db

REPO = "acme/tiny-llama"
SHA = "5f1c0d3a2b4e6f8091a2b3c4d5e6f708192a3b4c"
README = b"""---
license: apache-2.0
base_model: acme/tiny-base
pipeline_tag: text-generation
tags:
- tiny
---

# tiny-llama

A two-shard model small enough for a unit test.
"""
LICENSE = b"                                 Apache License\n                           Version 2.0, January 2004\n"
CONFIG = b'{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 16, "vocab_size": 32}\n'
SHARDS = {
    "model-00001-of-00002.safetensors": {
        "model.embed_tokens.weight": ("BF16", [32, 16]),
        "model.layers.0.self_attn.q_proj.weight": ("BF16", [16, 16]),
    },
    "model-00002-of-00002.safetensors": {
        "lm_head.weight": ("BF16", [32, 16]),
        "model.norm.weight": ("F32", [16]),
    },
}
PARAMETERS = 32 * 16 + 16 * 16 + 32 * 16 + 16


def build_snapshot(directory: Path) -> dict[str, bytes]:
    """Write a repository's files into ``directory``; return them by path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "README.md").write_bytes(README)
    (directory / "LICENSE").write_bytes(LICENSE)
    (directory / "config.json").write_bytes(CONFIG)
    weight_map = {}
    for name, tensors in SHARDS.items():
        write_safetensors(directory / name, tensors)
        weight_map.update(dict.fromkeys(tensors, name))
    total = sum((directory / name).stat().st_size for name in SHARDS)
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (directory / "model.safetensors.index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def build_hf_cache(root: Path, repo_id: str, sha: str) -> Path:
    """The layout huggingface_hub's cache uses: blobs by hash, snapshots/<sha>/ of symlinks, refs/main."""
    repo_dir = root / f"models--{repo_id.replace('/', '--')}"
    staging = root / "staging"
    files = build_snapshot(staging)
    snapshot = repo_dir / "snapshots" / sha
    for path, data in files.items():
        blob = repo_dir / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / path
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(sha)
    for path in files:
        (staging / path).unlink()
    return snapshot


def test_import_from_an_hf_cache_snapshot_takes_the_revision_from_its_folder(
    tmp_path: Path, officer: User, unreachable_hub: str
) -> None:
    # Given a snapshot in the HF cache layout (.../snapshots/<sha>/, files symlinked to blobs) and no Hub at all
    snapshot = build_hf_cache(tmp_path / "hub", REPO, SHA)

    # When it is imported from the directory
    result = model_version_import(actor=officer, repo_id=REPO, source=local_source(str(snapshot)))

    # Then the version is pinned to the folder's commit and every file is hashed from its content
    version = ModelVersion.objects.get(pk=result.version.pk)
    files = {p.relative_to(snapshot).as_posix(): p.read_bytes() for p in snapshot.iterdir()}
    assert version.revision == SHA
    assert version.source == VersionSource.LOCAL_SNAPSHOT
    assert version.files == [
        {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "blob_id": None}
        for path, data in sorted(files.items())
    ]
    assert version.declared_license == "apache-2.0"
    assert version.license_text == LICENSE.decode()
    assert version.license_sha256 == hashlib.sha256(LICENSE).hexdigest()
    assert {d.path: d.sha256 for d in version.documents.all()} == {
        "LICENSE": hashlib.sha256(LICENSE).hexdigest(),
        "README.md": hashlib.sha256(README).hexdigest(),
        "config.json": hashlib.sha256(CONFIG).hexdigest(),
    }
    model = version.model
    assert model.parameter_count == PARAMETERS  # read from the safetensors headers
    assert model.architecture == "LlamaForCausalLM"
    assert model.task == "text-generation"  # from the card: a directory has no Hub pipeline tag
    assert model.modalities == ["text"]
    assert [(link.parent_ref, link.relation) for link in version.base_links.all()] == [
        ("acme/tiny-base", LineageRelation.FINE_TUNE)
    ]
    assert version.tags == ["tiny"]


def test_import_from_a_local_dir_takes_the_revision_from_download_metadata(tmp_path: Path, officer: User) -> None:
    # Given a folder written by `hf download --local-dir`, which leaves .cache/huggingface/download/*.metadata
    directory = tmp_path / "tiny-llama"
    files = build_snapshot(directory)
    metadata = directory / ".cache" / "huggingface" / "download"
    metadata.mkdir(parents=True)
    # Its lines: the commit, the file's etag (the git blob id for a non-LFS file), the download time.
    (metadata / "README.md.metadata").write_text(f"{SHA}\n{git_blob_id(README)}\n1732250000.0\n")

    version = model_version_import(actor=officer, repo_id=REPO, source=local_source(str(directory))).version

    # Then the commit comes from the metadata, and the hidden bookkeeping is not one of the model's files
    assert version.revision == SHA
    assert [f["path"] for f in version.files] == sorted(files)


def test_import_from_a_plain_directory_uses_the_given_revision(tmp_path: Path, officer: User) -> None:
    directory = tmp_path / "plain"
    build_snapshot(directory)

    version = model_version_import(
        actor=officer, repo_id=REPO, revision=SHA, source=local_source(str(directory))
    ).version

    assert version.revision == SHA


@pytest.mark.parametrize(
    ("revision", "recorded", "problem"),
    [
        (None, None, "cannot tell which commit the directory holds; pass --revision <40-character commit sha>"),
        ("main", None, "'main' is not a full commit sha; a snapshot directory must be pinned to one"),
        (SHA[:12], None, f"'{SHA[:12]}' is not a full commit sha; a snapshot directory must be pinned to one"),
        ("a" * 40, SHA, f"{'a' * 40} differs from the commit {SHA} recorded in the directory"),
    ],
    ids=["none-known", "branch-name", "short-sha", "disagrees-with-metadata"],
)
def test_a_snapshot_without_a_known_commit_is_refused(
    *,
    tmp_path: Path,
    officer: User,
    counts: Callable[[], dict[str, int]],
    revision: str | None,
    recorded: str | None,
    problem: str,
) -> None:
    directory = tmp_path / "unpinned"
    build_snapshot(directory)
    if recorded:
        (directory / ".cache" / "huggingface" / "download").mkdir(parents=True)
        (directory / ".cache" / "huggingface" / "download" / "config.json.metadata").write_text(f"{recorded}\n")
    before = counts()

    with pytest.raises(ApplicationError) as refused:
        model_version_import(actor=officer, repo_id=REPO, revision=revision, source=local_source(str(directory)))

    assert refused.value.fields == {"revision": [problem]}
    assert counts() == before


def test_a_missing_or_empty_directory_is_refused(tmp_path: Path, officer: User) -> None:
    (tmp_path / "empty").mkdir()

    with pytest.raises(ApplicationError) as missing:
        model_version_import(actor=officer, repo_id=REPO, revision=SHA, source=local_source(str(tmp_path / "nope")))
    with pytest.raises(ApplicationError) as empty:
        model_version_import(actor=officer, repo_id=REPO, revision=SHA, source=local_source(str(tmp_path / "empty")))

    assert missing.value.fields == {"from_dir": [f"{str(tmp_path / 'nope')!r} is not a directory"]}
    assert empty.value.fields == {"from_dir": [f"{str(tmp_path / 'empty')!r} holds no files"]}


def test_the_command_imports_from_a_directory(tmp_path: Path, officer: User, unreachable_hub: str) -> None:
    snapshot = build_hf_cache(tmp_path / "hub", REPO, SHA)
    out, err = StringIO(), StringIO()

    call_command("import_hf_model", REPO, "--from-dir", str(snapshot), "--as-user", "olivia", stdout=out, stderr=err)

    version = ModelVersion.objects.get(model__hub_id=REPO)
    assert out.getvalue() == f"Imported {REPO} at {SHA} (version {version.pk})\n"
    assert err.getvalue() == (
        "warning: base_model: acme/tiny-base is not in the registry; import it with --with-base-models\n"
    )
    assert version.imported_by == officer


def test_the_command_reports_a_directory_it_cannot_pin(tmp_path: Path, counts: Callable[[], dict[str, int]]) -> None:
    directory = tmp_path / "unpinned"
    build_snapshot(directory)
    before = counts()

    with pytest.raises(CommandError) as refused:
        call_command("import_hf_model", REPO, "--from-dir", str(directory), stdout=StringIO(), stderr=StringIO())

    assert str(refused.value) == (
        "revision: cannot tell which commit the directory holds; pass --revision <40-character commit sha>"
    )
    assert counts() == before


def test_a_snapshot_import_and_a_hub_import_of_one_commit_are_one_version(
    tmp_path: Path, officer: User, fake_hub: FakeHub
) -> None:
    # Given Qwen2.5-3B-Instruct's text files copied off the Hub into an HF-cache-style folder
    snapshot = tmp_path / "models--Qwen--Qwen2.5-3B-Instruct" / "snapshots" / r.QWEN_SHA
    snapshot.mkdir(parents=True)
    for path in ["README.md", "LICENSE", "config.json"]:
        (snapshot / path).write_bytes(r.file_bytes(r.QWEN, path))
    offline = model_version_import(actor=officer, repo_id=r.QWEN, source=local_source(str(snapshot)))

    # When the same commit is later imported from the Hub
    online = model_version_import(actor=officer, repo_id=r.QWEN)

    # Then it is recognised as the version already registered
    assert online.created is False
    assert online.version.pk == offline.version.pk
    assert offline.version.license_sha256 == r.sha256(r.file_bytes(r.QWEN, "LICENSE"))


def test_an_unreadable_safetensors_shard_does_not_record_a_partial_parameter_count(
    tmp_path: Path, officer: User
) -> None:
    # Given a snapshot whose second shard has a corrupt header (e.g. a truncated copy)
    directory = tmp_path / "corrupt"
    build_snapshot(directory)
    (directory / "model-00002-of-00002.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")

    version = model_version_import(
        actor=officer, repo_id=REPO, revision=SHA, source=local_source(str(directory))
    ).version

    # Then the registry does not claim the first shard's count is the model's size
    first_shard = 32 * 16 + 16 * 16
    assert version.model.parameter_count != first_shard
    assert version.model.parameter_count is None
