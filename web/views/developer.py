"""The developer's page: the deployments I can call, my inference keys, my usage, how to call the gateway."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST, require_safe

from core.errors import ApplicationError
from core.roles import Capability, user_can
from serving.models import DeploymentState, ServingKey
from serving.services import serving_key_issue, serving_key_revoke
from web import selectors_developer as selectors
from web.access import page_requires
from web.charts import vertical_bars
from web.forms_developer import KeyCreateForm, KeyRevokeForm


@require_safe
@page_requires(Capability.SERVING_INVOKE)
def developer_home(request: HttpRequest) -> HttpResponse:
    """The page itself; the two POST views below render it again when their input is refused."""
    return _developer_page(request)


@require_POST
@page_requires(Capability.SERVING_INVOKE)
def key_create(request: HttpRequest) -> HttpResponse:
    """Issue a key for the signed-in user and show it this once (only its hash is stored)."""
    form = KeyCreateForm(request.POST)
    if not form.is_valid():
        return _developer_page(request, create_form=form, status=400)
    try:
        key, plaintext = serving_key_issue(
            actor=_user(request),
            user=_user(request),
            name=form.cleaned_data["name"],
            deployments=list(form.cleaned_data["deployments"]),
            expires_at=form.expires_at(timezone.now()),
            rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
        )
    except ApplicationError as error:
        form.add_service_error(error)
        return _developer_page(request, create_form=form, status=error.http_status)
    deployment_names = sorted(d.name for d in key.deployments.all())
    context = {
        "title": "Your new key",
        "section": "developer",
        "key": key,
        "plaintext": plaintext,
        "deployment_names": deployment_names,
        "curl": selectors.curl_example(model=deployment_names[0], key=plaintext),
        "base_url": selectors.gateway_base_url(),
    }
    response = TemplateResponse(request, "web/key_created.html", context)
    # The page holds the only copy of the key: no browser or proxy may keep it (the back button included).
    add_never_cache_headers(response)
    return response


@require_POST
@page_requires(Capability.SERVING_INVOKE)
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of my keys (managers may name anyone's; the service decides). Someone else's key is a 404."""
    keys = ServingKey.objects.all()
    if not user_can(request.user, Capability.SERVING_MANAGE):
        # Not 403: a developer must not learn which key ids exist.
        keys = keys.filter(user=_user(request))
    key = get_object_or_404(keys, pk=pk)
    form = KeyRevokeForm(request.POST)
    if form.is_valid():
        try:
            serving_key_revoke(actor=request.user, key=key, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            form.add_service_error(error)
            return _developer_page(request, revoke_form=form, revoke_key=key, status=error.http_status)
        messages.success(
            request, f"Key “{key.name}” ({key.prefix}…) is revoked; the gateway refuses it within a second."
        )
        return redirect("web:developer")
    return _developer_page(request, revoke_form=form, revoke_key=key, status=400)


def _user(request: HttpRequest) -> User:
    # page_requires has let only signed-in users through.
    assert isinstance(request.user, User)
    return request.user


def _developer_page(
    request: HttpRequest,
    *,
    create_form: KeyCreateForm | None = None,
    revoke_form: KeyRevokeForm | None = None,
    revoke_key: ServingKey | None = None,
    status: int = 200,
) -> TemplateResponse:
    user = _user(request)
    keys = selectors.keys_of(user)
    deployments = selectors.deployments_for(user, keys)
    usage = selectors.usage_of(user)
    example_model = deployments[0].deployment.name if deployments else None
    form = create_form or KeyCreateForm()
    context: dict[str, Any] = {
        "title": "Developer",
        "section": "developer",
        "keys": keys,
        "deployments": deployments,
        "scopable": sorted(
            (row.deployment for row in deployments if row.deployment.state == DeploymentState.ACTIVE),
            key=lambda deployment: deployment.name,
        ),
        "create_form": form,
        "selected_deployments": form.selected_deployment_ids(),
        "revoke_form": revoke_form,
        "revoke_key": revoke_key,
        # A refusal shows next to the key's revoke form; a key without one (revoked already, or a key
        # of someone else's that a manager named) gets it above the table.
        "revoke_error_inline": revoke_key is not None
        and any(row.key.pk == revoke_key.pk and row.active for row in keys),
        "usage": usage,
        "usage_chart": vertical_bars(
            f"Requests per day, last {usage.days} days",
            [(f"{day.day} {day:%b}", n) for day, n in usage.by_day],
            colour="#1d4ed8",
            width=1200,
        ),
        "base_url": selectors.gateway_base_url(),
        "examples": selectors.api_examples(model=example_model),
        "example_model": example_model,
    }
    return TemplateResponse(request, "web/developer.html", context, status=status)
