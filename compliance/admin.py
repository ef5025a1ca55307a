from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from compliance import selectors, services
from compliance.approvals import admin as approvals_admin  # noqa: F401  (registers the approval admin)
from compliance.exports import admin as exports_admin  # noqa: F401  (registers the exports admin)
from compliance.exports.admin import generate_button
from compliance.models import CatalogLicense, LicenseAssessment, LicensePolicyRule, UseCase
from core.admin_mixins import RoleAdminMixin, ServiceErrorsInAdmin
from core.errors import ApplicationError
from core.roles import Capability, user_can
from registry.admin import ModelVersionAdmin
from registry.models import ModelVersion


@admin.register(CatalogLicense)
class CatalogLicenseAdmin(RoleAdminMixin, admin.ModelAdmin[CatalogLicense]):
    """The catalog is edited as reviewed files in the repository, never here."""

    view_capability = Capability.COMPLIANCE_VIEW
    list_display = ["id", "name", "version", "category", "osi_approved", "reviewed"]
    list_filter = ["category", "reviewed", "osi_approved"]
    search_fields = ["id", "name", "hf_tags", "hf_license_names"]
    readonly_fields = [f.name for f in CatalogLicense._meta.fields]


class LicensePolicyRuleForm(forms.ModelForm[LicensePolicyRule]):
    """Runs the service's own validation, so a refused rule is a form error, not a half-saved page."""

    class Meta:
        model = LicensePolicyRule
        fields = list(services.POLICY_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        values = {name: cleaned.get(name) for name in services.POLICY_FIELDS}
        try:
            services.license_policy_rule_validate(values)
        except ApplicationError as exc:
            if not exc.fields:
                self.add_error(None, exc.message)
            for field, problems in exc.fields.items():
                for problem in problems:
                    self.add_error(field if field in self.fields else None, problem)
            return cleaned
        cleaned.update(values)
        return cleaned


@admin.register(LicensePolicyRule)
class LicensePolicyRuleAdmin(ServiceErrorsInAdmin, RoleAdminMixin, admin.ModelAdmin[LicensePolicyRule]):
    """Rules are added and changed through the audited services; retire a rule by deactivating it."""

    view_capability = Capability.COMPLIANCE_VIEW
    manage_capability = Capability.POLICY_MANAGE
    list_display = ["name", "match_kind", "match_value", "environment", "effect", "signoff_role", "active"]
    list_filter = ["effect", "environment", "active", "match_kind"]
    search_fields = ["name", "match_value", "reason"]
    fields = list(services.POLICY_FIELDS)
    form = LicensePolicyRuleForm

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, Capability.POLICY_MANAGE)

    def save_model(self, request: HttpRequest, obj: LicensePolicyRule, form: ModelForm[Any], change: bool) -> None:
        # The form already ran the service's validation; anything the service still refuses
        # (a race on the name) undoes the save (ServiceErrorsInAdmin).
        values = {name: form.cleaned_data[name] for name in services.POLICY_FIELDS}
        if change:
            services.license_policy_rule_update(
                actor=request.user, rule=obj, reason_for_change="edited in the admin", **values
            )
        else:
            obj.pk = services.license_policy_rule_create(actor=request.user, **values).pk


class LicenseAssessmentInline(admin.StackedInline[LicenseAssessment, ModelVersion]):
    model = LicenseAssessment
    can_delete = False
    extra = 0
    fields = readonly_fields = (
        "declared_expression",
        "detected_license",
        "detection_confidence",
        "detection_matched_by",
        "own_expression",
        "effective_expression",
        "tag_text_mismatch",
        "findings",
        "assessed_at",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, Capability.COMPLIANCE_VIEW)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ModelVersionWithLicenseAdmin(ModelVersionAdmin):
    """The registry's version page, with what the license engine says about the version."""

    inlines = [*ModelVersionAdmin.inlines, LicenseAssessmentInline]
    list_display = [*ModelVersionAdmin.list_display, "effective_license", "mismatch"]
    list_select_related = ["model", "license_assessment"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "license_obligations", "documentation"]

    @admin.display(description="documentation")
    def documentation(self, version: ModelVersion) -> str:
        return generate_button(version=version) if version.pk else ""

    @admin.display(description="effective license")
    def effective_license(self, version: ModelVersion) -> str:
        assessment = getattr(version, "license_assessment", None)
        return assessment.effective_expression if assessment else "not assessed"

    @admin.display(boolean=True, description="tag ≠ text")
    def mismatch(self, version: ModelVersion) -> bool | None:
        assessment = getattr(version, "license_assessment", None)
        return assessment.tag_text_mismatch if assessment else None

    @admin.display(description="license verdict (default facts) and obligations")
    def license_obligations(self, version: ModelVersion) -> str:
        report = selectors.version_license_report(version)
        evaluation = report["default_evaluation"]
        items = format_html_join(
            "", "<li>{} <small>[{}]</small></li>", ((o["text"], o["clause"]) for o in evaluation["obligations"])
        )
        reasons = format_html_join(
            "", "<li>{} <small>[{}]</small></li>", ((r["text"], r["clause"]) for r in evaluation["reasons"])
        )
        return format_html(
            "<strong>{}</strong> for commercial production use<p>Obligations:</p><ul>{}</ul><p>Reasons:</p><ul>{}</ul>",
            evaluation["verdict"],
            items or "none",
            reasons,
        )


admin.site.unregister(ModelVersion)
admin.site.register(ModelVersion, ModelVersionWithLicenseAdmin)


class UseCaseForm(forms.ModelForm[UseCase]):
    """Validates facts and answers with the engines' validators before anything is saved."""

    class Meta:
        model = UseCase
        fields = list(services.USE_CASE_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            services.use_case_validate({name: cleaned.get(name) for name in services.USE_CASE_FIELDS})
        except ApplicationError as exc:
            field = next(iter(exc.fields), "").split(".", 1)[0]
            self.add_error(field if field in self.fields else None, exc.message)
        return cleaned


@admin.register(UseCase)
class UseCaseAdmin(ServiceErrorsInAdmin, RoleAdminMixin, admin.ModelAdmin[UseCase]):
    view_capability = Capability.COMPLIANCE_VIEW
    manage_capability = Capability.USE_CASE_MANAGE
    form = UseCaseForm
    fields = list(services.USE_CASE_FIELDS)
    list_display = ["name", "owner", "classification_tier", "updated_at"]
    search_fields = ["name", "intended_purpose", "owner__username"]
    list_select_related = ["owner"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, Capability.USE_CASE_MANAGE)

    @admin.display(description="EU AI Act tier")
    def classification_tier(self, use_case: UseCase) -> str:
        try:
            return str(selectors.use_case_assessment(use_case)["classification"]["tier"])
        except ApplicationError:
            return "answers invalid"

    def save_model(self, request: HttpRequest, obj: UseCase, form: forms.ModelForm[Any], change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in services.USE_CASE_FIELDS}
        if change:
            services.use_case_update(actor=request.user, use_case=obj, reason="edited in the admin", **values)
        else:
            obj.pk = services.use_case_create(actor=request.user, **values).pk
