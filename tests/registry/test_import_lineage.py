"""Base-model lineage: declared and inferred relations, --with-base-models, late resolution, ancestry."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from core.errors import ApplicationError, NotFoundError
from core.models import AuditEvent
from registry.models import LineageLink, LineageRelation, Model, ModelVersion
from registry.selectors import model_version_ancestors
from registry.services import MAX_BASE_MODEL_DEPTH, model_version_import
from tests.hubfake import FakeHub, model_info_json
from tests.registry import recorded as r

pytestmark = pytest.mark.django_db


def _add_tiny_repo(hub: FakeHub, repo_id: str, sha: str, front_matter: str, *, tags: list[str] | None = None) -> None:
    readme = f"---\n{front_matter}---\n\n# {repo_id}\n".encode()
    config = b'{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}'
    files = {"README.md": readme, "config.json": config}
    hub.add_repo(
        model_info_json(repo_id, sha, files, lfs_files={"model.safetensors": 1024}, tags=tags, safetensors_total=256),
        files,
    )


def _links(version: ModelVersion) -> list[tuple[str, str, bool, int | None]]:
    return [
        (link.parent_ref, link.relation, link.relation_declared, link.parent_version_id)
        for link in LineageLink.objects.filter(child=version).order_by("parent_ref")
    ]


def test_without_with_base_models_the_base_stays_unresolved_with_a_warning(fake_hub: FakeHub, officer: User) -> None:
    # When the distillation is imported alone
    result = model_version_import(actor=officer, repo_id=r.DISTILL)

    # Then its base is recorded by the declared id only, the caller is told, and the base was not imported
    assert _links(result.version) == [(r.BASE, LineageRelation.DISTILLATION, True, None)]
    assert result.warnings == [f"base_model: {r.BASE} is not in the registry; import it with --with-base-models"]
    assert result.base_versions == []
    assert not ModelVersion.objects.filter(model__hub_id=r.BASE).exists()
    assert [path for path in fake_hub.resolve_requests() if path.startswith(f"{r.BASE}/")] == []


def test_importing_the_base_later_resolves_the_link(fake_hub: FakeHub, officer: User) -> None:
    # Given the distillation imported while its base was not in the registry
    child = model_version_import(actor=officer, repo_id=r.DISTILL).version
    link = LineageLink.objects.get(child=child)

    # When the base is imported
    base = model_version_import(actor=officer, repo_id=r.BASE).version

    # Then the existing link points at it, and the resolution is audited
    link.refresh_from_db()
    assert link.parent_version_id == base.pk
    resolved = AuditEvent.objects.get(action="registry.lineage.resolved")
    assert (resolved.target_type, resolved.target_id) == ("registry.lineagelink", str(link.pk))
    assert (resolved.before, resolved.after) == ({"parent_version": None}, {"parent_version": base.pk})
    assert resolved.actor_label == "olivia"
    # and the derivative now shows on the base
    assert [(derived.child_id, derived.relation) for derived in base.derived_links.all()] == [
        (child.pk, LineageRelation.DISTILLATION)
    ]


def test_with_base_models_imports_the_missing_base_first(
    fake_hub: FakeHub, officer: User, counts: Callable[[], dict[str, int]]
) -> None:
    before = AuditEvent.objects.count()

    # When the distillation is imported with its base models
    result = model_version_import(actor=officer, repo_id=r.DISTILL, with_base_models=True)

    # Then the base was imported in the same go, first, and the link points at it
    base = ModelVersion.objects.get(model__hub_id=r.BASE)
    assert base.revision == r.BASE_SHA
    assert result.base_versions == [base]
    assert result.warnings == []
    assert _links(result.version) == [(r.BASE, LineageRelation.DISTILLATION, True, base.pk)]
    assert [e.action for e in AuditEvent.objects.order_by("sequence")[before:]] == [
        "registry.organization.created",  # meta-llama
        "registry.model.created",
        "registry.model_version.imported",
        "registry.organization.created",  # deepseek-ai
        "registry.model.created",
        "registry.model_version.imported",
        "registry.lineage.linked",
    ]
    assert counts()["versions"] == 2


def test_with_base_models_does_not_fetch_a_base_already_registered(fake_hub: FakeHub, officer: User) -> None:
    base = model_version_import(actor=officer, repo_id=r.BASE).version
    fake_hub.clear_requests()

    result = model_version_import(actor=officer, repo_id=r.DISTILL, with_base_models=True)

    assert result.base_versions == []
    assert _links(result.version)[0][3] == base.pk
    # Not fetched again: none of its files was downloaded, nor its file listing asked for
    assert [path for path in fake_hub.resolve_requests() if path.startswith(f"{r.BASE}/")] == []
    assert not any(
        request.path == f"/api/models/{r.BASE}" and request.query.get("blobs") == ["true"]
        for request in fake_hub.requests
    )


def test_with_base_models_follows_the_lineage_over_several_levels(fake_hub: FakeHub, officer: User) -> None:
    # Given the GGUF quantization, whose base (the Instruct model) has a base of its own
    # When it is imported with its base models
    result = model_version_import(actor=officer, repo_id=r.GGUF, with_base_models=True)

    # Then the whole chain is registered, and the ancestors are walked level by level
    ancestors = model_version_ancestors(result.version)
    assert [(depth, link.parent_ref, link.relation, link.parent_version.revision) for depth, link in ancestors] == [
        (1, r.GGUF_DECLARED_BASE, LineageRelation.QUANTIZED, r.INSTRUCT_SHA),
        (2, r.INSTRUCT_DECLARED_BASE, LineageRelation.FINE_TUNE, r.BASE_SHA),
    ]
    assert sorted(v.revision for v in result.base_versions) == sorted([r.INSTRUCT_SHA, r.BASE_SHA])
    assert model_version_ancestors(result.version, max_depth=1) == ancestors[:1]


def test_a_merge_links_to_both_of_its_parents(fake_hub: FakeHub, officer: User) -> None:
    # Given both merged models on the Hub
    _add_tiny_repo(fake_hub, "DreadPoor/BaeZel-8B-LINEAR", "4" * 40, "license: apache-2.0\n")
    _add_tiny_repo(fake_hub, "allenai/Llama-3.1-Tulu-3-8B", "5" * 40, "license: llama3.1\n")

    # When the merge is imported with its base models
    result = model_version_import(actor=officer, repo_id=r.MERGE, with_base_models=True)

    # Then it has two parents, both resolved, and the relation was inferred from the two of them
    bae = ModelVersion.objects.get(model__hub_id="DreadPoor/BaeZel-8B-LINEAR")
    tulu = ModelVersion.objects.get(model__hub_id="allenai/Llama-3.1-Tulu-3-8B")
    assert _links(result.version) == [
        ("DreadPoor/BaeZel-8B-LINEAR", LineageRelation.MERGE, False, bae.pk),
        ("allenai/Llama-3.1-Tulu-3-8B", LineageRelation.MERGE, False, tulu.pk),
    ]
    assert [depth for depth, _ in model_version_ancestors(result.version)] == [1, 1]


def test_an_adapter_is_recognised_by_its_adapter_config_alone(fake_hub: FakeHub, officer: User) -> None:
    # Given the LoRA adapter's listing without the Hub's 'peft' tag: only adapter_config.json tells
    fake_hub.add_revision(r.ADAPTER, "6" * 40, ref="main", info_changes={"tags": ["safetensors", "region:us"]})

    version = model_version_import(actor=officer, repo_id=r.ADAPTER).version

    assert "adapter_config.json" in {f["path"] for f in version.files}
    assert _links(version) == [("mistralai/Mistral-7B-v0.1", LineageRelation.ADAPTER, False, None)]


def test_a_declared_relation_wins_over_inference(fake_hub: FakeHub, officer: User) -> None:
    # Given a GGUF repository (inference would say 'quantized') whose card says it is a fine-tune
    readme = r.file_bytes(r.GGUF, "README.md").replace(
        b"quantized_by: bartowski\n", b"quantized_by: bartowski\nbase_model_relation: finetune\n"
    )
    fake_hub.add_revision(r.GGUF, "7" * 40, ref="main", files={"README.md": readme})

    version = model_version_import(actor=officer, repo_id=r.GGUF).version

    assert _links(version) == [(r.GGUF_DECLARED_BASE, LineageRelation.FINE_TUNE, True, None)]


def test_a_base_missing_on_the_hub_fails_the_whole_import(
    fake_hub: FakeHub, officer: User, counts: Callable[[], dict[str, int]]
) -> None:
    # Given the adapter, whose base mistralai/Mistral-7B-v0.1 the Hub does not have
    before = counts()

    with pytest.raises(NotFoundError) as refused:
        model_version_import(actor=officer, repo_id=r.ADAPTER, with_base_models=True)

    assert refused.value.fields == {
        "repo_id": ["no model 'mistralai/Mistral-7B-v0.1' on the Hub (or it is private and HF_TOKEN has no access)"]
    }
    assert counts() == before


def test_with_base_models_refuses_a_lineage_deeper_than_the_limit(
    fake_hub: FakeHub, officer: User, counts: Callable[[], dict[str, int]]
) -> None:
    # Given a chain of fine-tunes one level deeper than the limit
    depth = MAX_BASE_MODEL_DEPTH + 1
    for level in range(depth + 1):
        base = f"base_model: chain/level-{level + 1}\n" if level < depth else ""
        _add_tiny_repo(fake_hub, f"chain/level-{level}", f"{level + 10:040x}", f"license: mit\n{base}")
    before = counts()

    with pytest.raises(ApplicationError) as refused:
        model_version_import(actor=officer, repo_id="chain/level-0", with_base_models=True)

    assert refused.value.fields == {
        "with_base_models": [f"the lineage is deeper than {MAX_BASE_MODEL_DEPTH} levels at chain/level-{depth}"]
    }
    assert counts() == before


def test_a_lineage_cycle_is_imported_once_and_walked_without_looping(fake_hub: FakeHub, officer: User) -> None:
    # Given two repositories that each name the other as base model
    _add_tiny_repo(fake_hub, "loop/a", "a" * 40, "license: mit\nbase_model: loop/b\n")
    _add_tiny_repo(fake_hub, "loop/b", "b" * 40, "license: mit\nbase_model: loop/a\n")

    result = model_version_import(actor=officer, repo_id="loop/a", with_base_models=True)

    b = ModelVersion.objects.get(model__hub_id="loop/b")
    assert _links(result.version) == [("loop/b", LineageRelation.FINE_TUNE, False, b.pk)]
    assert _links(b) == [("loop/a", LineageRelation.FINE_TUNE, False, result.version.pk)]
    walked = [(depth, link.child_id, link.parent_version_id) for depth, link in model_version_ancestors(result.version)]
    assert walked == [(1, result.version.pk, b.pk), (2, b.pk, result.version.pk)]


# --- Renamed repositories ------------------------------------------------------------------
#
# Meta renamed meta-llama/Meta-Llama-3.1-8B(-Instruct) to meta-llama/Llama-3.1-8B(-Instruct); the Hub
# redirects the old names, and real cards (the Instruct model's own, bartowski's GGUF) still declare
# base_model by the old name. The registry should know one repository by one name.


def test_importing_a_renamed_base_under_its_current_name_resolves_links_declared_by_the_old_name(
    fake_hub: FakeHub, officer: User
) -> None:
    # Given the Instruct model, whose card declares meta-llama/Meta-Llama-3.1-8B (the old name of the base)
    child = model_version_import(actor=officer, repo_id=r.INSTRUCT).version

    # When the base is imported under its current name, as anyone would look it up on the Hub today
    base = model_version_import(actor=officer, repo_id=r.BASE).version

    # Then the Instruct model's link resolves to it
    assert _links(child) == [(r.INSTRUCT_DECLARED_BASE, LineageRelation.FINE_TUNE, False, base.pk)]


def test_a_repository_reached_by_its_old_and_new_name_is_registered_once(fake_hub: FakeHub, officer: User) -> None:
    # Given the Instruct model imported with its base models (its card names the base by the old name)
    model_version_import(actor=officer, repo_id=r.INSTRUCT, with_base_models=True)

    # When the distillation, whose card names the same base by its current name, is imported the same way
    distill = model_version_import(actor=officer, repo_id=r.DISTILL, with_base_models=True).version

    # Then the base commit is registered once, under the name the Hub gives it, and both children point at it
    assert list(Model.objects.filter(versions__revision=r.BASE_SHA).values_list("hub_id", flat=True)) == [r.BASE]
    base = ModelVersion.objects.get(revision=r.BASE_SHA)
    instruct = ModelVersion.objects.get(revision=r.INSTRUCT_SHA)
    assert _links(instruct)[0][3] == base.pk
    assert _links(distill)[0][3] == base.pk
