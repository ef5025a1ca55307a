"""Serving reads: what the gateway needs to admit a call, as plain immutable data.

The gateway caches these for at most a second (``MODELGATE_GATEWAY_ADMISSION_TTL_MS``), so a
revoked key, a suspended approval or a paused deployment stops traffic within that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from compliance.models import ApprovalRequest, ApprovalState
from core.roles import Capability, user_can
from registry.models import ModelVersion
from serving.models import Deployment, DeploymentState, GuardrailPolicyVersion, ServingKey, UsageRollup


@dataclass(frozen=True)
class KeyGrant:
    key_id: int
    user_id: int
    prefix: str
    deployment_names: frozenset[str]
    expires_at: datetime | None
    revoked: bool
    user_active: bool
    # The holder's roles still allow calling the endpoint (checked again, not only at issue time).
    may_invoke: bool
    rate_limit_per_minute: int | None

    def refusal(self, now: datetime) -> str | None:
        """Why the key may not be used right now, or None."""
        if self.revoked:
            return "the key was revoked"
        if not self.user_active:
            return "the key's holder is deactivated"
        if not self.may_invoke:
            return "the key's holder no longer has a role that may call the endpoint"
        if self.expires_at is not None and self.expires_at <= now:
            return "the key expired"
        return None


@dataclass(frozen=True)
class Backend:
    base_url: str
    served_model_name: str


@dataclass(frozen=True)
class DeploymentGrant:
    deployment_id: int
    name: str
    state: str
    version_id: int
    revision: str
    approval_id: int
    approval_state: str
    approval_expires_at: datetime | None
    policy_version_id: int | None
    backends: tuple[Backend, ...]
    rate_limit_per_minute: int | None
    max_tokens_limit: int | None
    store_content: bool
    content_retention_days: int
    upstream_api_key_env: str
    # Set when this month's distinct end users exceed a license condition: why traffic is refused.
    license_block: str | None

    def refusal(self, now: datetime) -> str | None:
        """Why the deployment may not take traffic right now, or None. Checked on every request."""
        if self.state != DeploymentState.ACTIVE:
            return f"the deployment is {self.state}"
        if self.approval_state != ApprovalState.APPROVED:
            return f"its approval #{self.approval_id} is {self.approval_state}"
        if self.approval_expires_at is None or self.approval_expires_at <= now:
            return f"its approval #{self.approval_id} expired"
        if not self.backends:
            return "it has no enabled backend"
        if self.policy_version_id is None:
            return "its guardrail policy has no version"
        return None


def key_grant(key_hash: str) -> KeyGrant | None:
    """The key with this hash, or None."""
    key = ServingKey.objects.select_related("user").filter(key_hash=key_hash).first()
    if key is None:
        return None
    return KeyGrant(
        key_id=key.pk,
        user_id=key.user_id,
        prefix=key.prefix,
        deployment_names=frozenset(key.deployments.values_list("name", flat=True)),
        expires_at=key.expires_at,
        revoked=key.revoked_at is not None,
        user_active=key.user.is_active,
        may_invoke=user_can(key.user, Capability.SERVING_INVOKE),
        rate_limit_per_minute=key.rate_limit_per_minute,
    )


def deployment_grant(name: str, *, now: datetime | None = None) -> DeploymentGrant | None:
    """The deployment called ``name`` with its approval, current policy version and license status."""
    deployment = Deployment.objects.select_related("approval").filter(name=name).first()
    if deployment is None:
        return None
    approval = deployment.approval
    current = policy_current_version(deployment.guardrail_policy_id)
    policy_version_id = current.pk if current is not None else None
    backends = tuple(
        Backend(base_url=b.base_url, served_model_name=b.served_model_name)
        for b in deployment.backends.filter(enabled=True).order_by("pk")
    )
    return DeploymentGrant(
        deployment_id=deployment.pk,
        name=deployment.name,
        state=deployment.state,
        version_id=deployment.version_id,
        revision=deployment.revision,
        approval_id=approval.pk,
        approval_state=approval.state,
        approval_expires_at=approval.expires_at,
        policy_version_id=policy_version_id,
        backends=backends,
        rate_limit_per_minute=deployment.rate_limit_per_minute,
        max_tokens_limit=deployment.max_tokens_limit,
        store_content=deployment.store_content,
        content_retention_days=deployment.content_retention_days,
        upstream_api_key_env=deployment.upstream_api_key_env,
        license_block=license_block(deployment, now=now),
    )


# Owners are warned when monthly active users reach this share of a license threshold.
LICENSE_WARNING_SHARE = 0.8


def license_condition_level(used: int, limit: int) -> str | None:
    """'exceeded' past a license threshold, 'warning' from 80 % of it, else None."""
    if used > limit:
        return "exceeded"
    return "warning" if used >= limit * LICENSE_WARNING_SHARE else None


def license_block(deployment: Deployment, *, now: datetime | None = None) -> str | None:
    """The first license condition this month's distinct end users exceed, as a reason (limits are the most allowed)."""
    if not deployment.license_conditions:
        return None
    today = (now or timezone.now()).astimezone(UTC).date()
    latest = (
        UsageRollup.objects.filter(deployment=deployment, day__gte=today.replace(day=1), day__lte=today)
        .order_by("-day")
        .values_list("month_distinct_end_users", flat=True)
        .first()
    )
    used = latest or 0
    for condition in deployment.license_conditions:
        if used > condition["limit"]:
            return f"{used} monthly active users exceed the {condition['limit']} allowed by {condition['source']}"
    return None


def policy_version_validators(version_id: int) -> list[dict[str, object]]:
    return list(GuardrailPolicyVersion.objects.values_list("validators", flat=True).get(pk=version_id))


def policy_current_version(policy_id: int) -> GuardrailPolicyVersion | None:
    """A guardrail policy's published version in force: the highest number."""
    return GuardrailPolicyVersion.objects.filter(policy_id=policy_id).order_by("-number").first()


def export_facts(*, version: ModelVersion, approval: ApprovalRequest | None = None) -> dict[str, str]:
    """The serving facts the documentation exports show (settings.MODELGATE_EXPORT_FACT_PROVIDERS)."""
    deployments = Deployment.objects.filter(version=version).select_related("guardrail_policy")
    if approval is not None:
        deployments = deployments.filter(approval=approval)
    deployments = deployments.exclude(state=DeploymentState.RETIRED).prefetch_related("backends")
    endpoints: list[str] = []
    policies: list[str] = []
    backends: list[str] = []
    for deployment in deployments:
        endpoints.append(
            f"model '{deployment.name}' on the OpenAI-compatible gateway (/v1/chat/completions, /v1/completions), "
            f"{deployment.state}, {deployment.environment}"
        )
        policy = deployment.guardrail_policy
        latest = policy_current_version(policy.pk)
        if latest is not None:
            names = ", ".join(f"{v.get('name')} on {v.get('on')} ({v.get('on_fail')})" for v in latest.validators)
            policies.append(f"{policy.name} v{latest.number}: {names or 'no validators'}")
        backends.extend(f"{b.base_url} serving {b.served_model_name}" for b in deployment.backends.all() if b.enabled)
    retention = settings.MODELGATE_INFERENCE_RETENTION_DAYS
    return {
        "deployment.endpoints": "; ".join(endpoints),
        "deployment.guardrail_policy": "; ".join(policies),
        "deployment.backends": "; ".join(backends),
        "serving.inference_records_retention": f"{retention} days (EU AI Act Art. 19(1), 26(6): at least six months)",
        "serving.log_fields": (
            "per call: request id, time, key and user, deployment, model version and revision, approval, client IP, "
            "end-user id, SHA-256 of prompt and completion, token counts, each guardrail's outcome, status, "
            "latency breakdown"
        ),
    }
