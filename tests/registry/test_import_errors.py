"""Refused imports: each names the problem, and none writes anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User

from core.errors import ApplicationError, NotFoundError, UpstreamError
from registry import services
from registry.services import model_version_import
from tests.hubfake import FakeHub, model_info_json
from tests.registry import recorded as r

pytestmark = pytest.mark.django_db

BAD_SHA = "f" * 40


@pytest.fixture
def nothing_written(counts: Callable[[], dict[str, int]]) -> Iterator[None]:
    """Asserts, after the test, that no table an import writes to gained or lost a row."""
    before = counts()
    yield
    assert counts() == before


def _add_repo_with(hub: FakeHub, repo_id: str, **files: bytes) -> None:
    """A repository on the fake Hub whose files are exactly ``files`` (names with '_' for '.')."""
    by_path = {name.replace("_md", ".md").replace("_json", ".json"): data for name, data in files.items()}
    hub.add_repo(model_info_json(repo_id, "9" * 40, by_path, lfs_files={"model.safetensors": 4096}), by_path)


def _refusal(repo_id: str, **kwargs: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as refused:
        model_version_import(actor=None, repo_id=repo_id, **kwargs)
    return refused.value


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    "repo_id",
    [
        "llama",
        "a/b/c",
        "../etc/passwd",
        "meta-llama/../x",
        "meta--llama/x",
        "meta-llama/Llama 3.1",
        "-meta/x",
        "",
        "https://huggingface.co/meta-llama/x",
    ],
)
def test_an_invalid_repo_id_is_refused_before_asking_the_hub(fake_hub: FakeHub, repo_id: str) -> None:
    error = _refusal(repo_id)

    assert error.code == "invalid"
    assert error.fields == {
        "repo_id": [f"{repo_id!r} is not a Hub model id; expected 'namespace/name', e.g. meta-llama/Llama-3.1-8B"]
    }
    assert fake_hub.requests == []


@pytest.mark.usefixtures("nothing_written")
def test_malformed_card_yaml_is_refused_with_its_line(fake_hub: FakeHub) -> None:
    # Given a card whose fifth line (counting the opening ---) is not valid YAML
    readme = b"---\nlicense: mit\ntags:\n- chat\npipeline_tag: text-generation: oops\n---\n# Card\n"
    _add_repo_with(fake_hub, "acme/bad-yaml", README_md=readme)

    error = _refusal("acme/bad-yaml")

    assert error.code == "malformed_card"
    assert error.message == (
        "README.md: the card's YAML metadata is malformed at line 5, column 30: mapping values are not allowed here"
    )
    assert readme.split(b"\n")[5 - 1][30 - 1 : 30] == b":"  # line 5, column 30 of the file is the stray colon


@pytest.mark.usefixtures("nothing_written")
def test_card_yaml_that_is_a_list_is_refused(fake_hub: FakeHub) -> None:
    _add_repo_with(fake_hub, "acme/list-card", README_md=b"---\n- license: mit\n- base_model: x/y\n---\n")

    error = _refusal("acme/list-card")

    assert (error.code, error.fields) == (
        "malformed_card",
        {"README.md": ["the card's YAML metadata must be a mapping of keys to values"]},
    )


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("revision", [BAD_SHA, "v9.9", "refs/pr/1"])
def test_a_nonexistent_revision_is_not_found(fake_hub: FakeHub, revision: str) -> None:
    error = _refusal(r.INSTRUCT, revision=revision)

    assert isinstance(error, NotFoundError)
    assert error.fields == {"revision": [f"{revision!r} does not exist in {r.INSTRUCT}"]}


@pytest.mark.usefixtures("nothing_written")
def test_a_nonexistent_repo_is_not_found(fake_hub: FakeHub) -> None:
    error = _refusal("meta-llama/Llama-9-1T")

    assert isinstance(error, NotFoundError)
    assert error.fields == {
        "repo_id": ["no model 'meta-llama/Llama-9-1T' on the Hub (or it is private and HF_TOKEN has no access)"]
    }


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("token", [None, "hf_a_token_without_access"], ids=["no-token", "token-without-access"])
def test_a_gated_repo_without_access_is_refused(fake_hub: FakeHub, settings: Any, token: str | None) -> None:
    settings.HF_TOKEN = token

    error = _refusal(r.INSTRUCT)

    assert isinstance(error, UpstreamError)
    assert error.code == "hub_gated"
    assert error.fields == {
        "repo_id": [f"{r.INSTRUCT} is gated: accept its terms on the Hub and set HF_TOKEN to a token with access"]
    }


@pytest.mark.usefixtures("nothing_written")
def test_a_gated_repo_whose_metadata_is_public_is_refused_as_gated(settings: Any) -> None:
    # Given the Hub as it really behaves: model_info and README.md of a gated repo are public, other files are not
    with FakeHub(gated_metadata_public=True) as hub:
        settings.HF_ENDPOINT = hub.url
        settings.HF_TOKEN = None

        error = _refusal(r.INSTRUCT)

    # Then the refusal says the repository is gated and how to get access, like the one for model_info
    assert error.code == "hub_gated"
    assert "set HF_TOKEN" in error.message


@pytest.mark.usefixtures("nothing_written")
def test_a_readme_larger_than_the_cap_is_refused(fake_hub: FakeHub, settings: Any) -> None:
    five_mb = b"---\nlicense: mit\n---\n" + b"All work and no play makes Jack a dull boy.\n" * 120_000
    assert len(five_mb) > 5_000_000
    _add_repo_with(fake_hub, "acme/huge-card", README_md=five_mb)

    error = _refusal("acme/huge-card")

    assert error.code == "file_too_large"
    assert error.fields == {
        "README.md": [
            f"is larger than {settings.HF_IMPORT_MAX_TEXT_FILE_BYTES} bytes, the most an import reads "
            "(HF_IMPORT_MAX_TEXT_FILE_BYTES)"
        ]
    }


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "is binary, not text"),
        ("---\nlicense: mit\n---\nCaf\u00e9 cr\u00e8me\n".encode("latin-1"), "is not UTF-8 text (byte 24)"),
    ],
    ids=["png", "latin-1"],
)
def test_a_readme_that_is_not_utf8_text_is_refused(fake_hub: FakeHub, content: bytes, problem: str) -> None:
    _add_repo_with(fake_hub, "acme/binary-card", README_md=content)

    error = _refusal("acme/binary-card")

    assert (error.code, error.fields) == ("binary_file", {"README.md": [problem]})


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (
            b'{\n  "architectures": ["LlamaForCausalLM"],\n}\n',
            "is not valid JSON: Expecting property name enclosed in double quotes at line 3",
        ),
        (b'["LlamaForCausalLM"]', "must be a JSON object"),
    ],
    ids=["trailing-comma", "not-an-object"],
)
def test_a_bad_config_json_is_refused(fake_hub: FakeHub, config: bytes, problem: str) -> None:
    _add_repo_with(fake_hub, "acme/bad-config", README_md=b"---\nlicense: mit\n---\n", config_json=config)

    error = _refusal("acme/bad-config")

    assert (error.code, error.fields) == ("malformed_config", {"config.json": [problem]})


@pytest.mark.usefixtures("nothing_written")
def test_an_unknown_base_model_relation_is_refused(fake_hub: FakeHub) -> None:
    _add_repo_with(fake_hub, "acme/fork", README_md=b"---\nbase_model: x/y\nbase_model_relation: fork\n---\n")

    error = _refusal("acme/fork")

    assert (error.code, error.fields) == (
        "malformed_card",
        {
            "README.md:base_model_relation": [
                "'fork' is not one of adapter, distillation, fine-tune, fine_tune, finetune, merge, quantized"
            ]
        },
    )


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    ("base_model", "problem"),
    [
        ("./checkpoints/llama-3.1-8b", "'./checkpoints/llama-3.1-8b' is not a Hub model id"),
        (
            "https://huggingface.co/meta-llama/Llama-3.1-8B",
            "'https://huggingface.co/meta-llama/Llama-3.1-8B' is not a Hub model id",
        ),
        ("acme/self", "a model cannot be its own base model"),
        ("{name: x/y}", "must be a model id or a list of model ids"),
    ],
    ids=["path", "url", "itself", "mapping"],
)
def test_a_base_model_that_is_not_a_hub_id_is_refused(fake_hub: FakeHub, base_model: str, problem: str) -> None:
    _add_repo_with(fake_hub, "acme/self", README_md=f"---\nbase_model: {base_model}\n---\n".encode())

    error = _refusal("acme/self")

    assert (error.code, error.fields) == ("malformed_card", {"README.md:base_model": [problem]})


@pytest.mark.usefixtures("nothing_written")
def test_an_unreachable_hub_is_an_upstream_error(unreachable_hub: str) -> None:
    error = _refusal(r.INSTRUCT)

    assert isinstance(error, UpstreamError)
    assert error.code == "upstream_unavailable"
    assert error.message.startswith(f"cannot reach the Hub at {unreachable_hub} (ConnectError")
    assert error.message.endswith("for an air-gapped site import from a snapshot directory (--from-dir)")


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    ("with_base_models", "failing_call"), [(False, 3), (True, 5)], ids=["at-the-version", "after-the-base-was-written"]
)
def test_a_failure_part_way_through_the_write_leaves_no_partial_rows(
    fake_hub: FakeHub, officer: User, monkeypatch: pytest.MonkeyPatch, with_base_models: bool, failing_call: int
) -> None:
    # Given an audit ledger that fails on its n-th write of the import
    calls: list[str] = []
    real_audit_record = services.audit_record

    def failing_audit_record(**kwargs: Any) -> Any:
        calls.append(kwargs["event"].name)
        if len(calls) == failing_call:
            raise RuntimeError("disk full")
        return real_audit_record(**kwargs)

    monkeypatch.setattr(services, "audit_record", failing_audit_record)

    # When an import runs into it
    with pytest.raises(RuntimeError, match="disk full"):
        model_version_import(actor=officer, repo_id=r.DISTILL, with_base_models=with_base_models)

    # Then it got that far, and (the fixture checks) nothing of it was kept
    assert len(calls) == failing_call
    assert calls[-1] == "registry.model_version.imported" if not with_base_models else "registry.model.created"
