"""Reads the pages need that span the domain apps (the dashboard, a model's page, a developer's page).

Each domain rule stays in its app (license categories in the catalog, the MAU warning
share in serving); this module only gathers and counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from compliance.licenses.catalog import load_catalog
from compliance.licenses.expressions import license_ids
from compliance.licenses.terms import Category
from compliance.models import ApprovalRequest, ApprovalState, LicenseAssessment
from core.events import event_type_by_name
from core.ledger import audit_chain_verify
from core.models import AuditEvent
from registry.models import Model, ModelVersion
from serving.models import Deployment, InferenceRecord, InferenceStatus, UsageRollup
from serving.selectors import license_condition_level

OPEN_STATES = (ApprovalState.SUBMITTED, ApprovalState.IN_REVIEW)
BLOCKED_STATUSES = (InferenceStatus.BLOCKED_INPUT, InferenceStatus.BLOCKED_OUTPUT)
CATEGORY_LABELS = {
    Category.OSI_PERMISSIVE.value: "OSI permissive",
    Category.OSI_COPYLEFT.value: "OSI copyleft",
    Category.OPEN_NON_OSI.value: "Open, not OSI",
    Category.SOURCE_AVAILABLE_AI.value: "Source-available AI",
    Category.NON_COMMERCIAL.value: "Non-commercial",
    Category.RESEARCH_ONLY.value: "Research only",
    Category.PROPRIETARY.value: "Proprietary",
    "": "Not assessed",
}
TIER_LABELS = {
    "prohibited": "Prohibited",
    "high_risk": "High risk",
    "transparency": "Transparency duties",
    "minimal": "Minimal risk",
    "out_of_scope": "Out of scope",
    "": "Not yet classified",
}
TIER_ORDER = ("prohibited", "high_risk", "transparency", "minimal", "out_of_scope", "")
_CATEGORY_ORDER = [category.value for category in Category]
CHAIN_STATUS_CACHE_SECONDS = 300


def strictest_category(expression: str) -> str:
    """The most restrictive catalog category among an expression's licenses ('' when none is known)."""
    catalog = load_catalog()
    categories = [catalog.licenses[i].category.value for i in license_ids(expression, catalog) if i in catalog.licenses]
    return max(categories, key=_CATEGORY_ORDER.index, default="")


def latest_versions() -> QuerySet[ModelVersion]:
    """Each model's most recently imported version."""
    newest = ModelVersion.objects.filter(model=OuterRef("model")).order_by("-imported_at", "-pk").values("pk")[:1]
    return ModelVersion.objects.filter(pk=Subquery(newest)).select_related("model", "license_assessment")


def models_by_license_category() -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for version in latest_versions():
        assessment = getattr(version, "license_assessment", None)
        counts[strictest_category(assessment.effective_expression) if assessment else ""] += 1
    return [(CATEGORY_LABELS[key], counts[key]) for key in [*_CATEGORY_ORDER, ""] if counts[key]]


def models_by_risk_tier() -> list[tuple[str, int]]:
    """Each model once, under the highest EU AI Act tier any of its submitted use cases reached."""
    highest: dict[int, str] = {}
    rows = ApprovalRequest.objects.exclude(state=ApprovalState.DRAFT).exclude(tier="")
    for model_id, tier in rows.values_list("version__model_id", "tier"):
        current = highest.get(model_id)
        if tier in TIER_ORDER and (current is None or TIER_ORDER.index(tier) < TIER_ORDER.index(current)):
            highest[model_id] = tier
    counts = Counter(highest.get(model_id, "") for model_id in Model.objects.values_list("pk", flat=True))
    return [(TIER_LABELS[tier], counts[tier]) for tier in TIER_ORDER if counts[tier]]


@dataclass(frozen=True)
class ModelRow:
    version: ModelVersion  # the model's newest version
    expression: str
    category: str
    mismatch: bool
    version_count: int
    approved: int


def model_overview() -> list[ModelRow]:
    """Every model with its newest version's license, how many versions it has and its approved uses."""
    version_counts = dict(ModelVersion.objects.values_list("model_id").annotate(n=Count("pk")))
    approved = dict(
        ApprovalRequest.objects.filter(state=ApprovalState.APPROVED)
        .values_list("version__model_id")
        .annotate(n=Count("pk"))
    )
    rows = []
    for version in latest_versions().select_related("model__provider").order_by("model__hub_id"):
        assessment = getattr(version, "license_assessment", None)
        expression = assessment.effective_expression if assessment else ""
        rows.append(
            ModelRow(
                version=version,
                expression=expression,
                category=strictest_category(expression) if expression else "",
                mismatch=bool(assessment and assessment.tag_text_mismatch),
                version_count=version_counts.get(version.model_id, 0),
                approved=approved.get(version.model_id, 0),
            )
        )
    return rows


def approvals_awaiting_review() -> QuerySet[ApprovalRequest]:
    return (
        ApprovalRequest.objects.filter(state__in=OPEN_STATES)
        .select_related("version__model", "use_case", "requested_by")
        .prefetch_related("signoffs")
        .order_by("submitted_at", "pk")
    )


def approvals_expiring(*, within_days: int = 30, now: datetime | None = None) -> QuerySet[ApprovalRequest]:
    moment = now or timezone.now()
    return (
        ApprovalRequest.objects.filter(
            state=ApprovalState.APPROVED, expires_at__gt=moment, expires_at__lte=moment + timedelta(days=within_days)
        )
        .select_related("version__model", "use_case")
        .order_by("expires_at")
    )


def license_mismatches() -> QuerySet[LicenseAssessment]:
    """Versions whose declared license tag disagrees with their LICENSE text."""
    return LicenseAssessment.objects.filter(tag_text_mismatch=True).select_related("version__model")


@dataclass(frozen=True)
class UsageFinding:
    deployment: Deployment
    used: int
    limit: int
    source: str
    level: str

    @property
    def percent(self) -> int:
        return round(100 * self.used / self.limit) if self.limit else 100


def license_usage_findings(*, today: date | None = None) -> list[UsageFinding]:
    """Deployments whose monthly active users approach or pass a license threshold (this month)."""
    day = today or timezone.now().date()
    deployments = list(Deployment.objects.exclude(license_conditions=[]).exclude(state="retired"))
    latest: dict[int, int] = {}
    rollups = UsageRollup.objects.filter(deployment__in=deployments, day__gte=day.replace(day=1), day__lte=day)
    for deployment_id, used in rollups.order_by("-day").values_list("deployment_id", "month_distinct_end_users"):
        latest.setdefault(deployment_id, used)  # the newest day's month-to-date count
    findings = []
    for deployment in deployments:
        used = latest.get(deployment.pk, 0)
        for condition in deployment.license_conditions:
            level = license_condition_level(used, condition["limit"])
            if level is not None:
                findings.append(UsageFinding(deployment, used, condition["limit"], condition["source"], level))
    return findings


def guardrail_blocks_by_day(*, days: int = 7, now: datetime | None = None) -> list[tuple[date, int]]:
    moment = now or timezone.now()
    start = (moment - timedelta(days=days - 1)).date()
    rows = (
        InferenceRecord.objects.filter(status__in=BLOCKED_STATUSES, created_at__date__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"))
    )
    counts = {row["day"]: row["n"] for row in rows}
    return [(start + timedelta(days=offset), counts.get(start + timedelta(days=offset), 0)) for offset in range(days)]


def guardrail_blocks_by_validator(*, days: int = 7, now: datetime | None = None) -> list[tuple[str, int]]:
    """Which validators blocked, from the records' outcomes (one count per record and validator)."""
    since = (now or timezone.now()) - timedelta(days=days)
    counts: Counter[str] = Counter()
    outcomes = InferenceRecord.objects.filter(status__in=BLOCKED_STATUSES, created_at__gte=since).values_list(
        "guardrail_outcomes", flat=True
    )
    for record in outcomes.iterator():
        failed = {
            str(o.get("validator", "?")) for o in record or [] if isinstance(o, dict) and o.get("outcome") == "blocked"
        }
        counts.update(failed or {"(unnamed)"})
    return counts.most_common(6)


@dataclass(frozen=True)
class ChainStatus:
    ok: bool
    checked: int
    head_hash: str
    detail: str
    verified_at: datetime


def audit_chain_status(*, refresh: bool = False) -> ChainStatus:
    """The audit chain re-verified end to end, cached for a few minutes (a full pass reads every event)."""
    key = "web:audit-chain-status"
    status: ChainStatus | None = None if refresh else cache.get(key)
    if status is None:
        report = audit_chain_verify()
        detail = "" if report.broken is None else str(report.broken)
        status = ChainStatus(report.ok, report.checked, report.head_hash or "", detail, timezone.now())
        cache.set(key, status, CHAIN_STATUS_CACHE_SECONDS)
    return status


@dataclass(frozen=True)
class EventLine:
    event: AuditEvent
    summary: str


def audit_events_for(events: QuerySet[AuditEvent], *, limit: int = 12) -> list[EventLine]:
    """The newest events of a query, each with its registered plain-language summary."""
    lines = []
    for event in events.order_by("-sequence")[:limit]:
        event_type = event_type_by_name(event.action)
        lines.append(EventLine(event, event_type.summary if event_type else event.action))
    return lines


def audit_events_of(targets: list[Any]) -> QuerySet[AuditEvent]:
    """Events about any of these objects (matched by their model label and primary key)."""
    condition = Q(pk__in=[])
    for target in targets:
        condition |= Q(target_type=target._meta.label_lower, target_id=str(target.pk))
    return AuditEvent.objects.filter(condition)


def usage_totals(deployments: QuerySet[Deployment], *, days: int = 30) -> dict[str, int]:
    since = timezone.now().date() - timedelta(days=days - 1)
    totals = UsageRollup.objects.filter(deployment__in=deployments, day__gte=since).aggregate(
        requests=Sum("requests"),
        blocked=Sum("blocked"),
        failed=Sum("failed"),
        prompt_tokens=Sum("prompt_tokens"),
        completion_tokens=Sum("completion_tokens"),
    )
    return {name: int(value or 0) for name, value in totals.items()}
