from __future__ import annotations

from typing import Any

from rest_framework import serializers

from registry.models import LineageLink, Modality, Model, ModelVersion, ModelVersionDocument, Organization


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    model_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Organization
        fields = ["id", "name", "hub_namespace", "website", "model_count", "created_at", "updated_at"]
        read_only_fields = ["id", "model_count", "created_at", "updated_at"]


class OrganizationInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    hub_namespace = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$", required=False, allow_null=True, allow_blank=True, max_length=96
    )
    website = serializers.URLField(required=False, allow_blank=True, max_length=200)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, write_only=True)


class ModelSerializer(serializers.ModelSerializer[Model]):
    provider: serializers.SlugRelatedField[Organization] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    provider_id = serializers.IntegerField(read_only=True)
    version_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Model
        fields = [
            "id",
            "hub_id",
            "provider",
            "provider_id",
            "task",
            "modalities",
            "parameter_count",
            "architecture",
            "training_compute_flops",
            "description",
            "version_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ModelUpdateSerializer(serializers.Serializer[Any]):
    task = serializers.CharField(required=False, allow_blank=True, max_length=64)
    modalities = serializers.ListField(
        child=serializers.ChoiceField(choices=Modality.choices), required=False, max_length=len(Modality.choices)
    )
    parameter_count = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**63 - 1)
    architecture = serializers.CharField(required=False, allow_blank=True, max_length=128)
    training_compute_flops = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1e40)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class LineageLinkSerializer(serializers.ModelSerializer[LineageLink]):
    parent_version_id = serializers.IntegerField(read_only=True, allow_null=True)
    parent_revision = serializers.SerializerMethodField()

    class Meta:
        model = LineageLink
        fields = [
            "relation",
            "relation_declared",
            "parent_ref",
            "parent_hub_id",
            "parent_version_id",
            "parent_revision",
        ]
        read_only_fields = fields

    def get_parent_revision(self, link: LineageLink) -> str | None:
        return link.parent_version.revision if link.parent_version is not None else None


class DocumentSerializer(serializers.ModelSerializer[ModelVersionDocument]):
    class Meta:
        model = ModelVersionDocument
        fields = ["path", "kind", "sha256", "size"]
        read_only_fields = fields


class ModelVersionListSerializer(serializers.ModelSerializer[ModelVersion]):
    model = serializers.CharField(source="model.hub_id", read_only=True)
    model_id = serializers.IntegerField(read_only=True)
    provider = serializers.CharField(source="model.provider.name", read_only=True)
    imported_by = serializers.SerializerMethodField()
    base_models = LineageLinkSerializer(source="base_links", many=True, read_only=True)
    locked = serializers.BooleanField(source="is_locked", read_only=True)

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "model",
            "model_id",
            "provider",
            "revision",
            "source",
            "declared_license",
            "declared_license_name",
            "declared_license_link",
            "license_file",
            "license_sha256",
            "base_models",
            "import_warnings",
            "imported_at",
            "imported_by",
            "locked",
            "locked_at",
        ]
        read_only_fields = fields

    def get_imported_by(self, version: ModelVersion) -> str | None:
        return version.imported_by.get_username() if version.imported_by is not None else None


class FileEntrySerializer(serializers.Serializer[Any]):
    path = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    sha256 = serializers.CharField(allow_null=True)
    blob_id = serializers.CharField(allow_null=True)


class ModelVersionDetailSerializer(ModelVersionListSerializer):
    files = FileEntrySerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)
    derived_versions = serializers.SerializerMethodField()

    class Meta(ModelVersionListSerializer.Meta):
        fields = [
            *ModelVersionListSerializer.Meta.fields,
            "files",
            "card_metadata",
            "tags",
            "config",
            "license_text",
            "documents",
            "derived_versions",
        ]
        read_only_fields = fields

    def get_derived_versions(self, version: ModelVersion) -> list[dict[str, Any]]:
        return [
            {
                "id": link.child_id,
                "model": link.child.model.hub_id,
                "revision": link.child.revision,
                "relation": link.relation,
            }
            for link in version.derived_links.all()
        ]


class ImportRequestSerializer(serializers.Serializer[Any]):
    repo_id = serializers.CharField(max_length=193, help_text="Hub model id, e.g. meta-llama/Llama-3.1-8B-Instruct")
    revision = serializers.RegexField(
        r"^[A-Za-z0-9._/-]{1,128}$",
        required=False,
        allow_null=True,
        help_text="Branch, tag or commit sha; the version is pinned to the commit it resolves to",
    )
    with_base_models = serializers.BooleanField(required=False, default=False)
    background = serializers.BooleanField(
        required=False, default=False, help_text="Queue the import as a Celery task and answer 202 at once"
    )


class ImportTaskSerializer(serializers.Serializer[Any]):
    task_id = serializers.CharField()
    status = serializers.CharField()
    version_id = serializers.IntegerField(allow_null=True, required=False)
    error = serializers.DictField(allow_null=True, required=False)
