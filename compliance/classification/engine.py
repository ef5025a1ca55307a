"""EU AI Act risk classification: pure functions from validated answers to a tier with reasons.

No database, no I/O beyond the cached tables, no clock: the CLI and the API call
``classify`` with the same answers and get the same result. The procedure follows the
Act's structure (reference §1.11, ADR 0007):

1. scope exclusions (Art. 2(3), 2(6), 2(10)); the Art. 2(12) open-source exclusion is
   decided last because it does not reach Art. 5, high-risk or Art. 50 systems;
2. Art. 5 prohibitions, with the exceptions the Act writes into (f) and (h);
3. high risk: Art. 6(1) + Annex I (both conditions), Art. 6(2) + Annex III with the
   Art. 6(3) derogation (never with profiling) and the Art. 6(4) / 49(2) duties it leaves;
4. Art. 50 transparency duties, on their own or on top of high risk;
5. minimal risk otherwise;
6. GPAI models (Arts. 51-55) on a separate axis.

Every outcome carries at least one reason; every obligation carries the date it applies
from, as amended by Reg. (EU) 2026/1744 where the amendment changed it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from compliance.classification.answers import Answers, Gpai, parse_answers
from compliance.classification.tables import DateBasis, ObligationRow, Practice, Tables, load_tables

SYSTEMIC_RISK_FLOPS = 10**25  # Art. 51(2): "greater than 10^25"
INDICATIVE_GPAI_FLOPS = 10**23  # Commission GPAI guidelines (reference §1.8, secondary)
_IMPLIES_SYNTHETIC_CONTENT = ("deep_fake", "public_interest_text_without_editorial_control")
_MARKING_DUTY = "art50_2_mark_synthetic_content"


class Tier(StrEnum):
    OUT_OF_SCOPE = "out_of_scope"
    PROHIBITED = "prohibited"
    HIGH_RISK = "high_risk"
    TRANSPARENCY = "transparency"
    MINIMAL = "minimal"


class GpaiClass(StrEnum):
    NONE = "none"
    GPAI = "gpai"
    SYSTEMIC_RISK = "gpai_systemic_risk"


@dataclass(frozen=True)
class Reason:
    article: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"article": self.article, "text": self.text}


@dataclass(frozen=True)
class Obligation:
    article: str
    text: str
    applies_from: datetime.date
    date_basis: DateBasis
    date_uncertain: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "text": self.text,
            "applies_from": self.applies_from.isoformat(),
            "date_basis": self.date_basis,
            "date_uncertain": self.date_uncertain,
        }


@dataclass(frozen=True)
class Classification:
    tier: Tier
    gpai: GpaiClass
    transparency_duties: tuple[str, ...]
    reasons: tuple[Reason, ...]
    obligations: tuple[Obligation, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier.value,
            "gpai": self.gpai.value,
            "transparency_duties": list(self.transparency_duties),
            "reasons": [reason.as_dict() for reason in self.reasons],
            "obligations": [obligation.as_dict() for obligation in self.obligations],
        }


@dataclass
class _Result:
    tables: Tables
    reasons: list[Reason] = field(default_factory=list)
    obligations: list[Obligation] = field(default_factory=list)

    def reason(self, article: str, text: str) -> None:
        self.reasons.append(Reason(article, text))

    def oblige(self, article: str, text: str, dates: str) -> None:
        if any(existing.article == article for existing in self.obligations):
            return  # the same article from a second route: the first (earlier-dated) row stands
        date = self.tables.date(dates)
        self.obligations.append(
            Obligation(article, f"{text} ({date.describe()})", date.in_force, date.basis, date.uncertain)
        )

    def oblige_rows(self, rows: tuple[ObligationRow, ...], points: tuple[str, ...] = ()) -> None:
        for row in rows:
            if row.applies_to_points(points):
                self.oblige(row.article, row.text, row.dates)


def classify(answers: Answers, tables: Tables | None = None) -> Classification:
    """Classify one AI system (and, on the GPAI axis, its model) under the EU AI Act."""
    result = _Result(tables or load_tables())
    tier, duties = _classify_system(answers, result)
    gpai = _classify_gpai(answers, result)
    return Classification(tier, gpai, duties, tuple(result.reasons), tuple(result.obligations))


def classify_answers(data: Any) -> dict[str, Any]:
    """Validate answers JSON and classify it, as the CLI and the API both run it."""
    tables = load_tables()
    return classify(parse_answers(data, tables), tables).as_dict()


# ---- the AI system ----------------------------------------------------------------------------------------


def _classify_system(answers: Answers, r: _Result) -> tuple[Tier, tuple[str, ...]]:
    if _scope_excluded(answers, r):
        return Tier.OUT_OF_SCOPE, ()
    inferred_points, inferred_duties, prohibited = _prohibitions(answers, r)
    if prohibited:
        _prohibited(answers, prohibited, r)
        return Tier.PROHIBITED, ()

    annex_i_high = _annex_i(answers, r)
    points = tuple(dict.fromkeys((*answers.annex_iii, *inferred_points)))
    annex_iii_high, derogated = _annex_iii(answers, points, r)
    high_risk = annex_i_high or annex_iii_high
    duties = _transparency(answers, inferred_duties, points, r)

    if not _open_source_covered(answers, high_risk=high_risk, duties=duties, derogated=derogated, r=r):
        return Tier.OUT_OF_SCOPE, ()
    if high_risk:
        tier = Tier.HIGH_RISK
        if annex_iii_high:
            r.oblige_rows(r.tables.obligations["high_risk_annex_iii"], points)
        if annex_i_high:
            section_b = _annex_i_section(answers, r) == "B"
            r.oblige_rows(r.tables.obligations[f"high_risk_annex_i_section_{'b' if section_b else 'a'}"])
    elif duties:
        tier = Tier.TRANSPARENCY
        r.reason(
            "Art. 50",
            "Not prohibited and not high-risk, but Art. 50 transparency duties apply: "
            + ", ".join(r.tables.transparency[code].article for code in duties)
            + ".",
        )
    else:
        tier = Tier.MINIMAL
        r.reason(
            "Arts. 4, 95",
            "No prohibited practice, not high-risk under Art. 6 and no Art. 50 trigger: minimal risk. "
            "No specific obligations beyond AI literacy (Art. 4); voluntary codes of conduct may be followed (Art. 95).",
        )
    if derogated:
        r.oblige_rows(r.tables.obligations["art6_3_derogation"])
    for code in duties:
        duty = r.tables.transparency[code]
        r.oblige(duty.article, duty.text, duty.dates)
        if code == _MARKING_DUTY:
            r.oblige_rows(r.tables.obligations["transparency_50_2_legacy"])
    r.oblige_rows(r.tables.obligations["all_in_scope"])
    return tier, duties


def _open_source_covered(
    answers: Answers, *, high_risk: bool, duties: tuple[str, ...], derogated: bool, r: _Result
) -> bool:
    """Art. 2(12): False when the free and open-source exclusion takes the system out of scope."""
    if not answers.scope.free_open_source_release:
        return True
    if high_risk or duties:
        what = "a high-risk AI system" if high_risk else "an AI system that falls under Art. 50"
        r.reason(
            "Art. 2(12)",
            f"Released under a free and open-source licence, but the exclusion does not cover {what}: the "
            "Regulation applies.",
        )
        return True
    r.reason(
        "Art. 2(12)",
        "Released under a free and open-source licence and neither prohibited (Art. 5), nor high-risk, nor "
        "subject to Art. 50: the Regulation does not apply to the system.",
    )
    if derogated:
        r.reason(
            "Art. 2(12); Art. 6(3)-(4)",
            "Conservative reading: the system is outside high risk only by the provider's Art. 6(3) assessment, "
            "so that assessment is still documented (Art. 6(4)) and registered (Art. 49(2)).",
        )
        r.oblige_rows(r.tables.obligations["art6_3_derogation"])
    return False


def _scope_excluded(answers: Answers, r: _Result) -> bool:
    scope = answers.scope
    excluded = False
    if scope.military_defence_or_national_security_only:
        excluded = True
        r.reason(
            "Art. 2(3)",
            "Placed on the market, put into service or used exclusively for military, defence or national security "
            "purposes: the Regulation does not apply to the system.",
        )
    if scope.scientific_research_only:
        excluded = True
        r.reason(
            "Art. 2(6)",
            "Specifically developed and put into service for the sole purpose of scientific research and "
            "development: the Regulation does not apply to the system or model, nor to its output.",
        )
    if scope.personal_non_professional:
        excluded = True
        r.reason(
            "Art. 2(10); Art. 3(4)",
            "Used by a natural person in a purely personal non-professional activity: the Regulation does not apply "
            "to that use (such a person is not a deployer). Whoever places the system on the market or puts it into "
            "service for others is classified separately, prohibitions included.",
        )
    if excluded and _has_system_answers(answers):
        r.reason(
            "Art. 2",
            "The practices, Annex I / Annex III and Art. 50 answers were not assessed because the Regulation does "
            "not apply to the system.",
        )
    return excluded


def _has_system_answers(answers: Answers) -> bool:
    return bool(
        answers.practices
        or answers.annex_iii
        or answers.annex_i.safety_component_or_product
        or answers.annex_i.third_party_conformity_assessment
        or any(vars(answers.transparency).values())
    )


def _prohibitions(answers: Answers, r: _Result) -> tuple[tuple[str, ...], tuple[str, ...], list[Practice]]:
    """Art. 5(1): the practices that stay prohibited, and what the excepted ones still are."""
    inferred_points: list[str] = []
    inferred_duties: list[str] = []
    prohibited: list[Practice] = []
    for code in answers.practices:
        practice = r.tables.practices[code]
        exceptions = [
            r.tables.exceptions[name]
            for name in answers.practice_exceptions
            if r.tables.exceptions[name].practice == code
        ]
        if not exceptions:
            prohibited.append(practice)
            continue
        for exception in exceptions:
            r.reason(
                exception.article,
                f"The practice ({practice.text}) falls under the exception of {exception.article}: {exception.text}. "
                "It is not prohibited.",
            )
            inferred_points.extend(exception.infers)
            inferred_duties.extend(exception.duties)
        points = sorted({point for exception in exceptions for point in exception.infers})
        if points:
            names = ", ".join(r.tables.annex_iii[point].article for point in points)
            r.reason(
                practice.article,
                f"The excepted system still does what the practice describes, so it is listed in {names} (Art. 6(2)).",
            )
        if code == "realtime_remote_biometric_id_law_enforcement":
            r.oblige_rows(r.tables.obligations["realtime_rbi_exception"])
    return tuple(inferred_points), tuple(inferred_duties), prohibited


def _prohibited(answers: Answers, prohibited: list[Practice], r: _Result) -> None:
    for practice in prohibited:
        dates = r.tables.date(practice.dates)
        when = "" if dates.amended is None else " This prohibition was added by Reg. (EU) 2026/1744."
        r.reason(
            practice.article,
            f"Prohibited practice: {practice.text}. No exception the Act provides for this point was given.{when}",
        )
        r.oblige(
            practice.article,
            f"Prohibited: {practice.prohibits} of an AI system for this practice is banned (fines up to EUR 35m or "
            "7% of worldwide annual turnover, Art. 99(3))",
            practice.dates,
        )
    if any(r.tables.date(practice.dates).original is None for practice in prohibited):
        r.oblige_rows(r.tables.obligations["prohibited_ba_bb"])
    if answers.scope.free_open_source_release:
        r.reason(
            "Art. 2(12)",
            "Released under a free and open-source licence, but the exclusion does not cover a system that falls "
            "under Art. 5.",
        )
    r.reason(
        "Art. 5",
        "A prohibited system may not be placed on the market, put into service or used, so the high-risk and "
        "Art. 50 questions were not assessed.",
    )


def _annex_i_section(answers: Answers, r: _Result) -> str:
    code = answers.annex_i.legislation
    return "A" if code is None else r.tables.annex_i[code].in_force.section


def _annex_i(answers: Answers, r: _Result) -> bool:
    """Art. 6(1): high-risk only if both conditions hold."""
    annex_i = answers.annex_i
    component, third_party = annex_i.safety_component_or_product, annex_i.third_party_conformity_assessment
    legislation = r.tables.annex_i[annex_i.legislation] if annex_i.legislation else None
    if component and third_party:
        if legislation is None:
            r.reason(
                "Art. 6(1); Annex I",
                "A safety component of a product, or itself a product, covered by Annex I legislation that must "
                "undergo third-party conformity assessment: high-risk. The legislation was not named; conservative "
                "reading: treated as Annex I Section A, where Chapter III applies in full.",
            )
            return True
        entry = legislation.in_force
        moved = ""
        if legislation.amended is not None:
            moved = (
                f" (originally Annex I Section {legislation.original.section} point {legislation.original.point}, "
                f"{legislation.original.act}; as amended by Reg. (EU) 2026/1744)"
            )
        r.reason(
            "Art. 6(1); Annex I",
            f"A safety component of a product, or itself a product, covered by {entry.act}, Annex I Section "
            f"{entry.section} point {entry.point}{moved}, that must undergo third-party conformity assessment: "
            "high-risk (both conditions of Art. 6(1) hold; Art. 6(1a)-(1c) narrow what counts as a safety component).",
        )
        if entry.section == "B":
            r.reason(
                "Art. 2(2)",
                "Annex I Section B legislation: of this Regulation only Art. 6(1), Arts. 102-109 and 112 apply to the "
                "system. Conservative reading: the Art. 50 duties are still listed where triggered.",
            )
        return True
    if component or third_party:
        held = "the safety-component-or-product condition" if component else "the third-party conformity condition"
        missing = "third-party conformity assessment" if component else "an Annex I safety component or product"
        r.reason(
            "Art. 6(1)",
            f"Only {held} holds; Art. 6(1) needs both, and {missing} is missing: not high-risk through Annex I.",
        )
    elif legislation is not None:
        r.reason(
            "Art. 6(1)",
            f"The product falls under {legislation.in_force.act}, but the system is neither its safety component nor "
            "the product, nor subject to third-party conformity assessment: not high-risk through Annex I.",
        )
    return False


def _annex_iii(answers: Answers, points: tuple[str, ...], r: _Result) -> tuple[bool, bool]:
    """Art. 6(2) + Annex III, with the Art. 6(3) derogation. Returns (high_risk, derogated)."""
    art6_3 = answers.art6_3
    if not points:
        if art6_3.conditions_met or art6_3.profiling_of_natural_persons:
            r.reason("Art. 6(3)", "The Art. 6(3) answers were not used: no Annex III point was selected.")
        return False, False
    for code in points:
        point = r.tables.annex_iii[code]
        r.reason(f"Art. 6(2); {point.article}", f"Annex III area {point.area}: {point.text}.")
    conditions = ", ".join(art6_3.conditions_met)
    profiling_points = [r.tables.annex_iii[code].article for code in points if r.tables.annex_iii[code].profiling]
    if art6_3.profiling_of_natural_persons or profiling_points:
        why = (
            "The system performs profiling of natural persons"
            if art6_3.profiling_of_natural_persons
            else f"{', '.join(profiling_points)} is by its terms the profiling of natural persons"
        )
        also = f" The derogation conditions given ({conditions}) do not change that." if conditions else ""
        r.reason(
            "Art. 6(3), third subparagraph",
            f"{why}: an Annex III system that profiles is always high-risk.{also}",
        )
        return True, False
    if conditions:
        r.reason(
            "Art. 6(3)",
            f"Derogation: the system meets Art. 6(3) condition(s) {conditions} and does not profile natural persons, "
            "so it is not high-risk, on the premise that it poses no significant risk of harm to health, safety or "
            "fundamental rights, including by not materially influencing decisions. The provider documents this "
            "assessment (Art. 6(4)) and registers the system (Art. 49(2)).",
        )
        return False, True
    r.reason(
        "Art. 6(2)-(3)",
        "None of the Art. 6(3) conditions (a)-(d) holds, so the derogation is not available: high-risk.",
    )
    return True, False


def _transparency(answers: Answers, inferred: tuple[str, ...], points: tuple[str, ...], r: _Result) -> tuple[str, ...]:
    triggered = {code for code, duty in r.tables.transparency.items() if getattr(answers.transparency, duty.trigger)}
    for code in inferred:
        if code not in triggered:
            triggered.add(code)
            r.reason(
                r.tables.transparency[code].article,
                "The excepted Art. 5 practice is an emotion recognition system, so its deployers inform the persons "
                "exposed.",
            )
    implied = [name for name in _IMPLIES_SYNTHETIC_CONTENT if getattr(answers.transparency, name)]
    if implied and _MARKING_DUTY not in triggered:
        triggered.add(_MARKING_DUTY)
        r.reason(
            "Art. 50(2)",
            f"{' and '.join(implied)} means the system generates or manipulates content, so its provider also marks "
            "the output as artificially generated (conservative reading).",
        )
    if answers.transparency.emotion_recognition_or_biometric_categorisation and not {"1b", "1c"} & set(points):
        r.reason(
            "Art. 50(3); Annex III point 1",
            "Emotion recognition systems are listed in Annex III point 1(c), and biometric categorisation by "
            "sensitive attributes in point 1(b): if either describes the system, select it under annex_iii.",
        )
    duties = tuple(code for code in r.tables.transparency if code in triggered)
    if duties:
        r.reason(
            "Art. 50; Art. 50(6)",
            "Art. 50 duties triggered: " + ", ".join(duties) + ". They apply on their own and on top of any "
            "high-risk requirements.",
        )
    return duties


# ---- the GPAI model ------------------------------------------------------------------------------------------


def _exact(flops: float) -> Decimal:
    """The number as written: JSON 1e25 is read as a float, which must compare equal to 10^25, not greater."""
    return Decimal(repr(flops)) if isinstance(flops, float) else Decimal(flops)


def _exceeds(flops: float, threshold: int) -> bool:
    return _exact(flops) > threshold


def _classify_gpai(answers: Answers, r: _Result) -> GpaiClass:
    gpai = answers.gpai
    if answers.scope.scientific_research_only:
        r.reason(
            "Art. 2(6); Art. 3(63)",
            "A model developed for the sole purpose of scientific research and development is outside the "
            "Regulation: no GPAI obligations.",
        )
        return GpaiClass.NONE
    if not gpai.is_general_purpose_model and not gpai.designated_systemic_risk:
        note = ""
        compute = gpai.training_compute_flops
        if compute is not None and _exceeds(compute, INDICATIVE_GPAI_FLOPS):
            note = (
                " Training compute above 10^23 FLOP with generative capability is the Commission's indicative "
                "criterion for a GPAI model (rebuttable); review the answer."
            )
        r.reason(
            "Art. 3(63)",
            f"Not a general-purpose AI model (no significant generality across a wide range of tasks): no "
            f"Chapter V obligations.{note}",
        )
        return GpaiClass.NONE
    if answers.scope.military_defence_or_national_security_only or answers.scope.personal_non_professional:
        r.reason(
            "Art. 2(3); Art. 2(10)",
            "The scope exclusions name AI systems and their use; the model's provider keeps its Chapter V "
            "obligations (conservative reading).",
        )
    if gpai.designated_systemic_risk and not gpai.is_general_purpose_model:
        r.reason(
            "Art. 51(1)(b); Art. 52(4)",
            "Designated by the Commission as a GPAI model with systemic risk although not answered as a GPAI model: "
            "the designation presupposes one, so it is classified as designated (conservative reading).",
        )
    compute = gpai.training_compute_flops
    presumed = compute is not None and _exceeds(compute, SYSTEMIC_RISK_FLOPS)
    if presumed or gpai.designated_systemic_risk:
        _systemic_risk(gpai, presumed, r)
        return GpaiClass.SYSTEMIC_RISK
    _plain_gpai(gpai, r)
    return GpaiClass.GPAI


def _systemic_risk(gpai: Gpai, presumed: bool, r: _Result) -> None:
    if presumed:
        r.reason(
            "Art. 51(2); Art. 51(1)(a)",
            f"Cumulative training compute of {float(gpai.training_compute_flops or 0):.3g} FLOP is greater than "
            "10^25: high-impact capabilities are presumed, so the model is a GPAI model with systemic risk.",
        )
    if gpai.designated_systemic_risk:
        r.reason(
            "Art. 51(1)(b)",
            "Designated by the Commission as having capabilities or impact equivalent to high-impact "
            "capabilities (Annex XIII criteria): GPAI model with systemic risk.",
        )
    if gpai.open_weights_free_license:
        r.reason(
            "Art. 53(2); Art. 54(6)",
            "Released with open weights under a free and open-source licence, but the exemptions from "
            "Art. 53(1)(a)-(b) and Art. 54 do not apply to GPAI models with systemic risk.",
        )
    r.oblige_rows(r.tables.obligations["gpai"])
    for row in r.tables.obligations["gpai_systemic_risk"]:
        if presumed or not row.presumption_only:
            r.oblige(row.article, row.text, row.dates)


def _plain_gpai(gpai: Gpai, r: _Result) -> None:
    compute = gpai.training_compute_flops
    if compute is None:
        compute_note = (
            "Training compute not given: if it is greater than 10^25 FLOP, systemic risk is presumed (Art. 51(2)) "
            "and the Commission must be notified within two weeks (Art. 52(1))."
        )
    elif _exact(compute) == SYSTEMIC_RISK_FLOPS:
        compute_note = (
            "Training compute of exactly 10^25 FLOP is not greater than 10^25, so high-impact capabilities are not "
            "presumed (Art. 51(2) says 'greater than'); they may still be found by evaluation (Art. 51(1)(a)), and "
            "the Commission is notified once it becomes known that the threshold will be met (Art. 52(1))."
        )
    else:
        compute_note = f"Training compute of {float(compute):.3g} FLOP is not greater than 10^25: no presumption."
    r.reason(
        "Art. 51",
        f"A general-purpose AI model without systemic risk (not designated by the Commission). {compute_note}",
    )
    exempt = gpai.open_weights_free_license
    if exempt:
        r.reason(
            "Art. 53(2); Art. 54(6)",
            "Released under a free and open-source licence with the weights, architecture and usage information "
            "public: Art. 53(1)(a)-(b) documentation and the Art. 54 authorised representative do not apply; the "
            "copyright policy and the training-content summary (Art. 53(1)(c)-(d)) still do. Conservative reading: "
            "the exemption is lost if the model is monetised (reference §1.9, §9 item 6).",
        )
    for row in r.tables.obligations["gpai"]:
        if not (exempt and row.open_source_exempt):
            r.oblige(row.article, row.text, row.dates)
