"""Guardrail policy specs: the JSON a policy version stores, checked strictly, and the validators built from it.

A policy is a JSON list of validator specs such as::

    {"name": "modelgate/pii", "on": "input", "on_fail": "fix", "params": {"entities": ["email", "iban"]}}

``on`` says whether the validator checks prompts (``input``) or answers (``output``); ``on_fail`` is what
the gateway does with a failure (``exception`` refuses the call, ``fix`` uses the validator's fixed text,
``filter`` drops the text, ``noop`` only records the failure). Every problem is reported at once, each
under the path of the field at fault (``validators[2].params.entities``), so an admin fixes a policy in
one round. Pure functions: nothing here touches the database.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import rstr
from guardrails.validator_base import (  # type: ignore[import-untyped, unused-ignore]
    ErrorSpan,
    FailResult,
    PassResult,
    ValidationResult,
    Validator,
)
from guardrails_ai.ban_list import BanList  # type: ignore[import-untyped, unused-ignore]
from guardrails_ai.regex_match import RegexMatch  # type: ignore[import-untyped, unused-ignore]
from guardrails_ai.secrets_present import SecretsPresent  # type: ignore[import-untyped, unused-ignore]

from core.errors import ApplicationError
from serving.guardrails.validators import (
    PII_ENTITIES,
    SECRET_KINDS,
    ForbiddenRegex,
    PiiPatterns,
    PromptInjectionHeuristic,
    SecretPatterns,
)

STAGES: Final = ("input", "output")
ON_FAIL_ACTIONS: Final = ("exception", "fix", "filter", "noop")
DEFAULT_ON_FAIL: Final = "exception"
MAX_VALIDATORS: Final = 32
MAX_PARAM_STRING_LENGTH: Final = 2000
SPEC_KEYS: Final = ("name", "on", "on_fail", "params")


class GuardrailSpecError(ApplicationError):
    """A guardrail policy that cannot be used; ``fields`` maps each faulty path to its problems."""

    code = "invalid_guardrail_policy"


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a validator type: how the checker validates it and how the docs describe it.

    ``type`` is one of ``string``, ``boolean``, ``integer``, ``number`` or ``list[string]``; ``choices``
    constrains a string, or each item of a list; ``check_item`` returns a problem with a string (or list
    item), or None.
    """

    name: str
    type: str
    description: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    max_items: int | None = None
    item_noun: str = "value"
    notes: str = ""
    check_item: Callable[[str], str | None] | None = None

    def bounds(self) -> str:
        """The numeric range in words, such as " > 0 and ≤ 1" ("" when unbounded)."""
        parts = []
        if self.minimum is not None:
            parts.append(f"{'>' if self.exclusive_minimum else '≥'} {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"≤ {self.maximum:g}")
        return " " + " and ".join(parts) if parts else ""

    def constraints(self) -> str:
        """The constraints in words, for the admin and the README."""
        parts: list[str] = []
        if self.type == "list[string]":
            parts.append("a non-empty list")
            if self.max_items is not None:
                parts.append(f"at most {self.max_items} items")
            parts.append(f"each item a non-empty string of at most {MAX_PARAM_STRING_LENGTH} characters")
        elif self.type == "string":
            parts.append(f"a non-empty string of at most {MAX_PARAM_STRING_LENGTH} characters")
        if self.bounds():
            parts.append(self.bounds().strip())
        if self.notes:
            parts.append(self.notes)
        return "; ".join(parts)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description of the parameter."""
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "allowed": list(self.choices) or None,
            "description": self.description,
            "constraints": self.constraints(),
        }


@dataclass(frozen=True)
class ValidatorType:
    """A validator a policy may name: its parameters, the on_fail actions that make sense, and its builder.

    ``check_params`` looks at the parameters together (after each passed its own checks) and returns
    (parameter, problem) pairs; ``build`` turns checked parameters and an on_fail action into a Validator.
    """

    name: str
    summary: str
    params: tuple[ParamSpec, ...]
    on_fail: tuple[str, ...]
    build: Callable[[Mapping[str, Any], str], Validator]
    check_params: Callable[[Mapping[str, Any], str], list[tuple[str, str]]] | None = None

    def param(self, name: str) -> ParamSpec | None:
        """The parameter called ``name``, if the type has one."""
        return next((param for param in self.params if param.name == name), None)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description of the validator type, for the admin and the README."""
        return {
            "name": self.name,
            "summary": self.summary,
            "params": [param.describe() for param in self.params],
            "on_fail": list(self.on_fail),
        }


@dataclass(frozen=True)
class ValidatorSpec:
    """One checked validator entry of a policy; ``params`` holds only what the policy gave (defaults apply at build)."""

    name: str
    on: str
    on_fail: str
    params: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The spec as stored: parsing it again gives an equal spec."""
        return {"name": self.name, "on": self.on, "on_fail": self.on_fail, "params": copy.deepcopy(self.params)}


# ---- guardrails-ai's own validators, adjusted where they would break the gateway's rules ---------------------


class _QuietSecretsPresent(SecretsPresent):  # type: ignore[misc]
    """SecretsPresent without its per-call warning and without quoting the secrets it found.

    SecretsPresent warns on every single-line text and then appends a newline itself; appending it here
    gives the same scan without the warning machinery on the hot path, and the newline is taken back off
    the fix. Its error_message lists the secrets verbatim, so the message is replaced.
    """

    def validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        text = str(value)
        added_newline = "\n" not in text
        result = super().validate(text + "\n" if added_newline else text, metadata)
        if not isinstance(result, FailResult):
            return result
        fixed = result.fix_value
        if added_newline and isinstance(fixed, str) and fixed.endswith("\n"):
            fixed = fixed[:-1]
        return FailResult(error_message="secrets found: detect_secrets", fix_value=fixed)


class _BanListExactSpans(BanList):  # type: ignore[misc]
    """BanList with its spans and fix corrected and its span reasons no longer quoting the text.

    BanList 0.1.0 starts every span one character late, so its fix removes all but the first letter of
    each banned word, and it removes those characters everywhere in the text, not just at the match.
    """

    def validate(self, value: Any, metadata: dict[str, Any] | None = None) -> ValidationResult:
        text = str(value)
        result = super().validate(text, metadata or {})
        if not isinstance(result, FailResult):
            return result
        spans = sorted((max(span.start - 1, 0), span.end) for span in result.error_spans or ())
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        pieces: list[str] = []
        cursor = 0
        for start, end in merged:
            pieces.append(text[cursor:start])
            cursor = end
        pieces.append(text[cursor:])
        return FailResult(
            error_message=result.error_message,
            fix_value="".join(pieces),
            error_spans=[ErrorSpan(start=start, end=end, reason="banned word") for start, end in merged],
        )


class _RegexMatchLazyFix(RegexMatch):  # type: ignore[misc]
    """RegexMatch that pays for its random fix string only when the text fails.

    RegexMatch 0.1.0 recompiles the pattern and generates a random matching string (rstr.xeger, 20-700 µs)
    on every call, passing or not. A passing text is answered here from a pattern compiled once; a failing
    one goes to RegexMatch itself, so failures look exactly as before.
    """

    def __init__(self, regex: str, match_type: str = "search", on_fail: Any = None) -> None:
        super().__init__(regex=regex, match_type=match_type, on_fail=on_fail)
        compiled = re.compile(regex)
        self._matches: Callable[[str], re.Match[str] | None] = (
            compiled.search if match_type == "search" else compiled.fullmatch
        )

    def validate(self, value: Any, metadata: dict[str, Any] | None = None) -> ValidationResult:
        if self._matches(str(value)):
            return PassResult()
        return super().validate(value, metadata or {})


# ---- parameter checks beyond type and range ------------------------------------------------------------------


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as error:
        return f"is not a valid regular expression: {error}"
    return None


def _ban_list_problems(params: Mapping[str, Any], on_fail: str) -> list[tuple[str, str]]:
    max_l_dist = params.get("max_l_dist", 1)
    problems = []
    for index, word in enumerate(params["banned_words"]):
        letters = len(word.replace(" ", ""))
        if letters <= max_l_dist:
            problems.append(
                (
                    f"banned_words[{index}]",
                    f"has {letters} non-space character(s), so with max_l_dist {max_l_dist} it would match everywhere",
                )
            )
    return problems


def _regex_match_problems(params: Mapping[str, Any], on_fail: str) -> list[tuple[str, str]]:
    if on_fail != "fix":
        return []
    try:
        rstr.xeger(params["regex"])
    except Exception as error:
        return [("regex", f"RegexMatch cannot generate a fix text for this pattern ({type(error).__name__})")]
    return []


# ---- the catalogue -------------------------------------------------------------------------------------------


def _build_pii(params: Mapping[str, Any], on_fail: str) -> Validator:
    return PiiPatterns(entities=params.get("entities"), on_fail=on_fail)


def _build_secret_patterns(params: Mapping[str, Any], on_fail: str) -> Validator:
    return SecretPatterns(kinds=params.get("kinds"), on_fail=on_fail)


def _build_prompt_injection(params: Mapping[str, Any], on_fail: str) -> Validator:
    return PromptInjectionHeuristic(threshold=params.get("threshold", 0.5), on_fail=on_fail)


def _build_forbidden_regex(params: Mapping[str, Any], on_fail: str) -> Validator:
    return ForbiddenRegex(
        patterns=list(params["patterns"]), ignore_case=params.get("ignore_case", False), on_fail=on_fail
    )


def _build_secrets_present(params: Mapping[str, Any], on_fail: str) -> Validator:
    return _QuietSecretsPresent(on_fail=on_fail)


def _build_ban_list(params: Mapping[str, Any], on_fail: str) -> Validator:
    return _BanListExactSpans(
        banned_words=list(params["banned_words"]), max_l_dist=params.get("max_l_dist", 1), on_fail=on_fail
    )


def _build_regex_match(params: Mapping[str, Any], on_fail: str) -> Validator:
    return _RegexMatchLazyFix(regex=params["regex"], match_type=params.get("match_type", "search"), on_fail=on_fail)


_TYPES: Final = (
    ValidatorType(
        name="modelgate/pii",
        summary="Personal data by pattern (emails, phones, Luhn-checked cards, mod-97 IBANs, IPs, national IDs); fix puts [EMAIL]-style placeholders in their place.",
        params=(
            ParamSpec(
                "entities",
                "list[string]",
                "Which kinds of personal data to look for.",
                default=list(PII_ENTITIES),
                choices=PII_ENTITIES,
                item_noun="entity",
            ),
        ),
        on_fail=ON_FAIL_ACTIONS,
        build=_build_pii,
    ),
    ValidatorType(
        name="modelgate/secret_patterns",
        summary="API keys, tokens, JWTs, private keys and password=/api_key= assignments by their formats; fix masks each with ********.",
        params=(
            ParamSpec(
                "kinds",
                "list[string]",
                "Which kinds of credential to look for.",
                default=list(SECRET_KINDS),
                choices=SECRET_KINDS,
                item_noun="kind",
            ),
        ),
        on_fail=ON_FAIL_ACTIONS,
        build=_build_secret_patterns,
    ),
    ValidatorType(
        name="modelgate/prompt_injection",
        summary="Prompt-injection and jailbreak heuristics scored in [0, 1]; fails at or above the threshold. No fix.",
        params=(
            ParamSpec(
                "threshold",
                "number",
                "Score at or above which a text fails; lower is stricter.",
                default=0.5,
                minimum=0,
                maximum=1,
                exclusive_minimum=True,
            ),
        ),
        on_fail=("exception", "filter", "noop"),
        build=_build_prompt_injection,
    ),
    ValidatorType(
        name="modelgate/forbidden_regex",
        summary="Fails when any of the given regular expressions is found; fix replaces each match with [REDACTED].",
        params=(
            ParamSpec(
                "patterns",
                "list[string]",
                "Python regular expressions; the text fails if any is found anywhere in it.",
                required=True,
                max_items=64,
                item_noun="pattern",
                notes="each must compile as a Python regular expression; empty matches are ignored",
                check_item=_regex_problem,
            ),
            ParamSpec("ignore_case", "boolean", "Match case-insensitively.", default=False),
        ),
        on_fail=ON_FAIL_ACTIONS,
        build=_build_forbidden_regex,
    ),
    ValidatorType(
        name="guardrails/secrets_present",
        summary="guardrails-ai SecretsPresent (detect-secrets' default plugins); fix masks each secret with ********. Slower than modelgate/secret_patterns.",
        params=(),
        on_fail=ON_FAIL_ACTIONS,
        build=_build_secrets_present,
    ),
    ValidatorType(
        name="guardrails/ban_list",
        summary="guardrails-ai BanList: fails when a banned word appears, fuzzily (Levenshtein, spaces ignored); fix removes it.",
        params=(
            ParamSpec(
                "banned_words",
                "list[string]",
                "Words or phrases that must not appear; matched case-insensitively with spaces ignored.",
                required=True,
                max_items=500,
                item_noun="banned word",
                notes="each needs more non-space characters than max_l_dist",
            ),
            ParamSpec(
                "max_l_dist",
                "integer",
                "Largest Levenshtein distance that still counts as a match; at 1, 'kill' also matches the 'ill' in 'will'.",
                default=1,
                minimum=0,
                maximum=2,
            ),
        ),
        on_fail=ON_FAIL_ACTIONS,
        build=_build_ban_list,
        check_params=_ban_list_problems,
    ),
    ValidatorType(
        name="guardrails/regex_match",
        summary="guardrails-ai RegexMatch: fails when the text does NOT match the regular expression; its fix is a random string that matches.",
        params=(
            ParamSpec(
                "regex",
                "string",
                "The Python regular expression the text must match.",
                required=True,
                notes="must compile as a Python regular expression",
                check_item=_regex_problem,
            ),
            ParamSpec(
                "match_type",
                "string",
                "search: the pattern must occur somewhere; fullmatch: the whole text must match it.",
                default="search",
                choices=("search", "fullmatch"),
            ),
        ),
        on_fail=ON_FAIL_ACTIONS,
        build=_build_regex_match,
        check_params=_regex_match_problems,
    ),
)

VALIDATOR_TYPES: Final[dict[str, ValidatorType]] = {validator_type.name: validator_type for validator_type in _TYPES}


# ---- checking ------------------------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    """A value quoted in an error message, cut short so a huge value cannot flood the message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Checker:
    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}

    def fail(self, path: str, problem: str) -> None:
        self.problems.setdefault(path, []).append(problem)

    def policy(self, data: Any) -> list[ValidatorSpec]:
        if not isinstance(data, list):
            self.fail("validators", "must be a JSON list of validator specs")
            return []
        if len(data) > MAX_VALIDATORS:
            self.fail("validators", f"at most {MAX_VALIDATORS} validators, not {len(data)}")
        specs = [self.validator(item, f"validators[{index}]") for index, item in enumerate(data)]
        return [spec for spec in specs if spec is not None]

    def validator(self, data: Any, path: str) -> ValidatorSpec | None:
        if not isinstance(data, Mapping):
            self.fail(path, f"must be a JSON object with the keys {', '.join(SPEC_KEYS)}")
            return None
        before = len(self.problems)
        for key in data:
            if key not in SPEC_KEYS:
                self.fail(f"{path}.{key}", f"unknown key; expected: {', '.join(SPEC_KEYS)}")
        validator_type = self.validator_type(data, f"{path}.name")
        stage = data.get("on")
        if "on" not in data:
            self.fail(f"{path}.on", "is required: 'input' (prompts) or 'output' (answers)")
        elif stage not in STAGES:
            self.fail(f"{path}.on", f"must be 'input' or 'output', not {_shown(stage)}")
        on_fail = data.get("on_fail", DEFAULT_ON_FAIL)
        if on_fail not in ON_FAIL_ACTIONS:
            self.fail(f"{path}.on_fail", f"must be one of {', '.join(ON_FAIL_ACTIONS)}, not {_shown(on_fail)}")
        elif validator_type is not None and on_fail not in validator_type.on_fail:
            self.fail(
                f"{path}.on_fail",
                f"{on_fail!r} is not allowed for {validator_type.name}; allowed: {', '.join(validator_type.on_fail)}",
            )
        params = data.get("params", {})
        if not isinstance(params, Mapping):
            self.fail(f"{path}.params", "must be a JSON object")
        elif validator_type is not None:
            self.params(validator_type, params, on_fail, f"{path}.params")
        if len(self.problems) > before or validator_type is None:
            return None
        return ValidatorSpec(
            name=validator_type.name, on=str(stage), on_fail=str(on_fail), params=copy.deepcopy(dict(params))
        )

    def validator_type(self, data: Mapping[str, Any], path: str) -> ValidatorType | None:
        if "name" not in data:
            self.fail(path, "is required")
            return None
        name = data["name"]
        validator_type = VALIDATOR_TYPES.get(name) if isinstance(name, str) else None
        if validator_type is None:
            self.fail(path, f"unknown validator {_shown(name)}; expected one of: {', '.join(VALIDATOR_TYPES)}")
        return validator_type

    def params(self, validator_type: ValidatorType, params: Mapping[str, Any], on_fail: Any, path: str) -> None:
        before = len(self.problems)
        for key in params:
            if validator_type.param(key) is None:
                expected = ", ".join(param.name for param in validator_type.params) or "none, it takes no parameters"
                self.fail(f"{path}.{key}", f"unknown parameter for {validator_type.name}; expected: {expected}")
        for param in validator_type.params:
            if param.name in params:
                self.value(param, params[param.name], f"{path}.{param.name}")
            elif param.required:
                self.fail(f"{path}.{param.name}", f"is required ({param.type}: {param.description})")
        if len(self.problems) == before and validator_type.check_params is not None:
            for name, problem in validator_type.check_params(params, on_fail):
                self.fail(f"{path}.{name}", problem)

    def value(self, param: ParamSpec, value: Any, path: str) -> None:
        if param.type == "boolean":
            if not isinstance(value, bool):
                self.fail(path, f"must be true or false, not {_shown(value)}")
        elif param.type in ("integer", "number"):
            self.number(param, value, path)
        elif param.type == "string":
            self.string(param, value, path)
        elif param.type == "list[string]":
            self.string_list(param, value, path)
        else:  # pragma: no cover - a catalogue mistake, caught by the tests of every type
            raise AssertionError(f"unknown parameter type {param.type!r}")

    def number(self, param: ParamSpec, value: Any, path: str) -> None:
        if param.type == "integer":
            valid_type = isinstance(value, int) and not isinstance(value, bool)
            kind = "a whole number"
        else:
            valid_type = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            kind = "a number"
        too_low = (
            valid_type
            and param.minimum is not None
            and (value <= param.minimum if param.exclusive_minimum else value < param.minimum)
        )
        too_high = valid_type and param.maximum is not None and value > param.maximum
        if not valid_type or too_low or too_high:
            self.fail(path, f"must be {kind}{param.bounds()}, not {_shown(value)}")

    def string(self, param: ParamSpec, value: Any, path: str) -> None:
        if not isinstance(value, str) or not value:
            self.fail(path, f"must be a non-empty string, not {_shown(value)}")
        elif len(value) > MAX_PARAM_STRING_LENGTH:
            self.fail(path, f"is {len(value)} characters long; at most {MAX_PARAM_STRING_LENGTH} are allowed")
        elif param.choices and value not in param.choices:
            self.fail(path, f"unknown {param.item_noun} {_shown(value)}; expected one of: {', '.join(param.choices)}")
        elif param.check_item is not None and (problem := param.check_item(value)) is not None:
            self.fail(path, problem)

    def string_list(self, param: ParamSpec, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.fail(path, f"must be a list of strings, not {_shown(value)}")
            return
        if not value:
            self.fail(
                path,
                f"must not be empty; leave {param.name} out for the default"
                if not param.required
                else "must not be empty",
            )
            return
        if param.max_items is not None and len(value) > param.max_items:
            self.fail(path, f"has {len(value)} items; at most {param.max_items} are allowed")
        unknown: list[str] = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if not isinstance(item, str) or not item.strip():
                self.fail(item_path, f"must be a non-empty string, not {_shown(item)}")
            elif len(item) > MAX_PARAM_STRING_LENGTH:
                self.fail(item_path, f"is {len(item)} characters long; at most {MAX_PARAM_STRING_LENGTH} are allowed")
            elif param.choices and item not in param.choices:
                unknown.append(item)
            elif param.check_item is not None and (problem := param.check_item(item)) is not None:
                self.fail(item_path, problem)
        if unknown:
            names = ", ".join(_shown(item) for item in unknown)
            self.fail(path, f"unknown {param.item_noun} {names}; expected one of: {', '.join(param.choices)}")


def _raise_if_problems(check: _Checker) -> None:
    if check.problems:
        summary = "; ".join(f"{path}: {problems[0]}" for path, problems in check.problems.items())
        raise GuardrailSpecError(f"the guardrail policy is invalid: {summary}", fields=check.problems)


def parse_policy_spec(data: Any) -> list[ValidatorSpec]:
    """Check a policy's JSON list of validator specs; raise one ``GuardrailSpecError`` naming every problem by path.

    Missing ``on_fail`` becomes ``"exception"``; missing ``params`` becomes ``{}``; parameter defaults are
    not written in, so a spec round-trips through ``to_json()`` unchanged. An empty list is a valid policy
    that checks nothing.
    """
    check = _Checker()
    specs = check.policy(data)
    _raise_if_problems(check)
    return specs


def build_validator(spec: ValidatorSpec) -> Validator:
    """The guardrails-ai Validator for ``spec``, with its on_fail set; a hand-made spec is checked first."""
    check = _Checker()
    checked = check.validator(spec.to_json(), "validator")
    _raise_if_problems(check)
    assert checked is not None
    return VALIDATOR_TYPES[checked.name].build(checked.params, checked.on_fail)


def describe_validator_types() -> list[dict[str, Any]]:
    """Every validator type a policy may use, with its parameters and allowed on_fail actions, JSON-ready."""
    return [validator_type.describe() for validator_type in VALIDATOR_TYPES.values()]
