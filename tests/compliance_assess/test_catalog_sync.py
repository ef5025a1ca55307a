"""The catalog: reviewed YAML files validated strictly, copied to the database by sync_license_catalog."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import transaction

from compliance import events as compliance_events
from compliance.licenses.catalog import CATALOG_DIR, CatalogError, build_catalog, load_catalog, parse_license_file
from compliance.licenses.detect import MIN_PHRASES_MATCHED, normalize
from compliance.licenses.expressions import normalize_expression
from compliance.licenses.spdx import osi_approved_by_id
from compliance.models import CatalogLicense, LicenseAssessment
from compliance.selectors import catalog_sha256
from compliance.services import _entry_row, license_assessment_record, license_catalog_sync
from core.models import AuditEvent
from registry.models import Model, ModelVersion, Organization

SYNCED = compliance_events.LICENSE_CATALOG_SYNCED.name
# Licenses that cannot have a fingerprint of their own, and why.
NO_FINGERPRINT = {
    "GPL-3.0-or-later": "the same text as GPL-3.0-only; only the project's notice says 'or later'",
    "AGPL-3.0-or-later": "the same text as AGPL-3.0-only",
    "LicenseRef-OpenRAIL": "the Hub's family tag 'openrail', not one text",
    "LicenseRef-Unknown": "a placeholder for 'no license could be determined'",
    "LicenseRef-AI2-ImpACT-HR": "its text was not read (reference §1.25 [UNCERTAIN])",
    "LicenseRef-AI2-ImpACT-MR": "only its title is known verbatim; one passage could never be detected",
}


def catalog_files() -> list[Path]:
    return sorted(CATALOG_DIR.glob("*.yaml"))


def sync(stdout: StringIO | None = None) -> str:
    out = stdout or StringIO()
    call_command("sync_license_catalog", stdout=out)
    return out.getvalue()


# --- The database copy --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_loaded_the_catalog_so_a_sync_changes_nothing() -> None:
    catalog = load_catalog()
    assert CatalogLicense.objects.count() == len(catalog)

    output = sync()

    assert "0 added, 0 changed, 0 removed" in output
    assert not AuditEvent.objects.filter(action=SYNCED).exists()


@pytest.mark.django_db
def test_a_row_that_differs_from_its_file_is_rewritten_with_one_audit_event() -> None:
    entry = load_catalog().licenses["MIT"]
    CatalogLicense.objects.filter(id="MIT").update(content_sha256="0" * 64, name="Tampered", osi_approved=False)

    output = sync()

    assert "0 added, 1 changed, 0 removed" in output
    [event] = AuditEvent.objects.filter(action=SYNCED)
    assert (event.actor, event.actor_label) == (None, "system")
    assert (event.target_type, event.target_id) == ("compliance.cataloglicense", "catalog")
    assert event.after["changed"] == ["MIT"]
    assert (event.after["added"], event.after["removed"]) == (0, [])
    assert event.after["catalog_sha256"] == catalog_sha256(load_catalog())
    assert (event.after["total"], event.after["reviewed"]) == (len(load_catalog()), len(load_catalog().reviewed()))
    row = CatalogLicense.objects.get(id="MIT")
    assert (row.name, row.osi_approved, row.content_sha256) == (entry.name, True, _entry_row(entry)["content_sha256"])

    # In sync again: a second run records nothing.
    assert "0 added, 0 changed, 0 removed" in sync()
    assert AuditEvent.objects.filter(action=SYNCED).count() == 1


@pytest.mark.django_db
def test_missing_rows_are_added_and_rows_without_a_file_are_removed() -> None:
    CatalogLicense.objects.filter(id="CC-BY-4.0").delete()
    CatalogLicense.objects.create(
        id="LicenseRef-Withdrawn", name="Withdrawn", category="proprietary", osi_approved=False, reviewed=True
    )

    summary = license_catalog_sync(actor=None)

    assert summary == {"added": ["CC-BY-4.0"], "changed": [], "removed": ["LicenseRef-Withdrawn"], "reassessed": []}
    assert CatalogLicense.objects.filter(id="CC-BY-4.0").exists()
    assert not CatalogLicense.objects.filter(id="LicenseRef-Withdrawn").exists()
    [event] = AuditEvent.objects.filter(action=SYNCED)
    assert (event.after["added"], event.after["removed"]) == (1, ["LicenseRef-Withdrawn"])


@pytest.mark.django_db
def test_an_invalid_catalog_stops_the_sync_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = _copy(tmp_path, "mit.yaml")
    _edit(broken / "mit.yaml", lambda data: data.update(category="permissive"))
    monkeypatch.setattr("compliance.services.load_catalog", lambda: build_catalog(broken.glob("*.yaml")))
    CatalogLicense.objects.filter(id="MIT").update(content_sha256="0" * 64)

    with pytest.raises(CommandError, match=r"the license catalog is invalid: mit\.yaml\.category: 'permissive'"):
        sync()

    assert CatalogLicense.objects.get(id="MIT").content_sha256 == "0" * 64
    assert not AuditEvent.objects.filter(action=SYNCED).exists()


@pytest.mark.django_db
def test_the_rows_say_what_the_files_say() -> None:
    catalog = load_catalog()
    rows = {row.id: row for row in CatalogLicense.objects.all()}

    assert set(rows) == set(catalog.licenses)
    for license_id, entry in catalog.licenses.items():
        row = rows[license_id]
        assert (row.category, row.osi_approved, row.reviewed) == (
            entry.category.value,
            entry.osi_approved,
            entry.reviewed,
        )
        assert row.hf_tags == list(entry.hf_tags)
        assert row.hf_license_names == list(entry.hf_license_names)


# --- OSI approval comes from the SPDX data, never from the files -------------------------------------------


@pytest.mark.parametrize(
    ("license_id", "approved"),
    [
        ("Apache-2.0", True),
        ("MIT", True),
        ("GPL-3.0-only", True),
        ("AGPL-3.0-only", True),
        ("BSD-3-Clause", True),
        ("CC-BY-4.0", False),
        ("CC-BY-NC-4.0", False),
        ("CC-BY-SA-4.0", False),
        ("OpenMDW-1.0", False),
    ],
)
def test_osi_approval_is_read_from_the_spdx_list(license_id: str, approved: bool) -> None:
    assert osi_approved_by_id()[license_id] is approved
    assert load_catalog().licenses[license_id].osi_approved is approved


def test_no_licenseref_is_osi_approved() -> None:
    refs = [e for e in load_catalog().licenses.values() if e.id.startswith("LicenseRef-")]

    assert refs
    assert [e.id for e in refs if e.osi_approved] == []


def test_a_file_may_not_claim_osi_approval_itself(tmp_path: Path) -> None:
    directory = _copy(tmp_path, "cc-by-4.0.yaml")
    _edit(directory / "cc-by-4.0.yaml", lambda data: data.update(osi_approved=True))

    with pytest.raises(CatalogError, match=r"^cc-by-4\.0\.yaml: unknown key 'osi_approved'$"):
        build_catalog(directory.glob("*.yaml"))


# --- A broken file names itself and the field ---------------------------------------------------------------


def _copy(tmp_path: Path, *names: str) -> Path:
    directory = tmp_path / "catalog"
    directory.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(CATALOG_DIR / name, directory / name)
    return directory


def _edit(path: Path, change: Callable[[dict[str, Any]], Any], *, rename: str | None = None) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    target = path.with_name(rename) if rename else path
    if rename:
        path.unlink()
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


BROKEN: dict[str, tuple[str, Callable[[dict[str, Any]], Any], str | None, str]] = {
    "unknown top-level key": (
        "mit.yaml",
        lambda d: d.update(licence_url="x"),
        None,
        r"^mit\.yaml: unknown key 'licence_url'$",
    ),
    "unknown nested key": (
        "mit.yaml",
        lambda d: d["terms"]["commercial_use"].update(allowed_in="EU"),
        None,
        r"^mit\.yaml\.terms\.commercial_use: unknown key 'allowed_in'$",
    ),
    "bad category": (
        "mit.yaml",
        lambda d: d.update(category="permissive"),
        None,
        r"^mit\.yaml\.category: 'permissive' is not one of osi_permissive, ",
    ),
    "missing grant": ("mit.yaml", lambda d: d.pop("grant"), None, r"^mit\.yaml\.grant: is required$"),
    "grant without clause": (
        "mit.yaml",
        lambda d: d["grant"].pop("clause"),
        None,
        r"^mit\.yaml\.grant\.clause: is required$",
    ),
    "phrases not a list": (
        "mit.yaml",
        lambda d: d["fingerprint"].update(phrases="Permission is hereby granted"),
        None,
        r"^mit\.yaml\.fingerprint\.phrases: must be a list of strings$",
    ),
    "obligation without trigger": (
        "mit.yaml",
        lambda d: d["terms"]["obligations"][0].update(when=[]),
        None,
        r"^mit\.yaml\.terms\.obligations\[0\]\.when: name at least one trigger$",
    ),
    "unknown trigger": (
        "mit.yaml",
        lambda d: d["terms"]["obligations"][0].update(when=["on_tuesdays"]),
        None,
        r"^mit\.yaml\.terms\.obligations\[0\]\.when: 'on_tuesdays' is not a known value$",
    ),
    "file name not the id": (
        "mit.yaml",
        lambda d: None,
        "mit-license.yaml",
        r"^mit-license\.yaml: the file must be named mit\.yaml$",
    ),
    "spdx id not on the list": (
        "licenseref-llama-3.1.yaml",
        lambda d: d.update(id="Llama-3.1"),
        "llama-3.1.yaml",
        r"^llama-3\.1\.yaml\.id: 'Llama-3\.1' is not on the SPDX list; use LicenseRef-Llama-3\.1$",
    ),
    "malformed id": (
        "mit.yaml",
        lambda d: d.update(id="MIT License"),
        None,
        r"^mit\.yaml\.id: 'MIT License' is neither an SPDX id nor LicenseRef-<name>$",
    ),
    "wrong type": (
        "mit.yaml",
        lambda d: d["terms"]["commercial_use"].update(allowed="yes"),
        None,
        r"^mit\.yaml\.terms\.commercial_use\.allowed: must be true or false$",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_file_is_refused_naming_the_file_and_the_field(tmp_path: Path, case: str) -> None:
    name, change, rename, message = BROKEN[case]
    directory = _copy(tmp_path, name)
    _edit(directory / name, change, rename=rename)

    with pytest.raises(CatalogError, match=message):
        build_catalog(directory.glob("*.yaml"))


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path, "mit.yaml")
    (directory / "mit.yaml").write_text("id: MIT\nname: [unclosed\n", encoding="utf-8")

    with pytest.raises(CatalogError, match=r"^mit\.yaml: not valid YAML"):
        build_catalog(directory.glob("*.yaml"))


def test_a_hugging_face_tag_claimed_by_two_files_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path, "licenseref-llama-3.1.yaml", "licenseref-llama-3.2.yaml")
    _edit(directory / "licenseref-llama-3.2.yaml", lambda d: d.update(hf_tags=["llama3.2", "llama3.1"]))

    with pytest.raises(
        CatalogError, match=r"^licenseref-llama-3\.2\.yaml: 'llama3\.1' already names LicenseRef-Llama-3\.1$"
    ):
        build_catalog(directory.glob("*.yaml"))


def test_a_license_name_claimed_by_two_files_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path, "licenseref-qwen.yaml", "licenseref-qwen-research.yaml")
    _edit(directory / "licenseref-qwen.yaml", lambda d: d.update(hf_license_names=["qwen", "qwen-research"]))

    with pytest.raises(CatalogError, match=r"'qwen-research' already names LicenseRef-Qwen"):
        build_catalog(directory.glob("*.yaml"))


def test_an_exempt_target_license_must_exist(tmp_path: Path) -> None:
    directory = _copy(tmp_path, "licenseref-llama-2.yaml")
    _edit(
        directory / "licenseref-llama-2.yaml",
        lambda d: d["terms"]["outputs_training"].update(
            exempt_target_licenses=["LicenseRef-Llama-2", "LicenseRef-Llama-9"]
        ),
    )

    with pytest.raises(CatalogError, match=r"exempt_target_licenses names unknown license 'LicenseRef-Llama-9'"):
        build_catalog(directory.glob("*.yaml"))


# --- Every reviewed file as shipped ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", catalog_files(), ids=lambda p: p.name)
def test_every_shipped_file_loads_with_a_grant_and_a_fingerprint(path: Path) -> None:
    entry = parse_license_file(path, osi_lookup=osi_approved_by_id())

    assert entry.reviewed
    assert entry.grant.text.strip()
    assert entry.grant.clause.strip()
    phrases = entry.fingerprint.phrases
    if entry.id in NO_FINGERPRINT:
        assert not phrases
        return
    assert len(phrases) >= 4, (
        f"{path.name}: {len(phrases)} fingerprint phrase(s); SCHEMA.md asks for 4-10, and fewer than "
        f"MIN_PHRASES_MATCHED={MIN_PHRASES_MATCHED} can never be detected at all"
    )
    normalized = [normalize(p) for p in phrases]
    assert len(set(normalized)) == len(phrases), f"{path.name}: the same passage twice"
    for phrase, words in zip(phrases, normalized, strict=True):
        # A passage normalize() would cut (a copyright line) can never be found in a normalized text.
        assert words == " ".join(re.findall(r"[a-z0-9]+", phrase.lower())), f"{path.name}: {phrase!r}"
        assert 4 <= len(words.split()) <= 25, f"{path.name}: {phrase!r} is not 4-25 words"


def test_every_hugging_face_tag_and_license_name_names_exactly_one_license() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for path in catalog_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for alias in [*(data.get("hf_tags") or []), *(data.get("hf_license_names") or [])]:
            owners[alias.lower()].add(data["id"])
    catalog = load_catalog()

    assert {alias: ids for alias, ids in owners.items() if len(ids) != 1} == {}
    for alias, (license_id,) in owners.items():
        assert catalog.get(alias).id == license_id  # type: ignore[union-attr]
        # The path an imported card's tag takes: an SPDX expression of one alias.
        assert normalize_expression(alias, catalog) == license_id


def test_the_spdx_list_fills_in_unreviewed_licenses() -> None:
    catalog = load_catalog()
    reviewed = {e.id for e in catalog.reviewed()}

    assert reviewed == {yaml.safe_load(p.read_text(encoding="utf-8"))["id"] for p in catalog_files()}
    generic = catalog.licenses["BSD-4-Clause-UC"]
    assert (generic.reviewed, generic.osi_approved) == (False, False)
    assert len(catalog) > len(reviewed) + 400


@pytest.mark.django_db
def test_sync_reassesses_versions_assessed_with_an_earlier_catalog() -> None:
    # given a version whose stored assessment was made with another catalog
    organization = Organization.objects.create(name="Acme", hub_namespace="acme")
    model = Model.objects.create(hub_id="acme/tiny", provider=organization)
    version = ModelVersion.objects.create(model=model, revision="a" * 40, source="hub", declared_license="mit")
    with transaction.atomic():
        license_assessment_record(actor=None, version=version)
    LicenseAssessment.objects.filter(version=version).update(catalog_sha256="0" * 64, effective_expression="stale")

    # when the catalog is synced
    summary = license_catalog_sync(actor=None)

    # then the assessment is redone with the current catalog, and audited
    assessment = LicenseAssessment.objects.get(version=version)
    assert summary["reassessed"] == [str(version.pk)]
    assert assessment.effective_expression == "MIT"
    assert assessment.catalog_sha256 != "0" * 64
    event = AuditEvent.objects.filter(action="compliance.license_assessment.recorded").order_by("-sequence").first()
    assert event is not None
    assert event.before["effective_expression"] == "stale"
