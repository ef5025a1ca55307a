"""Use cases and the EU AI Act risk questionnaire.

The views only move values between the request, ``web.questionnaire`` (pure: questions,
form <-> answers, effects) and ``compliance.services.use_case_update`` (the one audited write).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from compliance.classification.answers import AnswersError
from compliance.models import UseCase
from compliance.services import use_case_update
from core.errors import ApplicationError
from core.roles import Capability, user_can
from web import questionnaire as q
from web.access import forbidden, page_requires
from web.selectors import TIER_LABELS

# The service prefixes the answers' problems with the model field; the page names answer paths.
_ANSWERS_PREFIX = "classification_answers."
REASON_FIELD = "reason"


@page_requires(Capability.COMPLIANCE_VIEW)
def use_case_list(request: HttpRequest) -> HttpResponse:
    """Every use case with the tier its stored answers give and how many approvals rely on it."""
    use_cases = UseCase.objects.select_related("owner").annotate(approval_count=Count("approval_requests"))
    rows = [
        {
            "use_case": use_case,
            "tier": q.stored_tier(use_case.classification_answers),
            "answered": bool(use_case.classification_answers),
        }
        for use_case in use_cases.order_by("name")
    ]
    context = {"title": "Use cases", "section": "use-cases", "rows": rows}
    return TemplateResponse(request, "web/use_case_list.html", context)


@page_requires(Capability.COMPLIANCE_VIEW)
@require_http_methods(["GET", "HEAD", "POST"])
def questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    """Read the answers (anyone who may see compliance data) or change them (USE_CASE_MANAGE)."""
    use_case = get_object_or_404(UseCase.objects.select_related("owner"), pk=pk)
    if request.method != "POST":
        stored = use_case.classification_answers
        return _page(request, use_case, values=q.form_values(stored), answers=stored)
    # The service refuses it too; asking first gives the page's explanation instead of a form error.
    if not user_can(request.user, Capability.USE_CASE_MANAGE):
        return forbidden(
            request,
            f"Changing the answers needs the {Capability.USE_CASE_MANAGE.value} permission, which your roles do not give.",
        )
    return _save(request, use_case)


@page_requires(Capability.COMPLIANCE_VIEW)
@require_POST
def questionnaire_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The result panel for the posted answers, without saving them (the page's live preview)."""
    use_case = get_object_or_404(UseCase, pk=pk)
    answers, problems = q.answers_from_form(_posted(request))
    context = _result_context(answers, problems, saved_tier=q.stored_tier(use_case.classification_answers))
    status = 400 if context["error_message"] else 200
    return TemplateResponse(request, "web/_questionnaire_result.html", context, status=status)


def _posted(request: HttpRequest) -> dict[str, list[str]]:
    return dict(request.POST.lists())


def _save(request: HttpRequest, use_case: UseCase) -> HttpResponse:
    values = _posted(request)
    answers, problems = q.answers_from_form(values)
    stored = use_case.classification_answers
    if not problems and _same_answers(answers, stored):
        # Compared normalized (codes in any order): the service would take a reordered list for a change
        # and re-run every approval's gates.
        messages.info(request, "No answer changed, so nothing was saved.")
        return HttpResponseRedirect(reverse("web:questionnaire", args=[use_case.pk]))
    reason = request.POST.get(REASON_FIELD, "").strip()
    if not reason:
        problems[REASON_FIELD] = ["say why you are changing the answers; it is kept in the audit ledger"]
    if problems:
        problems = {**q.answer_problems(answers), **problems}
        return _page(
            request,
            use_case,
            values=values,
            answers=answers,
            problems=problems,
            error="The answers were not saved.",
            status=400,
        )
    try:
        use_case_update(actor=request.user, use_case=use_case, reason=reason, classification_answers=answers)
    except ApplicationError as exc:
        fields = {name.removeprefix(_ANSWERS_PREFIX): list(found) for name, found in exc.fields.items()}
        return _page(
            request,
            use_case,
            values=values,
            answers=answers,
            problems=fields,
            error=f"The answers were not saved: {exc.message}",
            status=exc.http_status,
        )
    tier = q.stored_tier(answers)
    messages.success(request, f"Answers saved. The use case is now classified as: {TIER_LABELS.get(tier, tier)}.")
    return HttpResponseRedirect(reverse("web:questionnaire", args=[use_case.pk]))


def _same_answers(answers: Any, stored: Any) -> bool:
    try:
        return q.normalize_answers(answers) == q.normalize_answers(stored)
    except AnswersError:
        return False


def _result_context(
    answers: Mapping[str, Any], problems: Mapping[str, Sequence[str]], *, saved_tier: str
) -> dict[str, Any]:
    """The result panel's context: the assessment, or the problems that prevent one."""
    context: dict[str, Any] = {"assessment": None, "error_message": "", "error_fields": {}, "saved_tier": saved_tier}
    answer_fields = {name: found for name, found in problems.items() if name != REASON_FIELD}
    if answer_fields:
        context["error_message"] = "These answers cannot be classified until the marked problems are fixed."
        context["error_fields"] = answer_fields
        return context
    try:
        assessment = q.assess(answers)
    except AnswersError as exc:
        context["error_message"] = exc.message
        context["error_fields"] = exc.fields
        return context
    context["assessment"] = assessment
    context["tier_label"] = TIER_LABELS.get(assessment.tier, assessment.tier)
    return context


def _page(
    request: HttpRequest,
    use_case: UseCase,
    *,
    values: Mapping[str, Sequence[str]],
    answers: Mapping[str, Any],
    problems: Mapping[str, Sequence[str]] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    problems = problems or {}
    context = {
        "title": f"EU AI Act questionnaire: {use_case.name}",
        "section": "use-cases",
        "use_case": use_case,
        "sections": q.bind(values, problems),
        "reason": values.get(REASON_FIELD, [""])[0] if status != 200 else "",
        "reason_errors": problems.get(REASON_FIELD, ()),
        "problems": problems,
        "error": error,
        "can_edit": user_can(request.user, Capability.USE_CASE_MANAGE),
        **_result_context(answers, problems, saved_tier=q.stored_tier(use_case.classification_answers)),
    }
    return TemplateResponse(request, "web/questionnaire.html", context, status=status)
