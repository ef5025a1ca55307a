from __future__ import annotations

from django.conf import settings
from django.db import models

from compliance.licenses.terms import Category


class CatalogLicense(models.Model):
    """The database copy of a catalog entry, for browsing, filtering and references.

    The YAML files are the source of truth; ``sync_license_catalog`` keeps this table
    equal to them. The engine itself reads the files, not this table.
    """

    id = models.CharField(primary_key=True, max_length=120)
    name = models.CharField(max_length=300)
    version = models.CharField(max_length=60, blank=True)
    date = models.CharField(max_length=10, blank=True)
    url = models.URLField(max_length=500, blank=True)
    category = models.CharField(max_length=30, choices=[(c.value, c.value) for c in Category])
    osi_approved = models.BooleanField(help_text="From the SPDX license list data")
    reviewed = models.BooleanField(help_text="False for SPDX licenses described only by their category")
    hf_tags = models.JSONField(default=list, blank=True)
    hf_license_names = models.JSONField(default=list, blank=True)
    terms = models.JSONField(default=dict, blank=True)
    content_sha256 = models.CharField(max_length=64, help_text="Hash of the entry as loaded, to tell versions apart")
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["category"], name="catalog_category_idx")]

    def __str__(self) -> str:
        return f"{self.id} ({self.name})"


class LicenseAssessment(models.Model):
    """What the license engine knows about one registry version: declared vs detected, lineage, findings."""

    version = models.OneToOneField("registry.ModelVersion", on_delete=models.CASCADE, related_name="license_assessment")
    declared_expression = models.CharField(
        max_length=1000, blank=True, help_text="The catalog license(s) the card's license tag/name maps to"
    )
    detected_license = models.CharField(max_length=120, blank=True, help_text="Recognized from the LICENSE text")
    detection_confidence = models.FloatField(null=True, blank=True)
    detection_matched_by = models.CharField(max_length=20, blank=True)
    own_expression = models.CharField(
        max_length=1000, help_text="This version's own license (the text wins over the tag)"
    )
    effective_expression = models.CharField(
        max_length=4000, help_text="Its own license AND those of every base model in its lineage"
    )
    tag_text_mismatch = models.BooleanField(default=False)
    findings = models.JSONField(default=list, blank=True)
    catalog_sha256 = models.CharField(max_length=64, help_text="The catalog the assessment was made with")
    assessed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.version}: {self.effective_expression}"


class PolicyEffect(models.TextChoices):
    DENY = "deny", "Deny"
    REQUIRE_SIGNOFF = "require_signoff", "Require a sign-off"


class PolicyEnvironment(models.TextChoices):
    ANY = "any", "Any environment"
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"


class LicensePolicyRule(models.Model):
    """An organization's own rule on licenses, applied by approvals on top of the license verdict."""

    class MatchKind(models.TextChoices):
        CATEGORY = "category", "License category"
        LICENSE = "license", "License id"

    name = models.CharField(max_length=200, unique=True)
    match_kind = models.CharField(max_length=10, choices=MatchKind.choices)
    match_value = models.CharField(max_length=120, help_text="A category (e.g. non_commercial) or a license id")
    environment = models.CharField(max_length=12, choices=PolicyEnvironment.choices, default=PolicyEnvironment.ANY)
    effect = models.CharField(max_length=20, choices=PolicyEffect.choices)
    signoff_role = models.CharField(
        max_length=40, blank=True, help_text="For require_signoff: approver_legal or approver_security"
    )
    reason = models.TextField()
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UseCase(models.Model):
    """One intended use of models: what an approval is granted for, with the deployer's facts and answers.

    ``deployment_facts`` are the license engine's facts (compliance/licenses/facts.py) and
    ``classification_answers`` the EU AI Act answers (compliance/classification/README.md);
    both are validated by the services that write them.
    """

    name = models.CharField(max_length=200, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    intended_purpose = models.TextField()
    deployment_facts = models.JSONField(default=dict, blank=True)
    classification_answers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
