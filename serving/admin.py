from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from compliance.models import ApprovalRequest, ApprovalState
from core.admin_mixins import RoleAdminMixin, ServiceErrorsInAdmin
from core.errors import ApplicationError
from core.roles import Capability, user_can
from serving import services
from serving.guardrails.specs import describe_validator_types, parse_policy_spec
from serving.models import (
    Deployment,
    GuardrailPolicy,
    GuardrailPolicyVersion,
    InferenceRecord,
    ServingKey,
    UsageRollup,
)
from serving.selectors import policy_current_version


class JSONText(forms.CharField):
    """A JSON value edited as text, with the parse error shown on the field."""

    widget = forms.Textarea(attrs={"rows": 14, "cols": 100, "style": "font-family: monospace"})

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value) or ""
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc}") from exc

    def prepare_value(self, value: Any) -> Any:
        return value if isinstance(value, str) else json.dumps(value, indent=2)


def _validator_help() -> str:
    lines = [f"{item['name']}: {item['summary']}" for item in describe_validator_types()]
    return (
        'A list of {"name", "on": "input"|"output", "on_fail": "exception"|"fix"|"filter"|"noop", "params"}. '
        "Validators: " + "; ".join(lines)
    )


class GuardrailPolicyForm(forms.ModelForm[GuardrailPolicy]):
    validators = JSONText(help_text="")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="What changed and why (audited)")

    def clean_validators(self) -> Any:
        """The service's own check, so a bad spec is an error on this field and the typed JSON stays."""
        value = self.cleaned_data.get("validators")
        try:
            parse_policy_spec(value)
        except ApplicationError as exc:
            raise forms.ValidationError(
                [f"{path}: {problem}" for path, problems in exc.fields.items() for problem in problems] or [exc.message]
            ) from exc
        return value

    class Meta:
        model = GuardrailPolicy
        fields = ["name", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["validators"].help_text = _validator_help()
        if self.instance.pk:
            self.fields["name"].disabled = True
            latest = policy_current_version(self.instance.pk)
            self.fields["validators"].initial = latest.validators if latest else []
        else:
            self.fields["note"].required = False


class GuardrailPolicyVersionInline(admin.TabularInline[GuardrailPolicyVersion, GuardrailPolicy]):
    model = GuardrailPolicyVersion
    fields = ["number", "validators", "note", "created_by", "created_at"]
    readonly_fields = ["number", "validators", "note", "created_by", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GuardrailPolicy)
class GuardrailPolicyAdmin(ServiceErrorsInAdmin, RoleAdminMixin, admin.ModelAdmin[GuardrailPolicy]):
    """Saving publishes a new, numbered version; earlier versions stay as they were (records point at them)."""

    view_capability = Capability.SERVING_VIEW
    manage_capability = Capability.SERVING_MANAGE
    form = GuardrailPolicyForm
    list_display = ["name", "description", "created_at"]
    inlines = [GuardrailPolicyVersionInline]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, Capability.SERVING_MANAGE)

    def save_model(self, request: HttpRequest, obj: GuardrailPolicy, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.guardrail_policy_publish(
                actor=request.user, policy=obj, validators=data["validators"], note=data["note"]
            )
            obj.description = data["description"]
            GuardrailPolicy.objects.filter(pk=obj.pk).update(description=obj.description)
        else:
            created = services.guardrail_policy_create(
                actor=request.user,
                name=data["name"],
                description=data["description"],
                validators=data["validators"],
                note=data.get("note", ""),
            )
            obj.pk = created.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Versions are written by the service, never by the inline."""


class DeploymentForm(forms.ModelForm[Deployment]):
    backends = JSONText(help_text='[{"base_url": "http://vllm:8000", "served_model_name": "llama-3.1-8b"}]')
    license_conditions = JSONText(
        required=False, help_text="Leave empty to derive them from the licenses and the approval"
    )

    class Meta:
        model = Deployment
        fields = [
            "name",
            "approval",
            "guardrail_policy",
            "rate_limit_per_minute",
            "max_tokens_limit",
            "store_content",
            "content_retention_days",
            "model_source",
            "max_model_len",
            "tensor_parallel_size",
            "state",
            "state_reason",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["name"].disabled = True
            self.fields["approval"].disabled = True
            self.fields["backends"].initial = [
                {"base_url": b.base_url, "served_model_name": b.served_model_name} for b in self.instance.backends.all()
            ]
            self.fields["license_conditions"].initial = self.instance.license_conditions
        else:
            approval_field = self.fields["approval"]
            assert isinstance(approval_field, forms.ModelChoiceField)
            approval_field.queryset = ApprovalRequest.objects.filter(state=ApprovalState.APPROVED)
            self.fields["model_source"].required = False
            self.fields.pop("state")
            self.fields.pop("state_reason")

    def clean_license_conditions(self) -> Any:
        value = self.cleaned_data.get("license_conditions")
        return None if value in ("", None) else value


@admin.register(Deployment)
class DeploymentAdmin(ServiceErrorsInAdmin, RoleAdminMixin, admin.ModelAdmin[Deployment]):
    view_capability = Capability.SERVING_VIEW
    manage_capability = Capability.SERVING_MANAGE
    form = DeploymentForm
    list_display = ["name", "version", "environment", "state", "guardrail_policy", "approval"]
    list_filter = ["state", "environment"]
    search_fields = ["name"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, Capability.SERVING_MANAGE)

    def save_model(self, request: HttpRequest, obj: Deployment, form: Any, change: bool) -> None:
        data = form.cleaned_data
        settings_fields = {
            name: data[name]
            for name in (
                "guardrail_policy",
                "rate_limit_per_minute",
                "max_tokens_limit",
                "store_content",
                "content_retention_days",
                "max_model_len",
                "tensor_parallel_size",
            )
        }
        if not change:
            created = services.deployment_create(
                actor=request.user,
                name=data["name"],
                approval=data["approval"],
                backends=data["backends"],
                license_conditions=data["license_conditions"],
                model_source=data["model_source"],
                **settings_fields,
            )
            obj.pk = created.pk
            return
        current = Deployment.objects.get(pk=obj.pk)
        changes: dict[str, Any] = {
            name: value for name, value in settings_fields.items() if getattr(current, name) != value
        }
        changes["backends"] = data["backends"]
        if data["model_source"] != current.model_source:
            changes["model_source"] = data["model_source"]
        if data["license_conditions"] is not None and data["license_conditions"] != current.license_conditions:
            changes["license_conditions"] = data["license_conditions"]
        services.deployment_update(actor=request.user, deployment=current, reason="changed in the admin", **changes)
        if data["state"] != current.state:
            services.deployment_set_state(
                actor=request.user, deployment=current, state=data["state"], reason=data["state_reason"]
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Backends are written by the service."""


class ServingKeyForm(forms.ModelForm[ServingKey]):
    class Meta:
        model = ServingKey
        fields = ["name", "user", "deployments", "expires_at", "rate_limit_per_minute"]


@admin.register(ServingKey)
class ServingKeyAdmin(ServiceErrorsInAdmin, RoleAdminMixin, admin.ModelAdmin[ServingKey]):
    """Keys are issued here (shown once, on the page after saving) and revoked with the list action."""

    view_capability = Capability.SERVING_VIEW
    form = ServingKeyForm
    list_display = ["prefix", "name", "user", "expires_at", "revoked_at", "created_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, Capability.SERVING_MANAGE)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and user_can(request.user, Capability.SERVING_MANAGE)

    def save_model(self, request: HttpRequest, obj: ServingKey, form: Any, change: bool) -> None:
        data = form.cleaned_data
        key, plaintext = services.serving_key_issue(
            actor=request.user,
            user=data["user"],
            name=data["name"],
            deployments=list(data["deployments"]),
            expires_at=data["expires_at"],
            rate_limit_per_minute=data["rate_limit_per_minute"],
        )
        obj.pk = key.pk
        # Shown on the next page only: never stored, never put in a cookie or the session.
        request._modelgate_issued_key = plaintext  # type: ignore[attr-defined]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Scopes are written by the service."""

    def response_add(self, request: HttpRequest, obj: ServingKey, post_url_continue: str | None = None) -> HttpResponse:
        context = {**self.admin_site.each_context(request), "key": obj, "plaintext": request._modelgate_issued_key}  # type: ignore[attr-defined]
        return TemplateResponse(request, "serving/key_issued.html", context)

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ServingKey]) -> None:
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            try:
                services.serving_key_revoke(
                    actor=request.user, key=key, reason=f"revoked in the admin by {request.user}"
                )
                count += 1
            except ApplicationError as exc:
                self.message_user(request, f"{key}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{count} key(s) revoked.", messages.SUCCESS)


@admin.register(InferenceRecord)
class InferenceRecordAdmin(RoleAdminMixin, admin.ModelAdmin[InferenceRecord]):
    """The evidence of every call; nobody edits or deletes it here (retention does, audited)."""

    view_capability = Capability.SERVING_VIEW
    list_display = ["created_at", "request_id", "deployment", "status", "http_status", "end_user", "total_ms"]
    list_filter = ["status", "deployment", "streamed"]
    search_fields = ["request_id", "end_user", "prompt_sha256", "completion_sha256"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in InferenceRecord._meta.fields]
    list_select_related = ["deployment"]


@admin.register(UsageRollup)
class UsageRollupAdmin(RoleAdminMixin, admin.ModelAdmin[UsageRollup]):
    view_capability = Capability.SERVING_VIEW
    list_display = [
        "deployment",
        "day",
        "requests",
        "allowed",
        "blocked",
        "failed",
        "prompt_tokens",
        "completion_tokens",
        "distinct_end_users",
        "month_distinct_end_users",
    ]
    list_filter = ["deployment"]
    readonly_fields = [f.name for f in UsageRollup._meta.fields]
