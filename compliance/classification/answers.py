"""Classification answers: the JSON an EU AI Act classification is asked about, validated strictly.

Unknown keys and wrong types are errors that name the field path, all problems at once;
missing keys take the defaults below (false, null, []). The meaning of every key and code
is documented in README.md next to this file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from compliance.classification.tables import Tables, load_tables
from core.errors import ApplicationError


@dataclass(frozen=True)
class Scope:
    military_defence_or_national_security_only: bool = False
    scientific_research_only: bool = False
    personal_non_professional: bool = False
    free_open_source_release: bool = False


@dataclass(frozen=True)
class AnnexI:
    safety_component_or_product: bool = False
    third_party_conformity_assessment: bool = False
    legislation: str | None = None


@dataclass(frozen=True)
class Art63:
    narrow_procedural_task: bool = False
    improves_completed_human_activity: bool = False
    detects_patterns_without_replacing_human_review: bool = False
    preparatory_task: bool = False
    profiling_of_natural_persons: bool = False

    @property
    def conditions_met(self) -> tuple[str, ...]:
        """The Art. 6(3) second-subparagraph conditions (a)-(d) answered true, by name."""
        return tuple(
            name
            for name in (
                "narrow_procedural_task",
                "improves_completed_human_activity",
                "detects_patterns_without_replacing_human_review",
                "preparatory_task",
            )
            if getattr(self, name)
        )


@dataclass(frozen=True)
class Transparency:
    interacts_with_natural_persons: bool = False
    generates_synthetic_content: bool = False
    emotion_recognition_or_biometric_categorisation: bool = False
    deep_fake: bool = False
    public_interest_text_without_editorial_control: bool = False


@dataclass(frozen=True)
class Gpai:
    is_general_purpose_model: bool = False
    # An int stays an int (JSON 10000000000000000000000000 is exact); a float is what JSON 1e25 gives.
    training_compute_flops: int | float | None = None
    designated_systemic_risk: bool = False
    open_weights_free_license: bool = False


@dataclass(frozen=True)
class Answers:
    scope: Scope = field(default_factory=Scope)
    practices: tuple[str, ...] = ()
    practice_exceptions: tuple[str, ...] = ()
    annex_i: AnnexI = field(default_factory=AnnexI)
    annex_iii: tuple[str, ...] = ()
    art6_3: Art63 = field(default_factory=Art63)
    transparency: Transparency = field(default_factory=Transparency)
    gpai: Gpai = field(default_factory=Gpai)


class AnswersError(ApplicationError):
    code = "invalid_answers"


def _names(cls: type[Any]) -> tuple[str, ...]:
    return tuple(item.name for item in fields(cls))


class _Checker:
    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}

    def fail(self, path: str, problem: str) -> None:
        self.problems.setdefault(path, []).append(problem)

    def mapping(self, data: Any, path: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            self.fail(path or "answers", "must be a JSON object")
            return {}
        for key in data:
            if key not in allowed:
                self.fail(
                    f"{path}.{key}" if path else str(key),
                    f"is not a known answer; known here: {', '.join(allowed)}",
                )
        return data

    def section(self, data: Mapping[str, Any], key: str, cls: type[Any]) -> Mapping[str, Any]:
        return self.mapping(data.get(key, {}), key, _names(cls))

    def boolean(self, data: Mapping[str, Any], key: str, path: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false, not {value!r}")
            return False
        return value

    def booleans(self, data: Mapping[str, Any], path: str, cls: type[Any]) -> dict[str, bool]:
        return {name: self.boolean(data, name, f"{path}.{name}") for name in _names(cls) if name in data}

    def flops(self, data: Mapping[str, Any], key: str, path: str) -> int | float | None:
        value = data.get(key)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or value < 0
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            self.fail(path, f"must be a number of floating-point operations ≥ 0, or null; not {value!r}")
            return None
        return int(value) if isinstance(value, int) else float(value)

    def code(self, data: Mapping[str, Any], key: str, path: str, vocabulary: Mapping[str, Any]) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or value not in vocabulary:
            self.fail(path, f"{value!r} is not null or one of {', '.join(vocabulary)}")
            return None
        return value

    def codes(self, data: Mapping[str, Any], key: str, vocabulary: Mapping[str, Any]) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(key, f"must be a list of strings (codes), not {value!r}")
            return ()
        unknown = [item for item in value if item not in vocabulary]
        if unknown:
            names = ", ".join(repr(item) for item in unknown)
            self.fail(key, f"{names} {'is' if len(unknown) == 1 else 'are'} not one of {', '.join(vocabulary)}")
            return tuple(dict.fromkeys(item for item in value if item in vocabulary))
        return tuple(dict.fromkeys(value))


def parse_answers(data: Any, tables: Tables | None = None) -> Answers:
    """Validate classification answers; raise ``AnswersError`` listing every problem by field path."""
    tables = tables or load_tables()
    check = _Checker()
    top = check.mapping(data, "", _names(Answers))

    scope_data = check.section(top, "scope", Scope)
    annex_i_data = check.section(top, "annex_i", AnnexI)
    art6_3_data = check.section(top, "art6_3", Art63)
    transparency_data = check.section(top, "transparency", Transparency)
    gpai_data = check.section(top, "gpai", Gpai)

    practices = check.codes(top, "practices", tables.practices)
    exceptions = check.codes(top, "practice_exceptions", tables.exceptions)
    for code in exceptions:
        exception = tables.exceptions[code]
        if exception.practice not in practices:
            check.fail(
                "practice_exceptions",
                f"{code!r} is an exception to {exception.practice} "
                f"({tables.practices[exception.practice].article}), which is not among the selected practices",
            )

    answers = Answers(
        scope=Scope(**check.booleans(scope_data, "scope", Scope)),
        practices=practices,
        practice_exceptions=exceptions,
        annex_i=AnnexI(
            safety_component_or_product=check.boolean(
                annex_i_data, "safety_component_or_product", "annex_i.safety_component_or_product"
            ),
            third_party_conformity_assessment=check.boolean(
                annex_i_data, "third_party_conformity_assessment", "annex_i.third_party_conformity_assessment"
            ),
            legislation=check.code(annex_i_data, "legislation", "annex_i.legislation", tables.annex_i),
        ),
        annex_iii=check.codes(top, "annex_iii", tables.annex_iii),
        art6_3=Art63(**check.booleans(art6_3_data, "art6_3", Art63)),
        transparency=Transparency(**check.booleans(transparency_data, "transparency", Transparency)),
        gpai=Gpai(
            is_general_purpose_model=check.boolean(
                gpai_data, "is_general_purpose_model", "gpai.is_general_purpose_model"
            ),
            training_compute_flops=check.flops(gpai_data, "training_compute_flops", "gpai.training_compute_flops"),
            designated_systemic_risk=check.boolean(
                gpai_data, "designated_systemic_risk", "gpai.designated_systemic_risk"
            ),
            open_weights_free_license=check.boolean(
                gpai_data, "open_weights_free_license", "gpai.open_weights_free_license"
            ),
        ),
    )
    if check.problems:
        summary = "; ".join(f"{name}: {problems[0]}" for name, problems in check.problems.items())
        raise AnswersError(f"the classification answers are invalid: {summary}", fields=check.problems)
    return answers
