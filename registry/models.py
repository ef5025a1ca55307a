from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

HUB_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$"
hub_id_validator = RegexValidator(HUB_ID_PATTERN, "must look like 'namespace/name' (letters, digits, '.', '_', '-')")


class Modality(models.TextChoices):
    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"


class Organization(models.Model):
    """A model provider, e.g. Meta or Mistral AI, known on the Hub by its namespace."""

    name = models.CharField(max_length=200, unique=True)
    hub_namespace = models.CharField(
        max_length=96, unique=True, null=True, blank=True, help_text="The Hugging Face namespace, e.g. meta-llama"
    )
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Model(models.Model):
    """A model as its provider publishes it; what is pinned and approved is a ``ModelVersion``."""

    hub_id = models.CharField(
        max_length=193, unique=True, validators=[hub_id_validator], help_text="e.g. meta-llama/Llama-3.1-8B-Instruct"
    )
    provider = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="models")
    task = models.CharField(max_length=64, blank=True, help_text="Hub pipeline tag, e.g. text-generation")
    modalities = models.JSONField(default=list, blank=True, help_text="Any of: text, image, audio, video")
    parameter_count = models.PositiveBigIntegerField(null=True, blank=True)
    architecture = models.CharField(max_length=128, blank=True, help_text="e.g. LlamaForCausalLM")
    training_compute_flops = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Cumulative training compute in FLOPs, where known",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["hub_id"]

    def __str__(self) -> str:
        return self.hub_id


class VersionSource(models.TextChoices):
    HUB = "hub", "Hugging Face Hub"
    LOCAL_SNAPSHOT = "local_snapshot", "Local snapshot directory"


class ModelVersionLocked(Exception):
    """Raised when code tries to change a version that an approval references."""


class ModelVersion(models.Model):
    """A model pinned to one revision with the hashes of its files.

    Everything below is recorded at import and never changes: what was reviewed
    is what gets served. Once an approval references the version, ``locked_at``
    is set and even the few annotations become read-only.
    """

    model = models.ForeignKey(Model, on_delete=models.PROTECT, related_name="versions")
    revision = models.CharField(max_length=64, help_text="The commit sha the version is pinned to")
    source = models.CharField(max_length=20, choices=VersionSource.choices)
    files = models.JSONField(default=list, help_text="[{path, size, sha256, blob_id}] for every file in the revision")
    card_metadata = models.JSONField(
        default=dict, blank=True, help_text="The model card's YAML front matter as imported"
    )
    tags = models.JSONField(default=list, blank=True)
    config = models.JSONField(null=True, blank=True, help_text="config.json as imported")
    declared_license = models.CharField(max_length=100, blank=True, help_text="The card's license: tag, e.g. llama3.1")
    declared_license_name = models.CharField(max_length=200, blank=True)
    declared_license_link = models.CharField(max_length=500, blank=True)
    license_file = models.CharField(max_length=255, blank=True, help_text="Path of the LICENSE file in the repo")
    license_text = models.TextField(blank=True)
    license_sha256 = models.CharField(max_length=64, blank=True)
    import_warnings = models.JSONField(default=list, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["model__hub_id", "-imported_at"]
        constraints = [
            models.UniqueConstraint(fields=["model", "revision"], name="registry_version_unique_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.model.hub_id}@{self.revision[:12]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.pk is not None:
            stored_lock = ModelVersion.objects.filter(pk=self.pk).values_list("locked_at", flat=True).first()
            if stored_lock is not None:
                raise ModelVersionLocked(f"{self} is referenced by an approval and cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_locked or ModelVersion.objects.filter(pk=self.pk, locked_at__isnull=False).exists():
            raise ModelVersionLocked(f"{self} is referenced by an approval and cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class ModelVersionDocument(models.Model):
    """A text file fetched with the version: README, LICENSE*, USE_POLICY*, config.json."""

    class Kind(models.TextChoices):
        README = "readme"
        LICENSE = "license"
        USE_POLICY = "use_policy"
        CONFIG = "config"

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="documents")
    path = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["version", "path"], name="registry_document_unique_path")]

    def __str__(self) -> str:
        return f"{self.version}:{self.path}"


class LineageRelation(models.TextChoices):
    FINE_TUNE = "fine_tune", "Fine-tune"
    ADAPTER = "adapter", "Adapter"
    QUANTIZED = "quantized", "Quantized"
    MERGE = "merge", "Merge"
    DISTILLATION = "distillation", "Distillation"


class LineageLink(models.Model):
    """One base model of a version: always by its declared id, and by version once it is in the registry."""

    child = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="base_links")
    relation = models.CharField(max_length=20, choices=LineageRelation.choices)
    relation_declared = models.BooleanField(
        default=True, help_text="False when the card did not say and the relation was inferred at import"
    )
    parent_ref = models.CharField(max_length=300, help_text="The base model as declared, e.g. meta-llama/Llama-3.1-8B")
    parent_hub_id = models.CharField(
        max_length=193,
        db_index=True,
        help_text="The base model's current Hub id (differs from parent_ref when the repository was renamed)",
    )
    parent_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="derived_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["child", "parent_ref"]
        constraints = [
            models.UniqueConstraint(fields=["child", "parent_ref"], name="registry_lineage_unique_parent"),
            models.CheckConstraint(condition=~Q(parent_ref=""), name="registry_lineage_parent_declared"),
            models.CheckConstraint(condition=~Q(child=models.F("parent_version")), name="registry_lineage_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.child} --{self.relation}--> {self.parent_ref}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.parent_hub_id:
            self.parent_hub_id = self.parent_ref  # not renamed, as far as anyone knows
        super().save(*args, **kwargs)
