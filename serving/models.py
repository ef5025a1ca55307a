"""Serving: deployments of approved model versions, guardrail policies, API keys, inference records."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

# What developers pass as `model`: lowercase, no spaces, safe in URLs, logs and Prometheus labels.
DEPLOYMENT_NAME = RegexValidator(
    r"^[a-z0-9][a-z0-9._:/-]{0,99}$",
    "use 1-100 lowercase letters, digits and . _ : / - (starting with a letter or digit)",
)
POLICY_NAME = RegexValidator(r"^[a-z0-9][a-z0-9._-]{0,79}$", "use 1-80 lowercase letters, digits and . _ -")


class GuardrailPolicy(models.Model):
    """A named set of guardrails; its content lives in immutable, numbered versions."""

    name = models.CharField(max_length=80, unique=True, validators=[POLICY_NAME])
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "guardrail policies"

    def __str__(self) -> str:
        return self.name


class GuardrailPolicyVersion(models.Model):
    """One published content of a policy. Never edited: a change publishes the next number."""

    policy = models.ForeignKey(GuardrailPolicy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # [{"name": "modelgate/pii", "on": "input", "on_fail": "fix", "params": {...}}, ...]; see serving/guardrails/specs.py
    validators = models.JSONField(default=list)
    note = models.TextField(blank=True, help_text="What changed and why")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="guardrail_policy_version_unique")]

    def __str__(self) -> str:
        return f"{self.policy.name} v{self.number}"


class DeploymentState(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"
    RETIRED = "retired"


class Deployment(models.Model):
    """An approved (model version, use case, environment) made callable under one name.

    The approval is checked on every request (cached for at most a second): when it is
    suspended, revoked or expired the deployment refuses traffic, whatever its own state.
    """

    name = models.CharField(
        max_length=100, unique=True, validators=[DEPLOYMENT_NAME], help_text="What developers pass as `model`"
    )
    approval = models.ForeignKey("compliance.ApprovalRequest", on_delete=models.PROTECT, related_name="deployments")
    version = models.ForeignKey("registry.ModelVersion", on_delete=models.PROTECT, related_name="deployments")
    revision = models.CharField(max_length=64, help_text="The commit sha vLLM must load (the version's pin)")
    environment = models.CharField(max_length=12)
    guardrail_policy = models.ForeignKey(GuardrailPolicy, on_delete=models.PROTECT, related_name="deployments")
    state = models.CharField(max_length=10, choices=DeploymentState.choices, default=DeploymentState.ACTIVE)
    state_reason = models.TextField(blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per minute for the whole deployment, per gateway replica"
    )
    max_tokens_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Largest max_tokens a request may ask for (and the default when absent)"
    )
    # [{"metric": "monthly_active_users", "limit": 700000000, "source": "LicenseRef-Llama-3.1 §2"}]
    license_conditions = models.JSONField(default=list, blank=True)
    store_content = models.BooleanField(
        default=False, help_text="Keep prompt and completion text in inference records (hashes are always kept)"
    )
    content_retention_days = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    # vLLM launch configuration (see `manage.py vllm_config`).
    model_source = models.CharField(
        max_length=500, help_text="Hub repo id or local path vLLM loads, e.g. meta-llama/Llama-3.1-8B-Instruct"
    )
    max_model_len = models.PositiveIntegerField(default=4096, validators=[MinValueValidator(16)])
    tensor_parallel_size = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    upstream_api_key_env = models.CharField(
        max_length=100,
        default="MODELGATE_VLLM_API_KEY",
        help_text="Environment variable holding the key vLLM requires (never stored in the database)",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeploymentBackend(models.Model):
    """One vLLM server (or router) that serves a deployment."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="backends")
    base_url = models.URLField(max_length=300, help_text="e.g. http://vllm-llama:8000 (without /v1)")
    served_model_name = models.CharField(max_length=200, help_text="vLLM's --served-model-name")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["deployment", "pk"]
        constraints = [models.UniqueConstraint(fields=["deployment", "base_url"], name="deployment_backend_unique_url")]

    def __str__(self) -> str:
        return f"{self.deployment.name} → {self.base_url}"


class ServingKey(models.Model):
    """A developer's key for the inference endpoint. Only its SHA-256 is stored; the key is shown once."""

    name = models.CharField(max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="serving_keys")
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognize the key in lists and logs")
    key_hash = models.CharField(max_length=64, unique=True)
    deployments = models.ManyToManyField(Deployment, related_name="keys", blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class InferenceStatus(models.TextChoices):
    OK = "ok"
    BLOCKED_INPUT = "blocked_input"
    BLOCKED_OUTPUT = "blocked_output"
    UNAUTHENTICATED = "unauthenticated"
    NOT_APPROVED = "not_approved"
    RATE_LIMITED = "rate_limited"
    BAD_REQUEST = "bad_request"
    UPSTREAM_ERROR = "upstream_error"
    UPSTREAM_TIMEOUT = "upstream_timeout"
    GUARDRAIL_ERROR = "guardrail_error"
    UNAVAILABLE = "unavailable"
    CLIENT_CLOSED = "client_closed"


class InferenceRecord(models.Model):
    """The evidence of one call to the inference endpoint, allowed, blocked or failed (EU AI Act Art. 12, 19).

    Texts are kept only as SHA-256 unless the deployment opts in; then until ``content_expires_at``.
    """

    request_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(db_index=True)
    endpoint = models.CharField(max_length=40)
    key = models.ForeignKey(ServingKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_model = models.CharField(max_length=200, blank=True)
    deployment = models.ForeignKey(Deployment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    model_version = models.ForeignKey(
        "registry.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revision = models.CharField(max_length=64, blank=True)
    approval = models.ForeignKey(
        "compliance.ApprovalRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    guardrail_policy_version = models.ForeignKey(
        GuardrailPolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    backend = models.CharField(max_length=300, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    end_user = models.CharField(max_length=256, blank=True, help_text="OpenAI's `user` field")
    streamed = models.BooleanField(default=False)
    prompt_sha256 = models.CharField(max_length=64, blank=True)
    completion_sha256 = models.CharField(max_length=64, blank=True)
    # NULL means "not kept" (the deployment did not opt in, or retention passed); "" is an empty text.
    prompt_text = models.TextField(null=True, blank=True)  # noqa: DJ001
    completion_text = models.TextField(null=True, blank=True)  # noqa: DJ001
    content_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    # [{"validator": "modelgate/pii", "on": "input", "outcome": "fixed", "on_fail": "fix", "kinds": "email"}]
    guardrail_outcomes = models.JSONField(default=list, blank=True)
    output_checked = models.BooleanField(
        default=False, help_text="The output guardrails ran over everything that was sent back"
    )
    status = models.CharField(max_length=20, choices=InferenceStatus.choices)
    http_status = models.PositiveSmallIntegerField()
    error_code = models.CharField(max_length=60, blank=True)
    error_detail = models.TextField(blank=True)
    auth_ms = models.FloatField(default=0)
    input_guard_ms = models.FloatField(default=0)
    upstream_ms = models.FloatField(default=0)
    output_guard_ms = models.FloatField(default=0)
    first_token_ms = models.FloatField(null=True, blank=True)
    total_ms = models.FloatField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["deployment", "created_at"], name="inference_deployment_time")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"


class UsageRollup(models.Model):
    """One deployment's usage on one day (UTC), recomputed from the inference records."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    requests = models.PositiveIntegerField(default=0)
    allowed = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    distinct_end_users = models.PositiveIntegerField(default=0)
    month_distinct_end_users = models.PositiveIntegerField(
        default=0, help_text="Distinct end users from the first of the month to this day"
    )
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["deployment", "-day"]
        constraints = [models.UniqueConstraint(fields=["deployment", "day"], name="usage_rollup_one_per_day")]

    def __str__(self) -> str:
        return f"{self.deployment.name} {self.day}"
