"""Loading and validating the license catalog: the reviewed YAML files plus the SPDX list.

Everything here is pure (files in, dataclasses out) and cached per process; the
database copy (``compliance.models.CatalogLicense``) is made from this by the
``sync_license_catalog`` command.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compliance.licenses import spdx
from compliance.licenses.terms import (
    PURPOSES,
    TRIGGERS,
    Category,
    Clause,
    CommercialUse,
    DerivativeNaming,
    Fingerprint,
    Hosting,
    License,
    Obligation,
    OutputsTraining,
    PermittedPurposes,
    Registration,
    Termination,
    Terms,
    Territorial,
    Threshold,
    UseRestrictions,
    Verdict,
)

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
USE_DOMAINS_FILE = Path(__file__).resolve().parent / "use_domains.yaml"
_ID = re.compile(r"^(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9.+-]+)$")
_REFUSAL_VERDICTS = {Verdict.FORBIDDEN.value, Verdict.NEEDS_SEPARATE_LICENSE.value}


class CatalogError(ValueError):
    """A catalog file breaks the schema; the message names the file and the field."""


@functools.cache
def use_domains() -> dict[str, str]:
    data = yaml.safe_load(USE_DOMAINS_FILE.read_text(encoding="utf-8"))
    return {str(code): str(description) for code, description in data.items()}


class _Reader:
    """Reads one mapping strictly: unknown keys, missing keys and wrong types are errors."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise CatalogError(f"{where}: must be a mapping")
        self.data = data
        self.where = where
        self.used: set[str] = set()

    def _get(self, key: str, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                raise CatalogError(f"{self.where}.{key}: is required")
            return None
        return self.data[key]

    def text(self, key: str, *, required: bool = True, default: str = "") -> str:
        value = self._get(key, required)
        if value is None:
            return default
        if isinstance(value, datetime.date):
            return value.isoformat()
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise CatalogError(f"{self.where}.{key}: must be text")
        return str(value)

    def flag(self, key: str, *, required: bool = True, default: bool = False) -> bool:
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise CatalogError(f"{self.where}.{key}: must be true or false")
        return value

    def number(self, key: str) -> int:
        value = self._get(key, True)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CatalogError(f"{self.where}.{key}: must be a whole number ≥ 0")
        return int(value)

    def choice(self, key: str, options: Iterable[str], *, required: bool = True, default: str = "") -> str:
        value = self.text(key, required=required, default=default)
        allowed = list(options)
        if value not in allowed:
            raise CatalogError(f"{self.where}.{key}: {value!r} is not one of {', '.join(allowed)}")
        return value

    def strings(self, key: str, *, options: Iterable[str] | None = None) -> tuple[str, ...]:
        value = self._get(key, False)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise CatalogError(f"{self.where}.{key}: must be a list of strings")
        if options is not None:
            allowed = set(options)
            for item in value:
                if item not in allowed:
                    raise CatalogError(f"{self.where}.{key}: {item!r} is not a known value")
        return tuple(value)

    def child(self, key: str) -> _Reader | None:
        value = self._get(key, False)
        return None if value is None else _Reader(value, f"{self.where}.{key}")

    def children(self, key: str) -> list[_Reader]:
        value = self._get(key, False)
        if value is None:
            return []
        if not isinstance(value, list):
            raise CatalogError(f"{self.where}.{key}: must be a list")
        return [_Reader(item, f"{self.where}.{key}[{index}]") for index, item in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(map(str, self.data)) - self.used)
        if unknown:
            raise CatalogError(f"{self.where}: unknown key {unknown[0]!r}")


def _verdict(reader: _Reader, key: str = "consequence") -> Verdict:
    return Verdict(reader.choice(key, sorted(_REFUSAL_VERDICTS)))


def _terms(reader: _Reader | None) -> Terms:
    if reader is None:
        return Terms()
    result = _grant_limits(reader) | _usage_terms(reader) | _duty_terms(reader)
    reader.done()
    return Terms(**result)


def _grant_limits(reader: _Reader) -> dict[str, Any]:
    """Terms that narrow the grant: commercial use, purposes, thresholds, territory."""
    result: dict[str, Any] = {}
    if (r := reader.child("commercial_use")) is not None:
        allowed = r.flag("allowed")
        consequence = (
            _verdict(r)
            if not allowed
            else Verdict(
                r.choice("consequence", sorted(_REFUSAL_VERDICTS), required=False, default="needs_separate_license")
            )
        )
        result["commercial_use"] = CommercialUse(allowed, consequence, r.text("clause"), r.text("text", required=False))
        r.done()
    if (r := reader.child("permitted_purposes")) is not None:
        result["permitted_purposes"] = PermittedPurposes(
            r.strings("purposes", options=PURPOSES), _verdict(r), r.text("clause"), r.text("text", required=False)
        )
        r.done()
    thresholds = []
    for r in reader.children("thresholds"):
        thresholds.append(
            Threshold(
                metric=r.choice("metric", ["monthly_active_users", "annual_revenue_usd"]),
                limit=r.number("limit"),
                comparison=r.choice("comparison", ["greater_than", "at_least"]),
                basis=r.choice("basis", ["license_release_date", "continuous", "trailing_12_months"]),
                includes_affiliates=r.flag("includes_affiliates"),
                applies_when=r.choice("applies_when", ["always", "commercial"]),
                consequence=_verdict(r),
                clause=r.text("clause"),
                text=r.text("text", required=False),
            )
        )
        r.done()
    result["thresholds"] = tuple(thresholds)
    territorial = []
    for r in reader.children("territorial"):
        territorial.append(
            Territorial(
                region=r.text("region"),
                licensee_domiciled=r.flag("licensee_domiciled", required=False, default=True),
                modalities_beyond_text=r.flag("modalities_beyond_text", required=False, default=False),
                consequence=_verdict(r),
                clause=r.text("clause"),
                text=r.text("text", required=False),
            )
        )
        r.done()
    result["territorial"] = tuple(territorial)
    return result


def _usage_terms(reader: _Reader) -> dict[str, Any]:
    """Terms about what may be done with the model: hosting, outputs, naming, prohibited uses."""
    result: dict[str, Any] = {}
    if (r := reader.child("hosting")) is not None:
        allowed = r.flag("allowed")
        consequence = _verdict(r) if not allowed else Verdict.NEEDS_SEPARATE_LICENSE
        if allowed:
            r.used.add("consequence")
        result["hosting"] = Hosting(allowed, consequence, r.text("clause"), r.text("text", required=False))
        r.done()
    if (r := reader.child("outputs_training")) is not None:
        allowed = r.flag("allowed")
        consequence = _verdict(r) if not allowed else Verdict.FORBIDDEN
        if allowed:
            r.used.add("consequence")
        result["outputs_training"] = OutputsTraining(
            allowed, r.strings("exempt_target_licenses"), consequence, r.text("clause"), r.text("text", required=False)
        )
        r.done()
    if (r := reader.child("derivative_naming")) is not None:
        result["derivative_naming"] = DerivativeNaming(
            r.text("prefix"),
            r.flag("applies_to_outputs_training", required=False, default=False),
            r.text("clause"),
            r.text("text", required=False),
        )
        r.done()
    if (r := reader.child("use_restrictions")) is not None:
        result["use_restrictions"] = UseRestrictions(
            r.strings("codes", options=use_domains()),
            r.flag("flow_down", required=False, default=False),
            r.text("clause"),
            r.text("text", required=False),
        )
        r.done()
    return result


def _duty_terms(reader: _Reader) -> dict[str, Any]:
    """Registration, termination triggers, network copyleft and triggered obligations."""
    result: dict[str, Any] = {}
    if (r := reader.child("registration")) is not None:
        result["registration"] = Registration(
            r.choice("required_when", ["always", "commercial"]),
            r.choice("consequence", ["obligation", "needs_separate_license"]),
            r.text("clause"),
            r.text("text", required=False),
        )
        r.done()
    terminations = []
    for r in reader.children("termination"):
        terminations.append(
            Termination(
                r.choice("trigger", ["safety_guardrails_removed"]), r.text("clause"), r.text("text", required=False)
            )
        )
        r.done()
    result["termination"] = tuple(terminations)
    if (r := reader.child("network_copyleft")) is not None:
        result["network_copyleft"] = Clause(r.text("clause"), r.text("text", required=False))
        r.done()
    obligations = []
    for r in reader.children("obligations"):
        when = r.strings("when", options=TRIGGERS)
        if not when:
            raise CatalogError(f"{r.where}.when: name at least one trigger")
        obligations.append(Obligation(r.text("text"), r.text("clause"), when))
        r.done()
    result["obligations"] = tuple(obligations)
    return result


def parse_license_file(path: Path, *, osi_lookup: Mapping[str, bool]) -> License:
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"{where}: not valid YAML: {exc}") from exc
    r = _Reader(data, where)
    license_id = r.text("id")
    if not _ID.match(license_id):
        raise CatalogError(f"{where}.id: {license_id!r} is neither an SPDX id nor LicenseRef-<name>")
    if path.stem != license_id.lower():
        raise CatalogError(f"{where}: the file must be named {license_id.lower()}.yaml")
    if not license_id.startswith("LicenseRef-") and license_id not in osi_lookup:
        raise CatalogError(f"{where}.id: {license_id!r} is not on the SPDX list; use LicenseRef-{license_id}")
    grant = r.child("grant")
    if grant is None:
        raise CatalogError(f"{where}.grant: is required")
    grant_clause = Clause(grant.text("clause"), grant.text("text"))
    grant.done()
    fingerprint_reader = r.child("fingerprint")
    fingerprint = Fingerprint()
    if fingerprint_reader is not None:
        fingerprint = Fingerprint(
            fingerprint_reader.strings("phrases"), fingerprint_reader.strings("normalized_sha256")
        )
        fingerprint_reader.done()
    entry = License(
        id=license_id,
        name=r.text("name"),
        version=r.text("version", required=False),
        date=r.text("date", required=False) or None,
        url=r.text("url", required=False),
        category=Category(r.choice("category", [c.value for c in Category])),
        osi_approved=osi_lookup.get(license_id, False),
        grant=grant_clause,
        terms=_terms(r.child("terms")),
        hf_tags=r.strings("hf_tags"),
        hf_license_names=r.strings("hf_license_names"),
        fingerprint=fingerprint,
        scancode_key=r.text("scancode_key", required=False) or None,
        source=r.text("source", required=False),
    )
    r.done()
    return entry


@dataclass(frozen=True, eq=False)  # hashed by identity: one parser per loaded catalog
class Catalog:
    licenses: dict[str, License]
    by_alias: dict[str, str]  # lower-cased id, HF tag or license_name -> id

    def get(self, key: str) -> License | None:
        license_id = self.by_alias.get(key.lower())
        return self.licenses.get(license_id) if license_id else None

    def reviewed(self) -> list[License]:
        return [entry for entry in self.licenses.values() if entry.reviewed]

    def __len__(self) -> int:
        return len(self.licenses)


def build_catalog(files: Iterable[Path]) -> Catalog:
    osi = spdx.osi_approved_by_id()
    licenses: dict[str, License] = {}
    by_alias: dict[str, str] = {}
    for path in sorted(files):
        entry = parse_license_file(path, osi_lookup=osi)
        if entry.id in licenses:
            raise CatalogError(f"{path.name}: the id {entry.id} is defined twice")
        licenses[entry.id] = entry
        aliases = [entry.id, *entry.hf_tags, *entry.hf_license_names]
        for alias in aliases:
            owner = by_alias.setdefault(alias.lower(), entry.id)
            if owner != entry.id:
                raise CatalogError(f"{path.name}: {alias!r} already names {owner}")
    for entry in spdx.generic_licenses(exclude=set(licenses)):
        licenses[entry.id] = entry
        by_alias.setdefault(entry.id.lower(), entry.id)
    for deprecated, current in spdx.deprecated_aliases().items():
        if current in licenses:
            by_alias.setdefault(deprecated.lower(), current)
    for entry in licenses.values():
        if entry.terms.outputs_training:
            for target in entry.terms.outputs_training.exempt_target_licenses:
                if target not in licenses:
                    raise CatalogError(f"{entry.id}: exempt_target_licenses names unknown license {target!r}")
    return Catalog(licenses=licenses, by_alias=by_alias)


@functools.cache
def load_catalog() -> Catalog:
    """The catalog shipped with this release (cached: the files do not change at run time)."""
    return build_catalog(CATALOG_DIR.glob("*.yaml"))
