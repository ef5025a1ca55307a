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
    deployer_public_body_or_public_service = models.BooleanField(
        default=False,
        help_text="The deployer is a body governed by public law or a private entity providing public services "
        "(Art. 27: a fundamental rights impact assessment is then required for high-risk use)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApprovalState(models.TextChoices):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


OPEN_OR_IN_FORCE = ["draft", "submitted", "in_review", "changes_requested", "approved", "suspended"]


class DeploymentEnvironment(models.TextChoices):
    PRODUCTION = "production"
    STAGING = "staging"


class ApprovalRequest(models.Model):
    """A request to deploy one model version for one use case in one environment."""

    version = models.ForeignKey("registry.ModelVersion", on_delete=models.PROTECT, related_name="approval_requests")
    use_case = models.ForeignKey(UseCase, on_delete=models.PROTECT, related_name="approval_requests")
    environment = models.CharField(max_length=12, choices=DeploymentEnvironment.choices)
    state = models.CharField(max_length=20, choices=ApprovalState.choices, default=ApprovalState.DRAFT)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # {"risk_management": {"reference": "...", "sha256": "..."}, ...}
    evidence = models.JSONField(default=dict, blank=True)
    # The separate licence from the licensor, when the license verdict needs one.
    separate_license = models.JSONField(null=True, blank=True)
    # {"max_monthly_active_users": int | null, "guardrail_policy": str, "notes": str}
    conditions = models.JSONField(default=dict, blank=True)
    tier = models.CharField(max_length=20, blank=True, help_text="EU AI Act tier when last checked")
    gpai = models.CharField(max_length=24, blank=True)
    required_signoffs = models.JSONField(default=list, blank=True, help_text="Roles, one entry per person needed")
    gate_results = models.JSONField(default=list, blank=True)
    state_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_notified_at = models.DateTimeField(null=True, blank=True, help_text="When owners were told it expires soon")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "use_case", "environment"],
                condition=models.Q(state__in=OPEN_OR_IN_FORCE),
                name="approval_one_open_per_triple",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.version} for {self.use_case} in {self.environment} ({self.state})"


class SignOff(models.Model):
    """One person's approval of a request, counted for one required role."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="signoffs")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=40)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["request", "signer"], name="signoff_one_per_person")]

    def __str__(self) -> str:
        return f"{self.signer} as {self.role} on #{self.request_id}"


class ExportText(models.Model):
    """An officer's text for one item of the documentation exports, kept with a use case or a model version.

    ``key`` is the item's key in compliance/exports/sections (e.g. ``human_oversight_assessment``).
    Every change is audited; the exports issued earlier keep the text they were made with.
    """

    use_case = models.ForeignKey(UseCase, null=True, blank=True, on_delete=models.CASCADE, related_name="export_texts")
    version = models.ForeignKey(
        "registry.ModelVersion", null=True, blank=True, on_delete=models.CASCADE, related_name="export_texts"
    )
    key = models.CharField(max_length=80)
    text = models.TextField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(use_case__isnull=False, version__isnull=True)
                | models.Q(use_case__isnull=True, version__isnull=False),
                name="export_text_one_owner",
            ),
            models.UniqueConstraint(fields=["use_case", "key"], name="export_text_unique_use_case_key"),
            models.UniqueConstraint(fields=["version", "key"], name="export_text_unique_version_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} of {self.use_case or self.version}"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ExportDocument(models.Model):
    """One document Modelgate issued (or is generating), kept with its hash and the data it came from.

    Regenerating makes a new row: earlier versions stay (Art. 18 keeps technical documentation
    for ten years). The content is immutable once done.
    """

    kind = models.CharField(max_length=30)
    format = models.CharField(max_length=10)
    approval = models.ForeignKey(
        ApprovalRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="export_documents"
    )
    version = models.ForeignKey("registry.ModelVersion", on_delete=models.PROTECT, related_name="export_documents")
    sequence = models.PositiveIntegerField(help_text="1 for the first of this kind, format and target, then 2, ...")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done")
    progress_note = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when made from the command line without --as-user",
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    sha256 = models.CharField(max_length=64, blank=True)
    data_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the facts and texts it was made from"
    )
    missing_items = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "format", "approval", "version", "sequence"], name="export_document_unique_sequence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}.{self.format} #{self.sequence} of {self.approval or self.version}"

    @property
    def requester_label(self) -> str:
        return self.requested_by.get_username() if self.requested_by is not None else "system (command line)"
