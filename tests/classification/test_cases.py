"""Classification cases written from the Act's text (reference §1, §6, §9), run through the engine.

Each case names the answers, the expected tier and GPAI class and, where the law fixes them,
the transparency duties (exactly), the articles that must be cited among the reasons, the
obligations that must be present with the date they apply from, and those that must be absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from compliance.classification.answers import parse_answers
from compliance.classification.engine import classify, classify_answers
from compliance.classification.tables import ANNEX_III_CODES, load_tables


@dataclass(frozen=True)
class Case:
    name: str
    answers: dict[str, Any]
    tier: str
    gpai: str = "none"
    duties: tuple[str, ...] | None = None  # exactly these, in this order; None: not checked
    cites: tuple[str, ...] = ()  # each must be (part of) some reason's article
    obligations: dict[str, str] = field(default_factory=dict)  # article -> applies_from
    absent: tuple[str, ...] = ()  # obligation articles that must not be present
    basis: dict[str, str] = field(default_factory=dict)  # article -> date_basis
    no_obligations: bool = False


def _practice(code: str, *exceptions: str, **extra: Any) -> dict[str, Any]:
    return {"practices": [code], "practice_exceptions": list(exceptions), **extra}


CHATBOT = {"transparency": {"interacts_with_natural_persons": True}}
GPAI = "gpai"
SYSTEMIC = "gpai_systemic_risk"


def _gpai(**values: Any) -> dict[str, Any]:
    return {"gpai": {"is_general_purpose_model": True, **values}}


CASES = [
    # ---- the examples ----------------------------------------------------------------------------
    Case(
        "spam filter (all defaults) is minimal risk",
        {},
        "minimal",
        duties=(),
        cites=("Arts. 4, 95", "Art. 3(63)"),
        obligations={"Art. 4": "2025-02-02"},
        absent=("Arts. 8-15", "Art. 50(1)"),
    ),
    Case(
        "CV-ranking tool (Annex III 4(a)) is high-risk",
        {"annex_iii": ["4a"]},
        "high_risk",
        duties=(),
        cites=("Annex III point 4(a)", "Art. 6(2)-(3)"),
        obligations={
            "Arts. 8-15": "2027-12-02",
            "Arts. 16-22": "2027-12-02",
            "Art. 26": "2027-12-02",
            "Art. 26(7)": "2027-12-02",
            "Art. 27": "2027-12-02",
            "Art. 43(2)": "2026-08-02",
            "Art. 49(1)": "2026-08-02",
            "Arts. 72-73": "2026-08-02",
            "Art. 4": "2025-02-02",
        },
        absent=("Art. 43(1)", "Art. 49(5)", "Art. 14(5); Art. 12(3)", "Art. 6(4)"),
        basis={"Arts. 8-15": "amended", "Art. 43(2)": "original"},
    ),
    Case(
        "customer-support chatbot has the Art. 50(1) duty",
        CHATBOT,
        "transparency",
        duties=("art50_1_disclose_ai_interaction",),
        cites=("Art. 50",),
        obligations={"Art. 50(1)": "2026-08-02", "Art. 4": "2025-02-02"},
        absent=("Arts. 8-15",),
        basis={"Art. 50(1)": "original"},
    ),
    Case(
        "GPAI model trained with 3e25 FLOP has systemic risk",
        _gpai(training_compute_flops=3e25),
        "minimal",
        SYSTEMIC,
        cites=("Art. 51(2)",),
        obligations={
            "Art. 52(1)": "2025-08-02",
            "Art. 53(1)(a)": "2025-08-02",
            "Art. 55(1)(a)": "2025-08-02",
            "Art. 55(1)(d)": "2025-08-02",
        },
    ),
    # ---- Art. 5: every practice without an exception ---------------------------------------------------------
    Case(
        "(a) subliminal manipulation",
        _practice("subliminal_manipulation"),
        "prohibited",
        duties=(),
        cites=("Art. 5(1)(a)",),
        obligations={"Art. 5(1)(a)": "2025-02-02"},
        absent=("Art. 4",),
    ),
    Case(
        "(b) exploiting vulnerabilities",
        _practice("exploiting_vulnerabilities"),
        "prohibited",
        cites=("Art. 5(1)(b)",),
        obligations={"Art. 5(1)(b)": "2025-02-02"},
    ),
    Case(
        "(ba) non-consensual intimate imagery, added by the amendment, from 2 Dec 2026",
        _practice("non_consensual_intimate_imagery"),
        "prohibited",
        cites=("Art. 5(1)(ba)",),
        obligations={"Art. 5(1)(ba)": "2026-12-02", "Art. 5(1a)-(1b)": "2026-12-02"},
        basis={"Art. 5(1)(ba)": "amended"},
    ),
    Case(
        "(bb) child sexual abuse material, added by the amendment, from 2 Dec 2026",
        _practice("child_sexual_abuse_material"),
        "prohibited",
        cites=("Art. 5(1)(bb)",),
        obligations={"Art. 5(1)(bb)": "2026-12-02"},
        basis={"Art. 5(1)(bb)": "amended"},
    ),
    Case(
        "(c) social scoring",
        _practice("social_scoring"),
        "prohibited",
        cites=("Art. 5(1)(c)",),
        obligations={"Art. 5(1)(c)": "2025-02-02"},
        basis={"Art. 5(1)(c)": "original"},
        absent=("Art. 5(1a)-(1b)",),
    ),
    Case(
        "(d) crime prediction based solely on profiling",
        _practice("crime_risk_profiling_only"),
        "prohibited",
        cites=("Art. 5(1)(d)",),
        obligations={"Art. 5(1)(d)": "2025-02-02"},
    ),
    Case(
        "(e) untargeted scraping of facial images",
        _practice("untargeted_facial_scraping"),
        "prohibited",
        cites=("Art. 5(1)(e)",),
        obligations={"Art. 5(1)(e)": "2025-02-02"},
    ),
    Case(
        "(f) emotion recognition at work without a medical or safety reason",
        _practice("emotion_recognition_workplace_education"),
        "prohibited",
        duties=(),
        cites=("Art. 5(1)(f)",),
        absent=("Art. 50(3)",),
    ),
    Case(
        "(g) biometric categorisation by sensitive attributes",
        _practice("biometric_categorisation_sensitive"),
        "prohibited",
        cites=("Art. 5(1)(g)",),
    ),
    Case(
        "(h) real-time remote biometric identification for law enforcement, no objective",
        _practice("realtime_remote_biometric_id_law_enforcement"),
        "prohibited",
        cites=("Art. 5(1)(h)",),
        absent=("Art. 5(2)", "Art. 5(3)"),
    ),
    # ---- Art. 5: with the exceptions -----------------------------------------------------------------------
    Case(
        "(f) for medical or safety reasons: not prohibited, still emotion recognition (Annex III 1(c), Art. 50(3))",
        _practice("emotion_recognition_workplace_education", "medical_or_safety_reasons"),
        "high_risk",
        duties=("art50_3_inform_exposed_persons",),
        cites=("Art. 5(1)(f)", "Annex III point 1(c)"),
        obligations={"Art. 50(3)": "2026-08-02", "Art. 43(1)": "2026-08-02", "Arts. 8-15": "2027-12-02"},
        absent=("Art. 5(1)(f)",),
    ),
    Case(
        "(h)(i) targeted victim search: allowed under the Art. 5(2)-(7) safeguards, high-risk RBI",
        _practice("realtime_remote_biometric_id_law_enforcement", "targeted_victim_search"),
        "high_risk",
        duties=(),
        cites=("Art. 5(1)(h)(i)", "Annex III point 1(a)"),
        obligations={
            "Art. 5(2)": "2025-02-02",
            "Art. 5(3)": "2025-02-02",
            "Art. 5(4)-(6)": "2025-02-02",
            "Art. 14(5); Art. 12(3)": "2027-12-02",
            "Art. 43(1)": "2026-08-02",
        },
        absent=("Art. 5(1)(h)",),
    ),
    Case(
        "(h)(ii) imminent threat prevention",
        _practice("realtime_remote_biometric_id_law_enforcement", "imminent_threat_prevention"),
        "high_risk",
        cites=("Art. 5(1)(h)(ii)",),
        obligations={"Art. 5(3)": "2025-02-02"},
    ),
    Case(
        "(h)(iii) serious crime suspect localisation",
        _practice("realtime_remote_biometric_id_law_enforcement", "serious_crime_suspect_localisation"),
        "high_risk",
        cites=("Art. 5(1)(h)(iii)",),
        obligations={"Art. 5(2)": "2025-02-02"},
    ),
    Case(
        "(h) with two objectives: still allowed",
        _practice(
            "realtime_remote_biometric_id_law_enforcement", "targeted_victim_search", "imminent_threat_prevention"
        ),
        "high_risk",
        cites=("Art. 5(1)(h)(i)", "Art. 5(1)(h)(ii)"),
    ),
    Case(
        "an excepted (f) does not save a second, unexcepted practice",
        {
            "practices": ["emotion_recognition_workplace_education", "subliminal_manipulation"],
            "practice_exceptions": ["medical_or_safety_reasons"],
        },
        "prohibited",
        duties=(),
        cites=("Art. 5(1)(a)",),
        obligations={"Art. 5(1)(a)": "2025-02-02"},
        absent=("Art. 5(1)(f)", "Art. 50(3)"),
    ),
    Case(
        "a prohibited practice outranks high-risk and transparency answers",
        {**_practice("social_scoring"), "annex_iii": ["5b"], **CHATBOT},
        "prohibited",
        duties=(),
        absent=("Arts. 8-15", "Art. 50(1)"),
    ),
    # ---- Annex I route: both conditions ------------------------------------------------------------------
    Case(
        "medical device software with notified-body assessment: high-risk (Annex I Section A)",
        {
            "annex_i": {
                "safety_component_or_product": True,
                "third_party_conformity_assessment": True,
                "legislation": "medical_devices",
            }
        },
        "high_risk",
        duties=(),
        cites=("Art. 6(1); Annex I",),
        obligations={"Arts. 8-15": "2028-08-02", "Art. 43(3)": "2027-08-02", "Arts. 72-73": "2027-08-02"},
        absent=("Art. 49(1)", "Art. 27"),
        basis={"Arts. 8-15": "amended", "Art. 43(3)": "original"},
    ),
    Case(
        "Annex I product without third-party conformity assessment is not high-risk",
        {"annex_i": {"safety_component_or_product": True, "legislation": "toys"}},
        "minimal",
        cites=("Art. 6(1)",),
        absent=("Arts. 8-15",),
    ),
    Case(
        "third-party conformity assessment without a safety component is not high-risk",
        {"annex_i": {"third_party_conformity_assessment": True, "legislation": "lifts"}},
        "minimal",
        cites=("Art. 6(1)",),
    ),
    Case(
        "naming Annex I legislation alone is not high-risk",
        {"annex_i": {"legislation": "radio_equipment"}},
        "minimal",
        cites=("Art. 6(1)",),
    ),
    Case(
        "both conditions without a named act: high-risk, treated as Section A (conservative)",
        {"annex_i": {"safety_component_or_product": True, "third_party_conformity_assessment": True}},
        "high_risk",
        obligations={"Arts. 8-15": "2028-08-02"},
        absent=("Art. 2(2); Art. 6(1); Arts. 102-109",),
    ),
    Case(
        "machinery moved to Section B by the amendment: only Art. 6(1), Arts. 102-109, 112 apply (Art. 2(2))",
        {
            "annex_i": {
                "safety_component_or_product": True,
                "third_party_conformity_assessment": True,
                "legislation": "machinery",
            }
        },
        "high_risk",
        cites=("Art. 2(2)",),
        obligations={"Art. 2(2); Art. 6(1); Arts. 102-109": "2028-08-02"},
        absent=("Arts. 8-15", "Art. 43(3)"),
    ),
    Case(
        "motor vehicle safety component (Section B) is high-risk under Art. 6(1)",
        {
            "annex_i": {
                "safety_component_or_product": True,
                "third_party_conformity_assessment": True,
                "legislation": "motor_vehicles_type_approval",
            }
        },
        "high_risk",
        cites=("Art. 2(2)",),
        obligations={"Art. 2(2); Art. 6(1); Arts. 102-109": "2028-08-02"},
    ),
    Case(
        "Annex I and Annex III together: the Annex III dates (earlier) stand for shared obligations",
        {
            "annex_iii": ["5d"],
            "annex_i": {
                "safety_component_or_product": True,
                "third_party_conformity_assessment": True,
                "legislation": "medical_devices",
            },
        },
        "high_risk",
        obligations={"Arts. 8-15": "2027-12-02", "Art. 43(2)": "2026-08-02", "Art. 43(3)": "2027-08-02"},
    ),
    # ---- Annex III: each area --------------------------------------------------------------------------------
    Case(
        "1(a) remote biometric identification: two-person verification, notified body route",
        {"annex_iii": ["1a"]},
        "high_risk",
        cites=("Annex III point 1(a)",),
        obligations={"Art. 14(5); Art. 12(3)": "2027-12-02", "Art. 43(1)": "2026-08-02", "Art. 49(1)": "2026-08-02"},
        absent=("Art. 43(2)",),
    ),
    Case(
        "2 critical infrastructure: national registration, no FRIA, no Art. 86",
        {"annex_iii": ["2"]},
        "high_risk",
        cites=("Annex III point 2",),
        obligations={"Art. 49(5)": "2026-08-02", "Art. 43(2)": "2026-08-02"},
        absent=("Art. 27", "Art. 49(1)", "Art. 86"),
    ),
    Case(
        "3(b) evaluating learning outcomes",
        {"annex_iii": ["3b"]},
        "high_risk",
        cites=("Annex III point 3(b)",),
        obligations={"Art. 27": "2027-12-02", "Art. 86": "2026-08-02"},
        absent=("Art. 26(7)",),
    ),
    Case(
        "4(b) monitoring workers' performance",
        {"annex_iii": ["4b"]},
        "high_risk",
        cites=("Annex III point 4(b)",),
        obligations={"Art. 26(7)": "2027-12-02"},
    ),
    Case(
        "5(b) credit scoring: FRIA for every deployer",
        {"annex_iii": ["5b"]},
        "high_risk",
        cites=("Annex III point 5(b)",),
        obligations={"Art. 27": "2027-12-02"},
    ),
    Case(
        "6(d) re-offending risk not solely by profiling",
        {"annex_iii": ["6d"]},
        "high_risk",
        cites=("Annex III point 6(d)",),
    ),
    Case(
        "7(c) asylum application examination",
        {"annex_iii": ["7c"]},
        "high_risk",
        cites=("Annex III point 7(c)",),
    ),
    Case(
        "8(b) influencing elections",
        {"annex_iii": ["8b"]},
        "high_risk",
        cites=("Annex III point 8(b)",),
    ),
    Case(
        "points 1 and 2 together: both conformity routes and both registrations",
        {"annex_iii": ["1c", "2"]},
        "high_risk",
        obligations={"Art. 43(1)": "2026-08-02", "Art. 43(2)": "2026-08-02", "Art. 49(1)": "2026-08-02"},
    ),
    # ---- Art. 6(3) derogation and the profiling override ----------------------------------------------------
    Case(
        "6(3)(a) narrow procedural task: not high-risk; Art. 6(4) documentation and Art. 49(2) registration",
        {"annex_iii": ["4a"], "art6_3": {"narrow_procedural_task": True}},
        "minimal",
        cites=("Art. 6(3)", "Annex III point 4(a)"),
        obligations={"Art. 6(4)": "2027-12-02", "Art. 49(2)": "2026-08-02", "Art. 4": "2025-02-02"},
        absent=("Arts. 8-15", "Art. 49(1)"),
        basis={"Art. 6(4)": "amended", "Art. 49(2)": "original"},
    ),
    Case(
        "6(3)(b) improves a completed human activity",
        {"annex_iii": ["3b"], "art6_3": {"improves_completed_human_activity": True}},
        "minimal",
        obligations={"Art. 6(4)": "2027-12-02"},
        absent=("Arts. 8-15",),
    ),
    Case(
        "6(3)(c) detects decision patterns without replacing human review",
        {"annex_iii": ["8a"], "art6_3": {"detects_patterns_without_replacing_human_review": True}},
        "minimal",
        obligations={"Art. 6(4)": "2027-12-02", "Art. 49(2)": "2026-08-02"},
    ),
    Case(
        "6(3)(d) preparatory task",
        {"annex_iii": ["5a"], "art6_3": {"preparatory_task": True}},
        "minimal",
        obligations={"Art. 6(4)": "2027-12-02"},
    ),
    Case(
        "profiling overrides every derogation condition",
        {
            "annex_iii": ["4a"],
            "art6_3": {
                "narrow_procedural_task": True,
                "improves_completed_human_activity": True,
                "detects_patterns_without_replacing_human_review": True,
                "preparatory_task": True,
                "profiling_of_natural_persons": True,
            },
        },
        "high_risk",
        cites=("Art. 6(3), third subparagraph",),
        obligations={"Arts. 8-15": "2027-12-02"},
        absent=("Art. 6(4)", "Art. 49(2)"),
    ),
    Case(
        "profiling alone: high-risk",
        {"annex_iii": ["5c"], "art6_3": {"profiling_of_natural_persons": True}},
        "high_risk",
        cites=("Art. 6(3), third subparagraph",),
    ),
    Case(
        "Annex III 6(e) is profiling by its terms: no derogation even without the profiling answer",
        {"annex_iii": ["6e"], "art6_3": {"narrow_procedural_task": True}},
        "high_risk",
        cites=("Art. 6(3), third subparagraph", "Annex III point 6(e)"),
        absent=("Art. 6(4)",),
    ),
    Case(
        "derogation conditions without an Annex III point change nothing",
        {"art6_3": {"narrow_procedural_task": True, "profiling_of_natural_persons": True}},
        "minimal",
        cites=("Art. 6(3)",),
        absent=("Art. 6(4)",),
    ),
    Case(
        "derogated Annex III system that is also a chatbot: transparency, derogation duties kept",
        {"annex_iii": ["4a"], "art6_3": {"preparatory_task": True}, **CHATBOT},
        "transparency",
        duties=("art50_1_disclose_ai_interaction",),
        obligations={"Art. 50(1)": "2026-08-02", "Art. 6(4)": "2027-12-02", "Art. 49(2)": "2026-08-02"},
    ),
    Case(
        "a derogation does not lift an Annex I classification",
        {
            "annex_iii": ["5d"],
            "art6_3": {"narrow_procedural_task": True},
            "annex_i": {
                "safety_component_or_product": True,
                "third_party_conformity_assessment": True,
                "legislation": "medical_devices",
            },
        },
        "high_risk",
        obligations={"Arts. 8-15": "2028-08-02", "Art. 6(4)": "2027-12-02"},
        absent=("Art. 49(1)",),
    ),
    # ---- Art. 50: each duty alone, and on top of high risk ------------------------------------------------
    Case(
        "50(2) synthetic content generator: marking, with the Art. 111(4) transition (amended)",
        {"transparency": {"generates_synthetic_content": True}},
        "transparency",
        duties=("art50_2_mark_synthetic_content",),
        obligations={"Art. 50(2)": "2026-08-02", "Art. 111(4)": "2026-12-02"},
        basis={"Art. 50(2)": "original", "Art. 111(4)": "amended"},
    ),
    Case(
        "50(3) emotion recognition or biometric categorisation deployment",
        {"transparency": {"emotion_recognition_or_biometric_categorisation": True}},
        "transparency",
        duties=("art50_3_inform_exposed_persons",),
        cites=("Art. 50(3); Annex III point 1",),
        obligations={"Art. 50(3)": "2026-08-02"},
    ),
    Case(
        "50(4) deep fake: disclosure, and the content is generated so 50(2) marking too",
        {"transparency": {"deep_fake": True}},
        "transparency",
        duties=("art50_2_mark_synthetic_content", "art50_4_disclose_deep_fake"),
        obligations={"Art. 50(4), first subparagraph": "2026-08-02", "Art. 50(2)": "2026-08-02"},
    ),
    Case(
        "50(4) second subparagraph: public-interest text without editorial control",
        {"transparency": {"public_interest_text_without_editorial_control": True}},
        "transparency",
        duties=("art50_2_mark_synthetic_content", "art50_4_disclose_ai_generated_text"),
        obligations={"Art. 50(4), second subparagraph": "2026-08-02"},
    ),
    Case(
        "high-risk hiring chatbot: Art. 50(1) on top of high risk",
        {"annex_iii": ["4a"], **CHATBOT},
        "high_risk",
        duties=("art50_1_disclose_ai_interaction",),
        obligations={"Arts. 8-15": "2027-12-02", "Art. 50(1)": "2026-08-02"},
    ),
    Case(
        "emotion recognition (Annex III 1(c)) with its Art. 50(3) duty",
        {"annex_iii": ["1c"], "transparency": {"emotion_recognition_or_biometric_categorisation": True}},
        "high_risk",
        duties=("art50_3_inform_exposed_persons",),
        obligations={"Art. 50(3)": "2026-08-02", "Art. 43(1)": "2026-08-02"},
    ),
    Case(
        "election deep fakes (Annex III 8(b)): high-risk with 50(2) and 50(4)",
        {"annex_iii": ["8b"], "transparency": {"deep_fake": True}},
        "high_risk",
        duties=("art50_2_mark_synthetic_content", "art50_4_disclose_deep_fake"),
    ),
    Case(
        "every Art. 50 duty on a credit-scoring system",
        {
            "annex_iii": ["5b"],
            "transparency": {
                "interacts_with_natural_persons": True,
                "generates_synthetic_content": True,
                "emotion_recognition_or_biometric_categorisation": True,
                "deep_fake": True,
                "public_interest_text_without_editorial_control": True,
            },
        },
        "high_risk",
        duties=(
            "art50_1_disclose_ai_interaction",
            "art50_2_mark_synthetic_content",
            "art50_3_inform_exposed_persons",
            "art50_4_disclose_deep_fake",
            "art50_4_disclose_ai_generated_text",
        ),
    ),
    Case(
        "Section B product with a chatbot: Art. 50 still listed (conservative reading of Art. 2(2))",
        {
            "annex_i": {
                "safety_component_or_product": True,
                "third_party_conformity_assessment": True,
                "legislation": "civil_aviation_unmanned_aircraft",
            },
            **CHATBOT,
        },
        "high_risk",
        duties=("art50_1_disclose_ai_interaction",),
        cites=("Art. 2(2)",),
    ),
    # ---- scope exclusions and the limits of Art. 2(12) ------------------------------------------------------
    Case(
        "military-only system is out of scope, even social scoring",
        {"scope": {"military_defence_or_national_security_only": True}, **_practice("social_scoring")},
        "out_of_scope",
        duties=(),
        cites=("Art. 2(3)", "Art. 2"),
        no_obligations=True,
    ),
    Case(
        "sole scientific research: system and model out of scope",
        {"scope": {"scientific_research_only": True}, "annex_iii": ["4a"], **_gpai(training_compute_flops=5e25)},
        "out_of_scope",
        "none",
        cites=("Art. 2(6)",),
        no_obligations=True,
    ),
    Case(
        "purely personal non-professional use is out of scope",
        {"scope": {"personal_non_professional": True}, **CHATBOT},
        "out_of_scope",
        duties=(),
        cites=("Art. 2(10)",),
        no_obligations=True,
    ),
    Case(
        "military system on a GPAI model: the model's Chapter V duties stay (2(3) names systems)",
        {"scope": {"military_defence_or_national_security_only": True}, **_gpai(training_compute_flops=2e25)},
        "out_of_scope",
        SYSTEMIC,
        cites=("Art. 2(3)", "Art. 51(2)"),
        obligations={"Art. 55(1)(a)": "2025-08-02"},
        absent=("Art. 4",),
    ),
    Case(
        "open-source release, nothing else: out of scope (Art. 2(12))",
        {"scope": {"free_open_source_release": True}},
        "out_of_scope",
        duties=(),
        cites=("Art. 2(12)",),
        no_obligations=True,
    ),
    Case(
        "open-source release does not cover a prohibited practice",
        {"scope": {"free_open_source_release": True}, **_practice("biometric_categorisation_sensitive")},
        "prohibited",
        cites=("Art. 2(12)", "Art. 5(1)(g)"),
    ),
    Case(
        "open-source release does not cover a high-risk system",
        {"scope": {"free_open_source_release": True}, "annex_iii": ["4a"]},
        "high_risk",
        cites=("Art. 2(12)",),
        obligations={"Arts. 8-15": "2027-12-02"},
    ),
    Case(
        "open-source release does not cover an Art. 50 system",
        {"scope": {"free_open_source_release": True}, **CHATBOT},
        "transparency",
        duties=("art50_1_disclose_ai_interaction",),
        cites=("Art. 2(12)",),
    ),
    Case(
        "open-source Annex I product is high-risk",
        {
            "scope": {"free_open_source_release": True},
            "annex_i": {"safety_component_or_product": True, "third_party_conformity_assessment": True},
        },
        "high_risk",
    ),
    Case(
        "open-source derogated Annex III system: out of scope, Art. 6(4)/49(2) kept (conservative)",
        {"scope": {"free_open_source_release": True}, "annex_iii": ["3a"], "art6_3": {"preparatory_task": True}},
        "out_of_scope",
        cites=("Art. 2(12); Art. 6(3)-(4)",),
        obligations={"Art. 6(4)": "2027-12-02", "Art. 49(2)": "2026-08-02"},
        absent=("Art. 4",),
    ),
    Case(
        "open-source system on a GPAI model: system out of scope, model still GPAI",
        {"scope": {"free_open_source_release": True}, **_gpai(training_compute_flops=1e24)},
        "out_of_scope",
        GPAI,
        obligations={"Art. 53(1)(c)": "2025-08-02"},
    ),
    # ---- GPAI: thresholds, designation, open weights ----------------------------------------------------
    Case(
        "exactly 1e25 FLOP (JSON float) is not greater than 10^25",
        _gpai(training_compute_flops=1e25),
        "minimal",
        GPAI,
        cites=("Art. 51",),
        obligations={"Art. 53(1)(a)": "2025-08-02"},
        absent=("Art. 55(1)(a)", "Art. 52(1)"),
    ),
    Case(
        "exactly 10^25 FLOP (JSON integer) is not greater than 10^25",
        _gpai(training_compute_flops=10**25),
        "minimal",
        GPAI,
    ),
    Case(
        "10^25 + 1 FLOP is greater than 10^25",
        _gpai(training_compute_flops=10**25 + 1),
        "minimal",
        SYSTEMIC,
    ),
    Case(
        "1.0000001e25 FLOP is above the threshold",
        _gpai(training_compute_flops=1.0000001e25),
        "minimal",
        SYSTEMIC,
    ),
    Case(
        "9.9e24 FLOP is below the threshold",
        _gpai(training_compute_flops=9.9e24),
        "minimal",
        GPAI,
        absent=("Art. 55(1)(a)",),
    ),
    Case(
        "unknown training compute: GPAI without presumption",
        _gpai(),
        "minimal",
        GPAI,
        obligations={"Art. 53(1)(d)": "2025-08-02", "Art. 111(3)": "2027-08-02"},
    ),
    Case(
        "designated by the Commission below the threshold: systemic risk, no threshold notification",
        _gpai(training_compute_flops=1e24, designated_systemic_risk=True),
        "minimal",
        SYSTEMIC,
        cites=("Art. 51(1)(b)",),
        obligations={"Art. 55(1)(b)": "2025-08-02", "Art. 55(1)(c)": "2025-08-02"},
        absent=("Art. 52(1)",),
    ),
    Case(
        "designation without answering GPAI: still systemic risk (conservative)",
        {"gpai": {"designated_systemic_risk": True}},
        "minimal",
        SYSTEMIC,
        cites=("Art. 51(1)(b); Art. 52(4)",),
    ),
    Case(
        "open-weights GPAI below the threshold: exempt from 53(1)(a)-(b) and 54, not from (c)-(d)",
        _gpai(training_compute_flops=1e24, open_weights_free_license=True),
        "minimal",
        GPAI,
        cites=("Art. 53(2); Art. 54(6)",),
        obligations={"Art. 53(1)(c)": "2025-08-02", "Art. 53(1)(d)": "2025-08-02"},
        absent=("Art. 53(1)(a)", "Art. 53(1)(b)", "Art. 54"),
    ),
    Case(
        "open-weights GPAI above the threshold: no exemption for systemic risk",
        _gpai(training_compute_flops=3e25, open_weights_free_license=True),
        "minimal",
        SYSTEMIC,
        cites=("Art. 53(2); Art. 54(6)",),
        obligations={"Art. 53(1)(a)": "2025-08-02", "Art. 53(1)(b)": "2025-08-02", "Art. 54": "2025-08-02"},
    ),
    Case(
        "open-weights designated model: no exemption",
        _gpai(designated_systemic_risk=True, open_weights_free_license=True),
        "minimal",
        SYSTEMIC,
        obligations={"Art. 53(1)(a)": "2025-08-02"},
    ),
    Case(
        "not a GPAI model, whatever its training compute",
        {"gpai": {"training_compute_flops": 1e26, "open_weights_free_license": True}},
        "minimal",
        "none",
        cites=("Art. 3(63)",),
        absent=("Art. 53(1)(c)",),
    ),
    Case(
        "GPAI-based high-risk chatbot: both axes",
        {"annex_iii": ["5a"], **CHATBOT, **_gpai(training_compute_flops=5e25)},
        "high_risk",
        SYSTEMIC,
        duties=("art50_1_disclose_ai_interaction",),
        obligations={"Arts. 8-15": "2027-12-02", "Art. 50(1)": "2026-08-02", "Art. 55(1)(a)": "2025-08-02"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case: Case) -> None:
    result = classify_answers(case.answers)

    assert result["tier"] == case.tier, result["reasons"]
    assert result["gpai"] == case.gpai, result["reasons"]
    assert result["reasons"], "no result without a reason"
    if case.duties is not None:
        assert tuple(result["transparency_duties"]) == case.duties
    reason_articles = [reason["article"] for reason in result["reasons"]]
    for cite in case.cites:
        assert any(cite in article for article in reason_articles), (cite, reason_articles)
    obligations = {item["article"]: item for item in result["obligations"]}
    for article, applies_from in case.obligations.items():
        assert article in obligations, (article, list(obligations))
        assert obligations[article]["applies_from"] == applies_from, obligations[article]
    for article in case.absent:
        assert article not in obligations, (article, obligations[article])
    for article, basis in case.basis.items():
        assert obligations[article]["date_basis"] == basis
    if case.no_obligations:
        assert result["obligations"] == []


def test_there_are_enough_cases_and_every_tier_and_gpai_class_is_covered() -> None:
    assert len(CASES) >= 35
    assert {case.tier for case in CASES} == {"out_of_scope", "prohibited", "high_risk", "transparency", "minimal"}
    assert {case.gpai for case in CASES} == {"none", "gpai", "gpai_systemic_risk"}
    tables = load_tables()
    selected = {code for case in CASES for code in case.answers.get("practices", [])}
    assert selected == set(tables.practices)
    excepted = {code for case in CASES for code in case.answers.get("practice_exceptions", [])}
    assert excepted == set(tables.exceptions)
    areas = {code[0] for case in CASES for code in case.answers.get("annex_iii", [])}
    assert areas == {str(area) for area in range(1, 9)}


@pytest.mark.parametrize("code", ANNEX_III_CODES)
def test_every_annex_iii_point_alone_is_high_risk_and_cited(code: str) -> None:
    result = classify(parse_answers({"annex_iii": [code]}))

    assert result.tier == "high_risk"
    point = load_tables().annex_iii[code]
    assert any(point.article in reason.article and point.text in reason.text for reason in result.reasons)


@pytest.mark.parametrize("code", [code for code in ANNEX_III_CODES if code != "6e"])
def test_every_annex_iii_point_with_a_derogation_condition_is_not_high_risk(code: str) -> None:
    result = classify_answers({"annex_iii": [code], "art6_3": {"narrow_procedural_task": True}})

    assert result["tier"] == "minimal"
    assert {item["article"] for item in result["obligations"]} >= {"Art. 6(4)", "Art. 49(2)"}


@pytest.mark.parametrize("code", ANNEX_III_CODES)
def test_every_annex_iii_point_with_profiling_is_high_risk_despite_the_conditions(code: str) -> None:
    result = classify_answers(
        {"annex_iii": [code], "art6_3": {"preparatory_task": True, "profiling_of_natural_persons": True}}
    )

    assert result["tier"] == "high_risk"


# ---- dates: amended vs original ---------------------------------------------------------------------------


def test_amended_dates_say_so_in_the_text() -> None:
    result = classify_answers({"annex_iii": ["4a"]})
    requirements = next(item for item in result["obligations"] if item["article"] == "Arts. 8-15")

    assert requirements["applies_from"] == "2027-12-02"
    assert requirements["date_basis"] == "amended"
    assert requirements["date_uncertain"] is False
    assert "as amended by Reg. (EU) 2026/1744; originally 2026-08-02" in requirements["text"]


def test_uncertain_dates_keep_the_original_and_say_why() -> None:
    result = classify_answers({"annex_iii": ["4a"]})
    registration = next(item for item in result["obligations"] if item["article"] == "Art. 49(1)")

    assert registration["applies_from"] == "2026-08-02"
    assert registration["date_basis"] == "original"
    assert registration["date_uncertain"] is True
    assert "conservative reading" in registration["text"]
    assert "§9 item 3" in registration["text"]


def test_unchanged_dates_say_so() -> None:
    result = classify_answers(CHATBOT)
    duty = next(item for item in result["obligations"] if item["article"] == "Art. 50(1)")

    assert duty["date_basis"] == "original"
    assert "date unchanged by Reg. (EU) 2026/1744" in duty["text"]


def test_new_provisions_say_they_were_added() -> None:
    result = classify_answers(_practice("child_sexual_abuse_material"))
    ban = next(item for item in result["obligations"] if item["article"] == "Art. 5(1)(bb)")

    assert "added by Reg. (EU) 2026/1744" in ban["text"]
    assert any("added by Reg. (EU) 2026/1744" in reason["text"] for reason in result["reasons"])


def test_the_tables_record_original_and_amended_dates() -> None:
    dates = load_tables().dates

    assert (str(dates["annex_iii_high_risk"].original), str(dates["annex_iii_high_risk"].amended)) == (
        "2026-08-02",
        "2027-12-02",
    )
    assert (str(dates["annex_i_high_risk"].original), str(dates["annex_i_high_risk"].amended)) == (
        "2027-08-02",
        "2028-08-02",
    )
    assert dates["prohibitions_2026"].original is None
    assert str(dates["prohibitions_2026"].amended) == "2026-12-02"
    assert str(dates["prohibitions"].in_force) == "2025-02-02"
    assert str(dates["gpai"].in_force) == "2025-08-02"
    assert str(dates["transparency"].in_force) == "2026-08-02"
    assert all(entry.source for entry in dates.values())


def test_the_output_shape() -> None:
    result = classify_answers({"annex_iii": ["4a"], **CHATBOT})

    assert set(result) == {"tier", "gpai", "transparency_duties", "reasons", "obligations"}
    assert all(set(reason) == {"article", "text"} for reason in result["reasons"])
    assert all(
        set(item) == {"article", "text", "applies_from", "date_basis", "date_uncertain"}
        for item in result["obligations"]
    )
    articles = [item["article"] for item in result["obligations"]]
    assert len(articles) == len(set(articles))
