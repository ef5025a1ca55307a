"""Classification answers: strict validation naming every field at fault, documented defaults."""

from __future__ import annotations

import json
import math
from dataclasses import fields
from typing import Any

import pytest

from compliance.classification.answers import (
    AnnexI,
    Answers,
    AnswersError,
    Art63,
    Gpai,
    Scope,
    Transparency,
    parse_answers,
)
from compliance.classification.tables import TRANSPARENCY_TRIGGERS, load_tables

SPEC_DEFAULTS: dict[str, Any] = {
    "scope": {
        "military_defence_or_national_security_only": False,
        "scientific_research_only": False,
        "personal_non_professional": False,
        "free_open_source_release": False,
    },
    "practices": [],
    "practice_exceptions": [],
    "annex_i": {"safety_component_or_product": False, "third_party_conformity_assessment": False, "legislation": None},
    "annex_iii": [],
    "art6_3": {
        "narrow_procedural_task": False,
        "improves_completed_human_activity": False,
        "detects_patterns_without_replacing_human_review": False,
        "preparatory_task": False,
        "profiling_of_natural_persons": False,
    },
    "transparency": {
        "interacts_with_natural_persons": False,
        "generates_synthetic_content": False,
        "emotion_recognition_or_biometric_categorisation": False,
        "deep_fake": False,
        "public_interest_text_without_editorial_control": False,
    },
    "gpai": {
        "is_general_purpose_model": False,
        "training_compute_flops": None,
        "designated_systemic_risk": False,
        "open_weights_free_license": False,
    },
}


def _problems(data: Any) -> dict[str, list[str]]:
    with pytest.raises(AnswersError) as caught:
        parse_answers(data)
    error = caught.value
    assert error.code == "invalid_answers"
    assert error.http_status == 400
    assert error.message.startswith("the classification answers are invalid: ")
    for path in error.fields:
        assert f"{path}: " in error.message, (path, error.message)
    return error.fields


# ---- defaults -----------------------------------------------------------------------------------------------


def test_no_answers_take_the_documented_defaults() -> None:
    assert parse_answers({}) == Answers()


def test_the_full_document_with_every_default_spelled_out_is_valid_and_equal_to_the_defaults() -> None:
    assert parse_answers(json.loads(json.dumps(SPEC_DEFAULTS))) == Answers()


def test_the_dataclasses_have_exactly_the_documented_keys() -> None:
    def names(cls: type[Any]) -> set[str]:
        return {item.name for item in fields(cls)}

    assert names(Answers) == set(SPEC_DEFAULTS)
    assert names(Scope) == set(SPEC_DEFAULTS["scope"])
    assert names(AnnexI) == set(SPEC_DEFAULTS["annex_i"])
    assert names(Art63) == set(SPEC_DEFAULTS["art6_3"])
    assert names(Transparency) == set(SPEC_DEFAULTS["transparency"]) == set(TRANSPARENCY_TRIGGERS)
    assert names(Gpai) == set(SPEC_DEFAULTS["gpai"])


def test_a_partial_section_keeps_the_other_defaults() -> None:
    answers = parse_answers({"gpai": {"is_general_purpose_model": True}, "scope": {"scientific_research_only": True}})

    assert answers.gpai == Gpai(is_general_purpose_model=True)
    assert answers.scope == Scope(scientific_research_only=True)
    assert answers.annex_i == AnnexI()


def test_duplicate_codes_are_kept_once_in_order() -> None:
    answers = parse_answers({"annex_iii": ["4a", "1a", "4a"], "practices": ["social_scoring", "social_scoring"]})

    assert answers.annex_iii == ("4a", "1a")
    assert answers.practices == ("social_scoring",)


def test_an_integer_compute_stays_exact() -> None:
    assert parse_answers({"gpai": {"training_compute_flops": 10**25 + 1}}).gpai.training_compute_flops == 10**25 + 1
    assert parse_answers({"gpai": {"training_compute_flops": 3e25}}).gpai.training_compute_flops == 3e25


def test_every_code_in_the_tables_is_accepted() -> None:
    tables = load_tables()
    answers = parse_answers(
        {
            "practices": list(tables.practices),
            "practice_exceptions": list(tables.exceptions),
            "annex_iii": list(tables.annex_iii),
        }
    )
    assert answers.practices == tuple(tables.practices)
    for code in tables.annex_i:
        assert parse_answers({"annex_i": {"legislation": code}}).annex_i.legislation == code


# ---- unknown keys at every level -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"risk": "low"}, "risk"),
        ({"scope": {"hobby": True}}, "scope.hobby"),
        ({"annex_i": {"product": True}}, "annex_i.product"),
        ({"art6_3": {"narrow_task": True}}, "art6_3.narrow_task"),
        ({"transparency": {"chatbot": True}}, "transparency.chatbot"),
        ({"gpai": {"flops": 1e25}}, "gpai.flops"),
    ],
)
def test_unknown_keys_are_named_with_their_path(data: dict[str, Any], path: str) -> None:
    problems = _problems(data)

    assert list(problems) == [path]
    assert "is not a known answer" in problems[path][0]


# ---- wrong types ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ([], "answers"),
        ("high_risk", "answers"),
        (None, "answers"),
        ({"scope": []}, "scope"),
        ({"scope": None}, "scope"),
        ({"annex_i": "medical_devices"}, "annex_i"),
        ({"art6_3": True}, "art6_3"),
        ({"transparency": 1}, "transparency"),
        ({"gpai": "yes"}, "gpai"),
        ({"scope": {"free_open_source_release": "yes"}}, "scope.free_open_source_release"),
        ({"scope": {"personal_non_professional": 1}}, "scope.personal_non_professional"),
        ({"scope": {"scientific_research_only": None}}, "scope.scientific_research_only"),
        ({"annex_i": {"safety_component_or_product": "true"}}, "annex_i.safety_component_or_product"),
        ({"annex_i": {"third_party_conformity_assessment": 0}}, "annex_i.third_party_conformity_assessment"),
        ({"annex_i": {"legislation": 11}}, "annex_i.legislation"),
        ({"annex_i": {"legislation": ["toys"]}}, "annex_i.legislation"),
        ({"art6_3": {"profiling_of_natural_persons": "no"}}, "art6_3.profiling_of_natural_persons"),
        ({"transparency": {"deep_fake": []}}, "transparency.deep_fake"),
        ({"gpai": {"is_general_purpose_model": "true"}}, "gpai.is_general_purpose_model"),
        ({"gpai": {"training_compute_flops": "1e25"}}, "gpai.training_compute_flops"),
        ({"gpai": {"training_compute_flops": -1}}, "gpai.training_compute_flops"),
        ({"gpai": {"training_compute_flops": True}}, "gpai.training_compute_flops"),
        ({"gpai": {"training_compute_flops": math.inf}}, "gpai.training_compute_flops"),
        ({"gpai": {"training_compute_flops": math.nan}}, "gpai.training_compute_flops"),
        ({"gpai": {"designated_systemic_risk": None}}, "gpai.designated_systemic_risk"),
        ({"practices": "social_scoring"}, "practices"),
        ({"practices": [5]}, "practices"),
        ({"practices": None}, "practices"),
        ({"practice_exceptions": {"medical_or_safety_reasons": True}}, "practice_exceptions"),
        ({"annex_iii": "4a"}, "annex_iii"),
        ({"annex_iii": [4]}, "annex_iii"),
    ],
)
def test_wrong_types_are_named_with_their_path(data: Any, path: str) -> None:
    assert list(_problems(data)) == [path]


def test_infinite_compute_from_json_is_refused() -> None:
    """Python's JSON reader turns 1e400 into inf; that is not a number of operations."""
    assert list(_problems(json.loads('{"gpai": {"training_compute_flops": 1e400}}'))) == ["gpai.training_compute_flops"]


# ---- unknown codes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        ({"practices": ["social_credit"]}, "practices", "'social_credit' is not one of"),
        ({"practices": ["social_scoring", "x", "y"]}, "practices", "'x', 'y' are not one of"),
        ({"practice_exceptions": ["self_defence"]}, "practice_exceptions", "'self_defence' is not one of"),
        ({"annex_iii": ["9a"]}, "annex_iii", "'9a' is not one of"),
        ({"annex_iii": ["4A"]}, "annex_iii", "'4A' is not one of"),
        ({"annex_iii": ["2a"]}, "annex_iii", "'2a' is not one of"),
        ({"annex_i": {"legislation": "machinery_directive"}}, "annex_i.legislation", "is not null or one of"),
    ],
)
def test_unknown_codes_are_named(data: dict[str, Any], path: str, fragment: str) -> None:
    problems = _problems(data)

    assert list(problems) == [path]
    assert fragment in problems[path][0]


# ---- misplaced exceptions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "practice"),
    [
        ({"practice_exceptions": ["medical_or_safety_reasons"]}, "emotion_recognition_workplace_education"),
        ({"practice_exceptions": ["targeted_victim_search"]}, "realtime_remote_biometric_id_law_enforcement"),
        (
            {
                "practices": ["emotion_recognition_workplace_education"],
                "practice_exceptions": ["imminent_threat_prevention"],
            },
            "realtime_remote_biometric_id_law_enforcement",
        ),
        (
            {
                "practices": ["realtime_remote_biometric_id_law_enforcement"],
                "practice_exceptions": ["medical_or_safety_reasons"],
            },
            "emotion_recognition_workplace_education",
        ),
        (
            {"practices": ["social_scoring"], "practice_exceptions": ["serious_crime_suspect_localisation"]},
            "realtime_remote_biometric_id_law_enforcement",
        ),
    ],
)
def test_an_exception_without_its_practice_is_an_error_naming_the_field(data: dict[str, Any], practice: str) -> None:
    problems = _problems(data)

    assert list(problems) == ["practice_exceptions"]
    assert practice in problems["practice_exceptions"][0]
    assert "which is not among the selected practices" in problems["practice_exceptions"][0]


def test_an_exception_with_its_practice_is_valid() -> None:
    answers = parse_answers(
        {
            "practices": ["realtime_remote_biometric_id_law_enforcement", "emotion_recognition_workplace_education"],
            "practice_exceptions": ["medical_or_safety_reasons", "targeted_victim_search"],
        }
    )

    assert answers.practice_exceptions == ("medical_or_safety_reasons", "targeted_victim_search")


# ---- all problems at once ------------------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(
        {
            "extra": 1,
            "scope": {"free_open_source_release": "yes", "hobby": True},
            "practices": ["nope"],
            "practice_exceptions": ["targeted_victim_search"],
            "annex_i": {"legislation": "unknown"},
            "annex_iii": ["9z"],
            "art6_3": [],
            "transparency": {"deep_fake": "maybe"},
            "gpai": {"training_compute_flops": -5, "weights": True},
        }
    )

    assert set(problems) == {
        "extra",
        "scope.free_open_source_release",
        "scope.hobby",
        "practices",
        "practice_exceptions",
        "annex_i.legislation",
        "annex_iii",
        "art6_3",
        "transparency.deep_fake",
        "gpai.training_compute_flops",
        "gpai.weights",
    }
