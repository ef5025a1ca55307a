"""Deployment facts: strict validation that names every field at fault, and safe defaults."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compliance.licenses.catalog import use_domains
from compliance.licenses.facts import MODALITIES, Distribution, Facts, FactsError, Organization, Training, parse_facts
from compliance.licenses.terms import PURPOSES


def _problems(data: Any) -> dict[str, list[str]]:
    with pytest.raises(FactsError) as caught:
        parse_facts(data)
    error = caught.value
    assert error.code == "invalid_facts"
    assert error.message.startswith("the deployment facts are invalid: ")
    for path in error.fields:
        assert f"{path}: " in error.message, (path, error.message)
    return error.fields


# ---- defaults ---------------------------------------------------------------------------------


def test_no_facts_means_commercial_production_with_nothing_distributed() -> None:
    facts = parse_facts({})

    assert facts == Facts()
    assert facts.commercial is True
    assert facts.purpose == "production"
    assert facts.organization == Organization(
        monthly_active_users=0,
        mau_on_license_release_date=None,
        annual_revenue_usd=None,
        eu_domiciled=False,
        non_profit=False,
        registered_with_licensor=False,
    )
    assert facts.distribution == Distribution(
        weights=False, hosted_service_for_third_parties=False, derivative_name=None
    )
    assert facts.training == Training(fine_tuned=False, outputs_used_to_train_models=False, target_model_license=None)
    assert facts.model_modalities == ("text",)
    assert facts.multimodal is False
    assert facts.use_domains == ()
    assert facts.end_users_in_eu is False
    assert facts.safety_guardrails_removed is False
    assert facts.modified_code_offered_over_network is False


def test_a_partial_nested_object_keeps_the_defaults_of_its_other_keys() -> None:
    facts = parse_facts({"organization": {"eu_domiciled": True}, "training": {"fine_tuned": True}})

    assert facts.organization == Organization(eu_domiciled=True)
    assert facts.organization.monthly_active_users == 0
    assert facts.organization.annual_revenue_usd is None
    assert facts.training == Training(fine_tuned=True)
    assert facts.commercial is True
    assert facts.purpose == "production"


def test_saying_non_commercial_does_not_change_the_default_purpose() -> None:
    facts = parse_facts({"commercial": False})

    assert facts.commercial is False
    assert facts.purpose == "production"


def test_explicit_null_for_nullable_facts_is_the_default() -> None:
    facts = parse_facts(
        {
            "organization": {"mau_on_license_release_date": None, "annual_revenue_usd": None},
            "distribution": {"derivative_name": None},
            "training": {"target_model_license": None},
        }
    )

    assert facts == Facts()


def test_every_fact_is_read() -> None:
    data = {
        "commercial": False,
        "purpose": "research",
        "organization": {
            "monthly_active_users": 12,
            "mau_on_license_release_date": 7,
            "annual_revenue_usd": 1234.5,
            "eu_domiciled": True,
            "non_profit": True,
            "registered_with_licensor": True,
        },
        "distribution": {"weights": True, "hosted_service_for_third_parties": True, "derivative_name": "  Llama-X  "},
        "training": {"fine_tuned": True, "outputs_used_to_train_models": True, "target_model_license": "mit"},
        "end_users_in_eu": True,
        "model_modalities": ["text", "image", "image"],
        "use_domains": ["military", "spam", "military"],
        "safety_guardrails_removed": True,
        "modified_code_offered_over_network": True,
    }

    facts = parse_facts(data)

    assert facts.commercial is False
    assert facts.purpose == "research"
    assert facts.organization == Organization(12, 7, 1234.5, True, True, True)
    assert facts.distribution == Distribution(True, True, "Llama-X")
    assert facts.training == Training(True, True, "mit")
    assert facts.end_users_in_eu is True
    assert facts.model_modalities == ("text", "image")
    assert facts.multimodal is True
    assert facts.use_domains == ("military", "spam")
    assert facts.safety_guardrails_removed is True
    assert facts.modified_code_offered_over_network is True


@pytest.mark.parametrize("purpose", PURPOSES)
def test_every_purpose_is_accepted(purpose: str) -> None:
    assert parse_facts({"purpose": purpose}).purpose == purpose


def test_every_use_domain_and_modality_of_the_vocabularies_is_accepted() -> None:
    facts = parse_facts({"use_domains": sorted(use_domains()), "model_modalities": list(MODALITIES)})

    assert set(facts.use_domains) == set(use_domains())
    assert facts.model_modalities == MODALITIES


def test_large_but_finite_numbers_are_facts() -> None:
    facts = parse_facts({"organization": {"monthly_active_users": 10**12, "annual_revenue_usd": 10**15}})

    assert facts.organization.monthly_active_users == 10**12
    assert facts.organization.annual_revenue_usd == 1e15


# ---- unknown keys -------------------------------------------------------------------------------


def test_an_unknown_top_level_key_is_named() -> None:
    fields = _problems({"commercial_use": True})

    assert list(fields) == ["commercial_use"]
    assert "is not a known fact" in fields["commercial_use"][0]
    assert "commercial" in fields["commercial_use"][0]  # the known keys are listed


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"organization": {"mau": 5}}, "organization.mau"),
        ({"organization": {"revenue": 5}}, "organization.revenue"),
        ({"distribution": {"hosted": True}}, "distribution.hosted"),
        ({"training": {"distilled": True}}, "training.distilled"),
    ],
)
def test_an_unknown_nested_key_is_named_with_its_path(data: dict[str, Any], path: str) -> None:
    fields = _problems(data)

    assert list(fields) == [path]
    assert "is not a known fact" in fields[path][0]


def test_known_keys_of_the_nested_object_are_listed() -> None:
    fields = _problems({"organization": {"mau": 5}})

    assert "monthly_active_users" in fields["organization.mau"][0]
    assert "mau_on_license_release_date" in fields["organization.mau"][0]


# ---- wrong types and values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"commercial": "true"}, "commercial"),
        ({"commercial": 1}, "commercial"),
        ({"commercial": None}, "commercial"),
        ({"end_users_in_eu": "no"}, "end_users_in_eu"),
        ({"safety_guardrails_removed": 0}, "safety_guardrails_removed"),
        ({"modified_code_offered_over_network": "yes"}, "modified_code_offered_over_network"),
        ({"organization": {"eu_domiciled": "yes"}}, "organization.eu_domiciled"),
        ({"organization": {"registered_with_licensor": 1}}, "organization.registered_with_licensor"),
        ({"distribution": {"weights": "false"}}, "distribution.weights"),
        ({"distribution": {"hosted_service_for_third_parties": []}}, "distribution.hosted_service_for_third_parties"),
        ({"training": {"fine_tuned": 1}}, "training.fine_tuned"),
    ],
)
def test_a_non_boolean_for_a_boolean_fact_is_refused(data: dict[str, Any], path: str) -> None:
    fields = _problems(data)

    assert list(fields) == [path]
    assert fields[path][0].startswith("must be true or false")


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (-1, "organization.monthly_active_users"),
        (5.5, "organization.monthly_active_users"),
        (700000000.0, "organization.monthly_active_users"),
        ("5000000", "organization.monthly_active_users"),
        (True, "organization.monthly_active_users"),
        (None, "organization.monthly_active_users"),
        (-1, "organization.mau_on_license_release_date"),
        (1.5, "organization.mau_on_license_release_date"),
        ("700M", "organization.mau_on_license_release_date"),
    ],
)
def test_a_user_count_must_be_a_whole_number_of_at_least_zero(value: Any, path: str) -> None:
    key = path.split(".")[1]
    fields = _problems({"organization": {key: value}})

    assert list(fields) == [path]
    assert fields[path][0].startswith("must be a whole number ≥ 0")
    assert repr(value) in fields[path][0]


@pytest.mark.parametrize("value", [-0.01, "1000000", True, float("nan"), [1]])
def test_revenue_must_be_a_number_of_at_least_zero(value: Any) -> None:
    fields = _problems({"organization": {"annual_revenue_usd": value}})

    assert list(fields) == ["organization.annual_revenue_usd"]
    assert fields["organization.annual_revenue_usd"][0].startswith("must be a number ≥ 0 or null")


@pytest.mark.parametrize("literal", ["1e400", "Infinity"])
def test_revenue_that_is_not_finite_is_refused(literal: str) -> None:
    """Python's JSON reader turns 1e400 (valid JSON) and Infinity into inf: no revenue is infinite,
    and an infinite figure crashes the threshold comparison (int(inf) raises OverflowError)."""
    data = json.loads(f'{{"organization": {{"annual_revenue_usd": {literal}}}}}')

    fields = _problems(data)

    assert list(fields) == ["organization.annual_revenue_usd"]


@pytest.mark.parametrize("purpose", ["commercial", "Production", "", 3, None, ["research"]])
def test_an_unknown_purpose_is_refused(purpose: Any) -> None:
    fields = _problems({"purpose": purpose})

    assert list(fields) == ["purpose"]
    assert (
        f"{purpose!r} is not one of production, internal_business, evaluation, research, personal"
        == (fields["purpose"][0])
    )


@pytest.mark.parametrize("value", [["warfare"], ["military", "Military"], "military", [1], {"military": True}])
def test_an_unknown_use_domain_is_refused(value: Any) -> None:
    fields = _problems({"use_domains": value})

    assert list(fields) == ["use_domains"]


def test_the_unknown_use_domain_is_named_with_the_vocabulary() -> None:
    fields = _problems({"use_domains": ["military", "warfare"]})

    assert fields["use_domains"][0].startswith("'warfare' is not one of ")
    assert "military" in fields["use_domains"][0]


def test_every_unknown_use_domain_is_named_at_once() -> None:
    fields = _problems({"use_domains": ["warfare", "military", "gambling"]})

    message = " ".join(fields["use_domains"])
    assert "'warfare'" in message
    assert "'gambling'" in message


@pytest.mark.parametrize("value", [["smell"], ["text", "3d"], ["Text"], "image", [None]])
def test_an_unknown_modality_is_refused(value: Any) -> None:
    fields = _problems({"model_modalities": value})

    assert list(fields) == ["model_modalities"]


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"distribution": {"derivative_name": ""}}, "distribution.derivative_name"),
        ({"distribution": {"derivative_name": "   "}}, "distribution.derivative_name"),
        ({"distribution": {"derivative_name": "x" * 301}}, "distribution.derivative_name"),
        ({"distribution": {"derivative_name": 7}}, "distribution.derivative_name"),
        ({"training": {"target_model_license": ""}}, "training.target_model_license"),
        ({"training": {"target_model_license": ["mit"]}}, "training.target_model_license"),
    ],
)
def test_optional_texts_are_non_empty_short_strings(data: dict[str, Any], path: str) -> None:
    fields = _problems(data)

    assert list(fields) == [path]


def test_a_300_character_derivative_name_is_accepted() -> None:
    assert parse_facts({"distribution": {"derivative_name": "L" * 300}}).distribution.derivative_name == "L" * 300


@pytest.mark.parametrize("data", [[], "commercial", 42, None, True])
def test_facts_must_be_a_json_object(data: Any) -> None:
    fields = _problems(data)

    assert fields == {"facts": ["must be a JSON object"]}


@pytest.mark.parametrize("key", ["organization", "distribution", "training"])
@pytest.mark.parametrize("value", [None, "x", [], 1])
def test_a_nested_group_must_be_an_object(key: str, value: Any) -> None:
    fields = _problems({key: value})

    assert fields == {key: ["must be a JSON object"]}


# ---- every problem at once ---------------------------------------------------------------------------


def test_every_problem_is_reported_at_once() -> None:
    data = {
        "colour": "blue",
        "commercial": "no",
        "purpose": "profit",
        "organization": {"mau": 1, "monthly_active_users": -5, "annual_revenue_usd": "lots", "eu_domiciled": 1},
        "distribution": {"weights": "yes", "mirror": True},
        "training": {"fine_tuned": None, "target_model_license": ""},
        "model_modalities": ["smell"],
        "use_domains": ["warfare"],
        "end_users_in_eu": "EU",
    }

    fields = _problems(data)

    assert set(fields) == {
        "colour",
        "commercial",
        "purpose",
        "organization.mau",
        "organization.monthly_active_users",
        "organization.annual_revenue_usd",
        "organization.eu_domiciled",
        "distribution.weights",
        "distribution.mirror",
        "training.fine_tuned",
        "training.target_model_license",
        "model_modalities",
        "use_domains",
        "end_users_in_eu",
    }
    assert all(len(problems) == 1 for problems in fields.values()), fields


def test_problems_in_a_nested_object_do_not_hide_problems_elsewhere() -> None:
    fields = _problems({"organization": "big", "training": {"x": 1}, "commercial": "sure"})

    assert set(fields) == {"organization", "training.x", "commercial"}
