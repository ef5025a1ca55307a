from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest

from core.admin_mixins import RoleAdminMixin, ServiceErrorsInAdmin
from core.errors import ApplicationError
from core.roles import Capability, user_can
from registry import services
from registry.models import LineageLink, Model, ModelVersion, ModelVersionDocument, Organization


class ServiceSavingAdmin(ServiceErrorsInAdmin, RoleAdminMixin):
    """Edits made in the admin are saved by the same service the API uses, so they are audited alike."""

    editable_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name not in self.editable_fields]  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in self.editable_fields}
        self.save_with_service(request, obj, changes)

    def save_with_service(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> None:
        raise NotImplementedError


@admin.register(Organization)
class OrganizationAdmin(ServiceSavingAdmin, admin.ModelAdmin[Organization]):
    view_capability = Capability.REGISTRY_VIEW
    manage_capability = Capability.REGISTRY_MANAGE
    editable_fields = ("name", "hub_namespace", "website")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "hub_namespace", "website", "created_at"]
    search_fields = ["name", "hub_namespace"]

    def save_with_service(self, request: HttpRequest, obj: Organization, changes: dict[str, Any]) -> None:
        services.organization_update(actor=request.user, organization=obj, reason="edited in the admin", **changes)


class RegistryInlineMixin:
    """Inlines are read-only and visible to every role that may read the registry."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, Capability.REGISTRY_VIEW)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionInline(RegistryInlineMixin, admin.TabularInline[ModelVersion, Model]):
    model = ModelVersion
    fields = readonly_fields = ("revision", "source", "declared_license", "imported_at", "locked_at")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ModelEditForm(forms.ModelForm[Model]):
    """Checks modalities as the service will, so a refused edit is a form error, not a false "saved"."""

    class Meta:
        model = Model
        fields = list(services.MODEL_EDITABLE_FIELDS)

    def clean_modalities(self) -> list[str]:
        try:
            return services.model_modalities_clean(self.cleaned_data.get("modalities"))
        except ApplicationError as exc:
            raise forms.ValidationError(exc.fields.get("modalities", [exc.message])) from exc


@admin.register(Model)
class ModelAdmin(ServiceSavingAdmin, admin.ModelAdmin[Model]):
    view_capability = Capability.REGISTRY_VIEW
    manage_capability = Capability.REGISTRY_MANAGE
    editable_fields = services.MODEL_EDITABLE_FIELDS
    form = ModelEditForm
    list_display = ["hub_id", "provider", "task", "architecture", "parameter_count", "training_compute_flops"]
    list_filter = ["provider", "task", "architecture"]
    search_fields = ["hub_id", "provider__name", "architecture"]
    list_select_related = ["provider"]
    inlines = [VersionInline]

    def save_with_service(self, request: HttpRequest, obj: Model, changes: dict[str, Any]) -> None:
        services.model_update(actor=request.user, model=obj, reason="edited in the admin", **changes)


class LineageInline(RegistryInlineMixin, admin.TabularInline[LineageLink, ModelVersion]):
    model = LineageLink
    fk_name = "child"
    fields = readonly_fields = ("relation", "relation_declared", "parent_ref", "parent_hub_id", "parent_version")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DocumentInline(RegistryInlineMixin, admin.TabularInline[ModelVersionDocument, ModelVersion]):
    model = ModelVersionDocument
    fields = readonly_fields = ("path", "kind", "size", "sha256")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(RoleAdminMixin, admin.ModelAdmin[ModelVersion]):
    """Versions are created by import and never edited, so every field is read-only."""

    view_capability = Capability.REGISTRY_VIEW
    list_display = ["model", "short_revision", "source", "declared_license", "license_file", "imported_at", "locked"]
    list_filter = ["source", "declared_license", "model__provider", "imported_at"]
    search_fields = ["model__hub_id", "=revision", "declared_license", "license_sha256"]
    list_select_related = ["model"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    inlines = [LineageInline, DocumentInline]

    @admin.display(description="revision")
    def short_revision(self, version: ModelVersion) -> str:
        return version.revision[:12]

    @admin.display(boolean=True, description="locked")
    def locked(self, version: ModelVersion) -> bool:
        return version.is_locked
