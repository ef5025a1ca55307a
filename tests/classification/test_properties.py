"""Properties over random valid answers: always a classification, always a reason, prohibitions always win."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.classification.answers import parse_answers
from compliance.classification.engine import classify
from compliance.classification.tables import load_tables

TABLES = load_tables()
TIERS = {"out_of_scope", "prohibited", "high_risk", "transparency", "minimal"}
GPAI_CLASSES = {"none", "gpai", "gpai_systemic_risk"}


def _flags(*names: str) -> st.SearchStrategy[dict[str, bool]]:
    """A section with any subset of its keys present, each true or false (absent keys take the default)."""
    return st.fixed_dictionaries({}, optional={name: st.booleans() for name in names})


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    practices = draw(st.lists(st.sampled_from(sorted(TABLES.practices)), unique=True, max_size=3))
    allowed_exceptions = sorted(code for code, exc in TABLES.exceptions.items() if exc.practice in practices)
    exceptions = draw(st.lists(st.sampled_from(allowed_exceptions), unique=True)) if allowed_exceptions else []
    compute = draw(
        st.none()
        | st.integers(min_value=0, max_value=10**27)
        | st.floats(min_value=0, max_value=1e27, allow_nan=False, allow_infinity=False)
        | st.sampled_from([10**25, 1e25, 10**25 + 1, 10**25 - 1])
    )
    data: dict[str, Any] = {
        "scope": draw(
            _flags(
                "military_defence_or_national_security_only",
                "scientific_research_only",
                "personal_non_professional",
                "free_open_source_release",
            )
        ),
        "practices": practices,
        "practice_exceptions": exceptions,
        "annex_i": {
            **draw(_flags("safety_component_or_product", "third_party_conformity_assessment")),
            "legislation": draw(st.none() | st.sampled_from(sorted(TABLES.annex_i))),
        },
        "annex_iii": draw(st.lists(st.sampled_from(sorted(TABLES.annex_iii)), unique=True, max_size=3)),
        "art6_3": draw(
            _flags(
                "narrow_procedural_task",
                "improves_completed_human_activity",
                "detects_patterns_without_replacing_human_review",
                "preparatory_task",
                "profiling_of_natural_persons",
            )
        ),
        "transparency": draw(
            _flags(
                "interacts_with_natural_persons",
                "generates_synthetic_content",
                "emotion_recognition_or_biometric_categorisation",
                "deep_fake",
                "public_interest_text_without_editorial_control",
            )
        ),
        "gpai": {
            **draw(_flags("is_general_purpose_model", "designated_systemic_risk", "open_weights_free_license")),
            "training_compute_flops": compute,
        },
    }
    # Any top-level key may be left out: it takes its default.
    keep = draw(st.sets(st.sampled_from(sorted(data))))
    if "practices" not in keep:
        keep.discard("practice_exceptions")  # an exception needs its practice
    return {key: value for key, value in data.items() if key in keep}


def _unexcepted_practice(data: dict[str, Any]) -> bool:
    excepted = {TABLES.exceptions[code].practice for code in data.get("practice_exceptions", [])}
    return any(code not in excepted for code in data.get("practices", []))


def _scope_excluded(data: dict[str, Any]) -> bool:
    scope = data.get("scope", {})
    return any(
        scope.get(key, False)
        for key in (
            "military_defence_or_national_security_only",
            "scientific_research_only",
            "personal_non_professional",
        )
    )


@settings(max_examples=400, deadline=None)
@given(answers())
def test_random_valid_answers_always_classify_with_a_reason(data: dict[str, Any]) -> None:
    result = classify(parse_answers(json.loads(json.dumps(data)))).as_dict()

    assert result["reasons"]
    assert all(reason["article"] and reason["text"] for reason in result["reasons"])
    assert result["tier"] in TIERS
    assert result["gpai"] in GPAI_CLASSES
    assert all(item["applies_from"] and item["date_basis"] in {"original", "amended"} for item in result["obligations"])
    assert json.loads(json.dumps(result)) == result

    prohibited = _unexcepted_practice(data) and not _scope_excluded(data)
    assert (result["tier"] == "prohibited") == prohibited
    if _scope_excluded(data):
        assert result["tier"] == "out_of_scope"
    if result["tier"] in {"out_of_scope", "prohibited", "minimal"}:
        assert result["transparency_duties"] == []
    if result["tier"] == "transparency":
        assert result["transparency_duties"]
    if result["tier"] in {"high_risk", "transparency", "minimal"}:
        assert any(item["article"] == "Art. 4" for item in result["obligations"])
    if result["gpai"] == "gpai_systemic_risk":
        assert any(item["article"] == "Art. 55(1)(a)" for item in result["obligations"])
        assert any(item["article"] == "Art. 53(1)(a)" for item in result["obligations"])
    if data.get("scope", {}).get("scientific_research_only"):
        assert result["gpai"] == "none"


@settings(max_examples=100, deadline=None)
@given(answers())
def test_classification_is_deterministic(data: dict[str, Any]) -> None:
    answers_ = parse_answers(data)

    assert classify(answers_) == classify(answers_)
