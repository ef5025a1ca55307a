"""One license check, as the CLI and the API both run it."""

from __future__ import annotations

from typing import Any

from compliance.licenses.catalog import load_catalog
from compliance.licenses.detect import detect_license
from compliance.licenses.expressions import evaluate_expression
from compliance.licenses.facts import parse_facts
from compliance.licenses.terms import Verdict
from core.errors import ApplicationError

EXIT_CODES = {
    Verdict.ALLOWED: 0,
    Verdict.ALLOWED_WITH_OBLIGATIONS: 0,
    Verdict.NEEDS_SEPARATE_LICENSE: 3,
    Verdict.FORBIDDEN: 4,
}
EXIT_BAD_INPUT = 2


class UnrecognizedLicenseText(ApplicationError):
    code = "license_text_unrecognized"


def license_check(
    *, license: str | None = None, license_text: str | None = None, facts: Any = None, text_field: str = "license_text"
) -> dict[str, Any]:
    """Evaluate a license id/expression, or a LICENSE text (detected first), for the deployment ``facts``."""
    if (license is None) == (license_text is None):
        raise ApplicationError.for_field("license", "give either a license (id or expression) or a license text")
    parsed_facts = parse_facts({} if facts is None else facts)
    detection = None
    if license_text is not None:
        detection = detect_license(license_text, load_catalog())
        if detection.license is None:
            best = ", ".join(f"{c.license_id} ({c.score:.2f})" for c in detection.candidates[:3]) or "none"
            raise UnrecognizedLicenseText(
                f"the license text matches no catalog license well enough; best candidates: {best}",
                fields={text_field: ["not recognized"]},
                extra={"detection": detection.as_dict()},
            )
        license = detection.license.id
    assert license is not None
    result = evaluate_expression(license, parsed_facts).as_dict()
    if detection is not None:
        result["detection"] = detection.as_dict()
    return result
