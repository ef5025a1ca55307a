"""The recorded fixtures and the fake Hub behave like the Hub as huggingface_hub sees it.

If these fail, the import tests prove nothing: they would be testing against a
Hub that does not exist.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import ModelInfo

from tests.hubfake import FIXTURES, FakeHub, git_blob_id

INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
INSTRUCT_SHA = "0e9e39f249a16976918f6564b8830bc894c89659"
BASE_SHA = "d04e592bb4f6aa9cfee91e2e20afa771667e1d4b"
FIXTURE_INFOS = sorted(FIXTURES.glob("*/*/model_info.json"))


@pytest.fixture
def hub() -> FakeHub:
    with FakeHub() as running:
        yield running


@pytest.mark.parametrize("info_path", FIXTURE_INFOS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_recorded_model_info_parses_as_huggingface_hub_model_info(info_path: Path) -> None:
    # Given a recorded model_info response
    data = json.loads(info_path.read_text(encoding="utf-8"))

    # When huggingface_hub parses it as it parses the Hub's answer
    info = ModelInfo(**data)

    # Then every field the import reads is there, typed as the library types it
    assert info.id == f"{info_path.parent.parent.name}/{info_path.parent.name}"
    assert len(info.sha) == 40
    assert int(info.sha, 16) >= 0
    assert info.siblings, "a repository has files"
    assert info.card_data is not None
    assert info.last_modified is not None
    assert info.created_at is not None
    for sibling in info.siblings:
        assert sibling.size is not None
        assert sibling.size > 0
        assert sibling.blob_id is not None
        assert len(sibling.blob_id) == 40
        if sibling.lfs is not None:
            assert len(sibling.lfs.sha256) == 64
            assert sibling.lfs.size == sibling.size
            assert 120 < sibling.lfs.pointer_size < 140
    if info.safetensors is not None:
        assert info.safetensors.total == sum(info.safetensors.parameters.values())


@pytest.mark.parametrize("info_path", FIXTURE_INFOS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_stored_file_matches_its_listing(info_path: Path) -> None:
    # Given a recorded repository and the files stored with it
    data = json.loads(info_path.read_text(encoding="utf-8"))
    siblings = {sibling["rfilename"]: sibling for sibling in data["siblings"]}
    files_dir = info_path.parent / "files"
    stored = [p for p in files_dir.rglob("*") if p.is_file()]

    # Then each stored file is listed with its exact size and git blob id, and is not an LFS file
    assert stored
    for path in stored:
        name = path.relative_to(files_dir).as_posix()
        content = path.read_bytes()
        assert name in siblings, f"{name} is stored but not listed"
        assert siblings[name]["size"] == len(content)
        assert siblings[name]["blobId"] == git_blob_id(content)
        assert "lfs" not in siblings[name]


def test_model_info_through_huggingface_hub_returns_the_recorded_revision(hub: FakeHub) -> None:
    # Given the fake Hub and a token it accepts
    api = HfApi(endpoint=hub.url, token=hub.token)

    # When huggingface_hub asks for model_info with files metadata, by branch and by sha
    by_branch = api.model_info(INSTRUCT, files_metadata=True)
    by_sha = api.model_info(INSTRUCT, revision=INSTRUCT_SHA, files_metadata=True)

    # Then both resolve to the recorded commit with LFS metadata for the weights
    assert by_branch.sha == by_sha.sha == INSTRUCT_SHA
    assert by_branch.gated == "manual"
    assert by_branch.safetensors is not None
    assert by_branch.safetensors.total == 8_030_261_248
    shard = next(s for s in by_branch.siblings if s.rfilename == "model-00001-of-00004.safetensors")
    assert shard.lfs is not None
    assert shard.lfs.size == 4_976_698_672
    assert hub.requests[0].query == {"blobs": ["true"]}


def test_model_info_without_blobs_lists_file_names_only(hub: FakeHub) -> None:
    info = HfApi(endpoint=hub.url, token=hub.token).model_info(INSTRUCT)

    assert info.siblings is not None
    assert {s.rfilename for s in info.siblings} >= {"README.md", "LICENSE", "config.json"}
    assert all(s.size is None and s.lfs is None for s in info.siblings)


def test_the_fake_answers_errors_as_huggingface_hub_expects(hub: FakeHub, tmp_path: Path) -> None:
    anonymous = HfApi(endpoint=hub.url, token=False)
    reader = HfApi(endpoint=hub.url, token=hub.token)
    stranger = HfApi(endpoint=hub.url, token="hf_someone_else")

    with pytest.raises(RepositoryNotFoundError):
        reader.model_info("nobody/nothing")
    with pytest.raises(RevisionNotFoundError):
        reader.model_info(INSTRUCT, revision="f" * 40)
    with pytest.raises(GatedRepoError) as no_token:
        anonymous.model_info(INSTRUCT)
    with pytest.raises(GatedRepoError) as wrong_token:
        stranger.model_info(INSTRUCT)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(
            INSTRUCT,
            "no-such-file.txt",
            revision=INSTRUCT_SHA,
            endpoint=hub.url,
            token=hub.token,
            cache_dir=tmp_path,
            dry_run=True,
        )

    assert no_token.value.response.status_code == 401
    assert wrong_token.value.response.status_code == 403


def test_a_renamed_repository_redirects_to_its_new_name(hub: FakeHub) -> None:
    # When the old name of meta-llama/Llama-3.1-8B is asked for (model cards still use it)
    info = HfApi(endpoint=hub.url, token=hub.token).model_info("meta-llama/Meta-Llama-3.1-8B", files_metadata=True)

    # Then the answer is the renamed repository, reached through a redirect
    assert info.id == "meta-llama/Llama-3.1-8B"
    assert info.sha == BASE_SHA
    assert hub.paths() == ["/api/models/meta-llama/Meta-Llama-3.1-8B", "/api/models/meta-llama/Llama-3.1-8B"]


def test_realistic_gating_serves_metadata_and_readme_but_not_other_files(tmp_path: Path) -> None:
    with FakeHub(gated_metadata_public=True) as hub:
        anonymous = HfApi(endpoint=hub.url, token=False)

        info = anonymous.model_info(INSTRUCT, files_metadata=True)
        anonymous_download = {"revision": INSTRUCT_SHA, "endpoint": hub.url, "token": False, "cache_dir": tmp_path}
        readme = hf_hub_download(INSTRUCT, "README.md", dry_run=True, **anonymous_download)
        with pytest.raises(GatedRepoError):
            hf_hub_download(INSTRUCT, "LICENSE", dry_run=True, **anonymous_download)

    assert info.sha == INSTRUCT_SHA
    assert readme.file_size == len((FIXTURES / INSTRUCT / "files" / "README.md").read_bytes())


def test_tests_can_add_repositories_and_revisions(hub: FakeHub) -> None:
    # Given a new commit on main that changes the README of a recorded repository
    new_sha = "1" * 40
    hub.add_revision(INSTRUCT, new_sha, files={"README.md": b"---\nlicense: mit\n---\n"}, ref="main")
    api = HfApi(endpoint=hub.url, token=hub.token)

    # Then main moved and the old commit is still there
    assert api.model_info(INSTRUCT).sha == new_sha
    assert api.model_info(INSTRUCT, revision=INSTRUCT_SHA).sha == INSTRUCT_SHA
    listed = next(s for s in api.model_info(INSTRUCT, files_metadata=True).siblings if s.rfilename == "README.md")
    assert listed.size == len(b"---\nlicense: mit\n---\n")
