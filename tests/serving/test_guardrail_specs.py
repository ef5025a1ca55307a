"""Guardrail policy specs: strict checking with every problem named by path, and the validators built from them."""

from __future__ import annotations

import dataclasses
import json
import warnings
from typing import Any

import pytest
from guardrails.validator_base import FailResult, PassResult, Validator
from guardrails_ai.ban_list import BanList
from guardrails_ai.regex_match import RegexMatch
from guardrails_ai.secrets_present import SecretsPresent
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ApplicationError
from serving.guardrails import specs
from serving.guardrails.specs import (
    MAX_PARAM_STRING_LENGTH,
    MAX_VALIDATORS,
    VALIDATOR_TYPES,
    GuardrailSpecError,
    ValidatorSpec,
    build_validator,
    describe_validator_types,
    parse_policy_spec,
)
from serving.guardrails.validators import (
    PII_ENTITIES,
    SECRET_KINDS,
    ForbiddenRegex,
    PiiPatterns,
    PromptInjectionHeuristic,
    SecretPatterns,
)


def _problems(data: Any) -> dict[str, list[str]]:
    with pytest.raises(GuardrailSpecError) as caught:
        parse_policy_spec(data)
    return caught.value.fields


def _spec(
    name: str, params: dict[str, Any] | None = None, *, on: str = "input", on_fail: str = "exception"
) -> ValidatorSpec:
    return ValidatorSpec(name=name, on=on, on_fail=on_fail, params=params or {})


# ---- the catalogue -------------------------------------------------------------------------------------------


def test_the_catalogue_names_the_seven_validator_types() -> None:
    assert list(VALIDATOR_TYPES) == [
        "modelgate/pii",
        "modelgate/secret_patterns",
        "modelgate/prompt_injection",
        "modelgate/forbidden_regex",
        "guardrails/secrets_present",
        "guardrails/ban_list",
        "guardrails/regex_match",
    ]


def test_allowed_on_fail_actions_per_type() -> None:
    allowed = {name: validator_type.on_fail for name, validator_type in VALIDATOR_TYPES.items()}
    assert allowed.pop("modelgate/prompt_injection") == ("exception", "filter", "noop")
    assert set(allowed.values()) == {("exception", "fix", "filter", "noop")}


def test_descriptions_are_json_ready_and_complete() -> None:
    described = json.loads(json.dumps(describe_validator_types()))
    assert [entry["name"] for entry in described] == list(VALIDATOR_TYPES)
    by_name = {entry["name"]: entry for entry in described}
    assert all(entry["summary"] and "\n" not in entry["summary"] for entry in described)
    assert by_name["guardrails/secrets_present"]["params"] == []
    (entities,) = by_name["modelgate/pii"]["params"]
    assert entities == {
        "name": "entities",
        "type": "list[string]",
        "required": False,
        "default": list(PII_ENTITIES),
        "allowed": list(PII_ENTITIES),
        "description": "Which kinds of personal data to look for.",
        "constraints": f"a non-empty list; each item a non-empty string of at most {MAX_PARAM_STRING_LENGTH} characters",
    }
    (threshold,) = by_name["modelgate/prompt_injection"]["params"]
    assert (threshold["type"], threshold["default"], threshold["constraints"]) == ("number", 0.5, "> 0 and ≤ 1")
    assert by_name["modelgate/prompt_injection"]["on_fail"] == ["exception", "filter", "noop"]
    regex, match_type = by_name["guardrails/regex_match"]["params"]
    assert (regex["required"], match_type["default"], match_type["allowed"]) == (
        True,
        "search",
        ["search", "fullmatch"],
    )
    banned_words, max_l_dist = by_name["guardrails/ban_list"]["params"]
    assert banned_words["required"] is True
    assert (max_l_dist["type"], max_l_dist["default"], max_l_dist["constraints"]) == ("integer", 1, "≥ 0 and ≤ 2")


# ---- parsing valid policies ----------------------------------------------------------------------------------


def test_a_minimal_spec_gets_the_defaults() -> None:
    (spec,) = parse_policy_spec([{"name": "modelgate/pii", "on": "input"}])
    assert spec == ValidatorSpec(name="modelgate/pii", on="input", on_fail="exception", params={})
    assert spec.to_json() == {"name": "modelgate/pii", "on": "input", "on_fail": "exception", "params": {}}


def test_an_empty_policy_checks_nothing() -> None:
    assert parse_policy_spec([]) == []


def test_specs_are_frozen_and_do_not_share_the_callers_params() -> None:
    params = {"patterns": ["secret"]}
    (spec,) = parse_policy_spec([{"name": "modelgate/forbidden_regex", "on": "output", "params": params}])
    params["patterns"].append("changed later")
    assert spec.params == {"patterns": ["secret"]}
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]
    spec.to_json()["params"]["patterns"].append("not stored")
    assert spec.params == {"patterns": ["secret"]}


_PARAMS_BY_TYPE: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "modelgate/pii": st.fixed_dictionaries(
        {}, optional={"entities": st.lists(st.sampled_from(PII_ENTITIES), min_size=1, max_size=6)}
    ),
    "modelgate/secret_patterns": st.fixed_dictionaries(
        {}, optional={"kinds": st.lists(st.sampled_from(SECRET_KINDS), min_size=1, max_size=5)}
    ),
    "modelgate/prompt_injection": st.fixed_dictionaries(
        {}, optional={"threshold": st.floats(min_value=0.01, max_value=1) | st.just(1)}
    ),
    "modelgate/forbidden_regex": st.fixed_dictionaries(
        {"patterns": st.lists(st.from_regex(r"[a-z]{1,8}( [a-z]{1,8})?", fullmatch=True), min_size=1, max_size=4)},
        optional={"ignore_case": st.booleans()},
    ),
    "guardrails/secrets_present": st.just({}),
    "guardrails/ban_list": st.fixed_dictionaries(
        {"banned_words": st.lists(st.from_regex(r"[a-z]{3,10}", fullmatch=True), min_size=1, max_size=5)},
        optional={"max_l_dist": st.integers(min_value=0, max_value=2)},
    ),
    "guardrails/regex_match": st.fixed_dictionaries(
        {"regex": st.sampled_from([r"^\w+", r"answer", r"[A-Z][a-z]+\.$"])},
        optional={"match_type": st.sampled_from(["search", "fullmatch"])},
    ),
}


@st.composite
def valid_specs(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(VALIDATOR_TYPES)))
    spec: dict[str, Any] = {"name": name, "on": draw(st.sampled_from(["input", "output"]))}
    if draw(st.booleans()):
        spec["on_fail"] = draw(st.sampled_from(VALIDATOR_TYPES[name].on_fail))
    params = draw(_PARAMS_BY_TYPE[name])
    if params or draw(st.booleans()):
        spec["params"] = params
    return spec


@given(st.lists(valid_specs(), max_size=6))
def test_valid_policies_parse_round_trip_and_build(data: list[dict[str, Any]]) -> None:
    parsed = parse_policy_spec(data)
    assert [spec.name for spec in parsed] == [item["name"] for item in data]
    assert [spec.params for spec in parsed] == [item.get("params", {}) for item in data]
    assert [spec.on_fail for spec in parsed] == [item.get("on_fail", "exception") for item in data]
    assert parse_policy_spec([spec.to_json() for spec in parsed]) == parsed
    for spec in parsed:
        validator = build_validator(spec)
        assert isinstance(validator, Validator)
        assert validator.rail_alias == spec.name
        assert validator.on_fail_descriptor.value == spec.on_fail


def test_test_strategies_cover_every_validator_type() -> None:
    assert set(_PARAMS_BY_TYPE) == set(VALIDATOR_TYPES)


# ---- every problem at once, by path -------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_under_its_path() -> None:
    problems = _problems(
        [
            {"name": "foo", "on": "input"},
            {"name": "modelgate/pii", "on": "sideways", "params": {"entities": ["email", "passport"], "x": 1}},
            {"name": "modelgate/prompt_injection", "on": "input", "on_fail": "fix", "params": {"threshold": True}},
            {"name": "modelgate/forbidden_regex", "on": "output", "params": {"patterns": ["ok", "(unclosed", ""]}},
            {"name": "guardrails/regex_match", "on": "output"},
            {"name": "guardrails/secrets_present", "on": "input", "params": {"anything": 1}, "colour": "red"},
            "not an object",
        ]
    )
    assert problems == {
        "validators[0].name": [
            "unknown validator 'foo'; expected one of: modelgate/pii, modelgate/secret_patterns, "
            "modelgate/prompt_injection, modelgate/forbidden_regex, guardrails/secrets_present, "
            "guardrails/ban_list, guardrails/regex_match"
        ],
        "validators[1].on": ["must be 'input' or 'output', not 'sideways'"],
        "validators[1].params.x": ["unknown parameter for modelgate/pii; expected: entities"],
        "validators[1].params.entities": [
            "unknown entity 'passport'; expected one of: email, phone, payment_card, iban, ip_address, national_id"
        ],
        "validators[2].on_fail": [
            "'fix' is not allowed for modelgate/prompt_injection; allowed: exception, filter, noop"
        ],
        "validators[2].params.threshold": ["must be a number > 0 and ≤ 1, not True"],
        "validators[3].params.patterns[1]": [
            "is not a valid regular expression: missing ), unterminated subpattern at position 0"
        ],
        "validators[3].params.patterns[2]": ["must be a non-empty string, not ''"],
        "validators[4].params.regex": ["is required (string: The Python regular expression the text must match.)"],
        "validators[5].colour": ["unknown key; expected: name, on, on_fail, params"],
        "validators[5].params.anything": [
            "unknown parameter for guardrails/secrets_present; expected: none, it takes no parameters"
        ],
        "validators[6]": ["must be a JSON object with the keys name, on, on_fail, params"],
    }


def test_the_error_is_an_application_error_with_a_readable_summary() -> None:
    with pytest.raises(GuardrailSpecError) as caught:
        parse_policy_spec([{"name": "modelgate/pii"}])
    error = caught.value
    assert isinstance(error, ApplicationError)
    assert (error.code, error.http_status) == ("invalid_guardrail_policy", 400)
    assert error.fields == {"validators[0].on": ["is required: 'input' (prompts) or 'output' (answers)"]}
    assert (
        str(error)
        == "the guardrail policy is invalid: validators[0].on: is required: 'input' (prompts) or 'output' (answers)"
    )


@pytest.mark.parametrize("data", [None, {"validators": []}, "modelgate/pii", 3])
def test_a_policy_must_be_a_list(data: Any) -> None:
    assert _problems(data) == {"validators": ["must be a JSON list of validator specs"]}


def test_at_most_32_validators() -> None:
    data = [{"name": "modelgate/pii", "on": "input"}] * (MAX_VALIDATORS + 1)
    assert _problems(data) == {"validators": [f"at most {MAX_VALIDATORS} validators, not {MAX_VALIDATORS + 1}"]}
    assert len(parse_policy_spec(data[:MAX_VALIDATORS])) == MAX_VALIDATORS


@pytest.mark.parametrize(
    ("spec", "path", "problem"),
    [
        ({"on": "input"}, "validators[0].name", "is required"),
        ({"name": 7, "on": "input"}, "validators[0].name", "unknown validator 7"),
        ({"name": "modelgate/pii", "on": "input", "on_fail": "reask"}, "validators[0].on_fail", "must be one of"),
        ({"name": "modelgate/pii", "on": "input", "on_fail": None}, "validators[0].on_fail", "must be one of"),
        ({"name": "modelgate/pii", "on": "input", "params": None}, "validators[0].params", "must be a JSON object"),
        ({"name": "modelgate/pii", "on": "input", "params": []}, "validators[0].params", "must be a JSON object"),
        (
            {"name": "modelgate/pii", "on": "input", "params": {"entities": []}},
            "validators[0].params.entities",
            "must not be empty; leave entities out for the default",
        ),
        (
            {"name": "modelgate/pii", "on": "input", "params": {"entities": "email"}},
            "validators[0].params.entities",
            "must be a list of strings, not 'email'",
        ),
        (
            {"name": "modelgate/secret_patterns", "on": "input", "params": {"kinds": ["jwt", "ssh_key", "pgp"]}},
            "validators[0].params.kinds",
            "unknown kind 'ssh_key', 'pgp'; expected one of:",
        ),
        (
            {"name": "modelgate/prompt_injection", "on": "input", "params": {"threshold": 0}},
            "validators[0].params.threshold",
            "must be a number > 0 and ≤ 1, not 0",
        ),
        (
            {"name": "modelgate/prompt_injection", "on": "input", "params": {"threshold": "0.5"}},
            "validators[0].params.threshold",
            "must be a number > 0 and ≤ 1, not '0.5'",
        ),
        (
            {"name": "modelgate/prompt_injection", "on": "input", "params": {"threshold": float("nan")}},
            "validators[0].params.threshold",
            "must be a number > 0 and ≤ 1, not nan",
        ),
        (
            {"name": "modelgate/forbidden_regex", "on": "input", "params": {}},
            "validators[0].params.patterns",
            "is required",
        ),
        (
            {"name": "modelgate/forbidden_regex", "on": "input", "params": {"patterns": ["a"], "ignore_case": "yes"}},
            "validators[0].params.ignore_case",
            "must be true or false, not 'yes'",
        ),
        (
            {
                "name": "modelgate/forbidden_regex",
                "on": "input",
                "params": {"patterns": [f"p{index}" for index in range(65)]},
            },
            "validators[0].params.patterns",
            "has 65 items; at most 64 are allowed",
        ),
        (
            {"name": "modelgate/forbidden_regex", "on": "input", "params": {"patterns": ["ok", 5]}},
            "validators[0].params.patterns[1]",
            "must be a non-empty string, not 5",
        ),
        (
            {"name": "guardrails/ban_list", "on": "output", "params": {"banned_words": ["fine"], "max_l_dist": True}},
            "validators[0].params.max_l_dist",
            "must be a whole number ≥ 0 and ≤ 2, not True",
        ),
        (
            {"name": "guardrails/ban_list", "on": "output", "params": {"banned_words": ["fine"], "max_l_dist": 1.0}},
            "validators[0].params.max_l_dist",
            "must be a whole number ≥ 0 and ≤ 2, not 1.0",
        ),
        (
            {"name": "guardrails/ban_list", "on": "output", "params": {"banned_words": ["fine"], "max_l_dist": 3}},
            "validators[0].params.max_l_dist",
            "must be a whole number ≥ 0 and ≤ 2, not 3",
        ),
        (
            {"name": "guardrails/ban_list", "on": "output", "params": {"banned_words": ["fine", "   "]}},
            "validators[0].params.banned_words[1]",
            "must be a non-empty string, not '   '",
        ),
        (
            {
                "name": "guardrails/ban_list",
                "on": "output",
                "params": {"banned_words": ["ok", "fine"], "max_l_dist": 2},
            },
            "validators[0].params.banned_words[0]",
            "has 2 non-space character(s), so with max_l_dist 2 it would match everywhere",
        ),
        (
            {"name": "guardrails/regex_match", "on": "output", "params": {"regex": "[a-"}},
            "validators[0].params.regex",
            "is not a valid regular expression",
        ),
        (
            {"name": "guardrails/regex_match", "on": "output", "params": {"regex": "a", "match_type": "match"}},
            "validators[0].params.match_type",
            "unknown value 'match'; expected one of: search, fullmatch",
        ),
    ],
)
def test_each_kind_of_mistake_is_named_at_its_path(spec: dict[str, Any], path: str, problem: str) -> None:
    problems = _problems([spec])
    assert list(problems) == [path]
    assert problems[path][0].startswith(problem)


def test_both_ban_list_words_too_short_for_the_distance_are_named() -> None:
    problems = _problems(
        [
            {
                "name": "guardrails/ban_list",
                "on": "output",
                "params": {"banned_words": ["ok", "a b", "fine"], "max_l_dist": 2},
            }
        ]
    )
    assert list(problems) == ["validators[0].params.banned_words[0]", "validators[0].params.banned_words[1]"]


def test_strings_longer_than_the_limit_are_refused_wherever_they_are() -> None:
    long = "x" * (MAX_PARAM_STRING_LENGTH + 1)
    problems = _problems(
        [
            {"name": "guardrails/regex_match", "on": "output", "params": {"regex": long}},
            {"name": "guardrails/ban_list", "on": "output", "params": {"banned_words": ["fine", long]}},
        ]
    )
    too_long = f"is {MAX_PARAM_STRING_LENGTH + 1} characters long; at most {MAX_PARAM_STRING_LENGTH} are allowed"
    assert problems == {
        "validators[0].params.regex": [too_long],
        "validators[1].params.banned_words[1]": [too_long],
    }
    ok = "x" * MAX_PARAM_STRING_LENGTH
    assert parse_policy_spec([{"name": "guardrails/regex_match", "on": "output", "params": {"regex": ok}}])


def test_huge_values_are_cut_short_in_messages() -> None:
    problems = _problems([{"name": "x" * 5000, "on": "input"}])
    (message,) = problems["validators[0].name"]
    assert len(message) < 400
    assert "..." in message


def test_a_regex_match_fix_needs_a_pattern_rstr_can_generate(monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot_generate(pattern: str) -> str:
        raise ValueError("unsupported")

    monkeypatch.setattr(specs.rstr, "xeger", cannot_generate)
    spec = {"name": "guardrails/regex_match", "on": "output", "params": {"regex": "a+"}}
    assert _problems([{**spec, "on_fail": "fix"}]) == {
        "validators[0].params.regex": ["RegexMatch cannot generate a fix text for this pattern (ValueError)"]
    }
    assert parse_policy_spec([{**spec, "on_fail": "exception"}])


# ---- building validators ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected_class"),
    [
        (_spec("modelgate/pii", {"entities": ["email"]}), PiiPatterns),
        (_spec("modelgate/secret_patterns"), SecretPatterns),
        (_spec("modelgate/prompt_injection", {"threshold": 0.9}), PromptInjectionHeuristic),
        (_spec("modelgate/forbidden_regex", {"patterns": ["x"]}), ForbiddenRegex),
        (_spec("guardrails/secrets_present"), SecretsPresent),
        (_spec("guardrails/ban_list", {"banned_words": ["falcon"]}), BanList),
        (_spec("guardrails/regex_match", {"regex": "x"}), RegexMatch),
    ],
)
def test_build_validator_returns_the_named_guardrails_validator(spec: ValidatorSpec, expected_class: type) -> None:
    validator = build_validator(spec)
    assert isinstance(validator, expected_class)
    assert validator.rail_alias == spec.name


def test_parameters_and_defaults_reach_the_validator() -> None:
    assert build_validator(_spec("modelgate/prompt_injection")).get_args() == {"threshold": 0.5}
    assert build_validator(_spec("modelgate/prompt_injection", {"threshold": 0.9})).get_args() == {"threshold": 0.9}
    assert build_validator(_spec("guardrails/ban_list", {"banned_words": ["falcon"]})).get_args() == {
        "banned_words": ["falcon"],
        "max_l_dist": 1,
    }
    pii = build_validator(_spec("modelgate/pii", {"entities": ["iban"]}, on_fail="fix"))
    assert isinstance(pii.validate("mail a@example.com", {}), PassResult)
    assert isinstance(pii.validate("to GB82WEST12345698765432", {}), FailResult)
    assert pii.on_fail_descriptor.value == "fix"


def test_a_hand_made_invalid_spec_is_refused_at_build() -> None:
    with pytest.raises(GuardrailSpecError) as caught:
        build_validator(_spec("modelgate/prompt_injection", on_fail="fix"))
    assert list(caught.value.fields) == ["validator.on_fail"]
    with pytest.raises(GuardrailSpecError) as caught:
        build_validator(_spec("modelgate/nope"))
    assert list(caught.value.fields) == ["validator.name"]


def test_regex_match_defaults_to_search_and_fails_when_the_pattern_is_absent() -> None:
    validator = build_validator(_spec("guardrails/regex_match", {"regex": r"\bSources?:"}, on="output"))
    assert isinstance(validator.validate("The answer is 42. Sources: the manual.", {}), PassResult)
    result = validator.validate("The answer is 42.", {})
    assert isinstance(result, FailResult)
    assert result.error_message == r"Result must match \bSources?:"
    fullmatch = build_validator(_spec("guardrails/regex_match", {"regex": r"\d+", "match_type": "fullmatch"}))
    assert isinstance(fullmatch.validate("42", {}), PassResult)
    assert isinstance(fullmatch.validate("42 apples", {}), FailResult)


def test_regex_match_generates_no_random_fix_for_a_passing_text(monkeypatch: pytest.MonkeyPatch) -> None:
    validator = build_validator(_spec("guardrails/regex_match", {"regex": "answer"}))
    calls: list[str] = []
    monkeypatch.setattr("guardrails_ai.regex_match.main.rstr.xeger", lambda pattern: calls.append(pattern) or "answer")
    assert isinstance(validator.validate("the answer", {}), PassResult)
    assert calls == []
    assert isinstance(validator.validate("nothing", {}), FailResult)
    assert calls == ["answer"]


def test_ban_list_fix_removes_exactly_the_banned_word() -> None:
    validator = build_validator(
        _spec("guardrails/ban_list", {"banned_words": ["falcon"], "max_l_dist": 0}, on_fail="fix")
    )
    result = validator.validate("Project falcon is food for thought.", {})
    assert isinstance(result, FailResult)
    # BanList alone would return "Project f is food for thought." with a span starting one character late.
    assert result.fix_value == "Project  is food for thought."
    assert [(span.start, span.end, span.reason) for span in result.error_spans] == [(8, 14, "banned word")]


def test_ban_list_reasons_do_not_quote_the_text() -> None:
    validator = build_validator(_spec("guardrails/ban_list", {"banned_words": ["falcon"]}))
    result = validator.validate("Project Falcon launches soon.", {})
    assert isinstance(result, FailResult)
    assert all("alcon" not in span.reason for span in result.error_spans)


def test_secrets_present_warns_nothing_names_no_secret_and_adds_no_newline() -> None:
    validator = build_validator(_spec("guardrails/secrets_present", on_fail="fix"))
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = validator.validate(f"aws_secret_access_key = '{secret}'", {})
        passed = validator.validate("nothing to see here", {})
    assert caught == []
    assert isinstance(result, FailResult)
    assert result.fix_value == "aws_secret_access_key = '********'"
    assert secret not in result.error_message
    assert result.error_message == "secrets found: detect_secrets"
    assert isinstance(passed, PassResult)
