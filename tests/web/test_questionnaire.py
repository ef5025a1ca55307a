"""The use-case list and the EU AI Act risk questionnaire: reading, saving, previewing, refusing."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from compliance.classification.answers import AnswersError
from compliance.classification.tables import load_tables
from compliance.models import UseCase
from compliance.services import use_case_create
from core.models import AuditEvent
from core.roles import Role
from web import questionnaire as q

pytestmark = pytest.mark.django_db

REASON = "The system now also screens job applications"
RECRUITING = {"annex_iii": ["4a"]}


def _text_of(html: str) -> str:
    """HTML as a reader sees it: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _text(response: Any) -> str:
    return _text_of(response.content.decode())


@pytest.fixture
def make_use_case(officer: User) -> Callable[..., UseCase]:
    def make(name: str = "Support chatbot", answers: dict[str, Any] | None = None) -> UseCase:
        return use_case_create(
            actor=officer,
            name=name,
            owner=officer,
            intended_purpose="Answer customers' questions about their orders",
            classification_answers=answers or {},
        )

    return make


@pytest.fixture
def chatbot(make_use_case: Callable[..., UseCase]) -> UseCase:
    return make_use_case(answers={"transparency": {"interacts_with_natural_persons": True}})


def _client(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def _url(use_case: UseCase, name: str = "web:questionnaire") -> str:
    return reverse(name, args=[use_case.pk])


# ---- access -----------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(chatbot: UseCase) -> None:
    for url in (reverse("web:use-case-list"), _url(chatbot)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))


def test_a_user_without_compliance_view_is_refused(make_user: Callable[..., User], chatbot: UseCase) -> None:
    # Every role reads compliance data; only a user with no role lacks it.
    client = _client(make_user())
    for url in (reverse("web:use-case-list"), _url(chatbot)):
        response = client.get(url)
        assert response.status_code == 403
        assert "compliance.view" in _text(response)
    response = client.post(_url(chatbot, "web:questionnaire-preview"), RECRUITING)
    assert response.status_code == 403


def test_unknown_use_cases_are_404(officer: User) -> None:
    client = _client(officer)
    assert client.get(reverse("web:questionnaire", args=[999_999])).status_code == 404
    assert client.post(reverse("web:questionnaire-preview", args=[999_999]), RECRUITING).status_code == 404


# ---- the list ---------------------------------------------------------------------------------------------------


def test_the_list_shows_each_use_case_with_its_tier(
    make_user: Callable[..., User], make_use_case: Callable[..., UseCase]
) -> None:
    hiring = make_use_case("Hiring assistant", {"annex_iii": ["4a"]})
    make_use_case("Support chatbot", {"transparency": {"interacts_with_natural_persons": True}})
    make_use_case("Spell checker")

    response = _client(make_user(Role.DEVELOPER)).get(reverse("web:use-case-list"))

    assert response.status_code == 200
    rows = {_text_of(row).split(" ")[0]: _text_of(row) for row in response.content.decode().split("<tr>")[2:]}
    assert "High risk" in rows["Hiring"]
    assert "Transparency duties" in rows["Support"]
    assert "Minimal risk no answers given yet" in rows["Spell"]
    assert "no answers given yet" not in rows["Hiring"]
    assert f'href="{_url(hiring)}"' in response.content.decode()


# ---- reading ----------------------------------------------------------------------------------------------------


def test_the_questionnaire_prefills_the_stored_answers(
    make_user: Callable[..., User], make_use_case: Callable[..., UseCase]
) -> None:
    use_case = make_use_case(
        answers={
            "annex_iii": ["4a"],
            "annex_i": {"legislation": "toys"},
            "gpai": {"is_general_purpose_model": True, "training_compute_flops": 3.8e25},
        }
    )

    response = _client(make_user(Role.COMPLIANCE_OFFICER)).get(_url(use_case))

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<input type="checkbox" id="q-annex-iii-4a" name="annex_iii" value="4a" checked', html)
    assert not re.search(r'id="q-annex-iii-4b"[^>]* checked', html)
    assert re.search(r'id="q-gpai-is-general-purpose-model"[^>]* checked', html)
    assert re.search(r'<option value="toys" selected>', html)
    assert 'name="gpai.training_compute_flops" value="3.8e+25"' in html
    # The result panel classifies what is stored.
    assert 'id="questionnaire-result"' in html
    assert "High risk" in _text(response)


def test_every_input_has_a_label_and_every_question_cites_its_article(officer: User, chatbot: UseCase) -> None:
    html = _client(officer).get(_url(chatbot)).content.decode()

    ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html)
    assert len(ids) == len(q.all_questions()) + 1  # and the reason
    for input_id in ids:
        assert f'<label for="{input_id}">' in html, input_id
    assert html.count("<legend>") >= len(q.questionnaire_sections())
    assert "Will people talk to the system directly" in html
    assert '<span id="q-transparency-interacts-with-natural-persons-cite">Art. 50(1)</span>' in html


def test_readers_without_use_case_manage_see_the_form_disabled(
    make_user: Callable[..., User], chatbot: UseCase
) -> None:
    html = _client(make_user(Role.AUDITOR)).get(_url(chatbot)).content.decode()

    assert "needs the <code>compliance.use_case_manage</code> permission" in html
    assert re.search(r'id="q-annex-iii-4a"[^>]* disabled', html)
    assert "Save answers" not in html


# ---- saving -----------------------------------------------------------------------------------------------------


def test_an_officer_saves_the_answers_with_an_audit_event(officer: User, chatbot: UseCase) -> None:
    client = _client(officer)
    form = {
        "transparency.interacts_with_natural_persons": "on",
        "annex_iii": ["4a"],
        "gpai.training_compute_flops": "",
        "reason": REASON,
    }

    response = client.post(_url(chatbot), form)

    assert response.status_code == 302
    assert response["Location"] == _url(chatbot)
    chatbot.refresh_from_db()
    assert chatbot.classification_answers == {
        "annex_iii": ["4a"],
        "transparency": {"interacts_with_natural_persons": True},
    }
    event = AuditEvent.objects.get(action="compliance.use_case.updated", target_id=str(chatbot.pk))
    assert event.reason == REASON
    assert event.after["classification_answers"]["annex_iii"] == ["4a"]
    page = client.get(response["Location"])
    assert "Answers saved. The use case is now classified as: High risk." in _text(page)


def test_saving_unchanged_answers_writes_nothing(officer: User, chatbot: UseCase) -> None:
    before = AuditEvent.objects.count()

    response = _client(officer).post(_url(chatbot), {"transparency.interacts_with_natural_persons": "on"})

    assert response.status_code == 302
    assert AuditEvent.objects.count() == before


def test_a_reason_is_required(officer: User, chatbot: UseCase) -> None:
    response = _client(officer).post(_url(chatbot), {**RECRUITING, "reason": "  "})

    assert response.status_code == 400
    assert "say why you are changing the answers" in _text(response)
    chatbot.refresh_from_db()
    assert chatbot.classification_answers == {"transparency": {"interacts_with_natural_persons": True}}


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.DEVELOPER, Role.APPROVER_LEGAL])
def test_roles_without_use_case_manage_cannot_save(
    make_user: Callable[..., User], chatbot: UseCase, role: Role
) -> None:
    before = AuditEvent.objects.count()

    response = _client(make_user(role)).post(_url(chatbot), {**RECRUITING, "reason": REASON})

    assert response.status_code == 403
    assert "compliance.use_case_manage" in _text(response)
    chatbot.refresh_from_db()
    assert chatbot.classification_answers == {"transparency": {"interacts_with_natural_persons": True}}
    assert AuditEvent.objects.count() == before


def test_an_ml_engineer_may_save(make_user: Callable[..., User], chatbot: UseCase) -> None:
    response = _client(make_user(Role.ML_ENGINEER)).post(_url(chatbot), {**RECRUITING, "reason": REASON})

    assert response.status_code == 302
    chatbot.refresh_from_db()
    assert chatbot.classification_answers == RECRUITING


@pytest.mark.parametrize(
    ("flops", "problem"),
    [
        pytest.param("abc", "not 'abc'", id="not-a-number"),
        pytest.param("-5", "-5", id="negative"),
        pytest.param("nan", "not 'nan'", id="nan"),
    ],
)
def test_invalid_answers_are_refused_and_name_the_field(
    officer: User, chatbot: UseCase, flops: str, problem: str
) -> None:
    before = AuditEvent.objects.count()
    form = {"gpai.is_general_purpose_model": "on", "gpai.training_compute_flops": flops, "reason": REASON}

    response = _client(officer).post(_url(chatbot), form)

    assert response.status_code == 400
    text = _text(response)
    assert "The answers were not saved" in text
    assert "gpai.training_compute_flops" in text
    assert problem in text
    assert 'aria-invalid="true"' in response.content.decode()
    # What was posted is shown again, not the stored answers.
    assert re.search(r'id="q-gpai-is-general-purpose-model"[^>]* checked', response.content.decode())
    chatbot.refresh_from_db()
    assert chatbot.classification_answers == {"transparency": {"interacts_with_natural_persons": True}}
    assert AuditEvent.objects.count() == before


def test_an_exception_without_its_practice_is_refused_by_the_service(officer: User, chatbot: UseCase) -> None:
    form = {"practice_exceptions": ["medical_or_safety_reasons"], "reason": REASON}

    response = _client(officer).post(_url(chatbot), form)

    assert response.status_code == 400
    assert "practice_exceptions" in _text(response)
    assert "classification_answers.practice_exceptions" not in _text(response)  # the page names answer paths
    chatbot.refresh_from_db()
    assert "practice_exceptions" not in chatbot.classification_answers


# ---- the live preview ---------------------------------------------------------------------------------------------


def test_the_preview_classifies_without_saving(make_user: Callable[..., User], chatbot: UseCase) -> None:
    before = AuditEvent.objects.count()
    # Any reader may preview: it changes nothing.
    client = _client(make_user(Role.AUDITOR))

    response = client.post(_url(chatbot, "web:questionnaire-preview"), RECRUITING)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # only the fragment
    text = _text(response)
    assert "High risk" in text
    assert "Art. 6(2); Annex III point 4(a)" in text
    assert "Annex III 4(a) (employment) makes the system high risk; without it: minimal risk" in text
    assert "Not saved yet" in text
    chatbot.refresh_from_db()
    assert chatbot.classification_answers == {"transparency": {"interacts_with_natural_persons": True}}
    assert AuditEvent.objects.count() == before


def test_the_preview_shows_invalid_answers_as_an_error(officer: User, chatbot: UseCase) -> None:
    response = _client(officer).post(
        _url(chatbot, "web:questionnaire-preview"), {"gpai.training_compute_flops": "lots"}
    )

    assert response.status_code == 400
    assert "gpai.training_compute_flops" in _text(response)
    assert "not 'lots'" in _text(response)


def test_the_preview_is_post_only(officer: User, chatbot: UseCase) -> None:
    assert _client(officer).get(_url(chatbot, "web:questionnaire-preview")).status_code == 405


def test_posts_need_a_csrf_token(officer: User, chatbot: UseCase) -> None:
    client = _client(officer, enforce_csrf_checks=True)

    assert client.post(_url(chatbot, "web:questionnaire-preview"), RECRUITING).status_code == 403
    assert client.post(_url(chatbot), {**RECRUITING, "reason": REASON}).status_code == 403
    chatbot.refresh_from_db()
    assert chatbot.classification_answers == {"transparency": {"interacts_with_natural_persons": True}}


def test_the_page_wires_the_live_preview(officer: User, chatbot: UseCase) -> None:
    html = _client(officer).get(_url(chatbot)).content.decode()

    assert f'data-preview-url="{_url(chatbot, "web:questionnaire-preview")}"' in html
    assert 'data-preview-target="questionnaire-result"' in html
    assert 'name="csrfmiddlewaretoken"' in html


# ---- answer_effects and the form mapping, on plain dicts ---------------------------------------------------------------


def test_answer_effects_says_what_each_answer_changes_in_question_order() -> None:
    effects = q.answer_effects(
        {
            "gpai": {"is_general_purpose_model": True, "training_compute_flops": 3.8e25},
            "transparency": {"interacts_with_natural_persons": True},
            "annex_iii": ["4a"],
            "scope": {"free_open_source_release": True},
        }
    )

    assert [effect.path for effect in effects] == [
        "scope.free_open_source_release",
        "annex_iii.4a",
        "transparency.interacts_with_natural_persons",
        "gpai.is_general_purpose_model",
        "gpai.training_compute_flops",
    ]
    by_path = {effect.path: effect for effect in effects}
    assert by_path["scope.free_open_source_release"].sentence == "Free and open-source release: no change on its own"
    assert by_path["annex_iii.4a"].text == "makes the system high risk; without it: subject to transparency duties"
    assert by_path["transparency.interacts_with_natural_persons"].text == (
        "adds the duty to tell people they are interacting with an AI system (Art. 50(1))"
    )
    assert by_path["gpai.training_compute_flops"].sentence == (
        "Training compute of 3.8e+25 FLOP makes the model a general-purpose AI model with systemic risk; "
        "without it: a general-purpose AI model"
    )


def test_answer_effects_reports_the_tier_change() -> None:
    (effect,) = q.answer_effects({"annex_iii": ["4a"]})

    assert effect.changed
    assert effect.article == "Annex III point 4(a)"
    assert effect.sentence == "Annex III 4(a) (employment) makes the system high risk; without it: minimal risk"


def test_answer_effects_takes_an_exception_away_with_its_practice() -> None:
    effects = q.answer_effects(
        {"practices": ["emotion_recognition_workplace_education"], "practice_exceptions": ["medical_or_safety_reasons"]}
    )

    assert [effect.path for effect in effects] == [
        "practices.emotion_recognition_workplace_education",
        "practice_exceptions.medical_or_safety_reasons",
    ]
    assert effects[0].text == "makes the system high risk; without it: minimal risk, and adds the duty to inform the people exposed to emotion recognition or biometric categorisation (Art. 50(3))"  # fmt: skip
    assert effects[1].text == "makes the system high risk; without it: prohibited"


def test_answer_effects_of_nothing_is_nothing_and_invalid_answers_raise() -> None:
    assert q.answer_effects({}) == []
    assert q.answer_effects({"scope": {"scientific_research_only": False}}) == []
    with pytest.raises(AnswersError):
        q.answer_effects({"annex_iii": ["9z"]})


def test_the_form_round_trips_the_answers() -> None:
    answers = {
        "scope": {"free_open_source_release": True},
        "practices": ["realtime_remote_biometric_id_law_enforcement"],
        "practice_exceptions": ["targeted_victim_search"],
        "annex_i": {"safety_component_or_product": True, "legislation": "machinery"},
        "annex_iii": ["1a", "4b"],
        "art6_3": {"profiling_of_natural_persons": True},
        "gpai": {"training_compute_flops": 10**25},
    }

    values = q.form_values(answers)
    rebuilt, problems = q.answers_from_form(values)

    assert problems == {}
    assert rebuilt == answers
    assert values["gpai.training_compute_flops"] == ["1e+25"]
    # 1e25 typed or stored as a float is exactly 10^25, as the engine compares it.
    assert q.normalize_answers({"gpai": {"training_compute_flops": 1e25}}) == {
        "gpai": {"training_compute_flops": 10**25}
    }


def test_every_code_in_the_tables_has_a_question() -> None:
    tables = load_tables()
    paths = {question.path for question in q.all_questions()}

    for key, codes in (
        ("practices", tables.practices),
        ("practice_exceptions", tables.exceptions),
        ("annex_iii", tables.annex_iii),
    ):
        assert {f"{key}.{code}" for code in codes} <= paths
    legislation = next(question for question in q.all_questions() if question.path == "annex_i.legislation")
    offered = {value for _, choices in legislation.choice_groups for value, _ in choices}
    assert offered == set(tables.annex_i)
