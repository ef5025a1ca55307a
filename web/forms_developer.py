"""Forms of the developer's page: issue a key for oneself, revoke one of one's keys.

The forms check the shape of the input; the services (``serving_key_issue``,
``serving_key_revoke``) keep the rules and their errors are put back on these fields.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms

from core.errors import ApplicationError
from web.selectors_developer import scopable_deployments

MAX_EXPIRY_DAYS = 365
# The services name some fields differently from the form: put their errors where the user typed.
_SERVICE_FIELDS = {"expires_at": "expires_in_days"}


class KeyCreateForm(forms.Form):
    """A key for the signed-in user, scoped to active deployments."""

    name = forms.CharField(
        max_length=100,
        help_text="To recognize the key later, e.g. the app or script that uses it.",
        error_messages={"required": "Give the key a name."},
    )
    deployments = forms.ModelMultipleChoiceField(
        # Lazy: evaluated on every validation, so a deployment retired a second ago is refused.
        queryset=scopable_deployments(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one deployment.",
            "invalid_choice": "%(value)s is not an active deployment.",
            "invalid_pk_value": "%(pk)s is not an active deployment.",
        },
    )
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text=f"Optional, 1-{MAX_EXPIRY_DAYS}. Leave empty for a key that lasts until you revoke it.",
    )
    rate_limit_per_minute = forms.IntegerField(
        label="Rate limit (requests per minute)",
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text="Optional. The deployment's own limit applies as well.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Distinct ids: the page also holds a revoke form per key.
        kwargs.setdefault("auto_id", "key-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def expires_at(self, now: datetime) -> datetime | None:
        """When the key stops working, counted from ``now``; None for a key without an expiry."""
        days = self.cleaned_data.get("expires_in_days")
        return None if days is None else now + timedelta(days=days)

    def selected_deployment_ids(self) -> set[str]:
        """The ticked boxes as posted, so a failed submission keeps them ticked."""
        return {str(value) for value in self["deployments"].value() or []}

    def add_service_error(self, error: ApplicationError) -> None:
        """Show a service's refusal on the field it names, or above the form."""
        add_service_error(self, error, renames=_SERVICE_FIELDS)


class KeyRevokeForm(forms.Form):
    """Why a key is revoked: it goes into the audit ledger."""

    reason = forms.CharField(max_length=500, error_messages={"required": "Say why you revoke the key."})

    def add_service_error(self, error: ApplicationError) -> None:
        """Show a service's refusal (e.g. "is revoked already") with the form."""
        add_service_error(self, error)


def add_service_error(form: forms.Form, error: ApplicationError, *, renames: dict[str, str] | None = None) -> None:
    """Put an ApplicationError's field problems on the form's fields; anything else is a form-wide error."""
    placed = False
    for field, problems in error.fields.items():
        name = (renames or {}).get(field, field)
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)
            placed = True
    if not placed:
        form.add_error(None, error.message)
