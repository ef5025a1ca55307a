"""Every import assesses the license of each version it records: declared tag vs LICENSE text, plus lineage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from compliance import events as compliance_events
from compliance.licenses.catalog import load_catalog
from compliance.licenses.detect import detect_license
from compliance.licenses.expressions import license_ids
from compliance.models import LicenseAssessment
from compliance.selectors import catalog_sha256
from compliance.services import license_assessment_record
from core.models import AuditEvent
from registry import events as registry_events
from registry.models import ModelVersion
from registry.services import local_source, model_version_import
from tests.compliance_assess import license_texts as t
from tests.compliance_assess.conftest import ASSESSMENT_HOOK, card, row_counts
from tests.hubfake import FakeHub

pytestmark = pytest.mark.django_db

INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
BASE = "meta-llama/Llama-3.1-8B"
DISTILL = "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"
GGUF = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
MERGE = "allknowingroger/LlamaSlerp1-8B"
QWEN_RESEARCH_REPO = "Qwen/Qwen2.5-3B-Instruct"
ASSESSED = compliance_events.LICENSE_ASSESSED.name


def assessment_of(version: ModelVersion) -> LicenseAssessment:
    return LicenseAssessment.objects.get(version=version)


def assessment_events(version: ModelVersion) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=ASSESSED, target_type="registry.modelversion", target_id=str(version.pk))
    )


def kinds(assessment: LicenseAssessment) -> list[str]:
    return [finding["kind"] for finding in assessment.findings]


def latest(repo_id: str) -> ModelVersion:
    return ModelVersion.objects.filter(model__hub_id=repo_id).latest("pk")


# --- The recorded Llama 3.1 repository -------------------------------------------------------------


def test_importing_llama_3_1_instruct_records_an_assessment_and_its_event(fake_hub: FakeHub, officer: User) -> None:
    version = model_version_import(actor=officer, repo_id=INSTRUCT).version

    assessment = assessment_of(version)
    # The fixture's LICENSE is abridged after §1.b.i: the title, the release-date line and the
    # "outputs or results ... to create, train, fine tune" passage survive, 3 of the 6 passages.
    detection = detect_license(version.license_text)
    assert detection.as_dict()["candidates"][0] == {
        "license": "LicenseRef-Llama-3.1",
        "score": 0.5,
        "phrases_matched": "3/6",
    }
    assert {
        "declared": assessment.declared_expression,
        "detected": assessment.detected_license,
        "confidence": assessment.detection_confidence,
        "matched_by": assessment.detection_matched_by,
        "own": assessment.own_expression,
        "effective": assessment.effective_expression,
        "mismatch": assessment.tag_text_mismatch,
    } == {
        "declared": "LicenseRef-Llama-3.1",
        "detected": "LicenseRef-Llama-3.1",
        "confidence": 0.5,
        "matched_by": "fingerprint",
        "own": "LicenseRef-Llama-3.1",
        # The card names its base by the old name meta-llama/Meta-Llama-3.1-8B, not imported here.
        "effective": "LicenseRef-Llama-3.1 AND LicenseRef-Unknown",
        "mismatch": False,
    }
    assert kinds(assessment) == ["base_model_unknown"]
    assert "meta-llama/Meta-Llama-3.1-8B" in assessment.findings[0]["text"]
    assert assessment.catalog_sha256 == catalog_sha256(load_catalog())

    [event] = assessment_events(version)
    imported = AuditEvent.objects.get(action=registry_events.MODEL_VERSION_IMPORTED.name, target_id=str(version.pk))
    assert event.actor == officer
    assert event.before is None
    assert event.after["effective_expression"] == "LicenseRef-Llama-3.1 AND LicenseRef-Unknown"
    assert event.after["tag_text_mismatch"] is False
    assert event.sequence > imported.sequence


def failing_hook(*, actor: Any, version: ModelVersion) -> None:
    """A second import hook that fails after the license assessment has run."""
    raise RuntimeError("a later check refused the version")


def test_the_assessment_and_its_event_are_written_in_the_import_transaction(
    fake_hub: FakeHub, officer: User, settings: Any
) -> None:
    settings.MODELGATE_IMPORT_HOOKS = [ASSESSMENT_HOOK, f"{__name__}.failing_hook"]
    before = row_counts()

    with pytest.raises(RuntimeError, match="a later check refused"):
        model_version_import(actor=officer, repo_id=INSTRUCT)

    # The assessment ran first; it is rolled back with everything else the import wrote.
    assert row_counts() == before
    assert not AuditEvent.objects.filter(action=ASSESSED).exists()


def test_an_assessment_that_fails_rolls_the_whole_import_back(
    fake_hub: FakeHub, officer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("license engine unavailable")

    monkeypatch.setattr("compliance.services.license_assessment_record", broken)
    before = row_counts()

    with pytest.raises(RuntimeError, match="license engine unavailable"):
        model_version_import(actor=officer, repo_id=DISTILL, with_base_models=True)

    assert row_counts() == before


def test_re_importing_a_registered_revision_assesses_nothing_again(fake_hub: FakeHub, officer: User) -> None:
    version = model_version_import(actor=officer, repo_id=INSTRUCT).version

    again = model_version_import(actor=officer, repo_id=INSTRUCT)

    assert again.created is False
    assert len(assessment_events(version)) == 1


def test_recording_an_unchanged_assessment_writes_no_event(fake_hub: FakeHub, officer: User) -> None:
    version = model_version_import(actor=officer, repo_id=INSTRUCT).version

    license_assessment_record(actor=officer, version=version)

    assert len(assessment_events(version)) == 1


# --- Declared tag against the LICENSE text ----------------------------------------------------------


def test_a_card_saying_apache_over_an_mit_text_is_mit_with_a_mismatch_finding(fake_hub: FakeHub, officer: User) -> None:
    # Given a new commit of the DeepSeek distill whose card says apache-2.0; its LICENSE is still MIT
    readme = fake_hub.file(DISTILL, "README.md").decode().replace("license: mit", "license: apache-2.0", 1)
    fake_hub.add_revision(DISTILL, "c" * 40, files={"README.md": readme.encode()}, ref="main")

    version = model_version_import(actor=officer, repo_id=DISTILL).version

    assessment = assessment_of(version)
    assert version.declared_license == "apache-2.0"
    assert (assessment.declared_expression, assessment.detected_license, assessment.own_expression) == (
        "Apache-2.0",
        "MIT",
        "MIT",
    )
    assert assessment.tag_text_mismatch is True
    [mismatch] = [f for f in assessment.findings if f["kind"] == "tag_text_mismatch"]
    assert "declares Apache-2.0" in mismatch["text"]
    assert "LICENSE is MIT" in mismatch["text"]
    assert "the text wins" in mismatch["text"]
    assert assessment.effective_expression == "MIT AND LicenseRef-Unknown"


def test_a_card_tag_that_agrees_with_its_text_is_no_mismatch(publish: Callable[..., str], officer: User) -> None:
    publish("acme/nc-model", {"license": "cc-by-nc-4.0"}, license_text=t.CC_BY_NC_4)

    assessment = assessment_of(model_version_import(actor=officer, repo_id="acme/nc-model").version)

    assert (assessment.declared_expression, assessment.detected_license, assessment.tag_text_mismatch) == (
        "CC-BY-NC-4.0",
        "CC-BY-NC-4.0",
        False,
    )
    assert assessment.findings == []


@pytest.mark.parametrize(
    "case",
    [
        ({"license": "other", "license_name": "qwen"}, None, "LicenseRef-Qwen", "", "LicenseRef-Qwen"),
        ({"license": "other", "license_name": "qwen"}, t.QWEN, "LicenseRef-Qwen", "LicenseRef-Qwen", "LicenseRef-Qwen"),
        ({"license": "other", "license_name": "mnpl"}, None, "LicenseRef-MNPL-0.1", "", "LicenseRef-MNPL-0.1"),
        ({"license": "llama3.2"}, t.LLAMA_3_2, "LicenseRef-Llama-3.2", "LicenseRef-Llama-3.2", "LicenseRef-Llama-3.2"),
        (
            {"license": "gemma"},
            t.GEMMA_2025_03_24,
            "LicenseRef-Gemma-2026-04-01",
            "LicenseRef-Gemma-2025-03-24",
            "LicenseRef-Gemma-2025-03-24",
        ),
        ({"license": "apache-2.0"}, t.APACHE_2, "Apache-2.0", "Apache-2.0", "Apache-2.0"),
    ],
    ids=["qwen-name-only", "qwen-name-and-text", "mnpl", "llama3.2", "gemma-tag-older-text", "apache"],
)
def test_declared_and_detected_licenses_resolve_to_catalog_ids(
    publish: Callable[..., str], officer: User, case: tuple[dict[str, Any], str | None, str, str, str]
) -> None:
    front_matter, license_text, declared, detected, own = case
    publish("acme/some-model", front_matter, license_text=license_text)

    assessment = assessment_of(model_version_import(actor=officer, repo_id="acme/some-model").version)

    assert (assessment.declared_expression, assessment.detected_license, assessment.own_expression) == (
        declared,
        detected,
        own,
    )
    assert assessment.effective_expression == own
    assert assessment.tag_text_mismatch is (declared != own)


def test_the_recorded_qwen_research_card_with_an_abridged_text_keeps_the_declared_license(
    fake_hub: FakeHub, officer: User
) -> None:
    assessment = assessment_of(model_version_import(actor=officer, repo_id=QWEN_RESEARCH_REPO).version)

    assert assessment.declared_expression == "LicenseRef-Qwen-Research"
    assert (assessment.detected_license, assessment.detection_matched_by) == ("", "none")
    assert assessment.own_expression == "LicenseRef-Qwen-Research"
    # Its card also names the base Qwen/Qwen2.5-3B, which the registry does not hold.
    assert kinds(assessment) == ["license_text_unrecognized", "base_model_unknown"]
    assert assessment.effective_expression == "LicenseRef-Qwen-Research AND LicenseRef-Unknown"


@pytest.mark.parametrize(
    "case",
    [
        ({"pipeline_tag": "text-generation"}, None, "LicenseRef-Unknown", ["no_license_declared", "license_unknown"]),
        ({"license": "other"}, None, "LicenseRef-Unknown", ["unknown_declared_license", "license_unknown"]),
        ({"license": "not-a-license"}, None, "LicenseRef-Unknown", ["unknown_declared_license", "license_unknown"]),
        (
            {"license": "other", "license_name": "acme-custom"},
            t.README,
            "LicenseRef-Unknown",
            ["unknown_declared_license", "license_text_unrecognized", "license_unknown"],
        ),
        # No tag, but a text the catalog knows: the text is the license.
        ({"pipeline_tag": "text-generation"}, t.MIT, "MIT", ["no_license_declared"]),
    ],
    ids=["nothing", "other-without-name", "unknown-tag", "unknown-name-unknown-text", "text-only"],
)
def test_a_version_without_a_known_license_is_unknown_with_findings(
    publish: Callable[..., str], officer: User, case: tuple[dict[str, Any], str | None, str, list[str]]
) -> None:
    front_matter, license_text, own, finding_kinds = case
    publish("acme/mystery", front_matter, license_text=license_text)

    assessment = assessment_of(model_version_import(actor=officer, repo_id="acme/mystery").version)

    assert assessment.own_expression == own
    assert assessment.effective_expression == own
    assert kinds(assessment) == finding_kinds


# --- Lineage ----------------------------------------------------------------------------------------------


def test_a_distill_imported_with_its_base_carries_both_licenses(fake_hub: FakeHub, officer: User) -> None:
    result = model_version_import(actor=officer, repo_id=DISTILL, with_base_models=True)

    [base] = result.base_versions
    assert base.model.hub_id == BASE
    distill = assessment_of(result.version)
    assert (distill.own_expression, distill.effective_expression) == ("MIT", "MIT AND LicenseRef-Llama-3.1")
    assert "base_model_unknown" not in kinds(distill)
    assert (assessment_of(base).own_expression, assessment_of(base).effective_expression) == (
        "LicenseRef-Llama-3.1",
        "LicenseRef-Llama-3.1",
    )
    # One event per version: the distill's own hook finds the assessment its base's hook just made.
    assert len(assessment_events(result.version)) == 1
    assert len(assessment_events(base)) == 1


def test_a_base_imported_later_re_assesses_the_versions_derived_from_it(fake_hub: FakeHub, officer: User) -> None:
    distill_version = model_version_import(actor=officer, repo_id=DISTILL).version
    first = assessment_of(distill_version)
    assert first.effective_expression == "MIT AND LicenseRef-Unknown"
    assert "base_model_unknown" in kinds(first)

    model_version_import(actor=officer, repo_id=BASE)

    updated = assessment_of(distill_version)
    assert updated.effective_expression == "MIT AND LicenseRef-Llama-3.1"
    assert "base_model_unknown" not in kinds(updated)
    [recorded, reassessed] = assessment_events(distill_version)
    assert reassessed.before["effective_expression"] == "MIT AND LicenseRef-Unknown"
    assert reassessed.after["effective_expression"] == "MIT AND LicenseRef-Llama-3.1"
    assert reassessed.sequence > recorded.sequence


def test_re_assessment_follows_the_lineage_through_a_renamed_base_and_two_levels(
    fake_hub: FakeHub, officer: User
) -> None:
    # The GGUF names meta-llama/Meta-Llama-3.1-8B-Instruct; the Instruct names meta-llama/Meta-Llama-3.1-8B:
    # both old names, which the Hub redirects to the current ones.
    gguf = model_version_import(actor=officer, repo_id=GGUF).version
    assert assessment_of(gguf).effective_expression == "LicenseRef-Llama-3.1 AND LicenseRef-Unknown"

    instruct = model_version_import(actor=officer, repo_id=INSTRUCT).version
    # The Instruct's own base is still missing, so the GGUF still inherits an unknown license.
    assert assessment_of(gguf).effective_expression == "LicenseRef-Llama-3.1 AND LicenseRef-Unknown"

    model_version_import(actor=officer, repo_id=BASE)

    assert assessment_of(instruct).effective_expression == "LicenseRef-Llama-3.1"
    assert assessment_of(gguf).effective_expression == "LicenseRef-Llama-3.1"
    assert kinds(assessment_of(gguf)) == []


def test_a_merge_of_two_parents_combines_every_license(
    fake_hub: FakeHub, publish: Callable[..., str], officer: User
) -> None:
    publish("DreadPoor/BaeZel-8B-LINEAR", {"license": "apache-2.0"}, license_text=t.APACHE_2)
    publish("allenai/Llama-3.1-Tulu-3-8B", {"license": "llama3.1"}, license_text=t.LLAMA_3_1)

    result = model_version_import(actor=officer, repo_id=MERGE, with_base_models=True)

    merge = assessment_of(result.version)
    assert {v.model.hub_id for v in result.base_versions} == {
        "DreadPoor/BaeZel-8B-LINEAR",
        "allenai/Llama-3.1-Tulu-3-8B",
    }
    # The merge's card declares no license and ships no LICENSE: its own license is unknown.
    assert merge.own_expression == "LicenseRef-Unknown"
    assert set(license_ids(merge.effective_expression)) == {"LicenseRef-Unknown", "Apache-2.0", "LicenseRef-Llama-3.1"}
    assert merge.effective_expression.count(" AND ") == 2
    assert "base_model_unknown" not in kinds(merge)


def test_a_merge_with_one_parent_missing_names_the_missing_one(
    fake_hub: FakeHub, publish: Callable[..., str], officer: User
) -> None:
    publish("allenai/Llama-3.1-Tulu-3-8B", {"license": "llama3.1"}, license_text=t.LLAMA_3_1)
    model_version_import(actor=officer, repo_id="allenai/Llama-3.1-Tulu-3-8B")

    merge = assessment_of(model_version_import(actor=officer, repo_id=MERGE).version)

    assert set(license_ids(merge.effective_expression)) == {"LicenseRef-Unknown", "LicenseRef-Llama-3.1"}
    [missing] = [f for f in merge.findings if f["kind"] == "base_model_unknown"]
    assert "DreadPoor/BaeZel-8B-LINEAR" in missing["text"]


# --- Air-gapped import from a directory ---------------------------------------------------------------


def test_a_local_snapshot_import_is_assessed_too(tmp_path: Path, officer: User, settings: Any) -> None:
    settings.HF_ENDPOINT = "http://127.0.0.1:9"  # nothing listens: the import must not need the Hub
    (tmp_path / "README.md").write_bytes(card({"license": "cc-by-nc-4.0", "pipeline_tag": "text-generation"}))
    (tmp_path / "LICENSE").write_text(t.CC_BY_NC_4, encoding="utf-8")
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}), encoding="utf-8")
    sha = hashlib.sha1(b"acme/air-gapped").hexdigest()  # noqa: S324 - a commit id

    version = model_version_import(
        actor=officer, repo_id="acme/air-gapped", revision=sha, source=local_source(str(tmp_path))
    ).version

    assessment = assessment_of(version)
    assert version.source == "local_snapshot"
    assert (assessment.declared_expression, assessment.detected_license, assessment.effective_expression) == (
        "CC-BY-NC-4.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-4.0",
    )
    assert len(assessment_events(version)) == 1
