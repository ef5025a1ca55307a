from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.models import AuditEvent
from core.roles import Capability, user_can
from registry.models import Model
from web import selectors
from web.access import page_requires
from web.charts import horizontal_bars, vertical_bars

TIER_COLOURS = {
    "Prohibited": "#7f1d1d",
    "High risk": "#b91c1c",
    "Transparency duties": "#b45309",
    "Minimal risk": "#15803d",
    "Out of scope": "#64748b",
    "Not yet classified": "#94a3b8",
}


@page_requires(Capability.COMPLIANCE_VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    awaiting = list(selectors.approvals_awaiting_review())
    expiring = list(selectors.approvals_expiring(within_days=30))
    mismatches = list(selectors.license_mismatches())
    usage_findings = selectors.license_usage_findings()
    blocks_by_day = selectors.guardrail_blocks_by_day(days=7)
    tiers = selectors.models_by_risk_tier()
    can_audit = user_can(request.user, Capability.AUDIT_VIEW)
    context = {
        "title": "Dashboard",
        "section": "dashboard",
        "model_count": Model.objects.count(),
        "awaiting": awaiting,
        "expiring": expiring,
        "mismatches": mismatches,
        "usage_findings": usage_findings,
        "finding_count": len(mismatches) + len(usage_findings),
        "license_chart": horizontal_bars("Models by license category", selectors.models_by_license_category()),
        "tier_chart": horizontal_bars(
            "Models by EU AI Act risk tier", tiers, colours=[TIER_COLOURS[label] for label, _ in tiers]
        ),
        "blocks_chart": vertical_bars(
            "Guardrail blocks per day", [(day.strftime("%a %d"), n) for day, n in blocks_by_day]
        ),
        "blocks_total": sum(n for _, n in blocks_by_day),
        "blocks_by_validator": selectors.guardrail_blocks_by_validator(days=7),
        "can_audit": can_audit,
        "chain": selectors.audit_chain_status() if can_audit else None,
        "recent_events": selectors.audit_events_for(AuditEvent.objects.all(), limit=10) if can_audit else [],
    }
    return TemplateResponse(request, "web/dashboard.html", context)
