"""The EU AI Act risk questionnaire: plain-language questions over the classification answers.

Pure functions, no database: the question definitions (built from the classification tables,
so a code the engine knows always has a question), turning posted form values into the answers
JSON and back, and ``answer_effects``, which says what each given answer changes on its own.
Validation stays with ``compliance.classification.answers.parse_answers``; this module only
parses what a browser can send wrongly (a number typed as text) and names the answer path.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from compliance.classification.answers import AnswersError, parse_answers
from compliance.classification.engine import classify
from compliance.classification.tables import Tables, load_tables

Kind = Literal["checkbox", "select", "number"]
# Posted form values as ``dict(request.POST.lists())`` gives them: field name -> every value sent.
FormValues = Mapping[str, Sequence[str]]
# Answer path -> problems, as ``AnswersError.fields`` names them ("gpai.training_compute_flops").
Problems = dict[str, list[str]]

CHECKED = "on"
# The answers keys that hold a list of codes; every other answer is one value under a section.
LIST_KEYS = ("practices", "practice_exceptions", "annex_iii")
FLOPS_PATH = "gpai.training_compute_flops"
LEGISLATION_PATH = "annex_i.legislation"

TIER_PHRASES = {
    "prohibited": "prohibited",
    "high_risk": "high risk",
    "transparency": "subject to transparency duties",
    "minimal": "minimal risk",
    "out_of_scope": "out of scope of the AI Act",
}
GPAI_LABELS = {
    "none": "Not a general-purpose AI model",
    "gpai": "General-purpose AI model",
    "gpai_systemic_risk": "General-purpose AI model with systemic risk",
}
GPAI_PHRASES = {
    "none": "not a general-purpose AI model",
    "gpai": "a general-purpose AI model",
    "gpai_systemic_risk": "a general-purpose AI model with systemic risk",
}
DUTY_LABELS = {
    "art50_1_disclose_ai_interaction": "tell people they are interacting with an AI system",
    "art50_2_mark_synthetic_content": "mark generated content as AI-generated, machine-readably",
    "art50_3_inform_exposed_persons": "inform the people exposed to emotion recognition or biometric categorisation",
    "art50_4_disclose_deep_fake": "disclose that deep-fake content is artificially generated",
    "art50_4_disclose_ai_generated_text": "disclose AI-generated text published on matters of public interest",
}


@dataclass(frozen=True)
class Question:
    """One input of the questionnaire and the answer it writes."""

    path: str  # the answer it sets: "scope.scientific_research_only", "annex_iii.4a", "gpai.training_compute_flops"
    name: str  # the form field: the path for single answers, the list key ("annex_iii") for codes
    kind: Kind
    text: str  # the question, for a non-lawyer
    article: str
    short: str  # how "What your answers changed" names the answer
    legal: str = ""  # the legal text the question paraphrases, shown under it
    help: str = ""
    value: str = CHECKED  # what a checkbox posts: "on", or the code for list answers
    code: str = ""  # a point code to show before the question, e.g. "4(a)"
    choice_groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    @property
    def input_id(self) -> str:
        return "q-" + self.path.replace(".", "-").replace("_", "-")

    @property
    def list_key(self) -> str | None:
        return self.name if self.name in LIST_KEYS else None


@dataclass(frozen=True)
class Group:
    """Questions shown together; with a legend they get a fieldset of their own."""

    questions: tuple[Question, ...]
    legend: str = ""
    intro: str = ""
    error_key: str = ""  # a list answer whose problems belong to the whole group ("annex_iii")

    @property
    def group_id(self) -> str:
        return "g-" + (self.error_key or self.questions[0].input_id).replace("_", "-")


@dataclass(frozen=True)
class Section:
    key: str
    legend: str
    article: str
    intro: str
    groups: tuple[Group, ...]

    @property
    def questions(self) -> Iterator[Question]:
        for group in self.groups:
            yield from group.questions


# ---- the questions -------------------------------------------------------------------------------------------

_SCOPE = (
    (
        "military_defence_or_national_security_only",
        "Is the system used only for military, defence or national-security purposes?",
        "Art. 2(3)",
        "Only if that is its sole use: a system also used for civilian purposes is in scope.",
        "Used only for military, defence or national security",
    ),
    (
        "scientific_research_only",
        "Was it built and put into service only for scientific research and development?",
        "Art. 2(6)",
        "Not when research results are also used in the business.",
        "Built only for scientific research",
    ),
    (
        "personal_non_professional",
        "Is it used only by a private person for purely personal, non-work purposes?",
        "Art. 2(10); Art. 3(4)",
        "An organisation deploying it for staff or customers is never a personal use.",
        "Purely personal, non-professional use",
    ),
    (
        "free_open_source_release",
        "Is the system released under a free and open-source licence?",
        "Art. 2(12)",
        "This exclusion never covers prohibited or high-risk systems, nor systems with transparency duties.",
        "Free and open-source release",
    ),
)

_PRACTICES = {
    "subliminal_manipulation": (
        "Does it use hidden, manipulative or deceptive techniques that push people into decisions "
        "that could seriously harm them?",
        "hidden manipulation",
    ),
    "exploiting_vulnerabilities": (
        "Does it exploit people's age, a disability or their social or economic situation in a way "
        "that could seriously harm them?",
        "exploiting vulnerabilities",
    ),
    "non_consensual_intimate_imagery": (
        "Can it create or alter realistic intimate or sexual images, video or audio of a real, identifiable "
        "person without their explicit consent?",
        "non-consensual intimate imagery",
    ),
    "child_sexual_abuse_material": (
        "Can it generate or manipulate child sexual abuse material?",
        "child sexual abuse material",
    ),
    "social_scoring": (
        "Does it score people on their social behaviour or personal traits over time, so that they are "
        "treated unfairly or in unrelated situations?",
        "social scoring",
    ),
    "crime_risk_profiling_only": (
        "Does it predict whether a person will commit a crime based only on profiling or on their personality?",
        "crime prediction by profiling alone",
    ),
    "untargeted_facial_scraping": (
        "Does it build or expand a face-recognition database by collecting face images indiscriminately "
        "from the internet or CCTV?",
        "untargeted face scraping",
    ),
    "emotion_recognition_workplace_education": (
        "Does it infer people's emotions at work, or in schools and universities?",
        "emotions at work or school",
    ),
    "biometric_categorisation_sensitive": (
        "Does it use people's biometric data (face, voice, body) to guess their race, political views, union "
        "membership, religion or beliefs, sex life or sexual orientation?",
        "sensitive biometric categorisation",
    ),
    "realtime_remote_biometric_id_law_enforcement": (
        "Is it used by or for the police to identify people live, at a distance, in public places "
        "(e.g. live face recognition on street cameras)?",
        "live remote biometric identification by the police",
    ),
}

_EXCEPTIONS = {
    "medical_or_safety_reasons": (
        "Is the emotion recognition there only for medical or safety reasons (e.g. detecting a driver's fatigue)?",
        "medical or safety reasons",
    ),
    "targeted_victim_search": (
        "Is the live identification used only to search for specific victims of abduction, human trafficking "
        "or sexual exploitation, or for missing persons?",
        "search for victims or missing persons",
    ),
    "imminent_threat_prevention": (
        "Is it used only to prevent a specific, imminent threat to people's lives or safety, or a terrorist attack?",
        "preventing an imminent threat",
    ),
    "serious_crime_suspect_localisation": (
        "Is it used only to find or identify a suspect of a serious crime (listed in Annex II and punishable by "
        "at least four years)?",
        "locating a serious-crime suspect",
    ),
}

_AREAS = {
    "1": ("Biometrics", "biometrics"),
    "2": ("Critical infrastructure", "critical infrastructure"),
    "3": ("Education and vocational training", "education"),
    "4": ("Employment and managing workers", "employment"),
    "5": ("Essential private and public services", "essential services"),
    "6": ("Law enforcement", "law enforcement"),
    "7": ("Migration, asylum and border control", "migration"),
    "8": ("Justice and democratic processes", "justice and democracy"),
}

_ANNEX_III = {
    "1a": "Does it identify people at a distance by their face, voice or other body features (not just "
    "confirm that someone is who they claim to be)?",
    "1b": "Does it sort people into groups by sensitive traits it infers from their biometric data?",
    "1c": "Does it recognise people's emotions?",
    "2": "Is it a safety component in running critical infrastructure: digital infrastructure, road traffic, "
    "or the supply of water, gas, heating or electricity?",
    "3a": "Does it decide who is admitted to, or placed in, a school, university or training programme?",
    "3b": "Does it grade students or evaluate what they have learned?",
    "3c": "Does it decide which level of education someone gets or can access?",
    "3d": "Does it watch students during tests to detect cheating?",
    "4a": "Is it used to recruit or select people: targeting job ads, filtering applications or evaluating candidates?",
    "4b": "Does it inform decisions on promotion, dismissal or task allocation, or monitor and evaluate how "
    "workers perform or behave?",
    "5a": "Is it used by or for a public authority to decide who gets public benefits or services, including "
    "healthcare, or to cut or reclaim them?",
    "5b": "Does it assess people's creditworthiness or set their credit score? (Fraud detection does not count.)",
    "5c": "Does it assess risks or set prices for people's life or health insurance?",
    "5d": "Does it evaluate emergency calls, dispatch emergency services, or triage patients in emergency care?",
    "6a": "Is it used by or for the police to assess the risk that someone becomes a victim of crime?",
    "6b": "Is it used by or for the police as a lie detector or a similar tool?",
    "6c": "Is it used by or for the police to judge how reliable evidence is?",
    "6d": "Is it used by or for the police to assess the risk of someone offending or re-offending (not by "
    "profiling alone), or to assess their personality or past criminal behaviour?",
    "6e": "Is it used by or for the police to profile people while detecting, investigating or prosecuting crime?",
    "7a": "Is it used by public authorities in migration, asylum or border control as a lie detector or similar tool?",
    "7b": "Does it assess a security, irregular-migration or health risk posed by someone entering, or who has "
    "entered, the country?",
    "7c": "Does it help public authorities examine asylum, visa or residence-permit applications or related complaints?",
    "7d": "Is it used in migration, asylum or border control to detect, recognise or identify people? (Checking "
    "travel documents does not count.)",
    "8a": "Does it help judges, or alternative dispute resolution, research and interpret facts and law or apply "
    "the law to a case?",
    "8b": "Is it meant to influence the outcome of an election or referendum, or how people vote? (Back-office "
    "campaign tools do not count.)",
}

_ART6_3 = (
    (
        "narrow_procedural_task",
        "Does it only perform a narrow procedural task, e.g. turning unstructured data into structured data or "
        "sorting documents into categories?",
        "Art. 6(3)(a)",
        "Art. 6(3)(a) narrow procedural task",
    ),
    (
        "improves_completed_human_activity",
        "Does it only improve the result of work a person has already finished, e.g. polishing the language of a "
        "drafted letter?",
        "Art. 6(3)(b)",
        "Art. 6(3)(b) improves finished human work",
    ),
    (
        "detects_patterns_without_replacing_human_review",
        "Does it only flag patterns or deviations in earlier decisions, without replacing or swaying the human "
        "assessment unless a person properly reviews it?",
        "Art. 6(3)(c)",
        "Art. 6(3)(c) flags patterns for human review",
    ),
    (
        "preparatory_task",
        "Does it only prepare an assessment that a person then makes, e.g. indexing, searching or translating files?",
        "Art. 6(3)(d)",
        "Art. 6(3)(d) preparatory task",
    ),
    (
        "profiling_of_natural_persons",
        "Does it profile people, that is, automatically evaluate personal aspects such as their work performance, "
        "finances, health, preferences, behaviour, location or movements?",
        "Art. 6(3), third subparagraph; GDPR Art. 4(4)",
        "Profiling of people",
    ),
)

_TRANSPARENCY = (
    (
        "interacts_with_natural_persons",
        "Will people talk to the system directly, e.g. a chatbot or a voice assistant?",
        "Art. 50(1)",
        "Not needed where it is obvious to anyone that they are dealing with an AI.",
        "People talk to it directly",
    ),
    (
        "generates_synthetic_content",
        "Does it generate text, images, audio or video?",
        "Art. 50(2)",
        "Not for assistive editing that does not substantially change what was put in.",
        "Generates content",
    ),
    (
        "emotion_recognition_or_biometric_categorisation",
        "Does it recognise emotions, or sort people into categories from their biometric data?",
        "Art. 50(3)",
        "If so, also look at Annex III point 1(b) and 1(c) above.",
        "Emotion recognition or biometric categorisation",
    ),
    (
        "deep_fake",
        "Does it create or alter images, audio or video that look real and show real people, places or events "
        "(a 'deep fake')?",
        "Art. 50(4), first subparagraph",
        "Evidently artistic, satirical or fictional works only need a light-touch disclosure.",
        "Creates deep fakes",
    ),
    (
        "public_interest_text_without_editorial_control",
        "Does it write text published to inform the public on matters of public interest, without a person "
        "reviewing it and taking editorial responsibility?",
        "Art. 50(4), second subparagraph",
        "",
        "Public-interest text without editorial control",
    ),
)


def _point(code: str) -> str:
    """'4a' -> '4(a)', '2' -> '2': how Annex III points are written."""
    return f"{code[0]}({code[1:]})" if len(code) > 1 else code


def _checkbox_section(key: str, title: str, article: str, intro: str, rows: tuple[tuple[str, ...], ...]) -> Section:
    """A section of yes/no questions under one answer object, from (key, text, article, help, short) rows."""
    questions = tuple(
        Question(
            path=f"{key}.{name}",
            name=f"{key}.{name}",
            kind="checkbox",
            text=text,
            article=cited,
            help=help_text,
            short=short,
        )
        for name, text, cited, help_text, short in rows
    )
    return Section(key, title, article, intro, (Group(questions),))


def _scope_section() -> Section:
    return _checkbox_section(
        "scope",
        "Scope",
        "Art. 2",
        "Some systems are outside the AI Act altogether. Tick only what is true of every use of the system.",
        _SCOPE,
    )


def _practices_section(tables: Tables) -> Section:
    practices = tuple(
        Question(
            path=f"practices.{code}",
            name="practices",
            kind="checkbox",
            value=code,
            text=_PRACTICES[code][0],
            article=practice.article,
            legal=practice.text,
            short=f"{practice.article} ({_PRACTICES[code][1]})",
        )
        for code, practice in tables.practices.items()
    )
    exceptions = tuple(
        Question(
            path=f"practice_exceptions.{code}",
            name="practice_exceptions",
            kind="checkbox",
            value=code,
            text=_EXCEPTIONS[code][0],
            article=exception.article,
            legal=exception.text,
            help=f"Only together with {tables.practices[exception.practice].article} "
            f"({_PRACTICES[exception.practice][1]}) above.",
            short=f"Exception {exception.article} ({_EXCEPTIONS[code][1]})",
        )
        for code, exception in tables.exceptions.items()
    )
    return Section(
        "practices",
        "Prohibited practices",
        "Art. 5",
        "A few uses of AI are banned in the EU. Tick every one the system does, even in part.",
        (
            Group(practices, error_key="practices"),
            Group(
                exceptions,
                legend="Exceptions the Act allows",
                intro="A ticked practice is not banned if one of these narrow exceptions applies.",
                error_key="practice_exceptions",
            ),
        ),
    )


def _annex_i_section(tables: Tables) -> Section:
    groups: dict[str, list[tuple[str, str]]] = {"A": [], "B": []}
    for code, legislation in tables.annex_i.items():
        entry = legislation.in_force
        groups[entry.section].append((code, f"{entry.act} (point {entry.point})"))
    choice_groups = (
        ("Annex I Section A: the AI Act applies in full", tuple(groups["A"])),
        ("Annex I Section B: only Art. 6(1) and Arts. 102-109 apply", tuple(groups["B"])),
    )
    questions = (
        Question(
            path="annex_i.safety_component_or_product",
            name="annex_i.safety_component_or_product",
            kind="checkbox",
            text="Is the system a safety part of a product covered by EU product-safety law (e.g. a machine, toy, lift, "
            "medical device or vehicle), or is it such a product itself?",
            article="Art. 6(1)(a); Annex I",
            help="Not for functions unrelated to safety, such as convenience or quality control, unless a failure "
            "would endanger health or safety (Art. 6(1a)-(1c)).",
            short="Safety component of an Annex I product",
        ),
        Question(
            path="annex_i.third_party_conformity_assessment",
            name="annex_i.third_party_conformity_assessment",
            kind="checkbox",
            text="Must that product be checked by an independent body (a notified body) before it may be sold?",
            article="Art. 6(1)(b)",
            short="Third-party conformity assessment",
        ),
        Question(
            path=LEGISLATION_PATH,
            name=LEGISLATION_PATH,
            kind="select",
            text="Which EU product law covers it?",
            article="Annex I",
            help="If you do not know, leave it: the stricter Section A is assumed.",
            short="Annex I legislation",
            choice_groups=choice_groups,
        ),
    )
    return Section(
        "annex_i",
        "Product safety",
        "Art. 6(1); Annex I",
        "A system is high risk if it is a safety part of a regulated product (or the product) and that product "
        "needs an independent check. Both must be true.",
        (Group(questions),),
    )


def _annex_iii_section(tables: Tables) -> Section:
    by_area: dict[str, list[Question]] = {}
    for code, point in tables.annex_iii.items():
        area = code[0]
        by_area.setdefault(area, []).append(
            Question(
                path=f"annex_iii.{code}",
                name="annex_iii",
                kind="checkbox",
                value=code,
                code=_point(code),
                text=_ANNEX_III[code],
                article=point.article,
                legal=point.text,
                short=f"Annex III {_point(code)} ({_AREAS[area][1]})",
            )
        )
    groups = tuple(
        Group(tuple(questions), legend=f"{_AREAS[area][0]} (Annex III point {area})")
        for area, questions in by_area.items()
    )
    # The list's problems (an unknown code) belong to the section, not to one area.
    first = groups[0]
    groups = (Group(first.questions, first.legend, first.intro, error_key="annex_iii"), *groups[1:])
    return Section(
        "annex_iii",
        "High-risk use areas",
        "Art. 6(2); Annex III",
        "Systems used for these purposes are high risk, unless the narrow exceptions in the next section apply.",
        groups,
    )


def _art6_3_section() -> Section:
    return _checkbox_section(
        "art6_3",
        "Exceptions for high-risk use areas",
        "Art. 6(3)-(4)",
        "Only matters if you ticked a high-risk use area. A listed system is not high risk if it only does one of "
        "these narrow things and does not profile people; you then document that assessment and register the system.",
        tuple((key, text, article, "", short) for key, text, article, short in _ART6_3),
    )


def _transparency_section() -> Section:
    return _checkbox_section(
        "transparency", "Transparency", "Art. 50", "Some systems must tell people that AI is involved.", _TRANSPARENCY
    )


def _gpai_section() -> Section:
    questions = (
        Question(
            path="gpai.is_general_purpose_model",
            name="gpai.is_general_purpose_model",
            kind="checkbox",
            text="Is the model a general-purpose AI model, one that competently performs a wide range of different "
            "tasks (e.g. a large language model)?",
            article="Art. 3(63); Art. 51",
            short="General-purpose AI model",
        ),
        Question(
            path=FLOPS_PATH,
            name=FLOPS_PATH,
            kind="number",
            text="How much computing was used to train the model, in floating-point operations (FLOP)?",
            article="Art. 51(2)",
            help="A number such as 3.8e25; leave empty if you do not know. Above 10^25 FLOP, systemic risk is presumed.",
            short="Training compute",
        ),
        Question(
            path="gpai.designated_systemic_risk",
            name="gpai.designated_systemic_risk",
            kind="checkbox",
            text="Has the European Commission designated the model as having systemic risk?",
            article="Art. 51(1)(b); Art. 52",
            short="Designated by the Commission as systemic risk",
        ),
        Question(
            path="gpai.open_weights_free_license",
            name="gpai.open_weights_free_license",
            kind="checkbox",
            text="Are the model's weights public under a free and open-source licence, with its architecture and "
            "usage information, and is the model not monetised?",
            article="Art. 53(2); Art. 54(6)",
            help="Never exempts a model with systemic risk.",
            short="Open weights under a free licence",
        ),
    )
    return Section(
        "gpai",
        "General-purpose AI model",
        "Arts. 51-55",
        "Questions about the model itself, assessed separately from the system that uses it.",
        (Group(questions),),
    )


@functools.cache
def questionnaire_sections() -> tuple[Section, ...]:
    """Every question, in the order the page asks them (cached: the tables do not change at run time)."""
    tables = load_tables()
    return (
        _scope_section(),
        _practices_section(tables),
        _annex_i_section(tables),
        _annex_iii_section(tables),
        _art6_3_section(),
        _transparency_section(),
        _gpai_section(),
    )


def all_questions() -> tuple[Question, ...]:
    """The questions flattened, in page order."""
    return tuple(question for section in questionnaire_sections() for question in section.questions)


# ---- form values <-> answers ---------------------------------------------------------------------------------


def parse_flops(text: str) -> int | float:
    """A typed number of FLOP: exact integers stay ints (1e25 is 10^25, as the engine compares it)."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite():
        raise ValueError(text)
    return int(number) if number == number.to_integral_value() else float(number)


def format_flops(value: float) -> str:
    """The number as the input shows it; ``parse_flops`` reads it back to the same value."""
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if abs(exact) >= 10**6:
        return str(exact.normalize()).lower()  # 1e+25, 3.8e+25: what a person would type
    return str(int(exact)) if exact == exact.to_integral_value() else str(exact)


def _set(answers: dict[str, Any], path: str, value: Any) -> None:
    section, key = path.split(".", 1)
    answers.setdefault(section, {})[key] = value


def answers_from_form(values: FormValues) -> tuple[dict[str, Any], Problems]:
    """Build the answers JSON from posted form values, keeping only what is set.

    Returns the answers and the problems the form itself can find (a number that is not one),
    keyed by answer path; everything else is left to the answers validator, which names paths too.
    """
    answers: dict[str, Any] = {}
    problems: Problems = {}
    lists: dict[str, list[str]] = {}
    for question in all_questions():
        posted = [value for value in values.get(question.name, ()) if value != ""]
        if question.list_key:
            if question.value in posted:
                lists.setdefault(question.list_key, []).append(question.value)
        elif question.kind == "checkbox":
            if posted:
                _set(answers, question.path, True)
        elif question.kind == "select":
            if posted:
                _set(answers, question.path, posted[0])
        elif posted:
            try:
                _set(answers, question.path, parse_flops(posted[0]))
            except ValueError:
                problems[question.path] = [
                    f"must be a number of floating-point operations ≥ 0 (e.g. 3.8e25), or empty; not {posted[0]!r}"
                ]
    for key in LIST_KEYS:
        # Codes no question offers are kept, so the validator names them instead of dropping them silently.
        unknown = [code for code in dict.fromkeys(values.get(key, ())) if code not in lists.get(key, [])]
        codes = [*lists.get(key, []), *unknown]
        if codes:
            answers[key] = codes
    return answers, problems


def normalize_answers(data: Any) -> dict[str, Any]:
    """Validated answers as the form writes them: only what is set, in question order.

    Two answer sets mean the same thing exactly when their normal forms are equal. Raises
    ``AnswersError`` (with the problems by path) when the answers are invalid.
    """
    parsed = parse_answers(data)
    answers: dict[str, Any] = {}
    for question in all_questions():
        section, key = question.path.split(".", 1)
        if question.list_key:
            if key in getattr(parsed, section):
                answers.setdefault(section, []).append(key)
            continue
        value = getattr(getattr(parsed, section), key)
        if question.kind == "number" and value is not None:
            _set(answers, question.path, parse_flops(format_flops(value)))
        elif value:
            _set(answers, question.path, value)
    return answers


def form_values(answers: Any) -> dict[str, list[str]]:
    """The form values that show the given answers (empty when they are invalid)."""
    try:
        normal = normalize_answers(answers)
    except AnswersError:
        return {}
    values: dict[str, list[str]] = {}
    for key in LIST_KEYS:
        if key in normal:
            values[key] = list(normal[key])
    for question in all_questions():
        if question.list_key:
            continue
        section, key = question.path.split(".", 1)
        value = normal.get(section, {}).get(key)
        if value is None:
            continue
        if question.kind == "number":
            values[question.name] = [format_flops(value)]
        elif question.kind == "select":
            values[question.name] = [value]
        else:
            values[question.name] = [CHECKED]
    return values


def answer_problems(answers: Any) -> Problems:
    """The validator's problems with the answers, by path; empty when they are valid."""
    try:
        parse_answers(answers)
    except AnswersError as exc:
        return {path: list(problems) for path, problems in exc.fields.items()}
    return {}


# ---- binding questions to values and problems, for the template ------------------------------------------------


@dataclass(frozen=True)
class BoundQuestion:
    spec: Question
    checked: bool
    value: str
    errors: tuple[str, ...]


@dataclass(frozen=True)
class BoundGroup:
    spec: Group
    questions: tuple[BoundQuestion, ...]
    errors: tuple[str, ...]


@dataclass(frozen=True)
class BoundSection:
    spec: Section
    groups: tuple[BoundGroup, ...]


def bind(values: FormValues, problems: Mapping[str, Sequence[str]]) -> list[BoundSection]:
    """The sections with each input's current value and the problems that belong to it."""
    sections = []
    for section in questionnaire_sections():
        groups = []
        for group in section.groups:
            questions = []
            for question in group.questions:
                posted = list(values.get(question.name, ()))
                errors = () if question.list_key else tuple(problems.get(question.path, ()))
                questions.append(
                    BoundQuestion(
                        spec=question,
                        checked=question.value in posted if question.kind == "checkbox" else False,
                        value=posted[0] if posted and question.kind != "checkbox" else "",
                        errors=errors,
                    )
                )
            group_errors = tuple(problems.get(group.error_key, ())) if group.error_key else ()
            groups.append(BoundGroup(group, tuple(questions), group_errors))
        sections.append(BoundSection(section, tuple(groups)))
    return sections


# ---- the result and what each answer changes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    tier: str
    gpai: str
    duties: tuple[str, ...]


@dataclass(frozen=True)
class Effect:
    """What one given answer changes on its own, compared with the same answers without it."""

    path: str
    label: str
    article: str
    changed: bool
    text: str  # "makes the system high risk; without it: minimal risk", or "no change on its own"

    @property
    def sentence(self) -> str:
        return f"{self.label} {self.text}" if self.changed else f"{self.label}: {self.text}"


def _outcome(answers: Mapping[str, Any], tables: Tables) -> Outcome:
    result = classify(parse_answers(answers, tables), tables)
    return Outcome(result.tier.value, result.gpai.value, result.transparency_duties)


def _without(answers: dict[str, Any], question: Question, tables: Tables) -> dict[str, Any] | None:
    """The answers with this one question's answer taken away, or None when it is not set."""
    section, key = question.path.split(".", 1)
    if question.list_key:
        codes = answers.get(section, [])
        if key not in codes:
            return None
        reduced = {**answers, section: [code for code in codes if code != key]}
        if section == "practices":
            # An exception without its practice is invalid: it goes with the practice.
            kept = [code for code in answers.get("practice_exceptions", []) if tables.exceptions[code].practice != key]
            reduced["practice_exceptions"] = kept
        return reduced
    values = answers.get(section, {})
    if values.get(key) is None or values.get(key) is False:
        return None
    return {**answers, section: {name: value for name, value in values.items() if name != key}}


def _label(question: Question, answers: Mapping[str, Any], tables: Tables) -> str:
    section, key = question.path.split(".", 1)
    value = answers.get(section, {}).get(key) if not question.list_key else None
    if question.kind == "number" and value is not None:
        return f"{question.short} of {format_flops(value)} FLOP"
    if question.kind == "select" and value is not None:
        entry = tables.annex_i[value].in_force
        return f"{question.short}: Section {entry.section} point {entry.point}"
    return question.short


def _describe(with_it: Outcome, without_it: Outcome) -> list[str]:
    parts = []
    if with_it.tier != without_it.tier:
        parts.append(f"makes the system {TIER_PHRASES[with_it.tier]}; without it: {TIER_PHRASES[without_it.tier]}")
    if with_it.gpai != without_it.gpai:
        parts.append(f"makes the model {GPAI_PHRASES[with_it.gpai]}; without it: {GPAI_PHRASES[without_it.gpai]}")
    # Out of scope and prohibited carry no duties by definition; the tier change already says it.
    if not {with_it.tier, without_it.tier} & {"out_of_scope", "prohibited"}:
        added = [duty for duty in with_it.duties if duty not in without_it.duties]
        removed = [duty for duty in without_it.duties if duty not in with_it.duties]
        if added:
            parts.append("adds the duty to " + "; ".join(_duty_phrase(duty) for duty in added))
        if removed:
            parts.append("removes the duty to " + "; ".join(_duty_phrase(duty) for duty in removed))
    return parts


def _duty_phrase(code: str) -> str:
    return f"{DUTY_LABELS.get(code, code)} ({load_tables().transparency[code].article})"


def answer_effects(answers: Mapping[str, Any]) -> list[Effect]:
    """For every answer that is set, what removing just that answer would change.

    Compares the tier, the GPAI class and the transparency duties. Ordered as the questions
    are asked; raises ``AnswersError`` when the answers are invalid.
    """
    tables = load_tables()
    normal = normalize_answers(answers)
    base = _outcome(normal, tables)
    effects = []
    for question in all_questions():
        reduced = _without(normal, question, tables)
        if reduced is None:
            continue
        parts = _describe(base, _outcome(reduced, tables))
        effects.append(
            Effect(
                path=question.path,
                label=_label(question, normal, tables),
                article=question.article,
                changed=bool(parts),
                text=", and ".join(parts) if parts else "no change on its own",
            )
        )
    return effects


@dataclass(frozen=True)
class Duty:
    code: str
    article: str
    text: str


@dataclass(frozen=True)
class Reason:
    article: str
    text: str


@dataclass(frozen=True)
class Obligation:
    article: str
    text: str
    applies_from: datetime.date
    date_uncertain: bool


@dataclass(frozen=True)
class Assessment:
    """Everything the result panel shows for one set of answers."""

    tier: str
    gpai: str
    duties: tuple[Duty, ...]
    reasons: tuple[Reason, ...]
    obligations: tuple[Obligation, ...]
    effects: tuple[Effect, ...] = field(default=())

    @property
    def gpai_label(self) -> str:
        return GPAI_LABELS.get(self.gpai, self.gpai)

    @property
    def changed_effects(self) -> tuple[Effect, ...]:
        return tuple(effect for effect in self.effects if effect.changed)


def assess(answers: Mapping[str, Any]) -> Assessment:
    """Classify the answers and explain the result; raises ``AnswersError`` when they are invalid."""
    tables = load_tables()
    result = classify(parse_answers(answers, tables), tables)
    return Assessment(
        tier=result.tier.value,
        gpai=result.gpai.value,
        duties=tuple(
            Duty(code, tables.transparency[code].article, DUTY_LABELS.get(code, code))
            for code in result.transparency_duties
        ),
        reasons=tuple(Reason(reason.article, reason.text) for reason in result.reasons),
        obligations=tuple(
            Obligation(item.article, item.text, item.applies_from, item.date_uncertain) for item in result.obligations
        ),
        effects=tuple(answer_effects(answers)),
    )


def stored_tier(answers: Any) -> str:
    """The tier the stored answers give, or '' when they cannot be classified."""
    try:
        return classify(parse_answers(answers)).tier.value
    except AnswersError:
        return ""
