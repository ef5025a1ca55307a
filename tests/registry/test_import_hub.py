"""Importing from the (fake) Hub through the service: what a version records, once."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import yaml
from django.contrib.auth.models import User

from core.models import AuditEvent
from registry.models import LineageRelation, Model, ModelVersion, Organization, VersionSource
from registry.services import model_update, model_version_import
from tests.hubfake import FakeHub
from tests.registry import recorded as r

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _never_a_weight(fake_hub: FakeHub):
    """Whatever a test here imports, the Hub is never asked for a weight file."""
    yield
    assert fake_hub.weight_requests() == []


def test_import_records_the_pinned_revision_and_every_file(fake_hub: FakeHub, officer: User) -> None:
    # Given the fake Hub serving meta-llama/Llama-3.1-8B-Instruct
    # When an officer imports it without naming a revision
    result = model_version_import(actor=officer, repo_id=r.INSTRUCT)

    # Then the version is pinned to the commit main pointed at, with every file as listed
    version = ModelVersion.objects.get(pk=result.version.pk)
    assert result.created is True
    assert version.revision == r.INSTRUCT_SHA
    assert version.source == VersionSource.HUB
    assert version.imported_by == officer
    assert version.files == r.expected_files(r.INSTRUCT)
    shard = next(f for f in version.files if f["path"] == "model-00001-of-00004.safetensors")
    listed = next(s for s in r.info(r.INSTRUCT)["siblings"] if s["rfilename"] == shard["path"])
    assert shard == {
        "path": "model-00001-of-00004.safetensors",
        "size": 4_976_698_672,
        "sha256": listed["lfs"]["sha256"],
        "blob_id": listed["blobId"],
    }
    readme = next(f for f in version.files if f["path"] == "README.md")
    assert readme["sha256"] is None  # a plain git file: the Hub lists no sha256 for it
    assert readme["size"] == len(r.file_bytes(r.INSTRUCT, "README.md"))


def test_import_records_documents_with_their_hashes(fake_hub: FakeHub, officer: User) -> None:
    version = model_version_import(actor=officer, repo_id=r.INSTRUCT).version

    documents = {doc.path: (doc.kind, doc.sha256, doc.size, doc.text) for doc in version.documents.all()}
    expected = {}
    for path, kind in [
        ("LICENSE", "license"),
        ("README.md", "readme"),
        ("USE_POLICY.md", "use_policy"),
        ("config.json", "config"),
    ]:
        data = r.file_bytes(r.INSTRUCT, path)
        expected[path] = (kind, r.sha256(data), len(data), data.decode("utf-8"))
    assert documents == expected


def test_import_records_the_declared_license_and_the_license_text(fake_hub: FakeHub, officer: User) -> None:
    version = model_version_import(actor=officer, repo_id=r.INSTRUCT).version

    license_bytes = r.file_bytes(r.INSTRUCT, "LICENSE")
    assert version.declared_license == "llama3.1"
    assert version.declared_license_name == ""
    assert version.declared_license_link == ""
    assert version.license_file == "LICENSE"
    assert version.license_text == license_bytes.decode("utf-8")
    assert version.license_text.startswith("LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date:")
    assert version.license_sha256 == r.sha256(license_bytes)
    assert version.import_warnings == []


def test_import_records_license_name_and_link_of_an_other_license(fake_hub: FakeHub, officer: User) -> None:
    # Given Qwen2.5-3B-Instruct, whose card says license: other with license_name and license_link
    version = model_version_import(actor=officer, repo_id=r.QWEN).version

    assert version.revision == r.QWEN_SHA
    assert version.declared_license == "other"
    assert version.declared_license_name == "qwen-research"
    assert version.declared_license_link == "https://huggingface.co/Qwen/Qwen2.5-3B-Instruct/blob/main/LICENSE"
    assert version.license_text.startswith("Qwen RESEARCH LICENSE AGREEMENT")
    assert version.license_sha256 == r.sha256(r.file_bytes(r.QWEN, "LICENSE"))


def test_import_snapshots_the_card_metadata_tags_and_config(fake_hub: FakeHub, officer: User) -> None:
    version = model_version_import(actor=officer, repo_id=r.INSTRUCT).version

    readme = r.file_bytes(r.INSTRUCT, "README.md").decode("utf-8")
    front_matter = yaml.safe_load(readme.split("---\n", 2)[1])
    assert version.card_metadata == front_matter
    # The Hub's own parse of the same card agrees with ours.
    assert version.card_metadata == r.info(r.INSTRUCT)["cardData"]
    assert version.card_metadata["base_model"] == r.INSTRUCT_DECLARED_BASE
    assert version.card_metadata["extra_gated_prompt"].startswith("### LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\n")
    # Hub tags first, then the card's own tags not already among them (here all are).
    assert version.tags == r.info(r.INSTRUCT)["tags"]
    assert version.config == json.loads(r.file_bytes(r.INSTRUCT, "config.json"))


def test_import_creates_the_model_with_its_descriptive_facts(fake_hub: FakeHub, officer: User) -> None:
    model_version_import(actor=officer, repo_id=r.INSTRUCT)

    model = Model.objects.select_related("provider").get(hub_id=r.INSTRUCT)
    assert model.task == "text-generation"
    assert model.modalities == ["text"]
    assert model.architecture == "LlamaForCausalLM"
    assert model.parameter_count == r.LLAMA_3_1_8B_PARAMETERS  # safetensors.total from the Hub
    assert (model.provider.name, model.provider.hub_namespace) == ("meta-llama", "meta-llama")


def test_import_of_a_gguf_repo_records_no_architecture_or_parameter_count(fake_hub: FakeHub, officer: User) -> None:
    # Given a GGUF repository: no config.json, no safetensors, no LICENSE file
    result = model_version_import(actor=officer, repo_id=r.GGUF)

    model = result.version.model
    assert (model.task, model.modalities, model.architecture, model.parameter_count) == (
        "text-generation",
        ["text"],
        "",
        None,
    )
    assert result.version.declared_license == "llama3.1"
    assert result.version.license_file == ""
    assert result.version.import_warnings == [
        "LICENSE: the repository has no LICENSE file; only the card's license tag is known"
    ]
    assert {doc.path for doc in result.version.documents.all()} == {"README.md"}


def test_import_writes_one_audit_event_per_change_in_order(fake_hub: FakeHub, officer: User) -> None:
    before = AuditEvent.objects.count()

    result = model_version_import(actor=officer, repo_id=r.INSTRUCT)

    events = list(AuditEvent.objects.order_by("sequence")[before:])
    assert [e.action for e in events] == [
        "registry.organization.created",
        "registry.model.created",
        "registry.model_version.imported",
        "registry.lineage.linked",
    ]
    assert {e.actor_label for e in events} == {"olivia"}
    imported = events[2]
    assert (imported.target_type, imported.target_id) == ("registry.modelversion", str(result.version.pk))
    assert imported.after["revision"] == r.INSTRUCT_SHA
    assert imported.after["license_sha256"] == r.sha256(r.file_bytes(r.INSTRUCT, "LICENSE"))
    assert imported.after["documents"] == {
        path: r.sha256(r.file_bytes(r.INSTRUCT, path)) for path in sorted(r.TEXT_FILES)
    }
    assert events[3].after["parent_ref"] == r.INSTRUCT_DECLARED_BASE


def test_importing_the_same_revision_again_writes_nothing(
    fake_hub: FakeHub, officer: User, counts: Callable[[], dict[str, int]]
) -> None:
    # Given the version imported once
    first = model_version_import(actor=officer, repo_id=r.INSTRUCT)
    after_first = counts()

    # When it is imported again, by branch and by sha
    again = model_version_import(actor=officer, repo_id=r.INSTRUCT)
    by_sha = model_version_import(actor=officer, repo_id=r.INSTRUCT, revision=r.INSTRUCT_SHA)

    # Then the same version comes back and not one row (nor audit event) was written
    assert (again.created, by_sha.created) == (False, False)
    assert again.version.pk == by_sha.version.pk == first.version.pk
    assert counts() == after_first


def test_another_revision_is_a_second_version_of_the_same_model(fake_hub: FakeHub, officer: User) -> None:
    # Given the real earlier commit of Mistral-7B-Instruct-v0.3, whose card had only the license then
    fake_hub.add_revision(
        r.MISTRAL,
        r.MISTRAL_OLDER_SHA,
        files={"README.md": b"---\nlicense: apache-2.0\n---\n\n# Model Card for Mistral-7B-Instruct-v0.3\n"},
    )
    current = model_version_import(actor=officer, repo_id=r.MISTRAL).version
    events_before = AuditEvent.objects.count()

    # When the earlier revision is imported
    older = model_version_import(actor=officer, repo_id=r.MISTRAL, revision=r.MISTRAL_OLDER_SHA).version

    # Then it is a second version of one model, and only the import itself is audited
    assert current.revision == r.MISTRAL_SHA
    assert older.revision == r.MISTRAL_OLDER_SHA
    assert older.model_id == current.model_id
    assert Model.objects.filter(hub_id=r.MISTRAL).count() == 1
    assert list(older.base_links.all()) == []
    assert list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True)[events_before:]) == [
        "registry.model_version.imported"
    ]


def test_a_new_revision_fills_missing_facts_but_keeps_an_officers_correction(fake_hub: FakeHub, officer: User) -> None:
    # Given the GGUF model imported without architecture or parameter count, and an officer's correction of its task
    model = model_version_import(actor=officer, repo_id=r.GGUF).version.model
    model_update(actor=officer, model=model, task="text2text-generation", reason="reviewed")
    # and a later commit that adds a config.json and safetensors metadata
    fake_hub.add_revision(
        r.GGUF,
        "2" * 40,
        ref="main",
        files={"config.json": b'{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}'},
        info_changes={"safetensors": {"parameters": {"BF16": 8_030_261_248}, "total": 8_030_261_248}},
    )

    # When the new revision is imported
    model_version_import(actor=officer, repo_id=r.GGUF)

    # Then the missing facts are filled, the corrected one is kept, and the fill is audited
    model.refresh_from_db()
    assert model.architecture == "LlamaForCausalLM"
    assert model.parameter_count == 8_030_261_248
    assert model.task == "text2text-generation"
    filled = AuditEvent.objects.filter(action="registry.model.updated").order_by("-sequence").first()
    assert filled is not None
    assert filled.before == {"parameter_count": None, "architecture": ""}
    assert filled.after == {"parameter_count": 8_030_261_248, "architecture": "LlamaForCausalLM"}
    assert filled.reason == f"filled from the import of revision {'2' * 40}"


def test_provider_is_reused_by_namespace_and_never_clashes_by_name(fake_hub: FakeHub, officer: User) -> None:
    # Given Meta registered by hand under its Hub namespace, and an unrelated organization named 'mistralai'
    meta = Organization.objects.create(name="Meta", hub_namespace="meta-llama")
    Organization.objects.create(name="mistralai")

    # When models of both namespaces are imported
    llama = model_version_import(actor=officer, repo_id=r.INSTRUCT).version.model
    mistral = model_version_import(actor=officer, repo_id=r.MISTRAL).version.model

    # Then Meta's model goes to Meta, and Mistral's to a new organization that does not steal the name
    assert llama.provider_id == meta.pk
    assert (mistral.provider.name, mistral.provider.hub_namespace) == ("mistralai (Hub)", "mistralai")


def test_missing_license_is_a_warning_recorded_and_returned(fake_hub: FakeHub, officer: User) -> None:
    # Given the LoRA adapter predibase/magicoder: its card declares no license and it has no LICENSE file
    result = model_version_import(actor=officer, repo_id=r.ADAPTER)

    # Then the import succeeds and says so, in the result and on the version
    expected = [
        "README.md:license: the model card declares no license",
        "LICENSE: the repository has no LICENSE file; only the card's license tag is known",
    ]
    assert result.created is True
    assert result.version.import_warnings == expected
    assert result.warnings == [
        *expected,
        "base_model: mistralai/Mistral-7B-v0.1 is not in the registry; import it with --with-base-models",
    ]
    assert result.version.declared_license == ""
    assert result.version.license_text == ""


def test_a_card_without_metadata_is_a_warning(fake_hub: FakeHub, officer: User) -> None:
    fake_hub.add_revision(r.DISTILL, "3" * 40, ref="main", files={"README.md": b"# DeepSeek-R1\n\nNo front matter.\n"})

    version = model_version_import(actor=officer, repo_id=r.DISTILL).version

    assert version.card_metadata == {}
    assert version.import_warnings == [
        "README.md: the model card has no YAML metadata block",
        "README.md:license: the model card declares no license",
    ]
    assert version.license_file == "LICENSE"


def test_no_import_ever_downloads_more_than_the_text_files(fake_hub: FakeHub, officer: User) -> None:
    # When every recorded repository is imported (with the bases the Hub can provide)
    for repo_id in [r.INSTRUCT, r.DISTILL, r.MISTRAL, r.QWEN, r.ADAPTER, r.MERGE]:
        model_version_import(actor=officer, repo_id=repo_id)
    model_version_import(actor=officer, repo_id=r.GGUF, with_base_models=True)

    # Then the only files downloaded were READMEs, LICENSEs, use policies and configs; never weights
    downloaded = fake_hub.resolve_requests()
    assert downloaded
    assert {path.rsplit("/", 1)[-1] for path in downloaded} <= r.TEXT_FILES
    assert f"{r.ADAPTER}/adapter_config.json" not in downloaded
    assert fake_hub.weight_requests() == []
    assert all(request.method == "GET" for request in fake_hub.requests)


def test_relation_inferred_for_each_recorded_kind_of_derivative(fake_hub: FakeHub, officer: User) -> None:
    expected = {
        r.INSTRUCT: [(r.INSTRUCT_DECLARED_BASE, LineageRelation.FINE_TUNE, False)],
        r.DISTILL: [(r.BASE, LineageRelation.DISTILLATION, True)],
        r.GGUF: [(r.GGUF_DECLARED_BASE, LineageRelation.QUANTIZED, False)],
        r.ADAPTER: [("mistralai/Mistral-7B-v0.1", LineageRelation.ADAPTER, False)],
        r.MERGE: [
            ("DreadPoor/BaeZel-8B-LINEAR", LineageRelation.MERGE, False),
            ("allenai/Llama-3.1-Tulu-3-8B", LineageRelation.MERGE, False),
        ],
        r.QWEN: [("Qwen/Qwen2.5-3B", LineageRelation.FINE_TUNE, False)],
        r.MISTRAL: [("mistralai/Mistral-7B-v0.3", LineageRelation.FINE_TUNE, False)],
    }
    for repo_id, links in expected.items():
        version = model_version_import(actor=officer, repo_id=repo_id).version
        assert [
            (link.parent_ref, link.relation, link.relation_declared) for link in version.base_links.all()
        ] == links, repo_id
